"""The shortcuts taken for crawl speed give what the plain ways gave (their speed: bench/crawl.py)."""

from __future__ import annotations

import dataclasses
import sqlite3

from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper.crawl.run import crawl_settings
from newsroom_scraper.items import Article, Image, RelatedLink
from newsroom_scraper.parser.parse import parse_article
from newsroom_scraper.store import Archive, content_hash


def test_to_dict_is_asdict_and_shares_nothing_with_the_article():
    for page in sample_pages().values():
        article = parse_article(render_article(page).encode(), "https://www.dortmund.de" + page.path)
        data = article.to_dict()
        assert data == dataclasses.asdict(article) and list(data) == [f.name for f in dataclasses.fields(Article)]
        if article.images:
            data["images"][0]["src"] = "changed"
            assert article.images[0].src != "changed"
        data["tags"].append("changed")
        assert "changed" not in article.tags


def test_content_hash_of_a_given_dict_is_the_hash_of_the_article():
    article = Article(
        url="https://x/1",
        title="T",
        published_at="2025-01-01",
        layout="l",
        tags=["a"],
        images=[Image(src="s", credit="c")],
        related=[RelatedLink(url="https://x/2", title="R")],
    )
    assert content_hash(article, article.to_dict()) == content_hash(article)


def test_the_archive_commits_without_fsync_per_article(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        assert archive.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sqlite3.connect(tmp_path / "a.db").execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_delay_0_switches_autothrottle_off_and_any_delay_keeps_it():
    assert crawl_settings(delay=0).getbool("AUTOTHROTTLE_ENABLED") is False
    assert crawl_settings(delay=0.5).getbool("AUTOTHROTTLE_ENABLED") is True
    assert crawl_settings().getbool("AUTOTHROTTLE_ENABLED") is True
    assert crawl_settings(delay=0, settings={"AUTOTHROTTLE_ENABLED": True}).getbool("AUTOTHROTTLE_ENABLED") is True
