"""The replica at benchmark scale: more than 70,000 articles, padded pages, cached answers, no Nagle delay."""

from __future__ import annotations

import random
from datetime import date

from newsroom_replica import ReplicaSite
from newsroom_replica.server import _Handler
from newsroom_replica.state import page_ids

NEWEST = date(2026, 11, 15)
BASE = "http://127.0.0.1:8001"


def test_page_ids_beyond_70000_are_distinct_and_ascending():
    ids = page_ids(random.Random(1), 80_000)
    assert len(set(ids)) == 80_000 and ids == sorted(ids) and ids[0] >= 20000


def test_page_ids_up_to_70000_are_drawn_as_before():
    # The pinned sites (tests/test_replica.py) depend on this very draw.
    for count in (40, 35_001, 70_000):
        assert page_ids(random.Random(3), count) == sorted(random.Random(3).sample(range(20000, 90000), count))


def test_menu_bytes_pad_every_page_and_the_page_still_parses():
    from newsroom_scraper import parse_article

    plain, padded = ReplicaSite(5, seed=1, newest=NEWEST), ReplicaSite(5, seed=1, newest=NEWEST, menu_bytes=408 * 1024)
    path = plain.article_paths()[2]
    body = padded.render(path, BASE).body
    assert 420_000 < len(body) < 440_000 and len(plain.render(path, BASE).body) < 20_000
    url = "https://www.dortmund.de" + path
    assert parse_article(body, url).to_dict() == parse_article(plain.render(path, BASE).body, url).to_dict()


def test_cached_answers_are_the_rendered_ones_until_the_site_changes():
    cached = ReplicaSite(30, seed=3, newest=NEWEST, cache_bytes=10_000_000)
    fresh = ReplicaSite(30, seed=3, newest=NEWEST)
    path, other = cached.article_paths()[4], cached.article_paths()[9]
    targets = [path, "/newsroom/", "/newsroom/nachrichten/?page=2", "/sitemaps/news.xml", "/nope"]

    def same() -> bool:
        return all(cached.render(t, BASE) == fresh.render(t, BASE) for t in targets)

    assert same() and same() and len(cached.cache) == len(targets)
    for site in (cached, fresh):
        site.edit_article(path, "Nachtrag.")
    assert same()
    for site in (cached, fresh):
        site.break_article(other)
    assert same()
    for site in (cached, fresh):
        site.restore_article(other)
    assert same()
    for site in (cached, fresh):
        site.add_article("Neu")
    assert same()


def test_the_cache_keeps_within_its_byte_budget():
    site = ReplicaSite(30, seed=3, newest=NEWEST, cache_bytes=50_000)
    for path in site.article_paths():
        site.render(path, BASE)
    assert 0 < len(site.cache) < 30 and site.cache.size <= 50_000
    assert ReplicaSite(3, seed=3, newest=NEWEST).render("/newsroom/", BASE) is not None  # cache_bytes=0: off


def test_answers_go_out_without_nagle_delay():
    # Headers and body are two writes: with Nagle on, each keep-alive answer's body waited for the
    # client's delayed ACK (~40 ms). The effect is measured by bench/replica_rate.py, not here.
    assert _Handler.disable_nagle_algorithm is True
