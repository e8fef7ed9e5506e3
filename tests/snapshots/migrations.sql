==== 0001_initial_schema
-- config articles_fts_config.rank
bm25(10.0, 4.0, 4.0, 1.0, 4.0, 1.0, 1.0);
-- config articles_fts_config.version
4;
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

==== 0002_indexes_for_sort_and_facets
-- index idx_articles_layout
CREATE INDEX idx_articles_layout ON articles(layout);
-- index idx_articles_published_at
CREATE INDEX idx_articles_published_at ON articles(published_at);
-- index idx_articles_topline
CREATE INDEX idx_articles_topline ON articles(topline);

==== 0003_error_attempts
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
, attempts INTEGER);

==== 0004_recheck_schedule
-- index idx_articles_recheck_due_at
CREATE INDEX idx_articles_recheck_due_at ON articles(recheck_due_at);
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
, recheck_due_at TEXT);

==== 0005_run_drift
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
, drift TEXT);

==== 0006_word_index
-- config version_words_config.rank
bm25(10.0, 4.0, 4.0, 1.0, 4.0, 1.0);
-- config version_words_config.version
4;
-- table version_words
CREATE VIRTUAL TABLE version_words USING fts5(title, topline, lead, body, tags, credits, content='', tokenize='unicode61 remove_diacritics 2');
-- table version_words_config
CREATE TABLE 'version_words_config'(k PRIMARY KEY, v) WITHOUT ROWID;
-- table version_words_data
CREATE TABLE 'version_words_data'(id INTEGER PRIMARY KEY, block BLOB);
-- table version_words_docsize
CREATE TABLE 'version_words_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
-- table version_words_idx
CREATE TABLE 'version_words_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

==== 0007_district_and_month
-- index idx_article_versions_article_id_version
CREATE INDEX idx_article_versions_article_id_version ON article_versions(article_id, version);
-- index idx_articles_district
CREATE INDEX idx_articles_district ON articles(district);
-- index idx_articles_published_month
CREATE INDEX idx_articles_published_month ON articles(published_month);
-- index idx_images_credit_agency
CREATE INDEX idx_images_credit_agency ON images(credit_agency);
-- index idx_images_credit_by
CREATE INDEX idx_images_credit_by ON images(credit_by);
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
, recheck_due_at TEXT, district TEXT, published_month TEXT);

==== 0008_captures
-- index idx_captures_article
CREATE INDEX idx_captures_article ON captures(article_id, version);
-- index idx_captures_url
CREATE INDEX idx_captures_url ON captures(url);
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
    data TEXT NOT NULL, capture_id INTEGER REFERENCES captures(id),  -- JSON: Article.to_dict() without "related"
    UNIQUE (article_id, version)
);
-- table captures
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,  -- the URL fetched (WARC-Target-URI)
    article_id INTEGER REFERENCES articles(id),
    version INTEGER,  -- the article version this response showed (a 304: the version it confirmed)
    captured_at TEXT NOT NULL,  -- UTC, ISO 8601 to the second (WARC-Date)
    status INTEGER NOT NULL,  -- HTTP status
    warc_file TEXT,  -- relative to the WARC folder; "x.wacz#archive/y.warc.gz" inside a WACZ
    warc_offset INTEGER,  -- where the record starts in the (uncompressed) file, as CDXJ says
    warc_length INTEGER,  -- the record's length there, gzip member included
    record_id TEXT UNIQUE,  -- WARC-Record-ID: an import of the same file adds nothing
    payload_digest TEXT,  -- WARC-Payload-Digest (sha1:BASE32)
    source TEXT NOT NULL,  -- "crawl", "import" (another tool's file) or "wayback"
    run_id INTEGER REFERENCES crawl_runs(id),  -- the crawl or reparse run that recorded it
    source_uri TEXT  -- where the record was copied from (the Wayback Machine's memento URL)
);

==== 0009_removed_at
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
, recheck_due_at TEXT, district TEXT, published_month TEXT, removed_at TEXT);

