"""The reader's pages: what the templates of reader/templates/ show beyond one row.

- Jinja filters: ``german_datetime`` ("Mo 7. Juli 2025, 12:52 Uhr"), ``marked`` (an excerpt with
  «hits» as escaped text with <mark>), ``safe_body`` (the stored, already sanitised body HTML
  cleaned once more with an allow-list before it is shown).
- Template variables: the home page's summary; the article page's images, tags, links, videos,
  distinct related teasers (linked to their archived copy), versions with their changed fields; a
  version's siblings, word diff and the "cite this" block (with the capture's WARC record when the archive has a ``captures`` table).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

from newsroom_scraper.items import memento_timestamp
from newsroom_scraper.parser.text.dates import BERLIN
from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.diffs import changes
from newsroom_scraper.reader.hooks import hookimpl

# The home page's example searches, each with what it shows. Words of the replica's fixed vocabulary
# (newsroom_replica/content.py) that the city's news uses as well: each finds something in the
# demo's archive (tests/test_demo.py).
EXAMPLE_SEARCHES = [
    ("Kinder", "ganze Wörter in jeder Form"),
    ("bibliothek", "Wortteile: findet „Stadtbibliothek“"),
    ("Buergertelefon", "ae/ä, oe/ö, ue/ü, ss/ß gleich"),
    ('"Anmeldung ist nicht erforderlich"', "eine Wortfolge in Anführungszeichen"),
    ("Westfalenpark -Spielplatz", "-wort schließt aus"),
]
WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November"]
MONTHS += ["Dezember"]
BODY_TAGS = ["p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "sub", "sup", "a", "br", "blockquote"]
BODY_TAGS += ["table", "thead", "tbody", "tr", "th", "td"]
# ammonia's allow-list cleaner (Rust, through nh3; bleach is deprecated upstream): on the real page's
# body it takes 14 µs a call where bleach took 510 µs. No attribute but a link's href, no generic
# ones ("*": ammonia would keep title and lang), no rel added; <script> and <style> go with their text.
_BODY_CLEANER = nh3.Cleaner(
    tags=set(BODY_TAGS),
    attributes={"a": {"href"}, "*": set()},
    url_schemes={"http", "https", "mailto"},
    link_rel=None,
)


def german_datetime(value: str | None) -> str:
    """ "Mo 7. Juli 2025, 12:52 Uhr" (Berlin time) for an ISO 8601 time, "Mo 7. Juli 2025" for a date."""
    if not value:
        return ""
    try:
        if len(value) == 10:
            day, at = dt.date.fromisoformat(value), None
        else:
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(BERLIN)
            day, at = moment.date(), moment.time()
    except ValueError:
        return value
    text = f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"
    return text + (f", {at:%H:%M} Uhr" if at is not None else "")


def marked(value: str | None) -> Markup:
    """An excerpt with «hits»: escaped, the hits wrapped in <mark>."""
    text = str(escape(value or ""))
    return Markup(text.replace("«", "<mark>").replace("»", "</mark>"))


def safe_body(value: str | None) -> Markup:
    """The body HTML, cleaned with an allow-list (it was sanitised when stored; this is a second guard)."""
    return Markup(_BODY_CLEANER.clean(value or ""))


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["german_datetime"] = german_datetime
    env.filters["marked"] = marked
    env.filters["safe_body"] = safe_body
    # Also for the pages Datasette renders without the plugins' variables (its 404 and error pages,
    # whose base.html links the search: a missing version id answered 500 without it).
    env.globals["archive_db"] = DATABASE_NAME


@hookimpl
def extra_template_vars(template: str, request: Any, datasette: Any) -> Any:
    makers = {
        "index.html": _home,
        f"row-{DATABASE_NAME}-articles.html": _article,
        f"row-{DATABASE_NAME}-article_versions.html": _version,
    }
    maker = makers.get(template)
    if maker is None or DATABASE_NAME not in datasette.databases:
        return {"archive_db": DATABASE_NAME}  # every template's links name the database by it

    async def inner() -> dict[str, Any]:
        return {"archive_db": DATABASE_NAME, **await maker(datasette.get_database(DATABASE_NAME), request)}

    return inner


async def _rows(db: Any, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or {})
    return [dict(row) for row in result.rows]


async def _home(db: Any, request: Any) -> dict[str, Any]:
    (summary,) = await _rows(
        db,
        """select count(*) as articles, min(published_date) as oldest, max(published_date) as newest,
        (select count(*) from article_versions) as versions from articles""",
    )
    last_runs = await _rows(
        db,
        """select id, started_at, finished_at, new_count, changed_count, error_count from crawl_runs
        where finish_reason = 'finished' order by id desc limit 1""",
    )
    sections = await _rows(db, "select section, count(*) as n from articles group by section order by n desc")
    tags = await _rows(db, "select tag, count(*) as n from tags group by tag order by n desc, tag limit 12")
    districts = await _rows(
        db,
        """select district, count(*) as n from articles where district is not null
        group by district order by n desc, district limit 12""",
    )
    return {
        "summary": summary,
        "last_run": last_runs[0] if last_runs else None,
        "sections": sections,
        "top_tags": tags,
        "districts": districts,
        "examples": EXAMPLE_SEARCHES,
        "file_mb": round(os.path.getsize(db.path) / 1e6, 1) if db.path and os.path.exists(db.path) else None,
    }


async def _article(db: Any, request: Any) -> dict[str, Any]:
    article_id = request.url_vars["pks"]
    key = {"id": article_id}
    versions = await _rows(
        db,
        """select v.id, v.version, v.fetched_at, v.data, v.run_id from article_versions v
        where v.article_id = :id order by v.version""",
        key,
    )
    history: list[dict[str, Any]] = []
    previous = None
    for version in versions:
        data = json.loads(version.pop("data"))
        version["changes"] = changes(previous, data) if previous is not None else []
        version["previous_id"] = history[-1]["id"] if history else None
        previous = data
        history.append(version)
    # Each teaser once (the slider repeats the same news on every capture day), newest capture
    # first, with the archived copy's id when the archive holds the article it points to.
    related = await _rows(
        db,
        """select r.url, max(r.title) as title, max(r.date) as date, max(r.district) as district,
        min(substr(c.started_at, 1, 10)) as first_seen, max(substr(c.started_at, 1, 10)) as last_seen,
        (select a.id from articles a where a.url = r.url) as archived_id
        from related_links r join crawl_runs c on c.id = r.run_id where r.article_id = :id
        group by r.url order by max(r.run_id) desc, min(r.position)""",
        key,
    )
    return {
        "images": await _archived_images(db, key),
        "videos": await _rows(db, "select * from videos where article_id = :id order by position", key),
        "links": await _rows(db, "select * from links where article_id = :id order by position", key),
        "tags": [row["tag"] for row in await _rows(db, "select tag from tags where article_id = :id", key)],
        "history": list(reversed(history)),
        "related": related,
    }


async def _archived_images(db: Any, key: dict[str, Any]) -> list[dict[str, Any]]:
    """The article's images, each with ``archived``: where ``newsroom-archive serve`` replays its
    capture from the WARC (None when it was never fetched). A capture on the crawled host (a
    replica) counts for the same path on the site."""
    images = await _rows(db, "select * from images where article_id = :id order by position", key)
    captured: dict[str, dict[str, Any]] = {}
    if await db.table_exists("captures"):
        # its own captures, and any other of the same pictures: the crawl fetches a picture once,
        # as the first article's that shows it (on the site's host, or the crawled one)
        (fetched,) = await _rows(db, "select fetched_url from articles where id = :id", key) or [{}]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(fetched.get("fetched_url") or ""))
        urls = {image["src"] for image in images if image["src"]}
        urls |= {origin + urlsplit(url)._replace(scheme="", netloc="").geturl() for url in list(urls)}
        named = {f"u{n}": url for n, url in enumerate(sorted(urls))}
        marks = ", ".join(f":{name}" for name in named) or "null"
        sql = f"""select url, captured_at from captures where kind = 'image' and status = 200
            and (article_id = :id or url in ({marks})) order by captured_at"""
        for row in await _rows(db, sql, {**key, **named}):
            captured[urlsplit(row["url"]).path] = row  # the newest
    for image in images:
        capture = captured.get(urlsplit(image["src"] or "").path)
        image["archived"] = None
        if capture is not None:
            image["archived"] = f"/newsroom/-/memento/{memento_timestamp(capture['captured_at'])}id_/{capture['url']}"
    return images


async def _version(db: Any, request: Any) -> dict[str, Any]:
    version_id = request.url_vars["pks"]
    rows = await _rows(
        db,
        """select v.*, a.url, a.title as current_title, a.version_count from article_versions v
        join articles a on a.id = v.article_id where v.id = :id""",
        {"id": version_id},
    )
    if not rows:
        return {}
    version = rows[0]
    before = await _rows(
        db,
        "select id, data from article_versions where article_id = :a and version = :v - 1",
        {"a": version["article_id"], "v": version["version"]},
    )
    previous = json.loads(before[0]["data"]) if before else None
    siblings = await _rows(
        db,
        "select id, version from article_versions where article_id = :a order by version",
        {"a": version["article_id"]},
    )
    later = [s["id"] for s in siblings if s["version"] == version["version"] + 1]
    return {
        "version": version,
        "previous_id": before[0]["id"] if before else None,
        "next_id": later[0] if later else None,
        "siblings": siblings,
        "changes": changes(previous, json.loads(version["data"])) if previous is not None else [],
        "captures": await _captures(db, version),
        "replays": _replays(version["url"], await _captures(db, version)),
    }


def _replays(url: str, captures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where each capture of a version is replayed as received (``newsroom-archive serve``'s Memento
    routes, evidence/replay.py), with the time it names."""
    return [
        {
            "captured_at": c["captured_at"],
            "status": c["status"],
            "path": f"/newsroom/-/memento/{memento_timestamp(c['captured_at'])}/{url}",
        }
        for c in captures
        if c["status"] in (200, 304) and c["warc_file"]
    ]


async def _captures(db: Any, version: dict[str, Any]) -> list[dict[str, Any]]:
    """The WARC records of a version's capture, once the archive records them (a ``captures`` table).

    Without that table (archives from before the WARC work) the cite block shows no record.
    """
    if not await db.table_exists("captures"):
        return []
    sql = (
        "select captured_at, status, warc_file, record_id, payload_digest, source, source_uri from captures"
        " where article_id = :article and version = :version order by captured_at"
    )
    return await _rows(db, sql, {"article": version["article_id"], "version": version["version"]})
