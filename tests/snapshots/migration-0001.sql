-- index idx_articles_fetched_url
CREATE INDEX idx_articles_fetched_url ON articles(fetched_url);

-- index idx_articles_published_date
CREATE INDEX idx_articles_published_date ON articles(published_date);

-- index idx_articles_section
CREATE INDEX idx_articles_section ON articles(section);

-- index idx_crawl_errors_url
CREATE INDEX idx_crawl_errors_url ON crawl_errors(url);

-- index idx_related_links_url
CREATE INDEX idx_related_links_url ON related_links(url);

-- index idx_tags_tag
CREATE INDEX idx_tags_tag ON tags(tag);

-- table article_versions
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

-- table articles
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

-- table articles_fts
CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (
    "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants",
    tokenize='trigram',
    content="articles"
);

-- table articles_fts_config
CREATE TABLE 'articles_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table articles_fts_data
CREATE TABLE 'articles_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table articles_fts_docsize
CREATE TABLE 'articles_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table articles_fts_idx
CREATE TABLE 'articles_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table crawl_errors
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

-- table crawl_runs
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

-- table images
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

-- table links
CREATE TABLE links (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    text TEXT,
    PRIMARY KEY (article_id, position)
);

-- table related_links
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

-- table tags
CREATE TABLE tags (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);

-- table videos
CREATE TABLE videos (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    PRIMARY KEY (article_id, position)
);

-- trigger articles_ad
CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES('delete', old.rowid, old."title", old."topline", old."lead", old."body_text", old."tags_text", old."credits_text", old."search_variants");
END;

-- trigger articles_ai
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES (new.rowid, new."title", new."topline", new."lead", new."body_text", new."tags_text", new."credits_text", new."search_variants");
END;

-- trigger articles_au
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES('delete', old.rowid, old."title", old."topline", old."lead", old."body_text", old."tags_text", old."credits_text", old."search_variants");
  INSERT INTO "articles_fts" (rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES (new.rowid, new."title", new."topline", new."lead", new."body_text", new."tags_text", new."credits_text", new."search_variants");
END;

-- articles_fts rank: bm25(10.0, 4.0, 4.0, 1.0, 4.0, 1.0, 1.0)
