"""The archive's schema as sqlite-utils migrations: applied in order, each recorded once.

``Archive`` applies pending migrations when it opens a file to write it (they are recorded in
``_sqlite_migrations``), so an archive made by an older version is brought up to date; a
read-only open never migrates (archive.py).
Never edit an applied migration: add a new function below the last one. A migration
that calls ``table.transform()`` on articles must re-create the FTS triggers after it,
because transform drops them (see docs/storage.md).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from newsroom_scraper.ops.schedule import next_removed_recheck

_SCHEMA_SQL_0001 = """
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

# The FTS update trigger of 0001, written out (frozen with it). It is written the way
# sqlite-utils writes its triggers (INSERT INTO "articles_fts"), so that its disable_fts() and
# enable_fts(replace=True) recognise it as theirs and drop it.
_NARROW_FTS_UPDATE_TRIGGER_0001 = """
DROP TRIGGER IF EXISTS "articles_au";
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES('delete', old.rowid, old."title", old."topline", old."lead", old."body_text", old."tags_text", old."credits_text", old."search_variants");
  INSERT INTO "articles_fts" (rowid, "title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants") VALUES (new.rowid, new."title", new."topline", new."lead", new."body_text", new."tags_text", new."credits_text", new."search_variants");
END;
"""


MIGRATIONS = Migrations("newsroom_archive")


@MIGRATIONS(name="0001_initial_schema")
def _initial_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and the FTS index of the first archive version."""
    db.executescript(_SCHEMA_SQL_0001)
    # Literal values only: a migration, once applied somewhere, must build the same thing forever.
    # The columns' order matters: snippet() and bm25() address them by index.
    db.table("articles").enable_fts(
        ["title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants"],
        tokenize="trigram",
        create_triggers=True,
    )
    # sqlite-utils' update trigger fires on every UPDATE, so merely noting that an
    # article was checked would re-index its whole text. Fire only when an indexed
    # column is written. (After any table.transform(), which drops FTS triggers, run
    # enable_fts(..., replace=True) and then this statement again.)
    db.executescript(_NARROW_FTS_UPDATE_TRIGGER_0001)
    # bm25 weights, stored as the index's default rank: a word in the title counts ten times
    # one in the body, for Archive.search and any canned query that orders by rank alike.
    db.execute(
        "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 4.0, 1.0, 4.0, 1.0, 1.0)')"
    )


# Issue 11 (performance at scale). The articles table page sorts by published_at (newest first)
# and shows facets on section, topline, layout and published_date: without an index each of those
# read every row of a table whose rows hold whole pages (about 1 GB at 100,000 articles).
_INDEXES_SQL_0002 = """
CREATE INDEX idx_articles_published_at ON articles(published_at);
CREATE INDEX idx_articles_topline ON articles(topline);
CREATE INDEX idx_articles_layout ON articles(layout);
"""


@MIGRATIONS(name="0002_indexes_for_sort_and_facets")
def _indexes_for_sort_and_facets(db: sqlite_utils.Database) -> None:
    """Indexes for the articles page's sort and facets (literal SQL: frozen like 0001)."""
    db.executescript(_INDEXES_SQL_0002)


@MIGRATIONS(name="0003_error_attempts")
def _error_attempts(db: sqlite_utils.Database) -> None:
    """crawl_errors.attempts: how many times the request was sent before it was given up."""
    db.execute("ALTER TABLE crawl_errors ADD COLUMN attempts INTEGER")


@MIGRATIONS(name="0004_recheck_schedule")
def _recheck_schedule(db: sqlite_utils.Database) -> None:
    """``articles.recheck_due_at``: when the article is next re-checked (ops/schedule.py), indexed.

    Rows of an older archive get their time when ``Archive`` next opens it to write (``schedule_unscheduled``).
    """
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN recheck_due_at TEXT;  -- UTC ISO 8601; NULL: not scheduled yet
        CREATE INDEX idx_articles_recheck_due_at ON articles(recheck_due_at);
        """
    )


@MIGRATIONS(name="0005_run_drift")
def _run_drift(db: sqlite_utils.Database) -> None:
    """``crawl_runs.drift``: the run's drift alerts (ops/drift.py) as a JSON list of lines."""
    db.execute("ALTER TABLE crawl_runs ADD COLUMN drift TEXT")


