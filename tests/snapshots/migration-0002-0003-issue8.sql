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
, removed_at TEXT);

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