==== 0010_search_facts
-- index idx_search_facts_version
CREATE INDEX idx_search_facts_version ON search_facts(version_id, published_at, published_date, section, district);
-- table search_facts
CREATE TABLE search_facts (
    article_id INTEGER PRIMARY KEY,  -- articles.id (rowid in articles_fts)
    version_id INTEGER,  -- article_versions.id of the current version (rowid in version_words)
    version_count INTEGER,
    published_at TEXT,
    published_date TEXT,
    section TEXT,
    district TEXT
);
-- trigger search_facts_ad
CREATE TRIGGER search_facts_ad AFTER DELETE ON articles BEGIN
    DELETE FROM search_facts WHERE article_id = old.id;
END;
-- trigger search_facts_ai
CREATE TRIGGER search_facts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO search_facts (article_id, version_id, version_count, published_at, published_date, section, district)
    VALUES (new.id, (SELECT id FROM article_versions WHERE article_id = new.id AND version = new.version_count),
        new.version_count, new.published_at, new.published_date, new.section, new.district);
END;
-- trigger search_facts_au
CREATE TRIGGER search_facts_au AFTER UPDATE OF version_count, published_at, published_date, section, district
ON articles BEGIN
    UPDATE search_facts SET
        version_id = (SELECT id FROM article_versions WHERE article_id = new.id AND version = new.version_count),
        version_count = new.version_count, published_at = new.published_at, published_date = new.published_date,
        section = new.section, district = new.district
    WHERE article_id = new.id;
END;
-- trigger search_facts_version_ad
CREATE TRIGGER search_facts_version_ad AFTER DELETE ON article_versions BEGIN
    UPDATE search_facts SET version_id = NULL WHERE version_id = old.id;
END;
-- trigger search_facts_version_ai
CREATE TRIGGER search_facts_version_ai AFTER INSERT ON article_versions BEGIN
    UPDATE search_facts SET version_id = new.id WHERE article_id = new.article_id AND version_count = new.version;
END;

