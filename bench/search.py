"""Search and page latency of the served archive, through HTTP, at 1k / 10k / 100k articles.

    python bench/search.py [--sizes 1000 10000] [--rounds 3] [--template URL ...] [--pages]

For each size an archive of that many replica articles (rendered, parsed and saved through the
store, as a crawl would, without HTTP) is built once and cached under
``$TMPDIR/newsroom-bench/`` (by size and seed; the store's migrations bring a cached archive up
to date; building 100k takes several minutes, with a progress line). ``newsroom-archive serve``
(Datasette under uvicorn) serves it on loopback, and one client sends every query of QUERIES to
every URL template, one request at a time, ``--rounds`` times. Prints p50 / p95 / max per
template, the requests that failed or timed out ("SQL query took too long", status >= 400 or
more than 1 s), and the server's peak RSS. ``--pages`` adds every other page (home, table,
facets, rows, credits, tags, the chart's numbers, first mentions, feeds). Under each line, the
three slowest URLs (their median and max); ``--per-page`` lists every page's.

URL templates take ``{q}`` (the query, URL-encoded). The default measures the reader's search
page (HTML, with its per-month chart, and ``.json``: one page), the page sorted by date, first
mentions and the table search (``?_search=``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import ProxyHandler, build_opener

from newsroom_replica import ReplicaSite, quote_path
from newsroom_scraper.parser.parse import parse_article
from newsroom_scraper.store import Archive

BIN = Path(sys.executable).parent
CACHE = Path(os.environ.get("NEWSROOM_BENCH_CACHE", Path(tempfile.gettempdir()) / "newsroom-bench"))
OPENER = build_opener(ProxyHandler({}))  # loopback only, never through a proxy

# Kinds of query a reader types: common and rare words, umlaut and ß spellings, compound parts,
# two words, and short words (under 3 letters a trigram index finds nothing).
QUERIES = {
    "common": ["Stadt", "Dortmund", "Uhr"],
    "rare": ["Schwimmkurs", "Bücherbus"],
    "umlaut/ß": ["Bürgermeister", "Buergermeister", "Straße", "Strasse", "Grün"],
    "compound part": ["partnerschaft", "bahn"],
    "two words": ["Stadt Dortmund", "Kinder Sommer"],
    "short": ["OB", "Rat"],
}
TEMPLATES = [
    "/newsroom/search?q={q}",
    "/newsroom/search.json?q={q}",
    "/newsroom/search?q={q}&sort=newest",
    "/newsroom/first_mentions?q={q}",
    "/newsroom/articles.json?_search={q}",
    "/newsroom/articles?_search={q}",
]
# Every other page of the served archive (README "Reading the archive", docs/reading.md).
PAGES = [
    "/",
    "/newsroom",
    "/newsroom/articles",
    "/newsroom/articles.json",
    "/newsroom/articles?_facet=section&_facet=topline",
    "/newsroom/articles?_facet=published_month&_facet=district",
    "/newsroom/articles?_sort=published_date",
    "/newsroom/articles?section=press",
    "/newsroom/articles/1",
    "/newsroom/article_versions/1",
    "/newsroom/related_links",
    "/newsroom/article_versions",
    "/newsroom/images",
    "/newsroom/tags",
    "/newsroom/tags?tag=Stadtverwaltung",
    "/newsroom/credits",
    "/newsroom/credit?by=Lena+Kortmann",
    "/newsroom/coverage",
    "/newsroom/changes",
    "/newsroom/changes?trivial=1",
    "/newsroom/changes.atom",
    "/newsroom/search_months?q=Stadt",
    "/newsroom/search_months.svg?q=Stadt",  # the search page's chart, its own request after the page
    "/newsroom/search_months.json?q=Uhr",
    "/newsroom/first_mentions?q=Stadt",
    "/newsroom/first_mentions_total?q=Stadt",  # the count of a walked page, its own request after the page
    "/newsroom/new_articles.atom",
    "/newsroom/tag_feed.atom?tag=Stadtverwaltung",
    "/newsroom/search_feed.atom?q=Stadt",
    "/newsroom/article_history.atom?id=1",
]


def archive_path(size: int, seed: int) -> Path:
    """Where the archive of ``size`` articles is cached (opening it with the store migrates it)."""
    return CACHE / f"archive-{size}-s{seed}.db"


def build_archive(size: int, seed: int) -> Path:
    """The cached archive of ``size`` replica articles, built through the store if missing."""
    path = archive_path(size, seed)
    if path.exists():
        Archive(path).close()  # pending migrations: a cached archive gets the current schema
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    site = ReplicaSite(size, seed=seed)
    paths = site.article_paths()
    with Archive(partial) as archive:
        run_id = archive.start_run("bench", {"articles": size})
        for number, site_path in enumerate(paths, start=1):
            url = "https://www.dortmund.de" + quote_path(site_path)
            article = parse_article(site.render(quote_path(site_path), "").body, url)
            archive.save_article(
                article,
                run_id=run_id,
                fetched_url=url,
                fetched_at=f"{site.newest}T06:00:00+00:00",
                etag=None,
                last_modified=None,
            )
            if number % 2000 == 0 or number == size:
                rate = number / (time.perf_counter() - started)
                print(f"\r  building {path.name}: {number}/{size} ({rate:.0f}/s)", end="", flush=True, file=sys.stderr)
        archive.finish_run(run_id, "finished", {}, {"new": size}, {})
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(file=sys.stderr)
    partial.rename(path)
    return path


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    """``newsroom-archive serve`` on a free loopback port; its base URL once it answers."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(BIN / "newsroom-archive"), "serve", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            OPENER.open(base + "/-/versions.json", timeout=2).read()
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("Datasette did not start")


