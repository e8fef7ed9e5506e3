"""``reparse``: the archive as a function of its captures, behind ``newsroom-archive reparse``.

Every article response under a folder of WARC/WACZ files (the crawl's own, GNU wget's,
Browsertrix's, the Wayback backfill's) is parsed with the layout of its capture date, grouped by
the article's canonical URL, and each article's history is rebuilt from its captures in capture
order (``Archive.replace_history``), as the reading goes: stored once the part of the file that
brought its captures is read, and again at the end when a later file brought more. Run into an empty archive it rebuilds the crawl's archive; run
into an existing one it applies a parser fix to history (versions are recomputed, so the fix is
never a change of the article) and adds captures of other tools; run twice it adds nothing.
No network, no Scrapy.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from newsroom_scraper import site
from newsroom_scraper.errors import ParseError
from newsroom_scraper.evidence.pool import process_pool, result_of
from newsroom_scraper.evidence.warc import (
    Damaged,
    FileError,
    Joiner,
    Skipped,
    WarcCapture,
    WarcItem,
    WarcPart,
    archive_files,
    iter_part,
    warc_parts,
)
from newsroom_scraper.items import Article, Capture
from newsroom_scraper.parser.parse import parse_article
from newsroom_scraper.store import Archive, Derived, check_archive, derive, write_lock

Progress = Callable[[str], None]

# Below this many bytes of WARC/WACZ, pages are read and parsed in this process: a pool costs more.
POOL_MIN_BYTES = 4_000_000
POOL_WORKERS = 2  # the machine has two cores; the workers read and parse, the main process stores
# A worker's job: this much of a .warc.gz file (a whole WACZ member or .warc). Small jobs keep both
# workers busy to the end (1 MB jobs of 12 KB pages: reparse 2.1x its floor; 256 KB: 1.6x, same run).
PART_BYTES = 256_000
IN_FLIGHT = 4  # jobs per worker sent ahead of the one the main process waits for
# While the workers start (spawning and importing take 0.3-0.5 s, what a small folder lost to the
# pool: bench/reparse_floor.py), the first parts are read here, up to this many bytes. Not more:
# this process also stores as the reading goes (8 MB: 1.34x the floor at 12 KB pages, 1 MB: 1.28x).
HERE_BYTES = 1_000_000


ALREADY = "already present"  # the same WARC record (WARC-Record-ID) was read from an earlier file
TAKEN = "taken"  # a capture of an article's history
SKIPPED = "skipped: "  # followed by why


@dataclass
class ReparseReport:
    """What a reparse read and did; ``lines()`` is what the command prints."""

    run_id: int = 0
    captures: int = 0  # taken into the articles' histories
    not_articles: Counter[str] = field(default_factory=Counter)  # parse failure reason → count
    outcomes: Counter[str] = field(default_factory=Counter)  # new, rebuilt, unchanged, kept
    # file → WARC-Type → outcome (TAKEN, ALREADY, SKIPPED + why) → records
    files: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    copies_of: dict[str, set[str]] = field(default_factory=dict)  # file → the files its ALREADY records were read from
    unreadable: dict[str, str] = field(default_factory=dict)  # file → what reading it said (its later records unread)
    # file → what is wrong with its damaged records or bytes (reading went on past them)
    damaged: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        return sum(self.outcomes.values())

    def count(self, file: str, kind: str, outcome: str) -> None:
        """One record of ``file`` of WARC-Type ``kind`` had ``outcome``."""
        self.files.setdefault(file, {}).setdefault(kind, Counter())[outcome] += 1

    def total(self, outcome: str) -> int:
        """Records of every file and kind whose outcome starts with ``outcome``."""
        return sum(
            n for kinds in self.files.values() for c in kinds.values() for o, n in c.items() if o.startswith(outcome)
        )

    def lines(self) -> list[str]:
        rate = self.articles / self.seconds if self.seconds else 0.0
        o = self.outcomes
        files = len(self.files.keys() | self.unreadable.keys())
        lines = [
            f"Reparse run {self.run_id}: {self.captures} captures taken, {self.total(ALREADY)} already present, "
            f"{self.total(SKIPPED)} skipped, from {files} files; {self.articles} articles "
            f"in {self.seconds:.1f} s ({rate:.0f} articles/s)",
            f"  articles: {o['new']} new, {o['rebuilt']} rebuilt, {o['unchanged']} unchanged, "
            f"{o['kept']} kept (captures or versions outside the folder)",
        ]
        if self.not_articles:
            reasons = ", ".join(f"{reason} {count}" for reason, count in self.not_articles.most_common())
            lines.append(f"  not article pages: {reasons}")
        for file in sorted(self.files.keys() | self.unreadable.keys()):
            kinds = "; ".join(_kind_line(kind, counts) for kind, counts in sorted(self.files.get(file, {}).items()))
            if file in self.copies_of:
                kinds += f" (already present: the same records as in {', '.join(sorted(self.copies_of[file]))})"
            lines.append(f"  {file}: {kinds or 'no captures'}")
            lines += [f"  ! {message}" for message in self.damaged.get(file, [])]
            if file in self.unreadable:
                lines.append(f"  ! {self.unreadable[file]}; its later records were not read")
        return lines


def _kind_line(kind: str, counts: Counter[str]) -> str:
    """'response 300 taken, 2 already present, 39 skipped (not an article URL 36, status 404 3)'."""
    text = f"{kind} {counts[TAKEN]} taken"
    if counts[ALREADY]:
        text += f", {counts[ALREADY]} already present"
    skipped = sorted(
        ((o.removeprefix(SKIPPED), n) for o, n in counts.items() if o.startswith(SKIPPED)), key=lambda x: -x[1]
    )
    if skipped:
        text += f", {sum(n for _, n in skipped)} skipped (" + ", ".join(f"{why} {n}" for why, n in skipped) + ")"
    return text


def is_article_capture(url: str) -> bool:
    """Whether a captured URL is an article page, in today's URL scheme or the pre-2023 one."""
    return site.is_article_url(url)


