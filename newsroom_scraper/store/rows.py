"""What the store writes of an Article, derived without the database: its content hash, its
articles-table columns, its version's JSON and word-index row (``derive``), and the JSON of stats.

Pure: reparse's worker processes call ``derive`` ahead of the writing process (``Derived``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from newsroom_scraper.items import Article, content_fields, list_fields, one_value_fields
from newsroom_scraper.ops.schedule import next_recheck, schedule_start
from newsroom_scraper.search.variants import spelling_variants
from newsroom_scraper.search.words import stems

# The columns of articles_fts as the migrations built them, in order: snippet() and bm25()
# address them by index (a test compares this with the file).
FTS_COLUMNS = ("title", "topline", "lead", "body_text", "tags_text", "credits_text", "search_variants")
# The list fields of Article with a table of their own; any other list field is a JSON column.
PART_TABLES = {"images": "images", "videos": "videos", "links": "links", "tags": "tags", "related": "related_links"}
# The column of a table whose items are plain values (the others have one column per field).
PART_COLUMN = {"tags": "tag"}
# The columns of the word index (version_words, migration 0006), and the Article data each holds.
WORD_COLUMNS = ("title", "topline", "lead", "body", "tags", "credits")
# What the next re-check of an article is computed from (ops/schedule.py, ``next_recheck_of``).
SCHEDULE_COLUMNS = "id, url, fetched_url, published_at, first_seen_at, last_checked_at, last_changed_at, version_count"


def content_hash(article: Article, values: dict[str, Any] | None = None) -> str:
    """SHA-256 of the article's content as canonical JSON (``values``: its ``to_dict()``, if at hand).

    Only ``content_fields()`` count (not the URL, the layout or the slider), so that only a
    change of what the article says makes a new version.
    """
    values = values if values is not None else article.to_dict()
    data = {name: values[name] for name in content_fields()}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Derived:
    """What the store derives from an Article without the database, to write it: ``derive()``.

    Computed ahead (reparse's worker processes do) and handed to ``replace_history`` with the
    article, it spares the writing process the hashing, stemming and spelling variants.
    """

    digest: str  # content_hash()
    columns: dict[str, Any]  # the content's columns of its articles row (content_columns)
    data: str  # its version's JSON (the data column): to_dict() without the slider
    words: list[str]  # its version's row of the word index, one text of stems per WORD_COLUMNS


def derive(article: Article, data: dict[str, Any] | None = None, digest: str | None = None) -> Derived:
    """What the store writes of ``article`` (``data``: its ``to_dict()``, ``digest``: its hash, if at hand)."""
    data = data if data is not None else article.to_dict()
    digest = digest if digest is not None else content_hash(article, data)
    version = {name: value for name, value in data.items() if name != "related"}
    return Derived(digest, content_columns(article, digest), json_text(version), word_stems(version))


def word_stems(data: dict[str, Any]) -> list[str]:
    """A version's stems for the word index, one text per WORD_COLUMNS (``data``: its to_dict())."""
    images = data.get("images") or []
    values = {
        "title": data.get("title"),
        "topline": data.get("topline"),
        "lead": data.get("lead"),
        "body": data.get("body_text"),
        "tags": "\n".join(data.get("tags") or []),
        "credits": "\n".join(image["credit"] for image in images if image.get("credit")),
    }
    return [stems(values[column]) for column in WORD_COLUMNS]


def next_recheck_of(row: dict[str, Any], checked_at: str) -> str:
    """The next re-check of an article row (``SCHEDULE_COLUMNS``) last checked at ``checked_at``."""
    start = schedule_start(row["published_at"], row["first_seen_at"], row["last_changed_at"], row["version_count"])
    return next_recheck(start, checked_at)


def content_columns(article: Article, digest: str) -> dict[str, Any]:
    """The articles-table columns that come from the article's content.

    Every one-value field of Article is a column of the same name (a new field is stored
    without touching this function); a list field without a table of its own is a JSON
    column. Then the derived columns: the date, tags and credits as text, spelling variants.
    """
    values: dict[str, Any] = {name: getattr(article, name) for name in one_value_fields()}
    extra = [name for name in list_fields() if name not in PART_TABLES]
    if extra:
        data = article.to_dict()
        values.update({name: json_text(data[name]) if data[name] else None for name in extra})
    tags_text = ", ".join(article.tags)
    credits = dict.fromkeys(image.credit for image in article.images if image.credit)
    credits_text = "; ".join(credits)
    indexed = [article.title, article.topline, article.lead, article.body_text, tags_text, credits_text]
    return {
        **values,
        "published_date": (article.published_at or "")[:10] or None,
        "published_month": (article.published_at or "")[:7] or None,
        "tags_text": tags_text or None,
        "credits_text": credits_text or None,
        "search_variants": spelling_variants("\n".join(t for t in indexed if t)) or None,
        "content_hash": digest,
    }


def json_text(value: Any) -> str:
    """JSON text for any stats-like value (datetimes as ISO 8601, others as str)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    """Make the values json.dumps cannot handle serialisable."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)
