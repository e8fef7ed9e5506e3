"""Citing a version (issue 16, 8; issue 19, 1 and 6): the "Zitieren" block of the article and version
pages (templates/_cite.html), its CSL-JSON and BibTeX downloads, and the addresses of merged versions.

- ``cite``, a template variable: the citation as text (absolute permalink, the title quoted once),
  the version's permalink, and each capture's WARC file, record id, payload SHA-256 and the command
  that recomputes it with standard tools (warcio's CLI and sha256sum).
- ``/newsroom/article_versions/<id>.csl.json`` and ``.bib``: the same data for reference managers.
- A version id never changes (store/history.py); one whose version a parser fix merged into an
  earlier one redirects there (``version_permalinks.version_id``).

The permalink is absolute: the public address from ``serve --base-url`` (metadata's
``plugins: newsroom-citation: public_url``), else the scheme and host the request came to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sqlite3
from typing import Any

from datasette.utils.asgi import NotFound, Response

from newsroom_scraper.parser.text.dates import BERLIN
from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl

PLUGIN = "newsroom-citation"  # its configuration's key in metadata.yml's ``plugins``
PUBLISHER = "Stadt Dortmund"
CONTAINER = "Newsroom der Stadt Dortmund"
ARCHIVE = "Newsroom-Archiv"
CSL_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"
BIBTEX_TYPE = "application/x-bibtex; charset=utf-8"
_VERSION_PATH = re.compile(rf"^/{DATABASE_NAME}/article_versions/(\d+)((?:\.[a-z]+)*)$")
# Characters BibTeX gives a meaning: written as LaTeX escapes, so a title is taken as it is.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def inner_quotes(title: str | None) -> str:
    """A title to set inside „…“: its own quotation marks become the German inner ones (‚…‘)."""
    return (title or "").replace("„", "‚").replace("“", "‘")


def quoted_title(title: str | None) -> str:
    """„Title“, quoted once."""
    return f"„{inner_quotes(title)}“"


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["inner_quotes"] = inner_quotes


def public_origin(datasette: Any, request: Any) -> str:
    """Where readers reach the archive: ``serve --base-url``, else the request's scheme and host."""
    configured = (datasette.plugin_config(PLUGIN) or {}).get("public_url")
    if configured:
        return str(configured).rstrip("/")
    return f"{request.scheme}://{request.host}"


async def citation(datasette: Any, request: Any, version_id: int) -> dict[str, Any] | None:
    """Everything a citation of the version says (None: no such version)."""
    db = datasette.get_database(DATABASE_NAME)
    rows = (
        await db.execute(
            """select v.id, v.article_id, v.version, v.title, v.published_at, v.fetched_at, v.content_hash,
            a.url, a.version_count from article_versions v join articles a on a.id = v.article_id where v.id = ?""",
            [version_id],
        )
    ).rows
    if not rows:
        return None
    version = dict(rows[0])
    path = datasette.urls.row(DATABASE_NAME, "article_versions", version["id"])
    permalink = public_origin(datasette, request) + path
    cite = {
        **version,
        "title_quoted": quoted_title(version["title"]),
        "permalink": permalink,
        "csl_url": f"{path}.csl.json",
        "bib_url": f"{path}.bib",
        "issued_hash": await _issued_hash(db, version["id"]),
        "captures": await _captures(db, version),
    }
    cite["text"] = citation_text(cite)
    return cite


def citation_text(cite: dict[str, Any]) -> str:
    """The citation as one line of German text (what the copy button copies)."""
    published = _german_date(cite["published_at"])
    return (
        f"{PUBLISHER}: {cite['title_quoted']}. {CONTAINER}"
        + (f", veröffentlicht {published}" if published else "")
        + f". Archivierte Fassung {cite['version']}, erfasst {cite['fetched_at']} (UTC). {cite['permalink']}"
        + f" (Original: {cite['url']})"
    )


async def _issued_hash(db: Any, version_id: int) -> str | None:
    """The content hash the version had when its id was issued (a parser fix may have changed it since)."""
    if not await db.table_exists("version_permalinks"):
        return None
    row = (await db.execute("select content_hash from version_permalinks where id = ?", [version_id])).first()
    return str(row[0]) if row is not None else None


