"""The ``newsroom-archive`` command: a thin layer over the library.

Each command opens what it needs, calls one function, and turns the project's exceptions
into a one-line error and an exit code (2 for bad input). Other distributions add commands
through the entry-point group ``newsroom_archive.commands`` (the replica adds ``replica`` and
``demo``): they are loaded only when called, so the product never imports them by name.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click

from newsroom_scraper import __version__
from newsroom_scraper.errors import ArchiveBusy, ArchiveNeedsMigration, ArchiveUnusable, ParseError
from newsroom_scraper.ops.drift import EXIT_DRIFT
from newsroom_scraper.parser.parse import parse_article

PLUGIN_GROUP = "newsroom_archive.commands"


def plugin_commands() -> dict[str, EntryPoint]:
    """The commands installed distributions declare in ``newsroom_archive.commands``, by name (none imported)."""
    return {entry_point.name: entry_point for entry_point in entry_points(group=PLUGIN_GROUP)}


class CommandsWithPlugins(click.Group):
    """A click group that lists the plugins' commands beside its own and imports one only when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)  # the product's own commands win over a plugin's
        entry_point = plugin_commands().get(cmd_name)
        if command is not None or entry_point is None:
            return command
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not take the product's commands down with it
            click.echo(f"newsroom-archive: cannot load {cmd_name!r} ({entry_point.value}): {error}", err=True)
            return None
        if not isinstance(loaded, click.Command):
            click.echo(f"newsroom-archive: {entry_point.value} is not a click command", err=True)
            return None
        return loaded

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a failure none of them expected is one line on stderr and exit 1
        (issue 17, 8: a 31-line traceback), its traceback only with ``--debug``."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors (exit 2), --help, Ctrl-C
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            command = ctx.invoked_subcommand or "newsroom-archive"
            click.echo(f"{command}: failed: {one_line(error)} (--debug shows where)", err=True)
            sys.exit(1)


