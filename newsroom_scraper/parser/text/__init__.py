"""Helpers every layout shares: German dates, credits, whitespace, URLs, HTML sanitising.

They live here, with their own tests, so that two layouts never carry two copies
of the same rule.
"""


def clear_caches() -> None:
    """Empty the caches of the pure text helpers (for cold-start benchmarks and tests)."""
    from newsroom_scraper.parser.text.credits import split_credit
    from newsroom_scraper.parser.text.dates import parse_german_date
    from newsroom_scraper.parser.text.urls import canonical_url

    for cached in (canonical_url, split_credit, parse_german_date):
        cached.cache_clear()
