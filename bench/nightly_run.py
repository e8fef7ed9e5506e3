"""The nightly polite run: wall time, CPU, peak RSS and processes of ``crawl --delay 1.0 --concurrency 2``.

    python bench/nightly_run.py [--articles 300] [--added 20] [--pad-kb 408] [--rounds 3] [--source SRC]
                                [--set NAME=VALUE ...] [--compare SRC] [--compare-set NAME=VALUE ...] [--json FILE]
    python bench/nightly_run.py --same-as SRC [--source SRC] [--set ...] [--compare-set ...] [--pad-kb 0]

Each round starts a replica (``--pad-kb 408``: ~430 KB pages) on a loopback port, crawls it into a
fresh archive (``--delay 0 --concurrency 8``), publishes ``--added`` articles (``POST /_replica/add``)
and times, for each variant on its own copy of that archive, the production run ``python -m
newsroom_scraper crawl --delay 1.0 --concurrency 2`` in a child process: wall seconds (start-up
included), CPU seconds and peak summed RSS of its process tree, its most processes (bench/crawl.py's
TreeWatch, every 50 ms), its requests (the replica's access log), articles new and changed
(``crawl_runs``). ``--source SRC`` runs the ``newsroom_scraper/`` of folder SRC (``git archive REV
newsroom_scraper | tar -x -C SRC``) as ours; ``--compare SRC`` adds that code's run in the same rounds
(order alternating); ``--set``/``--compare-set`` pass ``-s`` settings (``--compare-set`` alone: our
code, other settings). Prints a Markdown table: median (min–max), and the ratio ours / compared.

``--same-as SRC``: for ours and SRC, each on a fresh replica of the same seed (``--pad-kb`` 0 unless
given), a first crawl, then a polite run after ``--added`` articles; after each run compares requests
by method, kind (robots, sitemap, listing, search, article) and status, and every table's rows
(volatile columns as NULL or not, ``article_id`` as the article's URL). Prints "same" or the differences.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import crawl as bench_crawl  # bench/crawl.py: start_replica, TreeWatch, run_measured
from nightly_cost import ARTICLE, add_article, log_lines

FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING"]
POLITE = ["--delay", "1.0", "--concurrency", "2"]  # the production setting (log level INFO, as in production)
# Columns that differ between two equal runs: compared only as NULL or not.
VOLATILE = {"id", "version_id", "capture_id", "record_id", "warc_file", "warc_offset", "warc_length", "options"}
VOLATILE |= {"stats", "applied_at", "fetched_at", "captured_at", "occurred_at", "resolved_at", "removed_at"}
VOLATILE |= {"started_at", "finished_at", "first_seen_at", "last_checked_at", "last_changed_at", "recheck_due_at"}
KINDS = [("robots", re.compile(r"/robots\.txt$")), ("sitemap", re.compile("/sitemap")), ("article", ARTICLE)]
KINDS += [("listing", re.compile("/newsroom/"))]  # the rest of the site's pages: listings
PORT = re.compile(r"http://127\.0\.0\.1:\d+")  # each replica listens on another port


class Watch(bench_crawl.TreeWatch):
    """TreeWatch that also keeps the most processes the tree held at one sample."""

    last: Watch | None = None

    def __init__(self, pid: int) -> None:
        super().__init__(pid)
        self.most = 0
        Watch.last = self

    def _tree(self) -> list[int]:
        found = super()._tree()
        self.most = max(self.most, len(found))
        return found


bench_crawl.TreeWatch = Watch  # type: ignore[misc]  # run_measured builds its watch by this name


@dataclass
class Variant:
    name: str
    source: Path | None  # a folder holding newsroom_scraper/, or None: the installed code
    settings: list[str] = field(default_factory=list)

    def crawl(self, url: str, db: Path, pace: list[str]) -> list[str]:
        command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", url, "--db", str(db), *pace]
        return command + [arg for pair in self.settings for arg in ("-s", pair)]

    def env(self) -> dict[str, str] | None:
        return {**os.environ, "PYTHONPATH": str(self.source.resolve())} if self.source else None

    def first_crawl(self, url: str, db: Path) -> None:
        """A fast crawl to its end (cwd: not the checkout, whose package `-m` would put first)."""
        done = subprocess.run(self.crawl(url, db, FAST), env=self.env(), cwd=db.parent, capture_output=True, text=True)
        if done.returncode not in (0, 3):  # 3: drift alert, still a finished run
            raise SystemExit(f"crawl failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def request_kinds(lines: list[tuple[int, str, str]]) -> Counter[str]:
    """Requests by method, kind of page and status (admin calls left out)."""
    kinds: Counter[str] = Counter()
    for status, method, path in lines:
        kind = "search" if method == "POST" else next((k for k, p in KINDS if p.match(path.split("?")[0])), "other")
        if method != "ADMIN":
            kinds[f"{method} {kind} {status}"] += 1
    return kinds


def nightly(variant: Variant, url: str, db: Path, log: Path) -> dict:
    """The measured polite run of ``variant`` on the archive ``db``."""
    mark = len(log_lines(log))
    started = time.monotonic()
    _, rss, cpu = bench_crawl.run_measured(variant.crawl(url, db, POLITE), variant.env(), cwd=db.parent)
    wall = time.monotonic() - started
    assert Watch.last is not None
    cpu_total = max(sum(cpu.values()), sum(s for _, s in Watch.last.cpu.values()))  # a child never reaped too
    with closing(sqlite3.connect(db)) as conn:
        new, changed = conn.execute("SELECT new_count, changed_count FROM crawl_runs ORDER BY id DESC").fetchone()
    kinds = request_kinds(log_lines(log)[mark:])
    figures = {"wall": wall, "cpu": cpu_total, "rss": rss, "processes": Watch.last.most, "new": new}
    return figures | {"changed": changed, "requests": sum(kinds.values()), "cpu_by_role": cpu, "kinds": kinds}


@contextmanager
def replica(options: argparse.Namespace, log: Path) -> Iterator[str]:
    """A replica of ``--articles`` (seed 1) in its own process, logging to ``log``; its URL."""
    process, url = bench_crawl.start_replica(options.articles, options.pad_kb, log)
    try:
        yield url
    finally:
        process.terminate()
        process.wait()


def publish(options: argparse.Namespace, url: str) -> None:
    for _ in range(options.added):
        add_article(url.split("/newsroom/")[0])


def one_round(options: argparse.Namespace, variants: list[Variant], folder: Path) -> dict[str, dict]:
    """Replica, first crawl, added articles, then each variant's nightly run on its own copy."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "first").mkdir(parents=True)
    first_db = folder / "first" / "newsroom.db"
    with replica(options, folder / "replica.log") as url:
        Variant("first", options.source).first_crawl(url, first_db)
        publish(options, url)
        results = {}
        for variant in variants:  # each on its own copy: the added articles are new to each
            (folder / variant.name).mkdir()
            db = folder / variant.name / "newsroom.db"
            with closing(sqlite3.connect(first_db)) as first, closing(sqlite3.connect(db)) as copy:
                first.backup(copy)
            results[variant.name] = nightly(variant, url, db, folder / "replica.log")
        return results


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


