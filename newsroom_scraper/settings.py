"""Scrapy settings: the crawl's manners and machinery. Policy lives here, not in code.

The defaults are for the live site: one polite crawler that says who it is, obeys
robots.txt, waits between requests and backs off when the server slows down.
``newsroom-archive crawl`` options and ``scrapy crawl newsroom -s NAME=value`` override them.
"""

import os

from newsroom_scraper import __version__

BOT_NAME = "newsroom-archive"
SPIDER_MODULES = ["newsroom_scraper.spiders"]
NEWSPIDER_MODULE = "newsroom_scraper.spiders"

# Who we are: a User-Agent naming the project and where to read about it.
USER_AGENT = f"newsroom-archive/{__version__} (+https://github.com/newsroom-archive/newsroom-archive; archival crawler)"
ROBOTSTXT_OBEY = True

# Manners: a modest delay, few parallel requests per host, AutoThrottle backing off with latency.
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around the delay, so requests do not tick like a clock
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Items of one response processed in parallel (Scrapy's default: 100, i.e. ~100 asyncio tasks per
# response). One SQLite writer stores them one by one anyway; 8 made the crawl ~1.2x faster.
CONCURRENT_ITEMS = 8

# Transient failures are retried; what still fails is recorded in crawl_errors with its kind.
# PoliteRetryMiddleware is Scrapy's RetryMiddleware that waits before retrying a 429 or 503:
# as long as Retry-After asks, else 1 s, 2 s, 4 s (NEWSROOM_RETRY_BACKOFF × 2^attempt), capped at
# NEWSROOM_RETRY_AFTER_MAX: the live site is a city's server, and one that asks for an hour gets
# the cap and our remaining retries, then the next day's run.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
NEWSROOM_RETRY_AFTER_MAX = 60.0
NEWSROOM_RETRY_BACKOFF = 1.0
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt is asked (RobotsTxtMiddleware: 100): another origin is never contacted.
    "newsroom_scraper.crawl.origin.SameOriginMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsroom_scraper.crawl.retry.PoliteRetryMiddleware": 550,  # RetryMiddleware's own place
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "newsroom_scraper.crawl.cookies.CappedCookiesMiddleware": 700,  # CookiesMiddleware's own place
    # Closest to the downloader: WARC sees each request as sent and each response as received
    # (before decompression, redirects and retries act on it).
    "newsroom_scraper.crawl.warc_capture.WarcCaptureMiddleware": 950,
}
# Content encodings asked for: gzip and deflate only. Scrapy would also ask for br and zstd (it
# decodes both), but the WARC keeps the bytes as sent, and the field's tools do not read those:
# `warcio check` and cdxj-indexer stop with an AttributeError on a brotli body (warcio 1.8.1 with
# the brotli Scrapy installs), and neither warcio nor pywb knows zstd. The WARC record is gzipped
# anyway, so br would save little on disk (docs/archival.md). Reading stays robust to both: other
# tools' WARCs hold them, and a server may send them unasked (evidence/warc/codecs.py).
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}
# Sizes: a live article page is ~430 KB, a listing less, a sitemap of the whole site ~2 MB.
# Scrapy's default 1 GiB let a gzip bomb take 1.39 GB; 8 MiB is twenty pages' worth. It bounds
# the decompressed body too (HttpCompressionMiddleware), and what it drops is recorded (too-large).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# The live site was reported to need cookies (else a redirect loop): keep them, cap redirects.
COOKIES_ENABLED = True
# ... but not every cookie a page sets (200 of 3.9 KB made a 781 KB Cookie header): the jar keeps
# the first ones within RFC 6265's minimums (50 cookies, 4096 bytes each) and a Cookie header
# below the usual 8 KB header limit of servers (crawl/cookies.py).
NEWSROOM_COOKIES_PER_HOST = 50
NEWSROOM_COOKIE_BYTES_PER_HOST = 8_000
NEWSROOM_COOKIE_BYTES = 4_096
REDIRECT_MAX_TIMES = 5

# The HTTP cache is for developing against the live site without re-downloading
# (`-s HTTPCACHE_ENABLED=1`); scheduled runs use conditional requests instead.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"

# No way into a running crawl: the telnet console and Scrapy 2.19's RemoteControl (an HTTP server
# executing Python sent to it, its token in a job file left behind after a SIGKILL) are off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0  # "Crawled N pages (at M pages/min)": progress for long runs
FEED_EXPORT_ENCODING = "utf-8"

# Output flows from the spider through higher numbers first: pages are parsed (and their
# teasers followed) before the archive middleware claims each article URL found.
SPIDER_MIDDLEWARES = {
    "newsroom_scraper.middlewares.ParseMiddleware": 950,
    "newsroom_scraper.middlewares.ArchiveMiddleware": 600,
}
ITEM_PIPELINES = {
    "newsroom_scraper.pipelines.ArchivePipeline": 300,
}

# The project's own settings.
NEWSROOM_DB = "archive/newsroom.db"
# Re-checks: by age (ops/schedule.py: 1, 2, 4, … 256 days after publication or a change, then every
# 256 days). A number here (or --refresh-days N) re-checks every article published within N days
# instead, as a fixed window; --recheck-all re-checks every article.
NEWSROOM_REFRESH_DAYS = None
# A night's scheduled re-checks: at most this many conditional requests (0: no cap), those due by
# age first, then the least recently checked (ops/schedule.py), so that every article is re-checked
# at least every ceil(articles / (budget / 2)) days (`status` prints it): 2,837 articles → 19 days.
NEWSROOM_RECHECK_BUDGET = 300
# The run's "now" (ISO 8601) instead of the clock: re-checks due, fetch times, the run's start and
# end, error and removal times (WARC-Date stays the real capture time). For tests, replays and the
# night simulator; the environment variable of the same name sets it for every command (`status` too).
NEWSROOM_NOW = os.environ.get("NEWSROOM_NOW") or None
# Group commit (archive_writer.py): one transaction over this many items, or this many seconds,
# whichever comes first. Each article is atomic either way (a savepoint); a commit per article
# made storing ~1.5x slower. Datasette shows new articles at most this many seconds late.
NEWSROOM_COMMIT_ITEMS = 100
NEWSROOM_COMMIT_SECONDS = 1.0
NEWSROOM_PROGRESS_EVERY = 100  # log a progress line every N stored articles
# WARC of every exchange (docs/archival.md): on by default, `--no-warc` turns it off.
NEWSROOM_WARC_ENABLED = True
# Each article's images are fetched once (same host and politeness, after the articles) into
# the WARC and ``captures``, so the article page can show them from the archive (--no-images: not).
NEWSROOM_IMAGES = True
NEWSROOM_WARC_DIR = None  # None: warc/ beside the database (archive/warc/)
NEWSROOM_WARC_MAX_SIZE = 1_000_000_000  # bytes; a new file starts after this
NEWSROOM_WARC_PREFIX = "newsroom"
NEWSROOM_WARC_GZIP_LEVEL = 6  # zlib level of each record's gzip member (warcio's 9: 2x the time, <1 % smaller)
# Who runs the crawl: the warcinfo record's ``operator`` (WARC 1.1: contact information). Set your own.
NEWSROOM_WARC_OPERATOR = "newsroom-archive (https://github.com/newsroom-archive/newsroom-archive)"
