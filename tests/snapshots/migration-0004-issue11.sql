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