def reparse(
    folder: str | Path,
    db_path: str | Path,
    *,
    wanted: Callable[[str], bool] = is_article_capture,
    progress: Progress | None = None,
    batch_size: int = 500,
    workers: int | None = None,
) -> ReparseReport:
    """Rebuild the archive at ``db_path`` from every article capture under ``folder``.

    ``workers``: processes that read the files and parse the pages, each a part of a file at a time
    (``warc_parts``; Articles back, taken in capture order); 0 reads and parses here. None:
    ``POOL_WORKERS`` when the files hold at least ``POOL_MIN_BYTES``, else 0.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    if workers is None:
        size = sum(p.stat().st_size for p in archive_files(folder))
        workers = min(POOL_WORKERS, os.cpu_count() or 1) if size >= POOL_MIN_BYTES else 0
    report = ReparseReport()
    started = time.monotonic()
    say = progress or (lambda line: None)
    with write_lock(db_path), _checked(db_path), Archive(db_path) as archive:
        report.run_id = archive.start_run(f"reparse {folder}", {"reparse": str(folder)})
        try:
            _rebuild(archive, folder, wanted, report, say, workers, batch_size)
        except BaseException as error:  # the run row ends with a status whatever happens
            with contextlib.suppress(Exception):  # unless the archive itself is what failed
                _finish(archive, report, f"failed: {type(error).__name__}: {error}")
            raise
        report.seconds = time.monotonic() - started
        _finish(archive, report, "finished")
    return report


def _rebuild(
    archive: Archive,
    folder: Path,
    wanted: Callable[[str], bool],
    report: ReparseReport,
    say: Progress,
    workers: int,
    batch_size: int,
) -> None:
    """Read and parse the captures, storing each article's history once the part of the file that
    brought its captures is read; at the end, those that got more captures after (a later file, a
    revisit, a 304 read before its page) are stored again, whole."""
    with _Histories(archive, report, batch_size) as histories:
        images = _read(folder, wanted, report, say, workers, histories)
        histories.store_grown(say)
    _link_images(archive, images, report)


class _Histories:
    """The articles' captures, grouped by canonical URL, and their storing as the reading goes:
    after each part of a file, the histories it added to are stored (``replace_history``, which only
    adds to a history whose stored captures are the first of the new ones), in batches of
    ``batch_size`` articles; the store's work overlaps the workers' reading and parsing."""

    def __init__(self, archive: Archive, report: ReparseReport, batch_size: int) -> None:
        self.archive, self.report, self.batch_size = archive, report, max(batch_size, 1)
        self.groups: dict[str, Group] = {}
        self.touched: dict[str, None] = {}  # URLs with captures added since they were stored (in order)
        self.first: dict[str, str] = {}  # URL → the outcome of its first store
        self.last: dict[str, str] = {}  # URL → the outcome of its last store
        self.in_batch = 0  # histories stored in the open batch, those stored again counting a quarter
        self.batch: contextlib.ExitStack | None = None

    def __enter__(self) -> _Histories:
        return self

    def __exit__(self, *error: object) -> None:
        if self.batch is not None:  # an error inside a batch undoes it (Groups.batch)
            self.batch.__exit__(*error)  # type: ignore[arg-type]
            self.batch = None
        self.report.outcomes.update(
            self.first[url] if self.first[url] == "new" else self.last[url] for url in self.last
        )

    @property
    def stored(self) -> int:
        """Articles stored so far."""
        return len(self.first)

    def add(self, url: str, order: tuple[str, tuple[int, int]], capture: Capture, derived: Derived | None) -> None:
        """A capture of the article at ``url`` (``order``: capture time, then place in the files)."""
        self.groups.setdefault(url, []).append((order, capture, derived))
        self.touched[url] = None

    def store_touched(self) -> None:
        """Store the histories captures were added to since they were last stored."""
        for url in list(self.touched):
            self._store(url)
        self.touched.clear()

    def store_grown(self, say: Progress) -> None:
        """At the end of the reading: store again the histories that got more captures."""
        urls, started = list(self.touched), time.monotonic()
        for done, url in enumerate(urls, start=1):
            self._store(url)
            if done % self.batch_size == 0 or done == len(urls):
                say(_progress_line("stored again (more captures after they were stored)", done, len(urls), started))
        self.touched.clear()

    def _store(self, url: str) -> None:
        if self.batch is None:
            self.batch = contextlib.ExitStack()
            self.batch.enter_context(self.archive.batch())
        ordered = sorted(self.groups[url], key=lambda c: c[0])
        captures, derived = [c for _, c, _ in ordered], [d for _, _, d in ordered]
        again = url in self.first
        outcome = self.archive.replace_history(url, captures, self.report.run_id, derived)
        self.first.setdefault(url, outcome)
        self.last[url] = outcome
        # a history stored again writes a few rows (a nightly capture: 10 times fewer than a page)
        self.in_batch += 1 if again else 4
        if self.in_batch >= 4 * self.batch_size:
            batch, self.batch, self.in_batch = self.batch, None, 0
            batch.close()  # the batch's end: its waiting rows and full-text columns written, committed


def _link_images(archive: Archive, images: list[tuple[str, WarcCapture]], report: ReparseReport) -> None:
    """The pictures' captures, each a ``captures`` row of an article that shows it (as the crawl
    recorded them), once the articles are stored: an image is linked by its URL's path."""
    with archive.batch():
        outcomes = archive.add_image_captures([_capture(raw, kind="image") for _, raw in images], report.run_id)
    for (file, _), outcome in zip(images, outcomes, strict=True):
        report.count(file, "image", TAKEN if outcome == "taken" else SKIPPED + outcome)