==== 0011_capture_kind
-- table captures
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,  -- the URL fetched (WARC-Target-URI)
    article_id INTEGER REFERENCES articles(id),
    version INTEGER,  -- the article version this response showed (a 304: the version it confirmed)
    captured_at TEXT NOT NULL,  -- UTC, ISO 8601 to the second (WARC-Date)
    status INTEGER NOT NULL,  -- HTTP status
    warc_file TEXT,  -- relative to the WARC folder; "x.wacz#archive/y.warc.gz" inside a WACZ
    warc_offset INTEGER,  -- where the record starts in the (uncompressed) file, as CDXJ says
    warc_length INTEGER,  -- the record's length there, gzip member included
    record_id TEXT UNIQUE,  -- WARC-Record-ID: an import of the same file adds nothing
    payload_digest TEXT,  -- WARC-Payload-Digest (sha1:BASE32)
    source TEXT NOT NULL,  -- "crawl", "import" (another tool's file) or "wayback"
    run_id INTEGER REFERENCES crawl_runs(id),  -- the crawl or reparse run that recorded it
    source_uri TEXT  -- where the record was copied from (the Wayback Machine's memento URL)
, kind TEXT NOT NULL DEFAULT 'article');

==== 0012_version_permalinks
-- index idx_version_permalinks_article_url
CREATE INDEX idx_version_permalinks_article_url ON version_permalinks(article_url);
-- table version_permalinks
CREATE TABLE version_permalinks (
    id INTEGER PRIMARY KEY,  -- a version id once issued: never given to another version
    article_url TEXT NOT NULL,  -- the article's canonical URL (articles.url)
    record_id TEXT,  -- WARC-Record-ID of the capture it was issued for (NULL: a version stored without WARC)
    issued_at TEXT NOT NULL,  -- that capture's time (UTC)
    content_hash TEXT NOT NULL,  -- the version's content hash when the id was issued
    version_id INTEGER  -- the article_versions.id answering for it now: itself, or the version it merged into
);

==== 0013_capture_sha256
-- table captures
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,  -- the URL fetched (WARC-Target-URI)
    article_id INTEGER REFERENCES articles(id),
    version INTEGER,  -- the article version this response showed (a 304: the version it confirmed)
    captured_at TEXT NOT NULL,  -- UTC, ISO 8601 to the second (WARC-Date)
    status INTEGER NOT NULL,  -- HTTP status
    warc_file TEXT,  -- relative to the WARC folder; "x.wacz#archive/y.warc.gz" inside a WACZ
    warc_offset INTEGER,  -- where the record starts in the (uncompressed) file, as CDXJ says
    warc_length INTEGER,  -- the record's length there, gzip member included
    record_id TEXT UNIQUE,  -- WARC-Record-ID: an import of the same file adds nothing
    payload_digest TEXT,  -- WARC-Payload-Digest (sha1:BASE32)
    source TEXT NOT NULL,  -- "crawl", "import" (another tool's file) or "wayback"
    run_id INTEGER REFERENCES crawl_runs(id),  -- the crawl or reparse run that recorded it
    source_uri TEXT  -- where the record was copied from (the Wayback Machine's memento URL)
, kind TEXT NOT NULL DEFAULT 'article', payload_sha256 TEXT, decoded_sha256 TEXT);

==== 0014_alerts
-- index idx_alerts_open
CREATE INDEX idx_alerts_open ON alerts(cleared_at, condition);
-- table alerts
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,  -- what `newsroom-archive ack ID` names
    condition TEXT NOT NULL,  -- what is wrong, as a key: layout-lost, channel:sitemap, field:lead, parse-errors
    message TEXT NOT NULL,  -- the alert's line, as the last run that saw it wrote it
    first_run_id INTEGER REFERENCES crawl_runs(id),  -- the run that raised it
    last_run_id INTEGER REFERENCES crawl_runs(id),  -- the last run that saw it (or repeated it)
    raised_at TEXT NOT NULL,  -- UTC, the run's clock (NEWSROOM_NOW)
    last_seen_at TEXT NOT NULL,
    runs INTEGER NOT NULL,  -- how many runs raised or repeated it
    cleared_at TEXT,  -- when a run saw the condition gone (NULL: open)
    cleared_run_id INTEGER REFERENCES crawl_runs(id),
    acknowledged_at TEXT,  -- when an operator acknowledged it (`ack`): runs no longer repeat it
    acknowledged_by TEXT,
    acknowledged_why TEXT
);

==== 0015_removed_schedule

==== 0016_changes_index
-- index idx_article_versions_changes
CREATE INDEX idx_article_versions_changes ON article_versions(fetched_at, id) WHERE version > 1;

==== 0017_credit_counts
-- index idx_credit_counts_order
CREATE INDEX idx_credit_counts_order ON credit_counts(images DESC, credit_by);
-- index idx_images_credit_article
CREATE INDEX idx_images_credit_article ON images(credit_by, credit_agency, article_id);
-- table credit_counts
CREATE TABLE credit_counts (
    credit_key TEXT PRIMARY KEY,  -- json_array(credit_by, credit_agency)
    credit_by TEXT,
    credit_agency TEXT,
    images INTEGER NOT NULL,
    articles INTEGER NOT NULL,  -- distinct articles with at least one image of this credit
    first_date TEXT,  -- min(articles.published_date) of those articles
    last_date TEXT  -- max(articles.published_date)
);
-- trigger credit_counts_article_au
CREATE TRIGGER credit_counts_article_au AFTER UPDATE OF published_date ON articles
WHEN old.published_date IS NOT new.published_date BEGIN
    UPDATE credit_counts SET
        first_date = (SELECT min(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS credit_counts.credit_by AND i.credit_agency IS credit_counts.credit_agency),
        last_date = (SELECT max(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS credit_counts.credit_by AND i.credit_agency IS credit_counts.credit_agency)
    WHERE credit_key IN (SELECT json_array(credit_by, credit_agency) FROM images WHERE article_id = new.id);
END;
-- trigger credit_counts_image_ad
CREATE TRIGGER credit_counts_image_ad AFTER DELETE ON images BEGIN
    UPDATE credit_counts SET
        images = images - 1,
        articles = articles - NOT EXISTS (SELECT 1 FROM images i WHERE i.article_id = old.article_id
            AND i.credit_by IS old.credit_by AND i.credit_agency IS old.credit_agency)
    WHERE credit_key = json_array(old.credit_by, old.credit_agency);
    DELETE FROM credit_counts WHERE credit_key = json_array(old.credit_by, old.credit_agency) AND images <= 0;
    UPDATE credit_counts SET
        first_date = (SELECT min(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS old.credit_by AND i.credit_agency IS old.credit_agency),
        last_date = (SELECT max(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS old.credit_by AND i.credit_agency IS old.credit_agency)
    WHERE credit_key = json_array(old.credit_by, old.credit_agency)
        AND coalesce((SELECT published_date FROM articles WHERE id = old.article_id), first_date)
            IN (first_date, last_date);
END;
-- trigger credit_counts_image_ai
CREATE TRIGGER credit_counts_image_ai AFTER INSERT ON images BEGIN
    INSERT INTO credit_counts (credit_key, credit_by, credit_agency, images, articles)
        VALUES (json_array(new.credit_by, new.credit_agency), new.credit_by, new.credit_agency, 0, 0)
        ON CONFLICT (credit_key) DO NOTHING;
    UPDATE credit_counts SET
        images = images + 1,
        articles = articles + NOT EXISTS (SELECT 1 FROM images i WHERE i.article_id = new.article_id
            AND i.position != new.position AND i.credit_by IS new.credit_by AND i.credit_agency IS new.credit_agency),
        first_date = coalesce(min(first_date, (SELECT published_date FROM articles WHERE id = new.article_id)),
            first_date, (SELECT published_date FROM articles WHERE id = new.article_id)),
        last_date = coalesce(max(last_date, (SELECT published_date FROM articles WHERE id = new.article_id)),
            last_date, (SELECT published_date FROM articles WHERE id = new.article_id))
    WHERE credit_key = json_array(new.credit_by, new.credit_agency);
END;

==== 0018_version_lookup_index
-- index idx_article_versions_lookup
CREATE INDEX idx_article_versions_lookup ON article_versions(id, article_id, version);

==== 0019_articles_newest_first_index
-- index idx_articles_newest_first
CREATE INDEX idx_articles_newest_first ON articles(published_at DESC, id);

==== 0020_capture_content_encoding
-- table captures
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,  -- the URL fetched (WARC-Target-URI)
    article_id INTEGER REFERENCES articles(id),
    version INTEGER,  -- the article version this response showed (a 304: the version it confirmed)
    captured_at TEXT NOT NULL,  -- UTC, ISO 8601 to the second (WARC-Date)
    status INTEGER NOT NULL,  -- HTTP status
    warc_file TEXT,  -- relative to the WARC folder; "x.wacz#archive/y.warc.gz" inside a WACZ
    warc_offset INTEGER,  -- where the record starts in the (uncompressed) file, as CDXJ says
    warc_length INTEGER,  -- the record's length there, gzip member included
    record_id TEXT UNIQUE,  -- WARC-Record-ID: an import of the same file adds nothing
    payload_digest TEXT,  -- WARC-Payload-Digest (sha1:BASE32)
    source TEXT NOT NULL,  -- "crawl", "import" (another tool's file) or "wayback"
    run_id INTEGER REFERENCES crawl_runs(id),  -- the crawl or reparse run that recorded it
    source_uri TEXT  -- where the record was copied from (the Wayback Machine's memento URL)
, kind TEXT NOT NULL DEFAULT 'article', payload_sha256 TEXT, decoded_sha256 TEXT, content_encoding TEXT);

==== 0021_optimize_search_indexes

