"""``ArchiveWriter``: what the item pipeline stores, and how (pipelines.py hands it the items).

It keeps one transaction open over many items (group commit: ``NEWSROOM_COMMIT_ITEMS`` items or
``NEWSROOM_COMMIT_SECONDS`` seconds, whichever comes first; each article is a savepoint of its
own), counts what it stored for the run report, and keeps the crawl's stats (any object with
Scrapy's ``inc_value``/``set_value``) and log. A storage error that will repeat is kept in
``storage_failed``: the pipeline stops the crawl on it. It imports no Scrapy, so it is tested
and reused without a crawler.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from typing import Any, Protocol

from newsroom_scraper.errors import Failure
from newsroom_scraper.items import (
    FALLBACK_LAYOUT,
    Article,
    Capture,
    CrawlFailure,
    FetchedImage,
    FetchedPage,
    ParsedPage,
    layout_lost,
)
from newsroom_scraper.ops.drift import PREVIOUS_RUNS, cleared_by, drift_conditions
from newsroom_scraper.ops.schedule import clock_now, iso, moment
from newsroom_scraper.store import Archive

# A definite "gone" for an archived article: it is marked removed, once, and re-checked on the slow
# removed schedule (ops/schedule.py), never recorded as an error (a timeout or a 5xx is only an error).
REMOVED_STATUSES = (404, 410)
# Fields whose emptiness the run report shows, so that a markup change is noticed.
WATCHED_FIELDS = [f.name for f in fields(Article) if f.name not in ("url", "layout")]


class Stats(Protocol):
    """What the writer needs of Scrapy's stats collector."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...
    def set_value(self, key: str, value: Any) -> None: ...
    def get_stats(self) -> dict[str, Any]: ...


Log = Callable[[int, str], None]  # (level, line), e.g. a logger's ``log``


