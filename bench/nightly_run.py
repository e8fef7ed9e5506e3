"""The nightly polite run: wall time, CPU, peak RSS and processes of ``crawl --delay 1.0 --concurrency 2``.

    python bench/nightly_run.py [--articles 300] [--added 20] [--pad-kb 408] [--rounds 3] [--source SRC]
                                [--set NAME=VALUE ...] [--compare SRC] [--compare-set NAME=VALUE ...] [--json FILE]
    python bench/nightly_run.py --same-as SRC [--source SRC] [--set ...] [--compare-set ...] [--pad-kb 0]

Each round starts a replica (``--pad-kb 408``: the real page's ~430 KB) on a free loopback port,
crawls it into a fresh archive (``--delay 0 --concurrency 8``, the code of ``--source``), publishes
``--added`` articles through ``POST /_replica/add`` and then, for each variant on its own copy of
that archive (so the added articles are new to each), times the production run ``python -m
newsroom_scraper crawl --delay 1.0 --concurrency 2`` in a child process: wall seconds (interpreter
start-up included), CPU seconds of its process tree (workers included), the peak of the tree's
summed RSS and its most processes (bench/crawl.py's TreeWatch, sampled every 50 ms), its requests
(the replica's access log) and the articles it found new or changed (``crawl_runs``). ``--source
SRC`` runs the ``newsroom_scraper/`` in folder SRC (``git archive REV newsroom_scraper | tar -x -C
SRC``) instead of this checkout's; ``--compare SRC`` adds, in the same rounds (order alternating),
the run of that code, and ``--set``/``--compare-set`` pass ``-s`` settings to each (``--compare-set``
alone compares our code with other settings). Prints a Markdown table, median (min–max), and the
per-round ratio ours / compared.

``--same-as SRC`` checks instead that behaviour is unchanged: for ours and for SRC, a fresh replica
of the same seed (``--pad-kb`` 0 unless given), a first crawl and, after ``--added`` articles, a
polite nightly run; after each run the requests by kind (method, robots / sitemap / listing /
search / article, status) and a digest of every table (volatile columns reduced to NULL or not,
``article_id`` replaced by the article's URL) are compared. Prints "same" or the differences.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import crawl as bench_crawl  # bench/crawl.py: start_replica, TreeWatch, run_measured
from nightly_cost import ARTICLE, add_article, log_lines

FAST = ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING"]
POLITE = ["--delay", "1.0", "--concurrency", "2"]  # the production setting (log level INFO, as in production)
# Columns that differ between two equal runs: compared only as NULL or not.
VOLATILE = {"id", "version_id", "capture_id", "record_id", "warc_file", "warc_offset", "warc_length", "options"}
VOLATILE |= {"stats", "applied_at", "fetched_at", "captured_at", "occurred_at", "resolved_at", "removed_at"}
VOLATILE |= {"started_at", "finished_at", "first_seen_at", "last_checked_at", "last_changed_at", "recheck_due_at"}


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
        return {**os.environ, "PYTHONPATH": str(self.source)} if self.source else None

    def first_crawl(self, url: str, db: Path) -> None:
        """A fast crawl to its end (cwd: not the checkout, whose package `-m` would put first)."""
        done = subprocess.run(self.crawl(url, db, FAST), env=self.env(), cwd=db.parent, capture_output=True, text=True)
        if done.returncode not in (0, 3):  # 3: drift alert, still a finished run
            raise SystemExit(f"crawl failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def request_kinds(lines: list[tuple[int, str, str]]) -> Counter[str]:
    """Requests by method, kind of page and status (admin calls left out)."""
    kinds: Counter[str] = Counter()
    for status, method, path in lines:
        bare = path.split("?")[0]
        if method == "ADMIN":
            continue
        kind = "robots" if bare == "/robots.txt" else "sitemap" if bare.startswith("/sitemap") else "other"
        if method == "POST":
            kind = "search"
        elif ARTICLE.match(bare):
            kind = "article"
        elif kind == "other" and bare.startswith("/newsroom/"):
            kind = "listing"
        kinds[f"{method} {kind} {status}"] += 1
    return kinds


def nightly(variant: Variant, url: str, db: Path, log: Path) -> dict:
    """The measured polite run of ``variant`` on the archive ``db``."""
    mark = len(log_lines(log))
    started = time.monotonic()
    _, rss, cpu = bench_crawl.run_measured(variant.crawl(url, db, POLITE), variant.env(), cwd=db.parent)
    wall = time.monotonic() - started
    assert Watch.last is not None
    sampled = sum(seconds for _, seconds in Watch.last.cpu.values())  # in case a child was never reaped
    with closing(sqlite3.connect(db)) as conn:
        new, changed = conn.execute("SELECT new_count, changed_count FROM crawl_runs ORDER BY id DESC").fetchone()
    kinds = request_kinds(log_lines(log)[mark:])
    return {"wall": wall, "cpu": max(sum(cpu.values()), sampled), "rss": rss, "processes": Watch.last.most} | {
        "requests": sum(kinds.values()),
        "new": new,
        "changed": changed,
        "cpu_by_role": cpu,
        "kinds": kinds,
    }


def copy_db(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as a, closing(sqlite3.connect(target)) as b:
        a.backup(b)


def one_round(options: argparse.Namespace, variants: list[Variant], folder: Path) -> dict[str, dict]:
    """Replica, first crawl, added articles, then each variant's nightly run on its own copy."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "first").mkdir(parents=True)
    log = folder / "replica.log"
    replica, url = bench_crawl.start_replica(options.articles, options.pad_kb, log)
    try:
        Variant("first", options.source).first_crawl(url, folder / "first" / "newsroom.db")
        for _ in range(options.added):
            add_article(url.split("/newsroom/")[0])
        results = {}
        for variant in variants:
            copy_db(folder / "first" / "newsroom.db", folder / variant.name / "newsroom.db")
            results[variant.name] = nightly(variant, url, folder / variant.name / "newsroom.db", log)
        return results
    finally:
        replica.terminate()
        replica.wait()


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
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        virtual = [
            n
            for n in names
            if "VIRTUAL" in conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (n,)).fetchone()[0]
        ]
        tables: dict[str, list[str]] = {}
        for name in names:
            if name.startswith("sqlite_") or name in virtual or any(name.startswith(v + "_") for v in virtual):
                if name.endswith("_docsize"):
                    tables[name] = [str(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])]
                continue
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            rows = []
            for row in cursor:
                values = [
                    urls.get(v, v) if c == "article_id" else v is not None if c in VOLATILE else v
                    for c, v in zip(columns, row, strict=True)
                ]
                rows.append(json.dumps(dict(zip(columns, values, strict=True)), ensure_ascii=False))
            tables[name] = sorted(rows)
    return tables