async def _captures(db: Any, version: dict[str, Any]) -> list[dict[str, Any]]:
    """The version's captures (WARC records) with the commands that check their payloads; none in an
    archive from before the captures table, no SHA-256 in one from before those columns."""
    if not await db.table_exists("captures"):
        return []
    columns = set(await db.table_columns("captures"))
    digests = ", payload_sha256, decoded_sha256" if "payload_sha256" in columns else ""
    digests += ", content_encoding" if "content_encoding" in columns else ""
    sql = (
        "select captured_at, status, warc_file, warc_offset, record_id, payload_digest, source, source_uri"
        f"{digests} from captures where article_id = ? and version = ? order by captured_at, id"
    )
    captured = [dict(row) for row in (await db.execute(sql, [version["article_id"], version["version"]])).rows]
    for capture in captured:
        capture["checks"] = check_commands(capture)
    return captured


def check_commands(capture: dict[str, Any]) -> list[dict[str, str]]:
    """The shell commands that recompute a capture's payload SHA-256 from its WARC file with warcio's CLI
    and coreutils, run in the archive's WARC folder: [{"what", "command", "expect"}].

    ``warcio extract --payload`` writes the body decoded (de-chunked, content-decoded), so it checks
    ``decoded_sha256``; the payload as received is the record's output after its headers (what
    ``warcio extract --headers`` writes), so ``tail`` skips that many bytes. warcio's CLI decodes
    gzip and deflate but not br (it stops: warcio issue #73) nor zstd (it writes the bytes as they
    are), so a body in those is decoded from the bytes as received by the coding's own command.
    """
    received, decoded = capture.get("payload_sha256"), capture.get("decoded_sha256")
    if not capture.get("warc_file") or capture.get("warc_offset") is None or not (received or decoded):
        return []
    name, _, member = str(capture["warc_file"]).partition("#")
    offset = str(capture["warc_offset"])
    prefix = ""
    warc = shlex.quote(name)
    if member:  # a WARC inside a WACZ (a zip): the offset is within that member
        prefix = f"unzip -p {shlex.quote(name)} {shlex.quote(member)} > record.warc.gz && "
        warc = "record.warc.gz"
    skip = f"$(( $(warcio extract --headers {warc} {offset} | wc -c) + 1 ))"
    as_received = f"{prefix}warcio extract {warc} {offset} | tail -c +{skip}"
    checks = []
    if decoded:
        decoder = DECODERS.get(str(capture.get("content_encoding") or ""))
        if decoded != received and decoder:
            command = f"{as_received} | {decoder} | sha256sum"
        else:
            command = f"{prefix}warcio extract --payload {warc} {offset} | sha256sum"
        what = "Inhalt (wie empfangen und dekodiert)" if decoded == received else "Inhalt dekodiert"
        checks.append({"what": what, "command": command, "expect": decoded})
    if received and received != decoded:
        checks.append({"what": "Inhalt wie empfangen", "command": f"{as_received} | sha256sum", "expect": received})
    return checks


# Content-codings warcio's CLI does not decode, and the command that does (Debian: brotli, zstd)
DECODERS = {"br": "brotli -d", "zstd": "zstd -d"}


def csl_json(cite: dict[str, Any]) -> list[dict[str, Any]]:
    """The citation as CSL-JSON (the citation-style language's data: Zotero, Citavi, pandoc read it)."""
    item: dict[str, Any] = {
        "id": f"newsroom-archive-{cite['id']}",
        "type": "webpage",
        "title": cite["title"],
        "container-title": CONTAINER,
        "publisher": PUBLISHER,
        "author": [{"literal": PUBLISHER}],
        "URL": cite["permalink"],
        "accessed": _date_parts(cite["fetched_at"]),
        "archive": ARCHIVE,
        "archive_location": f"Fassung {cite['version']}, erfasst {cite['fetched_at']} (UTC)",
        "version": str(cite["version"]),
        "note": f"Original: {cite['url']}",
        "language": "de",
    }
    issued = _date_parts(cite["published_at"])
    item["issued"] = issued if issued else {"literal": "o. J."}
    return [item]


