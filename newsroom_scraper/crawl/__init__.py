"""The crawl beyond Scrapy's own files: ``run_crawl`` (run.py), the discovery channels as pure
functions, what a failed request was, polite retries, WARC capture of every exchange, and the
``ArchiveWriter`` the pipeline stores through."""
