"""The archive's schema as sqlite-utils migrations: applied in order, each recorded once.

``Archive`` applies pending migrations when it opens a file (they are recorded in
``_sqlite_migrations``), so an archive made by an older version is brought up to date.
Never edit an applied migration: add a new function below the last one. A migration
that calls ``table.transform()`` on articles must re-create the FTS triggers after it,
because transform drops them (see docs/storage.md).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

# Columns of articles_fts, in this order: snippet() and bm25() address them by index.
FTS_COLUMNS = ["title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants"]
# bm25 weights of those columns, stored as the index's default ``rank``: a word in the
# title counts ten times one in the body, for Archive.search and any canned query
# that orders by rank alike.
RANK_WEIGHTS = (10.0, 4.0, 4.0, 1.0, 4.0, 1.0, 1.0)

_SCHEMA_SQL = """
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,  -- rowid of articles_fts: must survive VACUUM
    url TEXT NOT NULL UNIQUE,  -- canonical URL, the archive's key
    fetched_url TEXT,  -- the URL the page was last fetched from
    page_id TEXT,
    section TEXT,
    title TEXT,
    topline TEXT,
    published_at TEXT,  -- ISO 8601, with offset, or a date only
    published_date TEXT,  -- first 10 characters of published_at, for facets and sorting
    description TEXT,
    og_image TEXT,
    lead TEXT,
    body_text TEXT,
    body_html TEXT,
    layout TEXT,
    tags_text TEXT,  -- tags joined by ", "
    credits_text TEXT,  -- distinct image credits joined by "; "
    search_variants TEXT,  -- other spellings of the words (ä/ae/a, ß/ss), for FTS only
    first_seen_at TEXT NOT NULL,
    last_checked_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    version_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX idx_articles_fetched_url ON articles(fetched_url);
CREATE INDEX idx_articles_published_date ON articles(published_date);
CREATE INDEX idx_articles_section ON articles(section);

CREATE TABLE images (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    src TEXT NOT NULL,
    alt TEXT,
    caption TEXT,
    credit TEXT,
    credit_by TEXT,
    credit_agency TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE videos (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE links (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    text TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE tags (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX idx_tags_tag ON tags(tag);

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    start_url TEXT,
    options TEXT,  -- JSON
    finish_reason TEXT,
    stats TEXT,  -- JSON: Scrapy's stats
    new_count INTEGER,
    changed_count INTEGER,
    unchanged_count INTEGER,
    not_modified_count INTEGER,
    error_count INTEGER,
    empty_fields TEXT  -- JSON: field name -> number of articles where it was empty
);

CREATE TABLE related_links (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    date TEXT,
    district TEXT,
    text TEXT,
    image TEXT,
    image_alt TEXT,
    credit TEXT,
    PRIMARY KEY (article_id, run_id, position)
);
CREATE INDEX idx_related_links_url ON related_links(url);

CREATE TABLE article_versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,  -- 1, 2, ... per article
    content_hash TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    run_id INTEGER REFERENCES crawl_runs(id),
    title TEXT,
    topline TEXT,
    published_at TEXT,
    lead TEXT,
    body_text TEXT,
    body_html TEXT,
    data TEXT NOT NULL,  -- JSON: Article.to_dict() without "related"
    UNIQUE (article_id, version)
);

CREATE TABLE crawl_errors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES crawl_runs(id),
    url TEXT NOT NULL,
    kind TEXT NOT NULL,  -- "parse", "http", "store", ...
    status INTEGER,
    reason TEXT,
    occurred_at TEXT NOT NULL,
    resolved_at TEXT  -- set when a later fetch of the URL succeeds
);
CREATE INDEX idx_crawl_errors_url ON crawl_errors(url);
"""

# Written the way sqlite-utils writes its triggers (INSERT INTO "articles_fts"), so that
# its disable_fts() and enable_fts(replace=True) recognise this one as theirs and drop it.
NARROW_FTS_UPDATE_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS "articles_au";
CREATE TRIGGER "articles_au" AFTER UPDATE OF {columns} ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, {columns}) VALUES('delete', old.rowid, {old});
  INSERT INTO "articles_fts" (rowid, {columns}) VALUES (new.rowid, {new});
END;
""".format(
    columns=", ".join(f'"{c}"' for c in FTS_COLUMNS),
    old=", ".join(f'old."{c}"' for c in FTS_COLUMNS),
    new=", ".join(f'new."{c}"' for c in FTS_COLUMNS),
)


MIGRATIONS = Migrations("newsroom_archive")


@MIGRATIONS(name="0001_initial_schema")
def _initial_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and the FTS index of the first archive version."""
    db.executescript(_SCHEMA_SQL)
    db.table("articles").enable_fts(FTS_COLUMNS, tokenize="trigram", create_triggers=True)
    # sqlite-utils' update trigger fires on every UPDATE, so merely noting that an
    # article was checked would re-index its whole text. Fire only when an indexed
    # column is written. (After any table.transform(), which drops FTS triggers, run
    # enable_fts(..., replace=True) and then this statement again.)
    db.executescript(NARROW_FTS_UPDATE_TRIGGER_SQL)
    weights = ", ".join(map(str, RANK_WEIGHTS))
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', ?)", [f"bm25({weights})"])
