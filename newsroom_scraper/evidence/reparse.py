"""``reparse``: the archive as a function of its captures, behind ``newsroom-archive reparse``.

Every article response under a folder of WARC/WACZ files (the crawl's own, GNU wget's,
Browsertrix's, the Wayback backfill's) is parsed with the layout of its capture date, grouped by
the article's canonical URL, and each article's history is rebuilt from its captures in capture
order (``Archive.replace_history``). Run into an empty archive it rebuilds the crawl's archive; run
into an existing one it applies a parser fix to history (versions are recomputed, so the fix is
never a change of the article) and adds captures of other tools; run twice it adds nothing.
No network, no Scrapy.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsroom_scraper import site
from newsroom_scraper.errors import ParseError
from newsroom_scraper.evidence.pool import process_pool, result_of
from newsroom_scraper.evidence.warc import (
    Joiner,
    WarcCapture,
    WarcItem,
    WarcPart,
    archive_files,
    iter_captures,
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
PART_BYTES = 1_000_000  # a worker's job: this much of a .warc.gz file (a whole WACZ member or .warc)
IN_FLIGHT = 3  # jobs per worker sent ahead of the one the main process waits for


@dataclass
class ReparseReport:
    """What a reparse read and did; ``lines()`` is what the command prints."""

    run_id: int = 0
    captures: int = 0
    not_articles: Counter[str] = field(default_factory=Counter)  # parse failure reason → count
    outcomes: Counter[str] = field(default_factory=Counter)  # new, rebuilt, unchanged, kept
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        return sum(self.outcomes.values())

    def lines(self) -> list[str]:
        rate = self.articles / self.seconds if self.seconds else 0.0
        o = self.outcomes
        lines = [
            f"Reparse run {self.run_id}: {self.captures} captures, {self.articles} articles "
            f"in {self.seconds:.1f} s ({rate:.0f} articles/s)",
            f"  articles: {o['new']} new, {o['rebuilt']} rebuilt, {o['unchanged']} unchanged, "
            f"{o['kept']} kept (captures or versions outside the folder)",
        ]
        if self.not_articles:
            reasons = ", ".join(f"{reason} {count}" for reason, count in self.not_articles.most_common())
            lines.append(f"  not article pages: {reasons}")
        return lines


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
        groups = _read(folder, wanted, report, say, workers)
        total = len(groups)
        every = max(batch_size, 1)
        for start in range(0, total, every):
            with archive.batch():
                for url in list(groups)[start : start + every]:
                    ordered = sorted(groups[url], key=lambda c: c[0])
                    captures, derived = [c for _, c, _ in ordered], [d for _, _, d in ordered]
                    report.outcomes[archive.replace_history(url, captures, report.run_id, derived)] += 1
            say(_progress_line("stored", min(start + every, total), total, started))
        report.seconds = time.monotonic() - started
        counts = {"new": report.outcomes["new"], "changed": report.outcomes["rebuilt"]}
        counts["unchanged"] = report.outcomes["unchanged"]
        counts["errors"] = sum(report.not_articles.values())
        archive.finish_run(report.run_id, "finished", {"captures": report.captures}, counts, {})
    return report


@contextmanager
def _checked(db_path: str | Path) -> Iterator[None]:
    """``check_archive`` as a step of a ``with``: a read-only, damaged or uncreatable archive is
    refused before anything is read (``ArchiveUnusable``), inside the write lock."""
    check_archive(db_path)
    yield


Group = list[tuple[tuple[str, tuple[int, int]], Capture, Derived | None]]  # (capture time, order), capture, derived


def _read(
    folder: Path, wanted: Callable[[str], bool], report: ReparseReport, say: Progress, workers: int = 0
) -> dict[str, Group]:
    """Every wanted capture parsed and grouped by the article's canonical URL (with what the store
    derives from its article, when a worker computed it)."""
    started = time.monotonic()
    parsed: list[tuple[WarcCapture, Capture, Derived | None]] = []
    canonical: dict[str, str] = {}  # fetched URL → the article's URL, for the 304s
    for raw, outcome, derived in _parsed(folder, wanted, workers):
        report.captures += 1
        capture = _capture(raw)
        if raw.status == 200:
            if isinstance(outcome, str):
                report.not_articles[outcome] += 1
                continue
            assert outcome is not None
            capture.article = outcome
            canonical[raw.url] = outcome.url
        elif raw.status != 304:
            continue
        parsed.append((raw, capture, derived))
        if report.captures % 1000 == 0:
            say(_progress_line("read", report.captures, None, started))
    groups: dict[str, Group] = {}
    for raw, capture, derived in parsed:
        key = capture.article.url if capture.article else canonical.get(raw.url)
        if key is not None:
            groups.setdefault(key, []).append(((raw.captured_at, raw.order), capture, derived))
    return groups


Parsed = Article | str | None  # the article, the reason it is not one, or None when not a 200


def _parse(raw: WarcCapture) -> Parsed:
    """The capture's parse, its body decoded by the charset of its HTTP header as the crawl decoded it."""
    try:
        return parse_article(raw.body, raw.url, raw.captured_at, content_type=raw.header("Content-Type"))
    except ParseError as error:
        return error.reason


