"""The ``newsroom-archive`` command: a thin layer over the library.

Each command opens what it needs, calls one function, and turns the project's exceptions
into a one-line error and an exit code (2 for bad input).
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import ParseError
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


if __name__ == "__main__":  # python -m newsroom_scraper.cli
    main()