def behaviour(variant: Variant, options: argparse.Namespace, folder: Path) -> list[tuple[Counter[str], dict]]:
    """Requests by kind and archive snapshot after a first crawl and after a nightly run."""
    (folder / variant.name).mkdir(parents=True)
    db, log = folder / variant.name / "newsroom.db", folder / variant.name / "replica.log"
    replica, url = bench_crawl.start_replica(options.articles, options.pad_kb, log)
    try:
        variant.first_crawl(url, db)
        first = (request_kinds(log_lines(log)), snapshot(db))
        for _ in range(options.added):
            add_article(url.split("/newsroom/")[0])
        mark = len(log_lines(log))
        bench_crawl.run_measured(variant.crawl(url, db, POLITE), variant.env(), cwd=db.parent)
        return [first, (request_kinds(log_lines(log)[mark:]), snapshot(db))]
    finally:
        replica.terminate()
        replica.wait()


def differences(ours: list[tuple[Counter[str], dict]], theirs: list[tuple[Counter[str], dict]]) -> list[str]:
    found = []
    for run, ((kinds_a, tables_a), (kinds_b, tables_b)) in enumerate(zip(ours, theirs, strict=True), 1):
        for kind in sorted(set(kinds_a) | set(kinds_b)):
            if kinds_a[kind] != kinds_b[kind]:
                found.append(f"run {run}: requests {kind}: {kinds_a[kind]} vs {kinds_b[kind]}")
        for name in sorted(set(tables_a) | set(tables_b)):
            a, b = Counter(tables_a.get(name, [])), Counter(tables_b.get(name, []))
            if a != b:
                only = [f"\n    ours only: {row[:300]}" for row in list((a - b).elements())[:2]]
                only += [f"\n    theirs only: {row[:300]}" for row in list((b - a).elements())[:2]]
                found.append(f"run {run}: table {name}: {a.total()} vs {b.total()} rows" + "".join(only))
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
    theirs = Variant("compared", other.resolve() if other else None, options.compare_set)
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
