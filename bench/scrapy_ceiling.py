"""Scrapy's own ceiling: fetch a list of URLs and do nothing else (the yardstick of bench/crawl.py).

    python bench/scrapy_ceiling.py URLS_FILE --concurrency N

Same Scrapy, same machine, same URLs as the project's crawl, but no robots.txt, no throttle,
no cookies, no parsing, no storing: every response is dropped. Prints one JSON line with
Scrapy's elapsed_time_seconds and the number of responses.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess


class FetchOnly(Spider):
    name = "fetch-only"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            yield Request(url, dont_filter=True)

    def parse(self, response: Any) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", type=argparse.FileType())
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    urls = [line.strip() for line in options.urls if line.strip()]
    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS": options.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    crawler = process.create_crawler(FetchOnly)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"elapsed": stats["elapsed_time_seconds"], "responses": stats.get("response_received_count", 0)}))


if __name__ == "__main__":
    main()
