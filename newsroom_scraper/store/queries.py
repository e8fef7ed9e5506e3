"""What callers ask of the archive without writing: is a URL archived, an article, the summary
``newsroom-archive status`` shows, and search (the reader's SQL is search/sql.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsroom_scraper.search.sql import SEARCH_SQL, search_hits
from newsroom_scraper.store.alerts import Alerts
from newsroom_scraper.store.rechecks import Rechecks
from newsroom_scraper.store.runs import Runs


class Queries(Runs, Rechecks, Alerts):
    """Lookups, the archive's summary and search."""

    def is_archived(self, urls: list[str]) -> bool:
        """Whether any of ``urls`` is an archived article's canonical or fetched URL."""
        marks = ", ".join("?" for _ in urls)
        sql = f"SELECT 1 FROM articles WHERE url IN ({marks}) OR fetched_url IN ({marks}) LIMIT 1"
        return self.db.execute(sql, [*urls, *urls]).fetchone() is not None

    def archived_layout(self, urls: list[str]) -> str | None:
        """The layout that read the current version of the article under any of ``urls`` (canonical
        or fetched), or None when none is archived."""
        marks = ", ".join("?" for _ in urls)
        row = self.db.execute(
            f"SELECT layout FROM articles WHERE url IN ({marks}) OR fetched_url IN ({marks}) LIMIT 1", [*urls, *urls]
        ).fetchone()
        return row[0] if row else None

    def site_layout_known(self) -> bool:
        """Whether any archived article's current version was read by a site layout (not the fallback)."""
        sql = "SELECT 1 FROM articles WHERE layout IS NOT NULL AND layout != 'generic' LIMIT 1"
        return self.db.execute(sql).fetchone() is not None

    def summary(self, now: dt.datetime | None = None, budget: int | None = None) -> dict[str, Any]:
        """What the archive holds: articles by section, versions, runs, open errors, date range,
        re-checks due (at ``now``, default the clock), the re-check cycle a nightly ``budget`` gives,
        removed articles (newest removal first), open alerts."""

        def scalar(sql: str) -> Any:
            return self.db.execute(sql).fetchone()[0]

        last_runs = self._rows("SELECT id FROM crawl_runs ORDER BY id DESC LIMIT 1")
        removed = self._rows(
            "SELECT url, removed_at FROM articles WHERE removed_at IS NOT NULL ORDER BY removed_at DESC, id"
        )
        return {
            "articles": scalar("SELECT COUNT(*) FROM articles"),
            "by_section": dict(
                self.db.execute(
                    "SELECT coalesce(section, '?'), COUNT(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"
                ).fetchall()
            ),
            "versions": scalar("SELECT COUNT(*) FROM article_versions"),
            "changed_articles": scalar("SELECT COUNT(*) FROM articles WHERE version_count > 1"),
            "oldest": scalar("SELECT MIN(published_date) FROM articles"),
            "newest": scalar("SELECT MAX(published_date) FROM articles"),
            "runs": scalar("SELECT COUNT(*) FROM crawl_runs"),
            "open_errors": scalar(
                "SELECT COUNT(DISTINCT url) FROM crawl_errors WHERE resolved_at IS NULL AND kind != 'warning'"
            ),
            "last_run": self.get_run(last_runs[0]["id"]) if last_runs else None,
            "rechecks": self.recheck_schedule(now or dt.datetime.now(dt.UTC)),
            "recheck_cycle": self.recheck_cycle(budget),
            "recent_runs": self.recent_runs(5),
            "removed": removed,
            "open_alerts": self.open_alerts(),
        }

    def article_count(self) -> int:
        """How many articles the archive holds."""
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def get_article(self, url: str) -> dict[str, Any] | None:
        """The article row for a canonical (or else fetched) URL, or None."""
        rows = self._rows(
            "SELECT * FROM articles WHERE url = :url OR fetched_url = :url ORDER BY url = :url DESC LIMIT 1",
            {"url": url},
        )
        return rows[0] if rows else None

    def mementos(self, url: str) -> list[dict[str, Any]]:
        """Every replayable capture of ``url`` (an article's canonical or fetched URL, or any captured
        URL), oldest first: its time, status and source, and where the body it showed is in the WARC.

        A 304 shows the body of the last full (200) capture of the version it confirmed, from at or
        before its own time; a capture whose body no WARC record holds is left out.
        """
        return self._rows(
            """SELECT c.id, c.url, c.captured_at, c.status, c.source, c.source_uri, c.article_id,
                c.version, v.id AS version_id, b.id AS body_id, b.record_id, b.warc_file, b.warc_offset, b.warc_length
            FROM captures c
            JOIN captures b ON b.id = CASE WHEN c.status = 200 THEN c.id ELSE (
                SELECT r.id FROM captures r
                WHERE r.article_id = c.article_id AND r.version = c.version AND r.status = 200
                    AND r.warc_file IS NOT NULL AND r.captured_at <= c.captured_at
                ORDER BY r.captured_at DESC, r.id DESC LIMIT 1) END
            LEFT JOIN article_versions v ON v.article_id = c.article_id AND v.version = c.version
            WHERE c.status IN (200, 304) AND b.warc_file IS NOT NULL AND (c.url = :url OR c.kind = 'article'
                AND c.article_id IN (SELECT id FROM articles WHERE url = :url OR fetched_url = :url))
            ORDER BY c.captured_at, c.id""",
            {"url": url},
        )

    def pages_in(self, warc_files: list[str]) -> list[dict[str, Any]]:
        """The article captures (200 answers) whose records are in ``warc_files`` (names as
        ``captures.warc_file``), oldest first: the URL fetched, the version's title, the time."""
        marks = ", ".join("?" for _ in warc_files)
        return self._rows(
            f"""SELECT c.url, coalesce(v.title, a.title, c.url) AS title, c.captured_at FROM captures c
            JOIN articles a ON a.id = c.article_id
            LEFT JOIN article_versions v ON v.article_id = c.article_id AND v.version = c.version
            WHERE c.status = 200 AND c.kind = 'article' AND c.warc_file IN ({marks}) ORDER BY c.captured_at, c.id""",
            warc_files,
        )

    def has_capture(self, urls: list[str]) -> bool:
        """Whether a full (200) capture of any of ``urls`` is recorded."""
        marks = ", ".join("?" for _ in urls)
        sql = f"SELECT 1 FROM captures WHERE url IN ({marks}) AND status = 200 LIMIT 1"
        return self.db.execute(sql, urls).fetchone() is not None

    def search(self, q: str, limit: int = 20, **filters: str) -> list[dict[str, Any]]:
        """The reader's search (the page's, search/sql.py): its first ``limit`` hits, with a snippet.

        ``q`` is the search box's language (words, "phrases", OR, NOT/-word, parentheses, prefix*);
        ``filters``: since, until, section, tag, district, sort (relevance, or newest/oldest). Each
        row: id, url, title, published_at, section, match ("word" or "substring"), rank (1, 2, …) and
        snippet, plain text with ``<mark>`` around hits: escape it before showing it as HTML.
        """
        hits = dict(search_hits(self.db.conn, q, **filters)[:limit])
        ids = list(hits)
        if not ids:
            return []
        marks = ", ".join(str(int(i)) for i in ids)
        found = {
            row["id"]: row
            for row in self._rows(
                f"""SELECT id, url, title, published_at, section,
                    coalesce(nullif(search_excerpt(body_text, :q), ''), search_excerpt(lead, :q)) AS snippet
                FROM articles WHERE id IN ({marks})""",
                {"q": q},
            )
        }
        rows = []
        for rank, article_id in enumerate(ids, start=1):
            row = found[article_id]
            row["snippet"] = (row["snippet"] or "").replace("«", "<mark>").replace("»", "</mark>")
            rows.append({**row, "match": hits[article_id], "rank": rank})
        return rows

    def search_articles(self, q: str, *, page: int = 1, **filters: str) -> list[dict[str, Any]]:
        """The reader's search (SEARCH_SQL): whole-word hits first, then substring-only hits.

        ``filters``: since, until, section, tag, district (missing ones are off). At most
        READER_PAGE_SIZE + 1 rows (search/sql.py): one more than a page says there is a next one.
        """
        names = ("since", "until", "section", "tag", "district", "sort")
        params = {"q": q, "page": page, **{name: filters.get(name) or "" for name in names}}
        return self._rows(SEARCH_SQL, params)