class ArchiveWriter:
    """Stores items in the archive, in groups (see the module's doc); counts what it stored."""

    def __init__(
        self,
        db_path: str,
        commit_items: int,
        commit_seconds: float,
        progress_every: int,
        stats: Stats,
        log: Log,
        clock: str | None = None,
    ) -> None:
        self.db_path = db_path
        self.clock = clock  # NEWSROOM_NOW: the run's fixed "now" (None: the real clock)
        self.site_layout_known = False  # whether the archive's articles are read by a site layout (open())
        self.started = time.monotonic()
        self.stats = stats
        self.log = log
        self.counts: Counter[str] = Counter()
        self.empty: Counter[str] = Counter()
        self.parsed = 0
        self.archive: Archive | None = None
        self.run_id = 0
        self.storage_failed: str | None = None  # the storage error that stopped the run
        self.uncommitted = 0  # items in the open transaction
        self.uncommitted_outcomes: Counter[str] = Counter()  # their counts, taken back if it is lost
        self.opened_at = 0.0  # when it was opened (time.monotonic)
        self.commit_items = max(1, commit_items)
        self.commit_seconds = commit_seconds
        self.progress_every = progress_every

    def open(self, options: dict[str, Any]) -> int:
        """Open the archive and start the run; its id."""
        self.archive = Archive(self.db_path)
        self.started = time.monotonic()
        self.run_id = self.archive.start_run(options.get("start_url", ""), options, started_at=self.now())
        self.site_layout_known = self.archive.site_layout_known()
        return self.run_id

    def now(self) -> str:
        """The run's clock: NEWSROOM_NOW when set (tests, replays, the night simulator), else the real one."""
        return clock_now(self.clock)

    def finished_at(self) -> str:
        """When the run ended on its clock: a fixed "now" plus the time the run really took."""
        if not self.clock:
            return clock_now(None)
        return iso(moment(self.clock) + dt.timedelta(seconds=round(time.monotonic() - self.started)))

    def write(self, item: Any) -> None:
        """One item into the open transaction (a group, see the module's doc)."""
        assert self.archive is not None
        if self.storage_failed:  # the archive cannot take it: the run is closing, say so once
            self.counts["errors"] += 1
            self.stats.inc_value("newsroom/not_stored")
            return
        try:
            if not self.archive.in_group:
                self.archive.begin_group()
                self.opened_at = time.monotonic()
            self._process(item)
            self.uncommitted += 1
            if self.uncommitted >= self.commit_items:
                self._commit()
        except sqlite3.Error as error:  # even recording failed: the archive itself is at fault
            self._storage_error(error)

    def commit_when_due(self) -> None:
        """Commit what has waited ``commit_seconds`` (the pipeline's timer calls this)."""
        if self.uncommitted and time.monotonic() - self.opened_at >= self.commit_seconds:
            try:
                self._commit()
            except sqlite3.Error as error:
                self._storage_error(error)

    def _commit(self) -> None:
        """Commit the open transaction: every item in it is in the archive from now on."""
        assert self.archive is not None
        if self.archive.in_group:
            self.archive.commit_group()
        self.uncommitted = 0
        self.uncommitted_outcomes.clear()

    def _process(self, item: Any) -> None:
        assert self.archive is not None
        if isinstance(item, FetchedPage) and item.not_modified:
            self.archive.mark_not_modified(
                item.requested_url or item.url,
                run_id=self.run_id,
                checked_at=item.fetched_at,
                etag=item.etag,
                last_modified=item.last_modified,
                capture=_capture(item),
            )
            self.counts["not_modified"] += 1
            self.uncommitted_outcomes["not_modified"] += 1
        elif isinstance(item, ParsedPage) and item.article is not None:
            if self._layout_lost(item.article, item):
                return
            if self._store(item.article, item.fetch):
                for warning in item.warnings:
                    self._record(item.fetch.url, Failure.WARNING, warning, item.fetch.status, item.attempts)
        elif isinstance(item, ParsedPage):
            self._record(item.fetch.url, Failure.PARSE, item.error or "", item.fetch.status, item.attempts)
            self.stats.inc_value("newsroom/parse_errors")
        elif isinstance(item, FetchedImage):
            self._store_image(item)
        elif isinstance(item, CrawlFailure):
            removal = (
                self.archive.mark_removed(item.url, removed_at=self.now()) if item.status in REMOVED_STATUSES else None
            )
            if removal is None:
                self._record(item.url, item.kind, item.reason, item.status, item.attempts)
            else:  # one record of the removal (removed_at), no error to retry every night
                self.stats.inc_value(f"newsroom/{removal}")

    def _layout_lost(self, article: Article, item: ParsedPage) -> bool:
        """Whether the page is an archived article its layout no longer reads (``items.layout_lost``):
        then it is recorded as ``layout-lost`` and no version is stored. The page is in the WARC
        already; ``reparse`` reads it once a layout does. Its re-check schedule goes on as if it
        had been read, so a relaunch does not make every archived article due every night."""
        assert self.archive is not None
        urls = [article.url, item.fetch.requested_url or item.fetch.url]
        archived = self.archive.archived_layout(urls)
        if archived is None and article.layout == FALLBACK_LAYOUT and self.site_layout_known:
            # A new article the site's layout does not read, while the archive's are read by it: the
            # site changed under the crawl. Kept in the WARC, asked for again each run (an open
            # error) and stored once a layout reads it, so a relaunch writes no fallback version.
            reason = (
                f"a new article read only by {article.layout}, where the archive's articles are read by a site layout"
            )
            self._record(
                item.fetch.url, Failure.LAYOUT_LOST, reason + ": not stored yet", item.fetch.status, item.attempts
            )
            return True
        if not layout_lost(archived, article.layout):
            return False
        reason = f"archived by {archived}, now read only by {article.layout}: no version stored"
        self._record(item.fetch.url, Failure.LAYOUT_LOST, reason, item.fetch.status, item.attempts)
        self.archive.postpone_recheck(urls, checked_at=item.fetch.fetched_at)
        return True

    def _store_image(self, image: FetchedImage) -> None:
        """An article image's capture: counted (images and bytes, in the run report), recorded
        beside the article's captures when its WARC record was written."""
        assert self.archive is not None
        self.stats.inc_value("newsroom/images")
        self.stats.inc_value("newsroom/image_bytes", image.size)
        if image.capture is not None:
            location = image.capture.location
            capture = Capture.of_record(image.url, image.status, image.capture.captured_at, location, kind="image")
            self.archive.add_image_capture(image.article_url, capture, self.run_id)

    def _record(self, url: str, kind: str, reason: str, status: int | None, attempts: int) -> None:
        """One crawl_errors row; counted in the run report by kind (warnings are no errors)."""
        assert self.archive is not None
        self.archive.record_error(self.run_id, url, kind, reason, status, attempts, occurred_at=self.now())
        self.stats.inc_value(f"newsroom/failures/{kind}")
        if kind != Failure.WARNING:
            self.counts["errors"] += 1
            self.uncommitted_outcomes["errors"] += 1

    def _store(self, article: Article, fetch: FetchedPage) -> bool:
        assert self.archive is not None
        try:
            outcome = self.archive.save_article(
                article,
                run_id=self.run_id,
                fetched_url=fetch.url,
                fetched_at=fetch.fetched_at,
                etag=fetch.etag,
                last_modified=fetch.last_modified,
                capture=_capture(fetch),
            )
        except Exception as error:
            if isinstance(error, sqlite3.Error) and will_repeat(error):
                raise  # the next article would fail the same way: process_item stops the run
            # a failure of this article alone (its data broke a constraint): record it, go on
            self._record(fetch.url, Failure.STORE, f"{type(error).__name__}: {error}"[:500], fetch.status, 1)
            self.stats.inc_value("newsroom/not_stored")
            return False
        self.counts[outcome] += 1
        self.uncommitted_outcomes[outcome] += 1
        self.parsed += 1
        self.stats.inc_value(f"newsroom/read_by/{article.layout}")  # a lost layout's alert clears on it
        for name in WATCHED_FIELDS:
            if not getattr(article, name):
                self.empty[name] += 1
        if "T" not in article.published_at:
            self.empty["published_time"] += 1
        if self.progress_every and self.parsed % self.progress_every == 0:
            self.log(logging.INFO, f"Progress: {self.parsed} articles stored ({dict(self.counts)})")
        return True

    def _storage_error(self, error: sqlite3.Error) -> None:
        """The archive failed in a way that repeats (disk full, read-only, damaged): stop the
        crawl at once instead of downloading the whole site into nowhere."""
        self.storage_failed = f"{type(error).__name__}: {error}"
        self._keep_or_count_lost()
        self.counts["errors"] += 1
        self.stats.inc_value("newsroom/not_stored")
        self.stats.set_value("newsroom/storage_error", self.storage_failed)
        self.log(logging.ERROR, f"Storage failed, stopping the crawl: {self.storage_failed}")

    def _keep_or_count_lost(self) -> None:
        """After a storage error: commit what the open transaction holds, or, when SQLite rolled
        it back (or the commit fails too), count its items as not stored, never as stored."""
        assert self.archive is not None
        if not self.uncommitted:
            return
        try:
            if self.archive.in_group:
                self._commit()
                return
        except sqlite3.Error:
            pass
        self.archive.rollback_group()  # whatever is left of the group
        lost = self.uncommitted
        self.counts.subtract(self.uncommitted_outcomes)
        self.counts["errors"] += lost
        self.stats.inc_value("newsroom/not_stored", lost)
        self.log(logging.ERROR, f"Storage failed: the last {lost} items stored were rolled back with it")
        self.uncommitted = 0
        self.uncommitted_outcomes.clear()

    def _record_drift(self) -> None:
        """Compare the finished run with the last healthy runs, raise, repeat or clear the alerts
        (ops/drift.py, store/alerts.py), and keep with the run the lines of those not acknowledged:
        they end its report and make the crawl exit 3."""
        assert self.archive is not None
        run = self.archive.get_run(self.run_id)
        assert run is not None
        baseline = self.archive.recent_runs(PREVIOUS_RUNS, before=self.run_id, healthy=True)
        parse_errors = self.archive.parse_errors_by_reason(self.run_id)
        found = drift_conditions(run, baseline, parse_errors)
        opened = {alert["condition"]: alert for alert in self.archive.open_alerts()}
        at, lines = self.finished_at(), []
        for condition, open_alert in opened.items():
            if condition not in found and cleared_by(condition, run, parse_errors):
                self.archive.clear_alert(open_alert["id"], run_id=self.run_id, at=at)
            elif condition not in found:  # this run could not tell: the alarm stays on
                found[condition] = open_alert["message"]
        for condition, message in found.items():
            alert_id = self.archive.raise_alert(condition, message, run_id=self.run_id, at=at)
            earlier = opened.get(condition)
            if earlier is not None and earlier["acknowledged_at"]:
                continue  # an operator knows: no repeat, no exit 3
            since = f", since run {earlier['first_run_id']}" if earlier is not None else ""
            lines.append(f"{message} [alert {alert_id}{since}]")
        self.archive.record_drift(self.run_id, lines)

    def finish(self, reason: str) -> dict[str, Any] | None:
        """Commit, write the run record (with the crawl's stats) and its drift alerts, close the
        archive: the run as recorded (None when the archive could not keep it)."""
        if self.archive is None:
            return None
        try:
            self._commit()
        except sqlite3.Error as error:  # the last items are lost; the run record may still fit
            self.storage_failed = self.storage_failed or f"{type(error).__name__}: {error}"
            self.stats.set_value("newsroom/storage_error", self.storage_failed)
            self._keep_or_count_lost()
            reason = "storage-error"
        watched = [*WATCHED_FIELDS, "published_time"]
        empty_fields = {name: round(self.empty[name] / self.parsed, 3) for name in watched} if self.parsed else {}
        counts = {key: self.counts.get(key, 0) for key in ("new", "changed", "unchanged", "not_modified", "errors")}
        try:
            stats = dict(self.stats.get_stats())
            self.archive.finish_run(self.run_id, reason, stats, counts, empty_fields, finished_at=self.finished_at())
            self._record_drift()
            self._commit()
            run = self.archive.get_run(self.run_id)
        except sqlite3.Error as error:  # the run record is lost with the archive: the report says why
            self.stats.set_value("newsroom/storage_error", self.storage_failed or str(error))
            run = None
        finally:
            self.archive.close()
            self.archive = None
        return run


def _capture(fetch: FetchedPage) -> Capture | None:
    """The WARC record of a fetched page (see warc_capture.py) as a ``captures`` row, if one was written."""
    if fetch.capture is None:
        return None
    return Capture.of_record(fetch.url, fetch.status, fetch.capture.captured_at, fetch.capture.location)


def will_repeat(error: sqlite3.Error) -> bool:
    """Whether a storage error is the archive's (full, read-only, damaged, I/O), which every
    later article would hit too, rather than one article's (a constraint it broke)."""
    return not isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError))
