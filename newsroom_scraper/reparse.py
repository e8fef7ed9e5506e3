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

import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import site
from .errors import ParseError
from .items import Article, Capture
from .parse import parse_article
from .store import Archive
from .warc import WarcCapture, archive_files, iter_captures

Progress = Callable[[str], None]

# Below this many bytes of WARC/WACZ, pages are parsed in this process: starting a pool costs more.
POOL_MIN_BYTES = 4_000_000
POOL_WORKERS = 2  # the machine has two cores; the main process reads the WARC and stores
CHUNK = 32  # records per job sent to a worker


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

    ``workers``: processes that parse the pages (records' bytes sent, Articles back, in capture
    order) while this one reads the WARC; 0 parses here. None: ``POOL_WORKERS`` when the files
    hold at least ``POOL_MIN_BYTES``, else 0.
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
    with Archive(db_path) as archive:
        report.run_id = archive.start_run(f"reparse {folder}", {"reparse": str(folder)})
        groups = _read(folder, wanted, report, say, workers)
        total = len(groups)
        every = max(batch_size, 1)
        for start in range(0, total, every):
            with archive.batch():
                for url in list(groups)[start : start + every]:
                    captures = sorted(groups[url], key=lambda c: c[0])
                    report.outcomes[archive.replace_history(url, [c for _, c in captures], report.run_id)] += 1
            say(_progress_line("stored", min(start + every, total), total, started))
        report.seconds = time.monotonic() - started
        counts = {"new": report.outcomes["new"], "changed": report.outcomes["rebuilt"]}
        counts["unchanged"] = report.outcomes["unchanged"]
        counts["errors"] = sum(report.not_articles.values())
        archive.finish_run(report.run_id, "finished", {"captures": report.captures}, counts, {})
    return report


def _read(
    folder: Path, wanted: Callable[[str], bool], report: ReparseReport, say: Progress, workers: int = 0
) -> dict[str, list[tuple[tuple[str, tuple[int, int]], Capture]]]:
    """Every wanted capture parsed and grouped by the article's canonical URL."""
    started = time.monotonic()
    parsed: list[tuple[WarcCapture, Capture]] = []
    canonical: dict[str, str] = {}  # fetched URL → the article's URL, for the 304s
    for raw, outcome in _parsed(iter_captures(folder, wanted), workers):
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
        parsed.append((raw, capture))
        if report.captures % 1000 == 0:
            say(_progress_line("read", report.captures, None, started))
    groups: dict[str, list[tuple[tuple[str, tuple[int, int]], Capture]]] = {}
    for raw, capture in parsed:
        key = capture.article.url if capture.article else canonical.get(raw.url)
        if key is not None:
            groups.setdefault(key, []).append(((raw.captured_at, raw.order), capture))
    return groups


Parsed = Article | str | None  # the article, the reason it is not one, or None when not a 200


def _parse(body: bytes, url: str, captured_at: str) -> Parsed:
    try:
        return parse_article(body, url, captured_at)
    except ParseError as error:
        return error.reason


def _parse_chunk(jobs: list[tuple[bytes, str, str] | None]) -> list[Parsed]:
    """In a worker: the pages of one chunk of records, in order (None for those not parsed)."""
    return [None if job is None else _parse(*job) for job in jobs]


def _parsed(captures: Iterable[WarcCapture], workers: int) -> Iterator[tuple[WarcCapture, Parsed]]:
    """Each capture with its parse (200s only), in capture order; parsed by ``workers`` processes
    while this one reads on, with at most a few chunks per worker in flight (bodies not piled up)."""
    if workers <= 0:
        for raw in captures:
            yield raw, _parse(raw.body, raw.url, raw.captured_at) if raw.status == 200 else None
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    pending: deque[tuple[list[WarcCapture], Future[list[Parsed]]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def send(chunk: list[WarcCapture]) -> None:
            jobs = [(raw.body, raw.url, raw.captured_at) if raw.status == 200 else None for raw in chunk]
            pending.append((chunk, pool.submit(_parse_chunk, jobs)))

        chunk: list[WarcCapture] = []
        for raw in captures:
            chunk.append(raw)
            if len(chunk) == CHUNK:
                send(chunk)
                chunk = []
                while len(pending) > 3 * workers:
                    done, future = pending.popleft()
                    yield from zip(done, future.result(), strict=True)
        if chunk:
            send(chunk)
        while pending:
            done, future = pending.popleft()
            yield from zip(done, future.result(), strict=True)


def _capture(raw: WarcCapture) -> Capture:
    where = raw.location
    return Capture(
        url=raw.url,
        captured_at=raw.captured_at,
        status=raw.status,
        record_id=where.record_id,
        warc_file=where.warc_file,
        warc_offset=where.offset,
        warc_length=where.length,
        payload_digest=where.payload_digest,
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