def _finish(archive: Archive, report: ReparseReport, reason: str) -> None:
    """The run's row: its end, the outcome counts, what was read of each file (stats)."""
    counts = {"new": report.outcomes["new"], "changed": report.outcomes["rebuilt"]}
    counts["unchanged"] = report.outcomes["unchanged"]
    damaged = sum(len(messages) for messages in report.damaged.values())
    counts["errors"] = sum(report.not_articles.values()) + len(report.unreadable) + damaged
    stats = {"captures": report.captures, "files": report.files, "unreadable": report.unreadable}
    stats["damaged"] = report.damaged
    archive.finish_run(report.run_id, reason, stats, counts, {})


@contextmanager
def _checked(db_path: str | Path) -> Iterator[None]:
    """``check_archive`` as a step of a ``with``: a read-only, damaged or uncreatable archive is
    refused before anything is read (``ArchiveUnusable``), inside the write lock."""
    check_archive(db_path)
    yield


Group = list[tuple[tuple[str, tuple[int, int]], Capture, Derived | None]]  # (capture time, order), capture, derived


def _read(
    folder: Path,
    wanted: Callable[[str], bool],
    report: ReparseReport,
    say: Progress,
    workers: int,
    histories: _Histories,
) -> list[tuple[str, WarcCapture]]:
    """Every wanted capture parsed and given to ``histories`` under the article's canonical URL
    (with what the store derives from its article, when a worker computed it), which stores them
    as each part ends; the image captures (with their files) returned. What was taken, skipped and
    already present is counted per file and kind, and the files that could not be read noted.
    Revisits, and 304s read before any page of their URL, are taken at the end."""
    progress = _ReadProgress(sum(p.stat().st_size for p in archive_files(folder)), say)
    pages: list[Taken] = []  # the 200s taken: what revisits point to
    later: list[Taken] = []  # 304s whose page was not read yet
    revisits: list[tuple[str, WarcCapture, Capture]] = []
    canonical: dict[str, str] = {}  # fetched URL → the article's URL, for the 304s
    first_file: dict[str, str] = {}  # WARC-Record-ID → the file it was read from first
    images: list[tuple[str, WarcCapture]] = []
    read = 0
    ended: WarcPart | None = None
    for part, item, outcome, derived in _parsed(folder, wanted, workers):
        file = part.file
        if part is not ended:  # the part before is read: its histories are stored meanwhile
            histories.store_touched()
            ended = part
        progress.at(part, read, histories.stored)
        if isinstance(item, FileError):
            report.unreadable[file] = item.message
            continue
        if isinstance(item, Skipped):
            report.count(file, item.warc_type, SKIPPED + item.reason)
            continue
        if isinstance(item, Damaged):
            if item.warc_type is not None:  # a record (else bytes that are no record)
                report.count(file, item.warc_type, SKIPPED + "damaged")
            report.damaged.setdefault(file, []).append(item.message)
            continue
        raw, read = item, read + 1
        record_id = raw.location.record_id
        if record_id and record_id in first_file:  # e.g. a WACZ of WARC files also in the folder
            report.count(file, raw.warc_type, ALREADY)
            report.copies_of.setdefault(file, set()).add(first_file[record_id])
            continue
        if record_id:
            first_file[record_id] = file
        if raw.image:
            images.append((file, raw))
            continue
        capture = _capture(raw)
        if raw.warc_type == "revisit" and raw.status == 200:  # its page is another record's payload
            revisits.append((file, raw, capture))
            continue
        if raw.status == 200:
            if isinstance(outcome, str):
                report.not_articles[outcome] += 1
                report.count(file, raw.warc_type, f"{SKIPPED}not an article page ({outcome})")
                continue
            assert outcome is not None
            capture.article = outcome
            canonical[raw.url] = outcome.url
            pages.append((file, raw, capture, derived))
        elif raw.status != 304:
            report.count(file, raw.warc_type, f"{SKIPPED}status {raw.status}")
            continue
        elif raw.url not in canonical:
            later.append((file, raw, capture, derived))
            continue
        _take(histories, report, canonical, (file, raw, capture, derived))
    histories.store_touched()
    progress.done(read, histories.stored)
    for taken in later + _revisited(revisits, pages, canonical, report):
        _take(histories, report, canonical, taken)
    return images