Read = tuple[WarcCapture, Parsed, Derived | None]  # a capture, its parse, what the store derives from its article


def _parsed(folder: Path, wanted: Callable[[str], bool], workers: int) -> Iterator[Read]:
    """Each wanted capture with its parse (200s only), in capture order; with ``workers``, the parts
    of the files are read and parsed in that many processes, a few parts per worker ahead, and the
    store's derivations of the articles are computed there too (here the store computes them)."""
    if workers <= 0:
        for raw in iter_captures(folder, wanted):
            yield raw, _parse(raw) if raw.status == 200 else None, None
        return
    joiner = Joiner()
    pending: deque[tuple[WarcPart, Future[list[Worked]]]] = deque()
    with process_pool(workers, _init_worker, (folder, wanted)) as pool:
        try:
            for part in warc_parts(folder, PART_BYTES):
                pending.append((part, pool.submit(_read_part, part)))
                while len(pending) > IN_FLIGHT * workers:
                    yield from _joined(joiner, *pending.popleft())
            while pending:
                yield from _joined(joiner, *pending.popleft())
        finally:
            for _, future in pending:  # an error: the parts after it are not read
                future.cancel()


Worked = tuple[WarcItem, Parsed, Derived | None]  # what a worker sends back of each item of a part


def _joined(joiner: Joiner, part: WarcPart, future: Future[list[Worked]]) -> Iterator[Read]:
    """A worker's part as the captures of one reading of its file, with their parses."""
    if not joiner.wants(part):  # after a part that read on to its file's end: neither its records nor its error
        future.cancel()
        return
    items = result_of(future, f"{part.name} from byte {part.start}")
    results = {id(item): (outcome, derived) for item, outcome, derived in items}
    for raw in joiner.captures(part, [item for item, _, _ in items]):
        yield raw, *results[id(raw)]


_worker: dict[str, Any] = {}  # a worker process's folder and URL filter (set once: a lambda is no job argument)


def _init_worker(folder: Path, wanted: Callable[[str], bool]) -> None:
    _worker.update(folder=folder, wanted=wanted)


def _read_part(part: WarcPart) -> list[Worked]:
    """In a worker: the items of one part, each capture with its parse (None when not a 200) and the
    store's derivation of its article, without its body (the main process does not need it)."""
    items: list[Worked] = []
    for item in iter_part(_worker["folder"], part, _worker["wanted"]):
        outcome: Parsed = None
        if isinstance(item, WarcCapture):
            if item.status == 200:
                outcome = _parse(item)
            item.body = b""
        items.append((item, outcome, derive(outcome) if isinstance(outcome, Article) else None))
    return items


def _capture(raw: WarcCapture) -> Capture:
    return Capture.of_record(
        raw.url,
        raw.status,
        raw.captured_at,
        raw.location,
        source="wayback" if raw.source_uri else ("crawl" if raw.by_us else "import"),
        source_uri=raw.source_uri,
        etag=raw.header("ETag"),
        last_modified=raw.header("Last-Modified"),
    )


def _progress_line(what: str, done: int, total: int | None, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-9)
    rate = done / elapsed
    if total is None:
        return f"  {what} {done} captures ({rate:.0f}/s)"
    eta = (total - done) / rate if rate else 0.0
    return f"  {what} {done}/{total} articles ({rate:.0f}/s, ETA {eta:.0f} s)"


def print_progress(line: str) -> None:
    """Progress to stderr, so that stdout holds only the report."""
    print(line, file=sys.stderr, flush=True)