def get(url: str) -> tuple[float, int, bool]:
    """Seconds, status, and whether the answer is a time-out page."""
    started = time.perf_counter()
    try:
        with OPENER.open(url, timeout=60) as response:
            body, status = response.read(), response.status
    except HTTPError as error:
        body, status = error.read(), error.code
    seconds = time.perf_counter() - started
    return seconds, status, b"too long" in body


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(base: str, targets: dict[str, list[str]], rounds: int) -> dict[str, dict]:
    """Per template: latencies (ms) over every query and round, and the failures."""
    found: dict[str, dict] = {name: {"ms": [], "failed": [], "by_url": {}} for name in targets}
    for _ in range(rounds):
        for name, urls in targets.items():
            for url in urls:
                seconds, status, timed_out = get(base + url)
                found[name]["ms"].append(seconds * 1000)
                found[name]["by_url"].setdefault(url, []).append(seconds * 1000)
                if status >= 400 or timed_out or seconds > 1:
                    found[name]["failed"].append(
                        f"{url} ({status}{', time-out' if timed_out else ''}, {seconds:.2f} s)"
                    )
    return found


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--template", action="append", help="URL template with {q} (repeatable; replaces the default)")
    parser.add_argument("--pages", action="store_true", help="also every other page: home, table, facets, rows, feeds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--per-page", action="store_true", help="with --pages: each page's own p50 / max")
    options = parser.parse_args()
    words = [q for group in QUERIES.values() for q in group]
    results: dict = {}
    for size in options.sizes:
        db = build_archive(size, options.seed)
        server, base = serve(db)
        try:
            targets = {t: [t.format(q=quote(q)) for q in words] for t in options.template or TEMPLATES}
            if options.pages:
                targets["plain pages"] = PAGES
            measure(base, targets, 1)  # warm the page cache and Datasette's
            found = measure(base, targets, options.rounds)
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait()
        mb = db.stat().st_size / 1e6
        print(
            f"{size} articles ({mb:.0f} MB, {db.stat().st_size / size / 1024:.1f} KB/article), {len(words)} queries × {options.rounds} rounds, serve peak RSS {rss:.0f} MB"
        )
        results[str(size)] = {"mb": mb, "rss": rss, "templates": {}}
        for name, figures in found.items():
            ms = figures["ms"]
            p50, p95 = statistics.median(ms), percentile(ms, 0.95)
            print(
                f"  {name:44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {max(ms):7.1f} ms  failed {len(figures['failed'])}"
            )
            slowest = sorted(figures["by_url"].items(), key=lambda item: -max(item[1]))[:3]
            print(
                "      slowest: " + ", ".join(f"{url} {statistics.median(t):.0f}/{max(t):.0f} ms" for url, t in slowest)
            )
            if options.per_page and name == "plain pages":
                for url, times in figures["by_url"].items():
                    print(f"      {url:60} p50 {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms")
            for failure in sorted(set(figures["failed"]))[:5]:
                print(f"      {failure}")
            results[str(size)]["templates"][name] = {
                "p50": p50,
                "p95": p95,
                "max": max(ms),
                "failed": len(figures["failed"]),
            }
    if options.json:
        options.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