def _take(histories: _Histories, report: ReparseReport, canonical: dict[str, str], taken: Taken) -> None:
    """A capture into its article's history (a 304's: that of the page last read from its URL)."""
    file, raw, capture, derived = taken
    key = capture.article.url if capture.article else canonical.get(raw.url)
    if key is None:
        report.count(file, raw.warc_type, f"{SKIPPED}a 304 of a page with no full capture in the folder")
        return
    report.count(file, raw.warc_type, TAKEN)
    report.captures += 1
    histories.add(key, (raw.captured_at, raw.order), capture, derived)


Taken = tuple[str, WarcCapture, Capture, "Derived | None"]  # file, capture read, its captures row, derived


def _revisited(
    revisits: list[tuple[str, WarcCapture, Capture]],
    taken: list[Taken],
    canonical: dict[str, str],
    report: ReparseReport,
) -> list[Taken]:
    """Identical-payload-digest revisits (GNU wget's ``--warc-dedup``, Heritrix, Browsertrix) as
    captures of the page they repeat: the article was unchanged on that day. The record a revisit
    refers to is found by its WARC-Refers-To, else by URL and payload digest, among the folder's."""
    by_id = {raw.location.record_id: (raw, capture, derived) for _, raw, capture, derived in taken}
    by_digest = {(raw.url, raw.location.payload_digest): (raw, capture, derived) for _, raw, capture, derived in taken}
    found: list[Taken] = []
    for file, raw, capture in revisits:
        digest = raw.location.payload_digest
        target = by_id.get(raw.refers_to) if raw.refers_to else None
        target = target or by_digest.get((raw.refers_to_uri or raw.url, digest))
        if target is None or target[1].article is None:
            report.count(file, raw.warc_type, f"{SKIPPED}revisit of no article capture in the folder")
        elif target[0].location.payload_digest != digest:
            report.count(file, raw.warc_type, f"{SKIPPED}revisit whose payload digest is not its record's")
        else:
            capture.article = target[1].article
            canonical.setdefault(raw.url, capture.article.url)
            found.append((file, raw, capture, target[2]))
    return found