METRICS = [("wall s", "wall", 1), ("CPU s", "cpu", 2), ("peak RSS MB", "rss", 0), ("processes", "processes", 0)]
METRICS += [("requests", "requests", 0), ("new articles", "new", 0), ("changed articles", "changed", 0)]


def table(runs: dict[str, list[dict]]) -> str:
    names = list(runs)
    lines = ["| | " + " | ".join(names) + (f" | {names[0]} / {names[1]} |" if len(names) == 2 else " |")]
    lines.append("|---" * (len(names) + 1 + (len(names) == 2)) + "|")
    for label, key, digits in METRICS:
        cells = [spread([r[key] for r in runs[name]], digits) for name in names]
        if len(names) == 2:
            ratios = [a[key] / b[key] if b[key] else float("nan") for a, b in zip(*runs.values(), strict=True)]
            cells.append(spread(ratios, 2))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def snapshot(db: Path) -> dict[str, list[str]]:
    """Every table's rows as sorted JSON, volatile columns as NULL or not, article ids as URLs (FTS: row counts)."""
    with closing(sqlite3.connect(db)) as conn:
        urls = dict(conn.execute("SELECT id, url FROM articles"))
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        virtual = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")]
        tables: dict[str, list[str]] = {}
        for name in names:
            if name.startswith("sqlite_") or name in virtual or any(name.startswith(v + "_") for v in virtual):
                if name.endswith("_docsize"):
                    tables[name] = [json.dumps({"rows": conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]})]
                continue
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            rows = []
            for row in cursor:
                values = [
                    urls.get(v, v) if c == "article_id" else v is not None if c in VOLATILE else v
                    for c, v in zip(columns, row, strict=True)
                ]
                rows.append(PORT.sub("http://replica", json.dumps(dict(zip(columns, values, strict=True)))))
            tables[name] = sorted(rows)
    return tables


