"""An article's history rebuilt from its captures (``replace_history``): reparse applies a
parser fix to every version, and imports another tool's or the Wayback Machine's captures."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from newsroom_scraper.items import Capture, layout_lost
from newsroom_scraper.store.articles import Articles
from newsroom_scraper.store.pending import FOLLOW_PERMALINKS_SQL
from newsroom_scraper.store.rows import PART_TABLES, Derived, content_hash, derive, next_recheck_of, word_stems


class History(Articles):
    """Versions recomputed from captures, in capture order; the captures a backfill holds."""

    def replace_history(
        self, url: str, captures: list[Capture], run_id: int, derived: Sequence[Derived | None] | None = None
    ) -> str:
        """Rebuild an article from all its captures, oldest first: "new", "rebuilt", "unchanged" or "kept".

        ``captures`` carry their parse (``article``) when they are 200 answers; a 304 only confirms.
        Versions are the runs of equal content in capture order, so a parser fix changes what a
        version holds, never how many there are, unless the fix makes two captures read alike or
        different. "unchanged": the archive already holds exactly these captures and versions;
        "kept": the archive holds captures or versions of the article that are not among
        ``captures`` (versions stored without WARC, or files elsewhere), so nothing is touched.
        ``derived``: what ``derive()`` gives for each capture's article, when computed ahead (None:
        computed here as needed), in the order of ``captures``. A capture only the generic fallback
        read, of an article a site's layout read before it, makes no version (``items.layout_lost``):
        it is kept as a capture of the version before it, as the crawl kept it (a ``layout-lost`` error).
        """
        captures = _readable(captures)
        parsed = [c for c in captures if c.article is not None]
        if not parsed:
            return "kept"
        pairs = zip(captures, derived, strict=True) if derived is not None else []
        given = {id(c): d for c, d in pairs if d is not None}
        hashes = {
            id(c): given[id(c)].digest if id(c) in given else content_hash(c.article) for c in parsed if c.article
        }
        digests = [hashes[id(c)] for c in parsed]
        version_hashes = [d for i, d in enumerate(digests) if i == 0 or d != digests[i - 1]]
        record_ids = {c.record_id for c in captures}
        with self._atomic():
            row = self._find(url)
            if row is not None:
                self._settle(row["id"])
                held_ids, held_hashes, without_capture, held_runs = self._history(row["id"])
                if without_capture or not held_ids <= record_ids:
                    self._fill_capture_digests(captures)
                    return "kept"
                if held_ids == record_ids and held_hashes == version_hashes:
                    self._fill_capture_digests(captures)
                    return "unchanged"
                if self._extends(url, captures, held_ids, held_hashes, hashes):
                    # what this run stored has its digests, and its slider from its last page
                    earlier = held_runs != {run_id}
                    if earlier:
                        self._fill_capture_digests(captures)
                    self._extend_history(row["id"], captures, len(held_ids), held_hashes, hashes, given, run_id)
                    held_last = [c.article for c in captures[: len(held_ids)] if c.article is not None][-1]
                    last = parsed[-1].article
                    assert last is not None
                    if earlier or held_last.related != last.related:
                        self._replace_related(row["id"], run_id, last, new_article=False)
                    return "rebuilt"
                self._forget_history(row["id"])
            article_id = self._write_history(url, row["id"] if row else None, captures, hashes, given, run_id)
            if row is not None:  # a new article's ids are all new: none to follow
                self._follow_permalinks(url)
            last = parsed[-1].article
            assert last is not None
            self._replace_related(article_id, run_id, last, new_article=row is None)
        return "new" if row is None else "rebuilt"

    def _history(self, article_id: int) -> tuple[set[str | None], list[str], bool, set[int]]:
        """The record ids of an article's captures, its version hashes, whether a version has no
        capture, and the runs that stored its captures."""
        held = self.db.execute(
            "SELECT record_id, run_id FROM captures WHERE article_id = ? AND kind = 'article'", [article_id]
        ).fetchall()
        versions = self.db.execute(
            "SELECT content_hash, capture_id FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
        ).fetchall()
        hashes = [h for h, _ in versions]
        return {r for r, _ in held}, hashes, any(c is None for _, c in versions), {run for _, run in held}

    def _extends(
        self,
        url: str,
        captures: list[Capture],
        held_ids: set[str | None],
        held_hashes: list[str],
        hashes: dict[int, str],
    ) -> bool:
        """Whether the archive's history of the article is the start of ``captures``' (the same first
        captures, read into the same versions), and none of the later captures had a version id
        issued: then the rebuild only adds to it (``_extend_history``), as a reparse that stored the
        article before a later file brought another capture of it does."""
        head = captures[: len(held_ids)]
        if not held_hashes or None in held_ids or {c.record_id for c in head} != held_ids:
            return False
        digests = [hashes[id(c)] for c in head if c.article is not None]
        if [d for i, d in enumerate(digests) if i == 0 or d != digests[i - 1]] != held_hashes:
            return False
        issued = self._issued_ids(url)
        return not any(c.record_id in issued for c in captures[len(held_ids) :])

    def _extend_history(
        self,
        article_id: int,
        captures: list[Capture],
        held: int,
        held_hashes: list[str],
        hashes: dict[int, str],
        given: dict[int, Derived],
        run_id: int,
    ) -> None:
        """Add ``captures[held:]`` to the article's history (its first ``held`` captures are stored,
        as ``held_hashes`` versions): what ``_write_history`` would write, without rewriting those."""
        bookkeeping, first_captures = _bookkeeping(captures, hashes)
        version, digest = len(held_hashes), held_hashes[-1]
        for capture in captures[held:]:
            if capture.article is not None and hashes[id(capture)] != digest:
                version, digest = version + 1, hashes[id(capture)]
                capture_id = self._add_capture(capture, article_id, version, run_id)
                self._add_version(
                    article_id,
                    capture.article,
                    _derived(capture, given, hashes),
                    capture.captured_at,
                    run_id,
                    version,
                    capture_id,
                    record_id=capture.record_id,
                )
            else:
                self._add_capture(capture, article_id, version, run_id, need_id=False)
        if version > len(held_hashes):  # a new latest version: its columns, the full-text ones at the batch's end
            columns = _derived(first_captures[-1], given, hashes).columns
            bookkeeping = {**self._deferred(article_id, columns), **bookkeeping}
        self._update_article(article_id, bookkeeping)

    def _fill_capture_digests(self, captures: list[Capture]) -> None:
        """Give capture rows stored before the payload SHA-256 and content-coding columns their
        values (issue 19, 6)."""
        known = [
            [c.payload_sha256, c.decoded_sha256, c.record_id] for c in captures if c.record_id and c.payload_sha256
        ]
        self.db.conn.executemany(
            """UPDATE captures SET payload_sha256 = ?, decoded_sha256 = ?
            WHERE record_id = ? AND payload_sha256 IS NULL""",
            known,
        )
        encoded = [[c.content_encoding, c.record_id] for c in captures if c.record_id and c.content_encoding]
        self.db.conn.executemany(
            "UPDATE captures SET content_encoding = ? WHERE record_id = ? AND content_encoding IS NULL", encoded
        )

    def _issued_ids(self, url: str) -> dict[str, int]:
        """The version ids issued for an article, by the WARC-Record-ID of the capture each stands for."""
        rows = self.db.execute(
            "SELECT record_id, id FROM version_permalinks WHERE article_url = ? AND record_id IS NOT NULL", [url]
        )
        return {record_id: version_id for record_id, version_id in rows}

    def _follow_permalinks(self, url: str) -> None:
        """Point each id issued for the article at the version now holding its capture (itself, unless
        a parser fix merged its version into an earlier one: then its address redirects there). In a
        batch, at its end, once its versions are written."""
        if self._pending is not None:
            self._pending.follow.append(url)
        else:
            self.db.execute(FOLLOW_PERMALINKS_SQL, [url])

    def _forget_history(self, article_id: int) -> None:
        versions = self.db.execute("SELECT id, data FROM article_versions WHERE article_id = ?", [article_id])
        for version_id, data in versions.fetchall():
            self._index_words(version_id, word_stems(json.loads(data)), delete=True)
        for table in ("article_versions", *(t for n, t in PART_TABLES.items() if n != "related")):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
        # An image's capture is not the page's: a rebuilt history keeps it (reparse links pictures apart).
        self.db.execute("DELETE FROM captures WHERE article_id = ? AND kind = 'article'", [article_id])

    def _write_history(
        self,
        url: str,
        article_id: int | None,
        captures: list[Capture],
        hashes: dict[int, str],
        given: dict[int, Derived],
        run_id: int,
    ) -> int:
        """The article row from its captures (insert or update), then its versions and capture rows
        (``given``: the captures' derivations computed ahead, by ``id()``)."""

        def derived(capture: Capture) -> Derived:
            return _derived(capture, given, hashes)

        rebuilt = article_id is not None
        bookkeeping, first_captures = _bookkeeping(captures, hashes)
        latest = first_captures[-1]
        assert latest.article is not None
        columns = derived(latest).columns
        if article_id is None:  # one INSERT: an UPDATE after it cost as much again (row, search_facts trigger)
            state = {k: bookkeeping[k] for k in ("fetched_url", "etag", "last_modified")}
            seen = {**state, "last_checked_at": bookkeeping["first_seen_at"]}
            if self._pending is not None:  # in a batch, the whole row at its end (pending.py)
                article_id = self._insert_article(latest.article, columns, seen, bookkeeping)
            else:
                article_id = self._insert_article(latest.article, self._deferred(None, columns), seen, bookkeeping)
                self._deferred(article_id, columns)
        else:  # the indexed columns are written only here, so the FTS index is updated once
            self._update_article(article_id, {**self._deferred(article_id, columns), **bookkeeping})
        starts = {id(c) for c in first_captures}
        # a new article has no ids issued yet (a lookup per article saved, in a reparse into an empty archive)
        kept_ids = self._kept_ids(url, captures, starts) if rebuilt else [None] * len(starts)
        version = 0
        for capture in captures:
            if id(capture) in starts and capture.article is not None:
                # the capture row first, so that the version is inserted with its capture_id (not updated after)
                version += 1
                capture_id = self._add_capture(capture, article_id, version, run_id)
                self._add_version(
                    article_id,
                    capture.article,
                    derived(capture),
                    capture.captured_at,
                    run_id,
                    version,
                    capture_id,
                    record_id=capture.record_id,
                    version_id=kept_ids[version - 1],
                    new_article=not rebuilt and version == 1,
                )
            else:
                self._add_capture(capture, article_id, version or None, run_id, need_id=False)
        return article_id

    def _kept_ids(self, url: str, captures: list[Capture], starts: set[int]) -> list[int | None]:
        """For each version of a rebuilt history (``starts``: its first captures), the id it keeps: the
        earliest id issued for any capture it holds (None: none was, it gets a new one).

        Ids stand for captures, not for places in the history: a backfill's older capture becoming
        version 1, an import's capture joining a version, a parser fix changing a version's text, all
        leave each id with the version holding the capture it was issued for.
        """
        issued = self._issued_ids(url)
        held: list[list[int]] = []
        for capture in captures:
            if id(capture) in starts:
                held.append([])
            if held and capture.record_id in issued:
                held[-1].append(issued[capture.record_id])
        return [min(ids, default=None) for ids in held]

    def capture_keys(self, source: str) -> set[tuple[str, str]]:
        """(URL, capture time) of the captures from ``source`` (a backfill never fetches them again)."""
        rows = self.db.execute("SELECT url, captured_at FROM captures WHERE source = ?", [source])
        return {(url, captured_at) for url, captured_at in rows}


def _derived(capture: Capture, given: dict[int, Derived], hashes: dict[int, str]) -> Derived:
    """A parsed capture's ``derive()``, once (``given``: those computed so far, by ``id()``): the latest
    version's is asked for twice (its row and its version), and deriving (columns, word stems) was a
    fifth of a reparse's time."""
    assert capture.article is not None
    if id(capture) not in given:
        given[id(capture)] = derive(capture.article, digest=hashes[id(capture)])
    return given[id(capture)]


def _bookkeeping(captures: list[Capture], hashes: dict[int, str]) -> tuple[dict[str, Any], list[Capture]]:
    """The article row's fetch bookkeeping after ``captures`` (validators, first and last seen, last
    changed, versions, the next re-check), and the first capture of each version (``hashes``: each
    parsed capture's content hash, by ``id()``)."""
    state: dict[str, Any] = {"etag": None, "last_modified": None}
    digest = None
    first_captures: list[Capture] = []
    for capture in captures:
        if capture.article is not None:
            state.update(fetched_url=capture.url, etag=capture.etag, last_modified=capture.last_modified)
            if hashes[id(capture)] != digest:
                digest = hashes[id(capture)]
                first_captures.append(capture)
        elif capture.status == 304:
            state.update({k: getattr(capture, k) for k in ("etag", "last_modified") if getattr(capture, k)})
    latest = first_captures[-1]
    assert latest.article is not None
    bookkeeping = {
        **state,
        "first_seen_at": next(c.captured_at for c in captures if c.article is not None),
        "last_checked_at": captures[-1].captured_at,
        "last_changed_at": latest.captured_at,
        "version_count": len(first_captures),
    }
    # the re-check schedule as the crawl would have left it after the last capture
    schedule_row = {**bookkeeping, "published_at": latest.article.published_at}
    bookkeeping["recheck_due_at"] = next_recheck_of(schedule_row, captures[-1].captured_at)
    return bookkeeping, first_captures


def _readable(captures: list[Capture]) -> list[Capture]:
    """``captures`` in the same order, the parse taken off those whose layout was lost: the generic
    fallback's reading of an article one of the site's layouts read in an earlier capture."""
    layout: str | None = None
    kept = []
    for capture in captures:
        article = capture.article
        if article is not None and layout_lost(layout, article.layout):
            capture = dataclasses.replace(capture, article=None)
        elif article is not None:
            layout = article.layout
        kept.append(capture)
    return kept