Parsed = Article | str | None  # the article, the reason it is not one, or None when not a 200


def _parse(raw: WarcCapture) -> Parsed:
    """The capture's parse, its body decoded by the charset of its HTTP header as the crawl decoded it."""
    try:
        return parse_article(raw.body, raw.url, raw.captured_at, content_type=raw.header("Content-Type"))
    except ParseError as error:
        return error.reason


Read = tuple[
    WarcPart, WarcCapture | Skipped | Damaged | FileError, Parsed, "Derived | None"
]  # part, item, parse, derivation


def _parsed(folder: Path, wanted: Callable[[str], bool], workers: int) -> Iterator[Read]:
    """Each wanted capture with its parse (responses with a 200 only), each record skipped and each
    file error, in capture order, with the part each is in; with ``workers``, the parts of the files
    are read and parsed in that many processes, a few parts per worker ahead, and the store's
    derivations of the articles are computed there too (here the store computes them); the first
    ``HERE_BYTES`` are read here while the workers start."""
    joiner = Joiner()
    parts = warc_parts(folder, PART_BYTES)  # in this process too: the same records, progress by part
    if workers <= 0:
        for part in parts:
            yield from _read_here(joiner, folder, part, wanted, derived=False)
        return
    pending: deque[tuple[WarcPart, Future[list[Worked]]]] = deque()
    # parts of about PART_BYTES (a WACZ member or .warc: one, whole); the workers start on those after
    reserved = max(min(HERE_BYTES // PART_BYTES, len(parts) - IN_FLIGHT * workers), 0)
    with process_pool(workers, _init_worker, (folder, wanted)) as pool:
        try:
            ahead = iter(parts[reserved:])
            for part in itertools.islice(ahead, IN_FLIGHT * workers):  # the workers start on these
                pending.append((part, pool.submit(_read_part, part)))
            done = 0
            for part in parts[:reserved]:  # meanwhile, here, until the workers have no job waiting
                if sum(not future.done() for _, future in pending) <= workers:
                    break
                done += 1
                yield from _read_here(joiner, folder, part, wanted, derived=True)
            # the reserved parts not read here come first, then those the workers began with
            pending.extendleft(reversed([(part, pool.submit(_read_part, part)) for part in parts[done:reserved]]))
            for part in ahead:
                pending.append((part, pool.submit(_read_part, part)))
                while len(pending) > IN_FLIGHT * workers:
                    yield from _joined(joiner, *pending.popleft())
            while pending:
                yield from _joined(joiner, *pending.popleft())
        finally:
            for _, future in pending:  # an error: the parts after it are not read
                future.cancel()


def _read_here(
    joiner: Joiner, folder: Path, part: WarcPart, wanted: Callable[[str], bool], *, derived: bool
) -> Iterator[Read]:
    """A part's items read and parsed in this process, each page's body let go once parsed (as a
    worker's are): the reparse keeps every capture until it stores, and 430 KB pages held 0.4 MB each.
    ``derived``: the store's derivation too, as a worker gives it with its parse (while workers run)."""
    if joiner.wants(part):
        for item in joiner.captures(part, iter_part(folder, part, wanted)):
            parsed = _parse(item) if _is_page(item) else None
            if isinstance(item, WarcCapture):
                item.body = b""
            yield part, item, parsed, derive(parsed) if derived and isinstance(parsed, Article) else None


def _is_page(item: WarcItem) -> TypeGuard[WarcCapture]:
    """Whether an item is a page to parse: a response (not a revisit or a 304) with a 200."""
    return isinstance(item, WarcCapture) and item.warc_type == "response" and item.status == 200 and not item.image


Worked = tuple[WarcItem, Parsed, Derived | None]  # what a worker sends back of each item of a part


def _joined(joiner: Joiner, part: WarcPart, future: Future[list[Worked]]) -> Iterator[Read]:
    """A worker's part as the items of one reading of its file, with their parses."""
    if not joiner.wants(part):  # after a part that read on to its file's end (or failed): not its records
        future.cancel()
        return
    items = result_of(future, f"{part.name} from byte {part.start}")
    results = {id(item): (outcome, derived) for item, outcome, derived in items}
    for item in joiner.captures(part, [item for item, _, _ in items]):
        yield part, item, *results[id(item)]


_worker: dict[str, Any] = {}  # a worker process's folder and URL filter (set once: a lambda is no job argument)


def _init_worker(folder: Path, wanted: Callable[[str], bool]) -> None:
    _worker.update(folder=folder, wanted=wanted)


def _read_part(part: WarcPart) -> list[Worked]:
    """In a worker: the items of one part, each page with its parse and the store's derivation of
    its article, without its body (the main process does not need it)."""
    items: list[Worked] = []
    for item in iter_part(_worker["folder"], part, _worker["wanted"]):
        outcome: Parsed = None
        if isinstance(item, WarcCapture):
            if _is_page(item):
                outcome = _parse(item)
            item.body = b""
        items.append((item, outcome, derive(outcome) if isinstance(outcome, Article) else None))
    return items


def _capture(raw: WarcCapture, kind: str = "article") -> Capture:
    return Capture.of_record(
        raw.url,
        raw.status,
        raw.captured_at,
        raw.location,
        source="wayback" if raw.source_uri else ("crawl" if raw.by_us else "import"),
        source_uri=raw.source_uri,
        etag=raw.header("ETag"),
        last_modified=raw.header("Last-Modified"),
        kind=kind,
    )


@dataclass
class _ReadProgress:
    """The reading's progress line, at most one a second: the bytes of the files read, of ``total``
    (a part counts once its last item came), the captures, the articles stored meanwhile, the
    captures' rate and how long is left."""

    total: int
    say: Progress
    read_bytes: int = 0
    part: WarcPart | None = None
    started: float = field(default_factory=time.monotonic)
    said: float = field(default_factory=time.monotonic)

    def at(self, part: WarcPart, captures: int, stored: int) -> None:
        """An item of ``part`` came (``captures``: those read so far; ``stored``: articles stored)."""
        if part is self.part:
            return
        if self.part is not None:
            self.read_bytes += self.part.size
        self.part = part
        if time.monotonic() - self.said >= 1.0:
            self._say(captures, stored)

    def done(self, captures: int, stored: int) -> None:
        """Every file was read (parts with no capture in them, or after damage, gave no item)."""
        self.read_bytes, self.part = self.total, None
        self._say(captures, stored)

    def _say(self, captures: int, stored: int) -> None:
        self.said = time.monotonic()
        elapsed = max(self.said - self.started, 1e-9)
        share = min(self.read_bytes / self.total, 1.0) if self.total else 1.0
        eta = elapsed * (1 - share) / share if share else 0.0
        self.say(
            f"  read {self.read_bytes / 1e6:.1f}/{self.total / 1e6:.1f} MB ({share:.0%}): {captures} captures, "
            f"{stored} articles stored ({captures / elapsed:.0f} captures/s, ETA {eta:.0f} s)"
        )


def _progress_line(what: str, done: int, total: int, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-9)
    rate = done / elapsed
    eta = (total - done) / rate if rate else 0.0
    return f"  {what} {done}/{total} articles ({rate:.0f}/s, ETA {eta:.0f} s)"


def print_progress(line: str) -> None:
    """Progress to stderr, so that stdout holds only the report."""
    print(line, file=sys.stderr, flush=True)