def behaviour(variant: Variant, options: argparse.Namespace, folder: Path) -> list[tuple[Counter[str], dict]]:
    """Requests by kind and archive snapshot after a first crawl and after a nightly run."""
    (folder / variant.name).mkdir(parents=True)
    db, log = folder / variant.name / "newsroom.db", folder / variant.name / "replica.log"
    with replica(options, log) as url:
        variant.first_crawl(url, db)
        first = (request_kinds(log_lines(log)), snapshot(db))
        publish(options, url)
        return [first, (nightly(variant, url, db, log)["kinds"], snapshot(db))]


def differences(ours: list[tuple[Counter[str], dict]], theirs: list[tuple[Counter[str], dict]]) -> list[str]:
    found = []
    for run, ((kinds_a, tables_a), (kinds_b, tables_b)) in enumerate(zip(ours, theirs, strict=True), 1):
        for kind in sorted(set(kinds_a) | set(kinds_b)):
            if kinds_a[kind] != kinds_b[kind]:
                found.append(f"run {run}: requests {kind}: {kinds_a[kind]} vs {kinds_b[kind]}")
        for name in sorted(set(tables_a) | set(tables_b)):
            a, b = Counter(tables_a.get(name, [])), Counter(tables_b.get(name, []))
            if a != b:
                found.append(f"run {run}: table {name}: {a.total()} vs {b.total()} rows")
                for mine, other in zip_longest(list((a - b).elements())[:2], list((b - a).elements())[:2]):
                    x, y = json.loads(mine or "{}"), json.loads(other or "{}")  # a pair: the columns that differ
                    detail = {k: (x.get(k), y.get(k)) for k in sorted(x.keys() | y.keys()) if x.get(k) != y.get(k)}
                    found.append(f"    ours / theirs: {str(detail)[:400]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--added", type=int, default=20)
    parser.add_argument("--pad-kb", type=int, default=None, help="default 408 (0 with --same-as)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, help="run the newsroom_scraper/ of this folder as ours")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="-s setting of ours")
    parser.add_argument("--compare", type=Path, help="a folder holding another newsroom_scraper/ to compare with")
    parser.add_argument("--compare-set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--same-as", type=Path, help="check that ours behaves as this folder's code")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    options.pad_kb = options.pad_kb if options.pad_kb is not None else 0 if options.same_as else 408
    ours = Variant("ours", options.source, options.set)
    other = options.same_as or options.compare or (options.source if options.compare_set else None)
    theirs = Variant("compared", other, options.compare_set)
    print(f"ours: {ours.source or 'this checkout'} {ours.settings}; compared: {theirs.source} {theirs.settings}")
    print(f"replica: {options.articles} articles, --pad-kb {options.pad_kb}, {options.added} added", flush=True)
    with tempfile.TemporaryDirectory() as name:
        if options.same_as:
            found = differences(*(behaviour(v, options, Path(name)) for v in (ours, theirs)))
            print("same" if not found else "\n".join(["differences:", *found]))
            sys.exit(1 if found else 0)
        variants = [ours, theirs] if other else [ours]
        runs: dict[str, list[dict]] = {v.name: [] for v in variants}
        for number in range(options.rounds):
            order = variants if number % 2 == 0 else variants[::-1]
            for key, result in one_round(options, order, Path(name) / "round").items():
                runs[key].append(result)
                print(f"round {number + 1} {key}: " + ", ".join(f"{k} {result[k]:.2f}" for _, k, _ in METRICS))
    print(table(runs))
    if options.json:
        figures = {"articles": options.articles, "added": options.added, "pad_kb": options.pad_kb}
        figures |= {v.name: {"source": str(v.source), "settings": v.settings, "runs": runs[v.name]} for v in variants}
        options.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