def bibtex(cite: dict[str, Any]) -> str:
    """The citation as a biblatex ``@online`` entry (url and urldate; a UTF-8 file, as biber reads it)."""
    fields = {
        "author": "{" + _bib(PUBLISHER) + "}",
        "title": _bib(cite["title"] or ""),
        "organization": _bib(CONTAINER),
        "date": (cite["published_at"] or "")[:10],
        "url": cite["permalink"],
        "urldate": cite["fetched_at"][:10],
        "version": str(cite["version"]),
        "note": _bib(f"Archivierte Fassung {cite['version']}, erfasst {cite['fetched_at']} (UTC). ")
        + "Original: \\url{"
        + cite["url"]
        + "}",
        "langid": "german",
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@online{{newsroom-archive-{cite['id']},\n{body}\n}}\n"


def _bib(text: str) -> str:
    return "".join(_BIBTEX_ESCAPES.get(character, character) for character in text)


def _date_parts(value: str | None) -> dict[str, Any] | None:
    """CSL's date: {"date-parts": [[year, month, day]]} (the day in Berlin for a time), or None."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
        else:
            moment = dt.datetime.fromisoformat(value)
            day = (moment.astimezone(BERLIN) if moment.tzinfo else moment).date()
    except ValueError:
        return None
    return {"date-parts": [[day.year, day.month, day.day]]}


def _german_date(value: str | None) -> str | None:
    parts = _date_parts(value)
    if parts is None:
        return None
    year, month, day = parts["date-parts"][0]
    return f"{day:02d}.{month:02d}.{year}"


@hookimpl
def extra_template_vars(template: str, request: Any, datasette: Any) -> Any:
    if template not in (f"row-{DATABASE_NAME}-article_versions.html", f"row-{DATABASE_NAME}-articles.html"):
        return {}

    async def inner() -> dict[str, Any]:
        if DATABASE_NAME not in datasette.databases:
            return {"cite": None}
        db = datasette.get_database(DATABASE_NAME)
        key = request.url_vars.get("pks", "")
        if not key.isdigit():
            return {"cite": None}
        if template.endswith("-articles.html"):  # the article page cites its current version
            row = (
                await db.execute(
                    """select v.id from article_versions v join articles a on a.id = v.article_id
                    where a.id = ? and v.version = a.version_count""",
                    [int(key)],
                )
            ).first()
            if row is None:
                return {"cite": None}
            key = str(row[0])
        return {"cite": await citation(datasette, request, int(key))}

    return inner


async def _download(datasette: Any, request: Any, render: str) -> Response:
    version_id = int(request.url_vars["id"])  # a merged version's id was redirected before (asgi_wrapper)
    cite = await citation(datasette, request, version_id)
    if cite is None:
        raise NotFound("Keine solche Fassung")
    name = f"newsroom-archive-{version_id}"
    if render == "csl":
        body, content_type, name = json.dumps(csl_json(cite), ensure_ascii=False, indent=2), CSL_TYPE, f"{name}.json"
    else:
        body, content_type, name = bibtex(cite), BIBTEX_TYPE, f"{name}.bib"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, content_type=content_type, headers=headers)


async def _csl(datasette: Any, request: Any) -> Response:
    return await _download(datasette, request, "csl")


async def _bibtex(datasette: Any, request: Any) -> Response:
    return await _download(datasette, request, "bib")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/{DATABASE_NAME}/article_versions/(?P<id>\d+)\.csl\.json$", _csl),
        (rf"^/{DATABASE_NAME}/article_versions/(?P<id>\d+)\.bib$", _bibtex),
    ]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """A version id that a parser fix merged into another version answers with a redirect to it.

    Checked before Datasette routes the request (its 404 page cannot be replaced by a plugin's answer):
    one primary-key lookup, for version pages only.
    """

    def wrap(app: Any) -> Any:
        async def redirecting(scope: dict[str, Any], receive: Any, send: Any) -> None:
            match = _VERSION_PATH.match(scope.get("path", "")) if scope.get("type") == "http" else None
            target = await _merged_into(datasette, int(match.group(1))) if match else None
            if match is None or target is None:
                await app(scope, receive, send)
                return
            location = datasette.urls.row(DATABASE_NAME, "article_versions", target) + match.group(2)
            query = scope.get("query_string", b"").decode("latin-1")
            response = Response.redirect(location + (f"?{query}" if query else ""), status=301)
            await response.asgi_send(send)

        return redirecting

    return wrap


async def _merged_into(datasette: Any, version_id: int) -> int | None:
    """The version an id was merged into, when it no longer names a version of its own."""
    if DATABASE_NAME not in datasette.databases:
        return None
    db = datasette.get_database(DATABASE_NAME)
    try:
        row = (
            await db.execute(
                """select version_id from version_permalinks where id = :id and version_id != :id
                and not exists (select 1 from article_versions where id = :id)""",
                {"id": version_id},
            )
        ).first()
    except sqlite3.OperationalError:  # an archive from before version_permalinks: nothing was merged
        return None
    return int(row[0]) if row is not None and row[0] is not None else None
