"""The replica's two commands, ``newsroom-archive replica`` and ``newsroom-archive demo``.

They reach the ``newsroom-archive`` command as plugins: this distribution declares them in
the entry-point group ``newsroom_archive.commands``, which ``newsroom_scraper.cli`` reads, so
the product never imports the replica. Their names and options are a contract with scripts
outside the test suite: keep them.
"""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--port", default=8000, show_default=True, type=int, help="0 picks a free port.")
@click.option("--articles", default=300, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same site.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only.")
@click.option("--no-sitemap", is_flag=True, help="Serve no sitemap, as the live site.")
@click.option("--require-cookie", is_flag=True, help="Redirect-loop clients that do not keep cookies.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Append the access log here.")
@click.option(
    "--pad-kb",
    default=None,
    type=click.IntRange(min=0),
    help="Pad every page's menu JSON to this many KB (408 gives the real page's ~430 KB).",
)
@click.option(
    "--cache-mb", default=256, show_default=True, type=click.IntRange(min=0), help="Cache rendered answers (0: off)."
)
@click.option("--fail-rate", default=0.0, show_default=True, type=float, help="Share of requests answered 5xx.")
@click.option("--throttle-rate", default=0.0, show_default=True, type=float, help="Share answered 429 + Retry-After.")
@click.option("--timeout-rate", default=0.0, show_default=True, type=float, help="Share that hang for --hang seconds.")
@click.option("--truncate-rate", default=0.0, show_default=True, type=float, help="Share whose body is cut short.")
@click.option("--hang", default=6.0, show_default=True, type=float, help="Seconds a timeout fault hangs.")
@click.option("--search-down", is_flag=True, help="The search API answers 503, as a failing proxy may.")
@click.option("--changed-markup", is_flag=True, help="Serve article pages in a relaunched markup (dtm-* renamed).")
@click.option(
    "--encoding",
    type=click.Choice(["gzip", "br", "zstd"]),
    default=None,
    help="Compress answers so, for clients whose Accept-Encoding takes it.",
)
@click.option(
    "--state",
    "state_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Journal every admin change here and replay it on start: a restart keeps the site as it was.",
)
def replica(
    port: int,
    articles: int,
    seed: int,
    host: str,
    no_sitemap: bool,
    require_cookie: bool,
    log_path: str | None,
    pad_kb: int | None,
    cache_mb: int,
    fail_rate: float,
    throttle_rate: float,
    timeout_rate: float,
    truncate_rate: float,
    hang: float,
    search_down: bool,
    changed_markup: bool,
    encoding: str | None,
    state_path: str | None,
) -> None:
    """Serve a synthetic newsroom in the site's markup on loopback, for tests and demos.

    The fault rates (0 to 1, each drawn independently per request, the same for the same --seed)
    make it an unreliable server: 5xx answers, 429 with Retry-After, hangs, cut bodies.
    POST /_replica/<action> changes the site while it serves (add, edit, remove, clock, switch, …:
    see newsroom_replica/admin.py).
    """
    from .faults import Faults
    from .server import run

    try:
        faults = Faults(fail_rate, throttle_rate, timeout_rate, truncate_rate, seed=seed, hang_seconds=hang)
        run(
            port=port,
            articles=articles,
            seed=seed,
            host=host,
            no_sitemap=no_sitemap,
            require_cookie=require_cookie,
            log_path=log_path,
            pad_kb=pad_kb,
            cache_mb=cache_mb,
            faults=faults,
            search_down=search_down,
            changed_markup=changed_markup,
            encoding=encoding,
            state_path=state_path,
        )
    except ValueError as error:
        click.echo(f"replica: {error}", err=True)
        sys.exit(2)


@click.command()
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette's port.")
@click.option("--articles", default=300, show_default=True, type=int, help="Size of the replica newsroom.")
@click.option("--db", "db_path", default="archive/newsroom.db", show_default=True, type=click.Path(dir_okay=False))
def demo(port: int, articles: int, db_path: str) -> None:
    """Serve a replica newsroom on loopback, crawl it into the archive, open Datasette."""
    from .demo import run_demo

    sys.exit(run_demo(port=port, articles=articles, db_path=db_path))