def one_line(error: BaseException) -> str:
    """``Type: message`` of an exception, its whitespace (line breaks too) collapsed, at most 500 characters."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= 500 else text[:499] + "…"


@click.group(cls=CommandsWithPlugins, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsroom-archive")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected failure (otherwise one line).")
def main(debug: bool) -> None:
    """Scrape, archive and serve the City of Dortmund's newsroom.

    Every failure is one line on stderr; exit 2 means the command could not start (bad input,
    an archive that is busy, read-only, damaged or cannot be created), 1 that it failed.
    """


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", default=None, help="The URL the page was fetched from (used when it names no canonical URL).")
@click.option(
    "--content-type",
    default=None,
    help='The HTTP Content-Type header the page was served with ("text/html; charset=windows-1252"): '
    "its charset wins over the page's own.",
)
def parse(file: str, url: str | None, content_type: str | None) -> None:
    """Parse one saved article page and print it as JSON.

    FILE is an HTML file, or - for standard input. Exits 2 with one line on stderr when
    the page is not a complete article page.
    """
    try:
        if file == "-":
            html = sys.stdin.buffer.read()
        else:
            with open(file, "rb") as handle:
                html = handle.read()
    except OSError as error:
        click.echo(f"{file}: cannot read: {error.strerror}", err=True)
        sys.exit(2)
    try:
        article = parse_article(html, url or "", content_type=content_type)
    except ParseError as error:
        click.echo(f"{file}: not an article page: {error}", err=True)
        sys.exit(2)
    sys.stdout.write(json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n")


@main.command()
@click.option(
    "--start-url",
    default=None,
    help="Where discovery starts (default: the live newsroom). Only its origin (scheme, host, port) is ever contacted.",
)
@click.option(
    "--db", "db_path", default=None, type=click.Path(dir_okay=False), help="The archive (default archive/newsroom.db)."
)
@click.option(
    "--delay",
    type=float,
    default=None,
    help="Seconds between requests to the host (default 1.0, AutoThrottle adapts it).",
)
@click.option("--concurrency", type=int, default=None, help="Parallel requests to the host (default 2).")
@click.option("--timeout", type=float, default=None, help="Seconds before a request is given up (default 30).")
@click.option(
    "--refresh-days",
    type=int,
    default=None,
    help="Re-check archived articles published within N days, instead of those due by age (the default).",
)
@click.option("--recheck-all", is_flag=True, help="Re-check every archived article, conditionally (for a weekly run).")
@click.option(
    "--full-discovery",
    is_flag=True,
    help="Walk every listing and search page (implied by --recheck-all and an empty archive); "
    "otherwise paging stops at a page that brings nothing new.",
)
@click.option("--max-articles", type=int, default=None, help="Fetch at most N new articles.")
@click.option("--since", default=None, help="Skip new articles published before this date (YYYY-MM-DD).")
@click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Write WARC files here (default: warc/ beside the database).",
)
@click.option("--no-warc", is_flag=True, help="Write no WARC files (the archive then cannot be re-parsed).")
@click.option("--no-images", is_flag=True, help="Do not fetch the articles' images into the WARC.")
@click.option(
    "--jobdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Scrapy JOBDIR: pause with Ctrl-C and resume a long crawl.",
)
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"])
)
@click.option(
    "-s", "--set", "extra", multiple=True, metavar="NAME=VALUE", help="Any Scrapy setting, as with scrapy crawl -s."
)
def crawl(
    start_url: str | None,
    db_path: str | None,
    delay: float | None,
    concurrency: int | None,
    timeout: float | None,
    refresh_days: int | None,
    recheck_all: bool,
    full_discovery: bool,
    max_articles: int | None,
    since: str | None,
    warc_dir: str | None,
    no_warc: bool,
    no_images: bool,
    jobdir: str | None,
    log_level: str,
    extra: tuple[str, ...],
) -> None:
    """Crawl the newsroom into the archive and print the run report.

    New articles are fetched (paging stops at a page with nothing new, unless --full-discovery);
    archived ones are re-checked conditionally when due by their age (or, instead, when published
    within --refresh-days); a page that does not parse is recorded in crawl_errors and tried again
    next run. Exits 1 when the run failed or pages could not be stored, 3 when it finished with
    drift alerts (the site changed under the crawl: see `status`), 2 when it could not start (a bad
    option, another crawl running, a damaged or read-only archive).
    """
    from newsroom_scraper.crawl.run import run_crawl

    overrides: dict[str, object] = {"LOG_LEVEL": log_level}
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    try:
        report, failed, drifted = run_crawl(
            start_url=start_url,
            db_path=db_path,
            delay=delay,
            concurrency=concurrency,
            timeout=timeout,
            refresh_days=refresh_days,
            recheck_all=recheck_all,
            full_discovery=full_discovery,
            max_articles=max_articles,
            since=since,
            warc_dir=warc_dir,
            warc=not no_warc,
            images=not no_images,
            jobdir=jobdir,
            settings=overrides,
        )
    except (ValueError, ArchiveBusy, ArchiveUnusable) as error:
        click.echo(f"crawl: {error}", err=True)
        sys.exit(2)
    click.echo(report)
    sys.exit(1 if failed else EXIT_DRIFT if drifted else 0)


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="The WARC folder captures are replayed from (default: warc/ beside the database).",
)
@click.option(
    "--base-url",
    "public_url",
    default=None,
    help="The archive's public address (https://archiv.example.org) for absolute citation links "
    "(default: the host each request names).",
)
def serve(db_path: str, host: str, port: int, warc_dir: str | None, public_url: str | None) -> None:
    """Serve the archive read-only with Datasette (database name: newsroom), each capture replayed
    from the WARC and a Memento TimeMap and TimeGate per article URL (/newsroom/-/timemap/link/URL)."""
    from newsroom_scraper.evidence.replay import with_replay
    from newsroom_scraper.reader.web import serve as serve_archive

    folder = Path(warc_dir) if warc_dir else Path(db_path).parent / "warc"
    try:
        serve_archive(
            db_path, host=host, port=port, public_url=public_url, wrap=lambda app: with_replay(app, db_path, folder)
        )
    except (FileNotFoundError, ValueError) as error:
        click.echo(f"serve: {error}", err=True)
        sys.exit(2)


@main.command()
@click.option("--start-url", default=None, help="The newsroom to probe (default: the live newsroom).")
@click.option("--delay", type=float, default=None, help="Seconds between requests (default 1.0, as the crawl).")
@click.option("--timeout", type=float, default=None, help="Seconds before a request is given up (default 30).")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
@click.option(
    "--db",
    "db_path",
    default="archive/newsroom.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The archive whose last runs say which channels used to yield articles (read only; skipped when missing).",
)
def doctor(start_url: str | None, delay: float | None, timeout: float | None, as_json: bool, db_path: str) -> None:
    """Probe the site politely: which discovery channels answer, cookies, does the parser work.

    A handful of requests with the crawl's own manners, nothing written. Exits 0 when every check
    passed, 1 when a discovery channel or the parser is broken, or when a channel the archive's last
    runs found articles through (a sitemap, say) names none now.
    """
    from newsroom_scraper.ops.doctor import diagnose, format_table

    diagnosis = diagnose(start_url, delay=delay, timeout=timeout, usual=_usual_channels(db_path, start_url))
    click.echo(json.dumps(diagnosis.to_dict(), ensure_ascii=False, indent=2) if as_json else format_table(diagnosis))
    sys.exit(diagnosis.exit_code)


def _usual_channels(db_path: str, start_url: str | None) -> dict[str, int]:
    """The channels the archive's last healthy runs of the same site found articles through; {}
    without a readable archive (doctor then judges the site alone)."""
    from pathlib import Path

    from newsroom_scraper import site
    from newsroom_scraper.ops.drift import PREVIOUS_RUNS, usual_channels
    from newsroom_scraper.parser.text.urls import origin_of
    from newsroom_scraper.store import Archive

    if not Path(db_path).exists():
        return {}
    origin = origin_of(start_url or site.DEFAULT_START_URL)
    try:
        with Archive(db_path, read_only=True) as archive:
            runs = archive.recent_runs(PREVIOUS_RUNS, healthy=True)
    except (sqlite3.DatabaseError, ArchiveNeedsMigration) as error:
        click.echo(f"doctor: {db_path} not read ({error}): judging the site alone", err=True)
        return {}
    return usual_channels([run for run in runs if origin_of(run.get("start_url") or "") == origin])


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--to", "to", required=True, type=click.Path(dir_okay=False), help="The backup file to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing backup file.")
def backup(db_path: str, to: str, overwrite: bool) -> None:
    """Copy the archive into a verified backup file, while crawls and readers go on.

    SQLite's backup API makes a consistent copy; integrity_check and the full-text index are
    checked before the file appears under its name. Exits 1 when the copy does not verify, 2 when
    the archive is missing or the target exists.
    """
    from newsroom_scraper.ops.backup import BackupError
    from newsroom_scraper.ops.backup import backup as make_backup

    try:
        click.echo(make_backup(db_path, to, overwrite=overwrite, say=lambda line: click.echo(line, err=True)))
    except (FileNotFoundError, FileExistsError) as error:
        click.echo(f"backup: {error}", err=True)
        sys.exit(2)
    except BackupError as error:
        click.echo(f"backup: failed, nothing written: {error}", err=True)
        sys.exit(1)


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (for scripts).")
@click.option(
    "--now",
    envvar="NEWSROOM_NOW",
    default=None,
    help="The moment re-checks are counted due at (ISO 8601; default: the NEWSROOM_NOW variable, else the clock).",
)
def status(db_path: str, as_json: bool, now: str | None) -> None:
    """Show what the archive holds and how its last crawl went.

    Exits 2 with one line when the archive is missing, damaged or needs a migration.
    """
    from pathlib import Path

    from newsroom_scraper.ops.report import format_summary, summary_data
    from newsroom_scraper.ops.schedule import moment
    from newsroom_scraper.settings import NEWSROOM_RECHECK_BUDGET
    from newsroom_scraper.store import Archive
    from newsroom_scraper.store.lock import is_write_locked

    if not Path(db_path).exists():
        click.echo(f"status: {db_path} does not exist: run `newsroom-archive crawl` first", err=True)
        sys.exit(2)
    try:
        at = moment(now) if now else None
    except ValueError:
        click.echo(f"status: --now {now!r} is no ISO 8601 date or time", err=True)
        sys.exit(2)
    try:
        archive = Archive(db_path, read_only=True)  # status never writes the archive
        with archive:
            summary = archive.summary(at, NEWSROOM_RECHECK_BUDGET)
    except ArchiveNeedsMigration as error:
        click.echo(f"status: {error}", err=True)
        sys.exit(2)
    except sqlite3.DatabaseError as error:  # not SQLite at all, or damaged: one line, no traceback
        click.echo(f"status: {db_path} is not a readable archive ({error}); restore it from a backup", err=True)
        sys.exit(2)
    writing = is_write_locked(db_path)
    if as_json:
        click.echo(json.dumps(summary_data(summary, writing), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(format_summary(summary, writing))


@main.command()
@click.argument("alert_id", type=int)
@click.option(
    "--why", required=True, help="Why the alert may rest (kept with it): what was done, or why nothing needs doing."
)
@click.option("--by", "by", default=None, help="Who acknowledges it (default: the user running the command).")
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
def ack(alert_id: int, why: str, by: str | None, db_path: str) -> None:
    """Acknowledge an open alert (its id is in the run report and `status`): later runs stop repeating
    it and exiting 3 for it. It closes by itself once a run sees its condition gone.

    Exits 2 with one line when there is no such open alert or no archive.
    """
    import getpass
    from pathlib import Path

    from newsroom_scraper.ops.schedule import clock_now
    from newsroom_scraper.settings import NEWSROOM_NOW
    from newsroom_scraper.store import Archive

    if not Path(db_path).exists():
        click.echo(f"ack: {db_path} does not exist", err=True)
        sys.exit(2)
    who = by or getpass.getuser()
    try:
        with Archive(db_path) as archive:
            alert = archive.acknowledge_alert(alert_id, by=who, why=why, at=clock_now(NEWSROOM_NOW))
    except (sqlite3.DatabaseError, ValueError) as error:
        click.echo(f"ack: {db_path} is not a writable archive ({error})", err=True)
        sys.exit(2)
    if alert is None:
        click.echo(f"ack: no open alert {alert_id} (see `newsroom-archive status`)", err=True)
        sys.exit(2)
    click.echo(
        f"Alert {alert_id} acknowledged by {alert['acknowledged_by']} at {alert['acknowledged_at']}: {alert['message']}"
    )


@main.command()
@click.option(
    "--warc-dir",
    "warc_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of .warc, .warc.gz and .wacz files (any tool's), read recursively.",
)
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def reparse(warc_dir: str, db_path: str, quiet: bool) -> None:
    """Rebuild the archive from WARC/WACZ captures, without the network.

    Each article capture is parsed with the layout of its capture date; each article's
    versions are recomputed from its captures in capture order. Into an existing archive this
    applies a parser fix to history and imports other tools' captures; running it twice adds nothing.
    """
    from newsroom_scraper.evidence.reparse import print_progress
    from newsroom_scraper.evidence.reparse import reparse as run_reparse
    from newsroom_scraper.evidence.warc import WarcError

    try:
        report = run_reparse(warc_dir, db_path, progress=None if quiet else print_progress)
    except (FileNotFoundError, WarcError, ArchiveBusy, ArchiveUnusable) as error:
        click.echo(f"reparse: {error}", err=True)
        sys.exit(2)
    click.echo("\n".join(report.lines()))
    damaged = sum(len(messages) for messages in report.damaged.values())
    if report.unreadable:  # the other files were read and stored: a partial success, exit 1
        click.echo(f"reparse: {len(report.unreadable)} files could not be read to their end (see the report)", err=True)
    if damaged:
        click.echo(f"reparse: {damaged} damaged records or spans of bytes were not taken (see the report)", err=True)
    if report.unreadable or damaged:
        sys.exit(1)


@main.command("export-wacz")
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="The archive's WARC folder (default: warc/ beside the database).",
)
@click.option("--month", default=None, help="Only this month (YYYY-MM); default every month, each when out of date.")
@click.option(
    "--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Default: wacz/ beside the database."
)
@click.option("--no-sign", is_flag=True, help="Leave datapackage-digest.json unsigned.")
@click.option("--force", is_flag=True, help="Rewrite packages that are up to date.")
def export_wacz(
    db_path: str, warc_dir: str | None, month: str | None, out_dir: str | None, no_sign: bool, force: bool
) -> None:
    """Pack the crawl's WARC files of each month as a WACZ: archive/, index, pages, SHA-256 of
    every file, signed with the archive's key (wacz-signing-key.pem beside the database)."""
    from newsroom_scraper.evidence.wacz_export import export_wacz as run_export

    folder = Path(warc_dir) if warc_dir else Path(db_path).parent / "warc"
    if not Path(db_path).is_file() or not folder.is_dir():
        click.echo(f"export-wacz: {db_path} or {folder} does not exist: run `newsroom-archive crawl` first", err=True)
        sys.exit(2)
    try:
        packed = run_export(
            Path(db_path),
            folder,
            out_dir=Path(out_dir) if out_dir else None,
            month=month,
            sign=not no_sign,
            force=force,
        )
    except (ValueError, ArchiveBusy, ArchiveUnusable) as error:
        click.echo(f"export-wacz: {error}", err=True)
        sys.exit(2)
    for pack in packed:
        if pack.written:
            click.echo(
                f"{pack.path}: {pack.files} WARC file(s), {pack.pages} page(s), {pack.path.stat().st_size:,} bytes"
            )
        else:
            click.echo(f"{pack.path}: up to date")


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="The archive's WARC folder (default: warc/ beside the database); captures go to its wayback/.",
)
@click.option("--from", "from_date", default=None, help="Only captures from this day on (YYYY-MM-DD).")
@click.option("--to", "to_date", default=None, help="Only captures up to this day (YYYY-MM-DD).")
@click.option(
    "--mementos-per-second", default=1.0, show_default=True, type=float, help="Politeness towards the memento endpoint."
)
@click.option(
    "--wayback-url", default=None, help="Another Wayback Machine (a mirror or a test stub) instead of web.archive.org."
)
def wayback(
    db_path: str,
    warc_dir: str | None,
    from_date: str | None,
    to_date: str | None,
    mementos_per_second: float,
    wayback_url: str | None,
) -> None:
    """Backfill history from the Wayback Machine: list, download (id_), write WARC, re-parse.

    Resumable: captures already held are never fetched again.
    """
    from datetime import date
    from pathlib import Path

    from newsroom_scraper.evidence.reparse import print_progress
    from newsroom_scraper.evidence.wayback import backfill, wayback_client

    try:
        start = date.fromisoformat(from_date) if from_date else None
        end = date.fromisoformat(to_date) if to_date else None
    except ValueError as error:
        click.echo(f"wayback: {error}", err=True)
        sys.exit(2)
    folder = Path(warc_dir) if warc_dir else Path(db_path).parent / "warc"
    client = wayback_client(wayback_url, mementos_per_second=mementos_per_second)
    try:
        report = backfill(db_path, folder, from_date=start, to_date=end, client=client, progress=print_progress)
    except (ArchiveBusy, ArchiveUnusable) as error:
        click.echo(f"wayback: {error}", err=True)
        sys.exit(2)
    click.echo("\n".join(report.lines()))


if __name__ == "__main__":  # python -m newsroom_scraper.cli
    main()
