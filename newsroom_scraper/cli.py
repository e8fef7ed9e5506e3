"""The ``newsroom-archive`` command: a thin layer over the library.

Each command opens what it needs, calls one function, and turns the project's exceptions
into a one-line error and an exit code (2 for bad input).
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import ArchiveBusy, ParseError
from .parse import parse_article


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsroom-archive")
def main() -> None:
    """Scrape, archive and serve the City of Dortmund's newsroom."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", default=None, help="The URL the page was fetched from (used when it names no canonical URL).")
def parse(file: str, url: str | None) -> None:
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
        article = parse_article(html, url or "")
    except ParseError as error:
        click.echo(f"{file}: not an article page: {error}", err=True)
        sys.exit(2)
    sys.stdout.write(json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n")


@main.command()
@click.option(
    "--start-url",
    default=None,
    help="Where discovery starts (default: the live newsroom). Only this host is ever contacted.",
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
    "--refresh-days", type=int, default=None, help="Re-check archived articles published within N days (default 14)."
)
@click.option("--recheck-all", is_flag=True, help="Re-check every archived article, conditionally (for a weekly run).")
@click.option("--max-articles", type=int, default=None, help="Fetch at most N new articles.")
@click.option("--since", default=None, help="Skip new articles published before this date (YYYY-MM-DD).")
@click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Write WARC files here (accepted; written by a later release).",
)
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
    max_articles: int | None,
    since: str | None,
    warc_dir: str | None,
    jobdir: str | None,
    log_level: str,
    extra: tuple[str, ...],
) -> None:
    """Crawl the newsroom into the archive and print the run report.

    New articles are fetched; archived ones are re-checked conditionally when published
    within --refresh-days; a page that does not parse is recorded in crawl_errors and tried
    again next run. Exits non-zero only when the run itself failed.
    """
    from .crawl import run_crawl

    overrides: dict[str, object] = {"LOG_LEVEL": log_level}
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    try:
        report, failed = run_crawl(
            start_url=start_url,
            db_path=db_path,
            delay=delay,
            concurrency=concurrency,
            timeout=timeout,
            refresh_days=refresh_days,
            recheck_all=recheck_all,
            max_articles=max_articles,
            since=since,
            warc_dir=warc_dir,
            jobdir=jobdir,
            settings=overrides,
        )
    except (ValueError, ArchiveBusy) as error:
        click.echo(f"crawl: {error}", err=True)
        sys.exit(2)
    click.echo(report)
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def serve(db_path: str, host: str, port: int) -> None:
    """Serve the archive read-only with Datasette (database name: newsroom)."""
    from .web import serve as serve_archive

    try:
        serve_archive(db_path, host=host, port=port)
    except FileNotFoundError as error:
        click.echo(f"serve: {error}", err=True)
        sys.exit(2)


@main.command()
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
def status(db_path: str) -> None:
    """Show what the archive holds and how its last crawl went."""
    from pathlib import Path

    from .report import format_summary
    from .store import Archive

    if not Path(db_path).exists():
        click.echo(f"status: {db_path} does not exist: run `newsroom-archive crawl` first", err=True)
        sys.exit(2)
    with Archive(db_path) as archive:
        click.echo(format_summary(archive.summary()))


@main.command()
@click.option("--port", default=8000, show_default=True, type=int, help="0 picks a free port.")
@click.option("--articles", default=300, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same site.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only.")
@click.option("--no-sitemap", is_flag=True, help="Serve no sitemap, as the live site.")
@click.option("--require-cookie", is_flag=True, help="Redirect-loop clients that do not keep cookies.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Append the access log here.")
def replica(
    port: int, articles: int, seed: int, host: str, no_sitemap: bool, require_cookie: bool, log_path: str | None
) -> None:
    """Serve a synthetic newsroom in the site's markup on loopback, for tests and demos."""
    from .replica.server import run

    try:
        run(
            port=port,
            articles=articles,
            seed=seed,
            host=host,
            no_sitemap=no_sitemap,
            require_cookie=require_cookie,
            log_path=log_path,
        )
    except ValueError as error:
        click.echo(f"replica: {error}", err=True)
        sys.exit(2)


@main.command()
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette's port.")
@click.option("--articles", default=300, show_default=True, type=int, help="Size of the replica newsroom.")
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
def demo(port: int, articles: int, db_path: str) -> None:
    """Serve a replica newsroom on loopback, crawl it into the archive, open Datasette."""
    from .demo import run_demo

    sys.exit(run_demo(port=port, articles=articles, db_path=db_path))


if __name__ == "__main__":  # python -m newsroom_scraper.cli
    main()
