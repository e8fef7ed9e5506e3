"""``run_crawl``: the Python API behind ``newsroom-archive crawl``.

It is a thin layer over Scrapy: the project settings, the options mapped onto Scrapy
settings and spider arguments, one CrawlerProcess. ``scrapy crawl newsroom`` from the
project root runs the same spider, pipelines and settings.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from newsroom_scraper import site
from newsroom_scraper.ops.report import format_report, run_drifted, run_failed
from newsroom_scraper.spiders.newsroom import NewsroomSpider
from newsroom_scraper.store import Archive, check_archive, write_lock


def project_settings(**chosen: Any) -> dict[str, Any]:
    """settings.py's settings, with ``chosen`` over them, as a dict (for ``get_crawler`` in tests
    and tools): every component reads its defaults from there, never from a fallback of its own.
    Scrapy's own defaults are left to the crawler that takes the dict (``get_crawler`` picks
    those that suit the process's reactor, or its absence)."""
    import newsroom_scraper.settings as project

    return {name: getattr(project, name) for name in dir(project) if name.isupper()} | chosen


def crawl_settings(
    *,
    db_path: str | None = None,
    delay: float | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    warc_dir: str | None = None,
    warc: bool = True,
    images: bool = True,
    jobdir: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Settings:
    """The project's Scrapy settings with the command-line options applied."""
    result = Settings()
    result.setmodule("newsroom_scraper.settings", priority="project")
    chosen: dict[str, Any] = {}
    if db_path:
        chosen["NEWSROOM_DB"] = db_path
    if delay is not None:
        chosen["DOWNLOAD_DELAY"] = delay
        chosen["AUTOTHROTTLE_START_DELAY"] = delay
        chosen["DOWNLOAD_DELAY_JITTER"] = 0.5 if delay > 0 else 0.0
        if delay == 0:  # no waiting at all (a replica, a benchmark): AutoThrottle would only cost time
            chosen["AUTOTHROTTLE_ENABLED"] = False
    if concurrency is not None:
        chosen["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
        chosen["CONCURRENT_REQUESTS"] = max(concurrency, 1)
        chosen["AUTOTHROTTLE_TARGET_CONCURRENCY"] = float(concurrency)
    if timeout is not None:
        chosen["DOWNLOAD_TIMEOUT"] = timeout
    if warc_dir:
        chosen["NEWSROOM_WARC_DIR"] = warc_dir
    if not warc:
        chosen["NEWSROOM_WARC_ENABLED"] = False
    if not images or not warc:  # an image is fetched for its evidence only
        chosen["NEWSROOM_IMAGES"] = False
    if jobdir:
        chosen["JOBDIR"] = jobdir
    chosen.update(settings or {})
    result.setdict(chosen, priority="cmdline")
    return result


def run_crawl(
    *,
    start_url: str | None = None,
    refresh_days: int | None = None,
    recheck_all: bool = False,
    max_articles: int | None = None,
    since: str | None = None,
    full_discovery: bool = False,
    **options: Any,
) -> tuple[str, bool, bool]:
    """Run one crawl to its end; return the run report, whether the run failed, and whether it
    recorded drift alerts (ops/drift.py).

    Blocks, and (Twisted's reactor being what it is) can run once per process.
    """
    if since:
        date.fromisoformat(since)  # a bad date stops here, with a clear message
    settings = crawl_settings(**options)
    db_path = settings.get("NEWSROOM_DB")
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    with write_lock(db_path):
        check_archive(db_path)
        return _crawl(
            settings,
            start_url=start_url,
            refresh_days=refresh_days,
            recheck_all=recheck_all,
            since=since,
            max_articles=max_articles,
            full_discovery=full_discovery,
        )


def _crawl(settings: Settings, **arguments: Any) -> tuple[str, bool, bool]:
    """One CrawlerProcess with the newsroom spider; the report of the run it recorded."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsroomSpider)
    process.crawl(crawler, **{**arguments, "start_url": arguments["start_url"] or site.DEFAULT_START_URL})
    process.start()
    run_id = crawler.stats.get_value("newsroom/run_id")
    storage_error = crawler.stats.get_value("newsroom/storage_error")
    try:
        with Archive(settings.get("NEWSROOM_DB"), read_only=True) as archive:
            run = archive.get_run(run_id) if run_id else None
    except sqlite3.Error as error:
        storage_error = storage_error or f"{type(error).__name__}: {error}"
        run = None
    if run is None and storage_error:  # the archive could not even keep the run record
        return f"Run {run_id}: storage-error: {storage_error}; nothing more was stored", True, False
    return format_report(run), run_failed(run), run_drifted(run)