def add_field_columns(db: sqlite_utils.Database, names: list[str]) -> list[str]:
    """Give ``articles`` a column for each of ``names`` it lacks; return the names added.

    ``Archive`` calls this after the migrations with every one-value field of ``Article``, so a
    new field of the dataclass is stored without a migration of its own (values stay NULL for
    articles parsed before it existed, until they are parsed again). Derived columns, indexes
    and FTS changes still need a migration above.
    """
    table = db.table("articles")
    missing = [name for name in names if name not in table.columns_dict]
    for name in missing:
        table.add_column(name, str)
    return missing


@MIGRATIONS(name="0006_word_index")
def _word_index(db: sqlite_utils.Database) -> None:
    """The word index: each version's text as German stems (filled by the store, in Python).

    Contentless (the stems are never read back, and a version never changes), so it costs only
    the index. The store adds each new version's row and, on opening to write, any version still
    missing one (all of them in an archive from before this migration).
    """
    db.execute(
        "CREATE VIRTUAL TABLE version_words USING fts5("
        "title, topline, lead, body, tags, credits, content='', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute("INSERT INTO version_words(version_words, rank) VALUES ('rank', 'bm25(10.0, 4.0, 4.0, 1.0, 4.0, 1.0)')")


@MIGRATIONS(name="0007_district_and_month")
def _district_and_month(db: sqlite_utils.Database) -> None:
    """Columns to browse by: the city district the site's teasers give an article, and its month.

    Filled from what the archive already holds: the district of the latest captured teaser that
    points to the article (canonical or fetched URL), the month from published_date.
    """
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN district TEXT;
        ALTER TABLE articles ADD COLUMN published_month TEXT;
        UPDATE articles SET published_month = substr(published_date, 1, 7);
        UPDATE articles SET district = (
            SELECT r.district FROM related_links r
            WHERE (r.url = articles.url OR r.url = articles.fetched_url) AND r.district IS NOT NULL
            ORDER BY r.run_id DESC LIMIT 1
        );
        CREATE INDEX idx_articles_district ON articles(district);
        CREATE INDEX idx_articles_published_month ON articles(published_month);
        CREATE INDEX idx_images_credit_by ON images(credit_by);
        CREATE INDEX idx_images_credit_agency ON images(credit_agency);
        CREATE INDEX idx_article_versions_article_id_version ON article_versions(article_id, version);
        """
    )


_CAPTURES_SQL_0002 = """
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
CREATE INDEX idx_captures_article ON captures(article_id, version);
CREATE INDEX idx_captures_url ON captures(url);
ALTER TABLE article_versions ADD COLUMN capture_id INTEGER REFERENCES captures(id);
"""


@MIGRATIONS(name="0008_captures")
def _issue8_captures(db: sqlite_utils.Database) -> None:
    """Issue 8: every archived article response (its WARC record), and each version's first capture."""
    db.executescript(_CAPTURES_SQL_0002)


@MIGRATIONS(name="0009_removed_at")
def _issue8_removed_at(db: sqlite_utils.Database) -> None:
    """Issue 8: when an archived article began answering 404 or 410 (NULL while it is online)."""
    db.execute("ALTER TABLE articles ADD COLUMN removed_at TEXT")


# Issue 11: what the reader's search needs of each article, in rows of ~80 bytes. Every search hit
# used to be looked up in `articles` (rows of ~12 KB: version_count, district and published_month
# sit behind the text, in overflow pages) and, for the word index, in `article_versions`; a word in
# half of 100,000 articles read ~1 GB of pages per search. Triggers keep it equal to `articles`
# (any writer: crawl, reparse, backfill), and `version_id` names the current version's row of
# version_words.
_SEARCH_FACTS_SQL_0004 = """
CREATE TABLE search_facts (
    article_id INTEGER PRIMARY KEY,  -- articles.id (rowid in articles_fts)
    version_id INTEGER,  -- article_versions.id of the current version (rowid in version_words)
    version_count INTEGER,
    published_at TEXT,
    published_date TEXT,
    section TEXT,
    district TEXT
);
CREATE INDEX idx_search_facts_version ON search_facts(version_id, published_at, published_date, section, district);
INSERT INTO search_facts (article_id, version_id, version_count, published_at, published_date, section, district)
    SELECT a.id, v.id, a.version_count, a.published_at, a.published_date, a.section, a.district
    FROM articles a LEFT JOIN article_versions v ON v.article_id = a.id AND v.version = a.version_count;
CREATE TRIGGER search_facts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO search_facts (article_id, version_id, version_count, published_at, published_date, section, district)
    VALUES (new.id, (SELECT id FROM article_versions WHERE article_id = new.id AND version = new.version_count),
        new.version_count, new.published_at, new.published_date, new.section, new.district);
END;
CREATE TRIGGER search_facts_au AFTER UPDATE OF version_count, published_at, published_date, section, district
ON articles BEGIN
    UPDATE search_facts SET
        version_id = (SELECT id FROM article_versions WHERE article_id = new.id AND version = new.version_count),
        version_count = new.version_count, published_at = new.published_at, published_date = new.published_date,
        section = new.section, district = new.district
    WHERE article_id = new.id;
END;
CREATE TRIGGER search_facts_ad AFTER DELETE ON articles BEGIN
    DELETE FROM search_facts WHERE article_id = old.id;
END;
CREATE TRIGGER search_facts_version_ai AFTER INSERT ON article_versions BEGIN
    UPDATE search_facts SET version_id = new.id WHERE article_id = new.article_id AND version_count = new.version;
END;
CREATE TRIGGER search_facts_version_ad AFTER DELETE ON article_versions BEGIN
    UPDATE search_facts SET version_id = NULL WHERE version_id = old.id;
END;
"""


@MIGRATIONS(name="0010_search_facts")
def _issue11_search_facts(db: sqlite_utils.Database) -> None:
    """Issue 11: ``search_facts``, the narrow copy of what the search filters and sorts on (literal SQL)."""
    db.executescript(_SEARCH_FACTS_SQL_0004)


@MIGRATIONS(name="0011_capture_kind")
def _capture_kind(db: sqlite_utils.Database) -> None:
    """Issue 19: ``captures.kind``, "article" (the page, or a 304 of it) or "image" (a picture it shows)."""
    db.execute("ALTER TABLE captures ADD COLUMN kind TEXT NOT NULL DEFAULT 'article'")


# Issue 19, 1: a version's address never changes once issued. `article_versions.id` is the address
# (/newsroom/article_versions/<id>), so a rebuild of an article's history (reparse, an import, a
# backfill, a parser fix) gives each new version the id issued for a capture it holds, and takes a
# fresh one (above every id ever issued) only for a version none was issued for. Each id is anchored to
# the WARC record of the capture it was issued for; an id whose version merged into another (a parser
# fix made two versions read alike) answers with a redirect to it. Every id of an older archive is
# registered here, anchored to its version's first capture, so its existing links keep working.
_VERSION_PERMALINKS_SQL_0012 = """
CREATE TABLE version_permalinks (
    id INTEGER PRIMARY KEY,  -- a version id once issued: never given to another version
    article_url TEXT NOT NULL,  -- the article's canonical URL (articles.url)
    record_id TEXT,  -- WARC-Record-ID of the capture it was issued for (NULL: a version stored without WARC)
    issued_at TEXT NOT NULL,  -- that capture's time (UTC)
    content_hash TEXT NOT NULL,  -- the version's content hash when the id was issued
    version_id INTEGER  -- the article_versions.id answering for it now: itself, or the version it merged into
);
CREATE INDEX idx_version_permalinks_article_url ON version_permalinks(article_url);
INSERT INTO version_permalinks (id, article_url, record_id, issued_at, content_hash, version_id)
    SELECT v.id, a.url, c.record_id, v.fetched_at, v.content_hash, v.id
    FROM article_versions v JOIN articles a ON a.id = v.article_id LEFT JOIN captures c ON c.id = v.capture_id;
"""


@MIGRATIONS(name="0012_version_permalinks")
def _issue19_version_permalinks(db: sqlite_utils.Database) -> None:
    """Issue 19, 1: every version id ever issued, with the capture it stands for (literal SQL)."""
    db.executescript(_VERSION_PERMALINKS_SQL_0012)


@MIGRATIONS(name="0013_capture_sha256")
def _issue19_capture_sha256(db: sqlite_utils.Database) -> None:
    """Issue 19, 6: SHA-256 of each captured payload, as received (still content-encoded) and decoded.

    Filled by the crawl for new captures and by the next reparse for older rows (NULL until then).
    """
    db.executescript(
        """
        ALTER TABLE captures ADD COLUMN payload_sha256 TEXT;  -- hex SHA-256 of the HTTP body as received
        ALTER TABLE captures ADD COLUMN decoded_sha256 TEXT;  -- hex SHA-256 of the body content-decoded
        """
    )


_ALERTS_SQL_0005 = """
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
CREATE INDEX idx_alerts_open ON alerts(cleared_at, condition);
"""


@MIGRATIONS(name="0014_alerts")
def _issue18_alerts(db: sqlite_utils.Database) -> None:
    """Issue 18: alerts that stay on until cleared or acknowledged (store/alerts.py)."""
    db.executescript(_ALERTS_SQL_0005)


@MIGRATIONS(name="0015_removed_schedule")
def _issue18_removed_schedule(db: sqlite_utils.Database) -> None:
    """Issue 18: a removed article is no open error retried every night: its open 404/410 errors are
    resolved (at its removal) and its next re-check follows the removed schedule."""
    removed = db.execute("SELECT id, url, fetched_url, removed_at FROM articles WHERE removed_at IS NOT NULL")
    for article_id, url, fetched_url, removed_at in removed.fetchall():
        db.execute(
            """UPDATE crawl_errors SET resolved_at = ? WHERE resolved_at IS NULL AND status IN (404, 410)
            AND url IN (?, ?)""",
            [removed_at, url, fetched_url or url],
        )
        db.execute(
            "UPDATE articles SET recheck_due_at = ? WHERE id = ?",
            [next_removed_recheck(removed_at, removed_at), article_id],
        )


# Issue 16 (100,000 articles): the changes page lists versions after the first, newest capture first.
# Without an index it read every row of article_versions (whole pages: ~70 ms at 100,000 versions,
# even with no change at all); this one holds only the changes, in the page's order.
@MIGRATIONS(name="0016_changes_index")
def _issue16_changes_index(db: sqlite_utils.Database) -> None:
    """Issue 16: the changes page's index (every version after the first, by capture time; literal SQL)."""
    db.execute("CREATE INDEX idx_article_versions_changes ON article_versions(fetched_at, id) WHERE version > 1")


# Issue 16 (100,000 articles): the credits page counted every image of the archive per request
# (~150 ms for 66,000 images). `credit_counts` holds its answer, one row per photographer and agency
# (NULL for either as in images), kept equal to images by triggers (any writer: crawl, reparse,
# backfill): images and distinct articles counted up and down, the date range widened on insert and
# recounted from that credit's images when an image at its edge goes or an article's date changes.
# `credit_key` is the pair as JSON, so that NULLs are one key (a UNIQUE of two columns is not).
_CREDIT_COUNTS_SQL_0017 = """
CREATE TABLE credit_counts (
    credit_key TEXT PRIMARY KEY,  -- json_array(credit_by, credit_agency)
    credit_by TEXT,
    credit_agency TEXT,
    images INTEGER NOT NULL,
    articles INTEGER NOT NULL,  -- distinct articles with at least one image of this credit
    first_date TEXT,  -- min(articles.published_date) of those articles
    last_date TEXT  -- max(articles.published_date)
);
CREATE INDEX idx_credit_counts_order ON credit_counts(images DESC, credit_by);
CREATE INDEX idx_images_credit_article ON images(credit_by, credit_agency, article_id);
INSERT INTO credit_counts (credit_key, credit_by, credit_agency, images, articles, first_date, last_date)
    SELECT json_array(i.credit_by, i.credit_agency), i.credit_by, i.credit_agency, count(*),
        count(DISTINCT i.article_id), min(a.published_date), max(a.published_date)
    FROM images i JOIN articles a ON a.id = i.article_id
    GROUP BY i.credit_by, i.credit_agency;
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
CREATE TRIGGER credit_counts_article_au AFTER UPDATE OF published_date ON articles
WHEN old.published_date IS NOT new.published_date BEGIN
    UPDATE credit_counts SET
        first_date = (SELECT min(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS credit_counts.credit_by AND i.credit_agency IS credit_counts.credit_agency),
        last_date = (SELECT max(a.published_date) FROM images i JOIN articles a ON a.id = i.article_id
            WHERE i.credit_by IS credit_counts.credit_by AND i.credit_agency IS credit_counts.credit_agency)
    WHERE credit_key IN (SELECT json_array(credit_by, credit_agency) FROM images WHERE article_id = new.id);
END;
"""


@MIGRATIONS(name="0017_credit_counts")
def _issue16_credit_counts(db: sqlite_utils.Database) -> None:
    """Issue 16: ``credit_counts``, the credits page's answer kept by triggers (literal SQL)."""
    db.executescript(_CREDIT_COUNTS_SQL_0017)


# Issue 16 (100,000 articles): first mentions turn each word-index hit (a version's rowid) into its
# article and version number. Looked up in article_versions, each hit read a row of a whole page
# (a word in 44,625 versions: ~90 ms); this index holds the three numbers alone.
@MIGRATIONS(name="0018_version_lookup_index")
def _issue16_version_lookup_index(db: sqlite_utils.Database) -> None:
    """Issue 16: version id → article and version number, without reading the version's row (literal SQL)."""
    db.execute("CREATE INDEX idx_article_versions_lookup ON article_versions(id, article_id, version)")


# Issue 16 (100,000 articles): the articles table is shown and exported newest first (metadata.yml:
# sort_desc published_at), and Datasette pages through it, `_stream=on` exports included, with
# `order by published_at desc, id` after a keyset `published_at < ? or published_at is null or …`.
# With only idx_articles_published_at SQLite answered each page by sorting every earlier article's row
# (~5 s a page at 100,000: the full CSV export stopped after its first page, "interrupted"); in this
# index's order each page is read in place.
@MIGRATIONS(name="0019_articles_newest_first_index")
def _issue16_articles_newest_first_index(db: sqlite_utils.Database) -> None:
    """Issue 16: the articles table's order, newest first then id (literal SQL)."""
    db.execute("CREATE INDEX idx_articles_newest_first ON articles(published_at DESC, id)")


@MIGRATIONS(name="0020_capture_content_encoding")
def _issue19_capture_content_encoding(db: sqlite_utils.Database) -> None:
    """Issue 19, 6: the payload's content-coding, so that the cite block names the command that decodes
    it (warcio's CLI cannot decode br, nor zstd). Filled as the SHA-256 columns are (NULL until then)."""
    db.executescript(
        """
        ALTER TABLE captures ADD COLUMN content_encoding TEXT;  -- Content-Encoding of the payload as stored
        """
    )


# Issue 16 (first mentions at 100,000 articles): both search indexes as one segment each. A page
# of first mentions for a word in many articles asks each index about one article at a time
# (``rowid =``, search/sql.py's FIRST_MENTIONS_WALK_SQL), and such a probe seeks in every segment:
# an archive saved article by article holds dozens ("Dortmund": 71 ms for its first 50 before,
# 4 ms after; optimizing 100,000 articles took 4 s). Every finished run then merges what it added
# (``merge_search_indexes``).
def optimize_search_indexes(db: sqlite_utils.Database) -> None:
    """Merge each FTS5 index (the word index and the trigram index) into one segment."""
    for index in ("version_words", "articles_fts"):
        db.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")


# A run's end merges what the run added (its small segments) and never rewrites the whole index:
# 'optimize' every night rewrote both indexes (3.3 s and the trigram index's pages at 100,000
# articles, for any run that saved one article); FTS5's bounded 'merge' with 'usermerge' 2 merges
# any two segments of a level, at most MERGE_PAGES pages of work a run (the rest the next run):
# 40 saves left 5 + 11 segments, merged to 3 + 2 in under 10 ms; first mentions of "Stadt Dortmund"
# 43 ms unmerged, 24 ms so, 19 ms optimized (bench figures: docs/storage.md).
MERGE_PAGES = 500


def merge_search_indexes(db: sqlite_utils.Database) -> None:
    """Merge the small segments of each FTS5 search index, with a bounded amount of work."""
    for index in ("version_words", "articles_fts"):
        db.execute(f"INSERT INTO {index}({index}, rank) VALUES ('usermerge', 2)")
        db.execute(f"INSERT INTO {index}({index}, rank) VALUES ('merge', ?)", [MERGE_PAGES])


@MIGRATIONS(name="0021_optimize_search_indexes")
def _issue16_optimize_search_indexes(db: sqlite_utils.Database) -> None:
    """Issue 16: the search indexes merged once (then what each run adds, at its end)."""
    optimize_search_indexes(db)
