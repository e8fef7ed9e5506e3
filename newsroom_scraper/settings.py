"""Scrapy settings: the crawl's manners and machinery. Policy lives here, not in code.

The defaults are for the live site: one polite crawler that says who it is, obeys
robots.txt, waits between requests and backs off when the server slows down.
``newsroom-archive crawl`` options and ``scrapy crawl newsroom -s NAME=value`` override them.
"""

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

# Transient failures are retried by Scrapy's RetryMiddleware; what still fails is recorded.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# The live site was reported to need cookies (else a redirect loop): keep them, cap redirects.
COOKIES_ENABLED = True
REDIRECT_MAX_TIMES = 5

# The HTTP cache is for developing against the live site without re-downloading
# (`-s HTTPCACHE_ENABLED=1`); scheduled runs use conditional requests instead.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"

TELNETCONSOLE_ENABLED = False
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
# Re-checks: by age (schedule.py: 1, 2, 4, … 256 days after publication or a change, then every
# 256 days). A number here (or --refresh-days N) re-checks every article published within N days
# instead, as a fixed window; --recheck-all re-checks every article.
NEWSROOM_REFRESH_DAYS = None
# The run's "now" (ISO 8601) instead of the clock: re-checks due and fetch times. For tests and replays.
NEWSROOM_NOW = None
NEWSROOM_PROGRESS_EVERY = 100  # log a progress line every N stored articles
NEWSROOM_WARC_DIR = None  # filled by the WARC issue; accepted now
