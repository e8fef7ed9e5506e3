"""Crawl throughput: the project's crawl against Scrapy fetching the same URLs and doing nothing else.

    python bench/crawl.py [--articles N] [--rounds R] [--concurrency 8 16] [--pad-kb 0 408] [--warc on off]
                          [--compare SRC] [--profile]

For each page weight (``--pad-kb``: the menu JSON of every page; 0 gives the replica's ~12 KB
pages, 408 the real page's ~430 KB) a replica runs in its own process (answers cached, so it is
never the bottleneck). A first crawl of the project, logged by the replica, names the URLs it
fetches (robots.txt, sitemaps, listings, articles: every GET); then, in each round and for each
concurrency, the project's crawl into a fresh archive and ``bench/scrapy_ceiling.py`` on those URLs
run one after the other (interleaved: the machine is shared). Figures: articles per second from
Scrapy's own ``elapsed_time_seconds`` (interpreter start-up left out, alike for both), the ratio
project / ceiling per round (target ≥ 0.7), and the peak RSS of each process.

``--warc on off`` measures the project with WARC writing (the default of a crawl) and with
``--no-warc``, interleaved in the same rounds. ``--compare SRC`` adds, in the same rounds, the
project as found in the folder SRC (one that holds a ``newsroom_scraper/``, e.g. ``git archive
main newsroom_scraper | tar -x -C SRC``), WARC on, and prints this code's rate over that one's:
a before/after of a change measured in the same run.

``--profile`` adds one cProfile run of the project's crawl per page weight (concurrency 8) and
splits its time by where the function lives: download (Twisted, Scrapy's downloader), parse
(parser/, lxml), store (store/, search/, sqlite-utils, sqlite3), warc (evidence/warc/,
crawl/warc_capture.py, warcio, zlib, SHA-1 digests), bookkeeping (the rest: Scrapy's engine and
middlewares, the pipeline, the spider).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlite_utils

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def start_replica(articles: int, pad_kb: int, log: Path) -> tuple[subprocess.Popen, str]:
    """A replica in its own process; its URL once it listens."""
    cache_mb = max(256, articles * (pad_kb + 20) // 900)
    command = [str(BIN / "newsroom-archive"), "replica", "--port", "0", "--articles", str(articles)]
    command += ["--pad-kb", str(pad_kb), "--cache-mb", str(cache_mb), "--log", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # "Replica newsroom: http://127.0.0.1:PORT/newsroom/ (N articles)"
    return process, line.split()[2]


class TreeWatch(threading.Thread):
    """Samples a process and its descendants every 50 ms from /proc: the peak of their summed RSS
    (child processes included) and each process's last CPU time, by role."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0.0
        self.cpu: dict[int, tuple[str, float]] = {}  # pid → (role, CPU seconds)
        self.done = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.done.is_set():
            total = 0.0
            for pid in self._tree():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    rss = int(stat[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
                    role = _role(Path(f"/proc/{pid}/cmdline").read_bytes())
                except (OSError, IndexError):
                    continue
                total += rss
                if pid in self.cpu and role == "main":  # an exiting worker's command line is empty
                    role = self.cpu[pid][0]
                self.cpu[pid] = (role, (int(stat[11]) + int(stat[12])) / tick)
            self.peak_rss = max(self.peak_rss, total)
            self.done.wait(0.05)

    def _tree(self) -> list[int]:
        """The process and its descendants, by the parent pid of every process (/proc/*/stat)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        found, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            queue.extend(children.get(pid, []))
        return found

    def by_role(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            roles[role] = roles.get(role, 0.0) + seconds
        return roles


def _role(cmdline: bytes) -> str:
    """main, or the worker's object named on its command line (the worker processes the crawl had
    until 2026-12: ``--compare`` with a checkout of that time shows their share)."""
    for marker, role in ((b"parse:PageParser", "parse"), (b"ArchiveWriter", "store"), (b"WarcWriter", "warc")):
        if marker in cmdline:
            return role
    return "main"


def run_measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[str, float, dict[str, float]]:
    """Run ``command``; its stdout, the peak RSS of its process tree in MB, CPU seconds by role."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=cwd)
    watch = TreeWatch(process.pid)
    watch.start()
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    watch.done.set()
    watch.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command[:3]} failed ({process.returncode})")
    cpu = watch.by_role()
    cpu["main"] = usage.ru_utime + usage.ru_stime - sum(v for k, v in cpu.items() if k != "main")  # exact total
    return output, max(watch.peak_rss, usage.ru_maxrss / 1024), cpu


REPLICA: dict[str, int] = {}  # the running replica's pid: its CPU time is counted per run


def replica_seconds() -> float:
    """CPU seconds the replica has used so far (0 when there is none)."""
    pid = REPLICA.get("pid")
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def project_crawl(
    start_url: str, concurrency: int, folder: Path, extra: list[str] | None = None, source: Path | None = None
) -> dict:
    """One crawl of the project into a fresh archive: articles, seconds (Scrapy's), peak RSS.

    ``source``: a folder whose ``newsroom_scraper`` is run instead of the installed one."""
    db = folder / f"crawl-{time.monotonic_ns()}.db"
    command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", start_url, "--db", str(db)]
    command += ["--delay", "0", "--concurrency", str(concurrency), *(extra or [])]
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    before = replica_seconds()
    _, rss, cpu = run_measured(command, env, cwd=folder)  # not the checkout: `-m` puts the cwd first on sys.path
    cpu["replica"] = replica_seconds() - before
    with sqlite_utils.Database(db) as archive:
        (stats,) = archive.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        articles = archive.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(folder / "warc", ignore_errors=True)
    run = json.loads(stats)
    requests = run.get("downloader/request_count")
    return {"articles": articles, "seconds": run["elapsed_time_seconds"], "rss": rss, "requests": requests, "cpu": cpu}


def ceiling(urls_file: Path, concurrency: int, articles: int) -> dict:
    """Scrapy fetching the same URLs and nothing else."""
    command = [sys.executable, str(BENCH / "scrapy_ceiling.py"), str(urls_file), "--concurrency", str(concurrency)]
    before = replica_seconds()
    output, rss, cpu = run_measured(command)
    cpu["replica"] = replica_seconds() - before
    result = json.loads(output.strip().splitlines()[-1])
    return {"articles": articles, "seconds": result["elapsed"], "rss": rss, "cpu": cpu}


def fetched_urls(log: Path, base: str) -> list[str]:
    """Every GET the replica answered, as absolute URLs (the search API's POSTs left out)."""
    urls = []
    for line in log.read_text(encoding="utf-8").splitlines():
        status, method, path = line.split(" ", 2)
        if method == "GET":
            urls.append(base + path)
    return urls


AREAS = {
    "download": ("twisted/", "scrapy/core/downloader", "scrapy/downloadermiddlewares", "h2/", "ssl"),
    "parse": ("newsroom_scraper/parser/",),
    "store": ("newsroom_scraper/store/", "newsroom_scraper/search/", "sqlite_utils", "sqlite3"),
    "warc": ("newsroom_scraper/evidence/warc", "newsroom_scraper/crawl/warc_capture", "warcio/", "/gzip.py"),
}


def area(filename: str, function: str) -> str:
    """Which part of the crawl a function belongs to, by its file (lxml's C calls count as parse)."""
    if "lxml" in filename or "lxml" in function or "etree" in function:
        return "parse"
    if "sqlite3.Connection" in function or "sqlite3.Cursor" in function:
        return "store"
    if "zlib" in function or "sha1" in function:  # gzip members and payload digests of WARC records
        return "warc"
    for name, markers in AREAS.items():
        if any(marker in filename for marker in markers):
            return name
    return "bookkeeping"


def profile(start_url: str, folder: Path) -> dict[str, float]:
    """Self time of one project crawl (C=8) by area, as shares of the whole."""
    out = folder / "crawl.prof"
    db = folder / f"profiled-{time.monotonic_ns()}.db"  # a fresh archive: nothing skipped as archived
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "newsroom_scraper", "crawl"]
    command += ["--start-url", start_url, "--db", str(db), "--delay", "0", "--concurrency", "8"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats = pstats.Stats(str(out))
    shares: dict[str, float] = {}
    top: list[tuple[float, str]] = []
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        name = area(filename, function)
        shares[name] = shares.get(name, 0.0) + tottime
        top.append((tottime, f"{Path(filename).name}:{function}"))
    total = sum(shares.values())
    print("    top self time:", ", ".join(f"{name} {t / total:.1%}" for t, name in sorted(top, reverse=True)[:8]))
    return {name: seconds / total for name, seconds in sorted(shares.items())}


def cpu_line(runs: list[dict]) -> str:
    """Median CPU time per article by process (the crawl, its workers, the replica), and their sum
    over the machine's cores: the wall time per article no scheduling can go below (the sum holds
    each interpreter's start-up, ~0.5 s for the crawl and ~0.2 s per worker, which Scrapy's
    elapsed time leaves out: over 1,000 articles that is ~1 ms per article)."""
    roles = sorted({role for r in runs for role in r["cpu"]}, key=["main", "parse", "store", "warc", "replica"].index)
    parts = {role: statistics.median(1000 * r["cpu"].get(role, 0.0) / r["articles"] for r in runs) for role in roles}
    total = sum(parts.values())
    cores = os.cpu_count() or 1
    shown = ", ".join(f"{role} {ms:.2f}" for role, ms in parts.items())
    return f"{shown} ms (sum {total:.2f} ms, start-up included; / {cores} cores = {total / cores:.2f} ms)"


def summary(values: list[float], unit: str = "", digits: int = 0) -> str:
    return (
        f"median {statistics.median(values):.{digits}f}{unit} range {min(values):.{digits}f}–{max(values):.{digits}f}"
    )


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--pad-kb", type=int, nargs="+", default=[0, 408])
    parser.add_argument("--warc", nargs="+", choices=["on", "off"], default=["on", "off"])
    parser.add_argument("--compare", type=Path, help="a folder holding another newsroom_scraper/ to compare with")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for pad_kb in options.pad_kb:
            log = folder / f"replica-{pad_kb}.log"
            replica, url = start_replica(options.articles, pad_kb, log)
            REPLICA["pid"] = replica.pid
            try:
                base = url.split("/newsroom/")[0]
                warm = project_crawl(url, 8, folder)  # also fills the replica's cache
                urls_file = folder / f"urls-{pad_kb}.txt"
                urls_file.write_text("\n".join(fetched_urls(log, base)) + "\n")
                kb = "~12 KB" if pad_kb == 0 else f"~{pad_kb + 22} KB"
                print(f"pages {kb} (--pad-kb {pad_kb}), {warm['articles']} articles, {options.rounds} rounds")
                variants: dict[str, list[str]] = {}
                if "on" in options.warc:
                    variants["project"] = []
                if "off" in options.warc:
                    variants["project --no-warc"] = ["--no-warc"]
                if options.compare:
                    variants["compared (SRC)"] = []
                for concurrency in options.concurrency:
                    ours: dict[str, list[dict]] = {name: [] for name in variants}
                    theirs = []
                    for _ in range(options.rounds):
                        for name, extra in variants.items():
                            source = options.compare if name.startswith("compared") else None
                            ours[name].append(project_crawl(url, concurrency, folder, extra, source))
                        theirs.append(ceiling(urls_file, concurrency, warm["articles"]))
                    top = [r["articles"] / r["seconds"] for r in theirs]
                    row: dict = {"ceiling": top}
                    print(
                        f"  C={concurrency:<3} Scrapy only        {summary(top)} articles/s, RSS {summary([r['rss'] for r in theirs], ' MB')}"
                    )
                    print(f"        {'  CPU per article':<18} {cpu_line(theirs)}")
                    for name, runs in ours.items():
                        if not runs:
                            continue
                        rate = [r["articles"] / r["seconds"] for r in runs]
                        ratios = [a / b for a, b in zip(rate, top, strict=True)]
                        print(
                            f"        {name:<18} {summary(rate)} articles/s, RSS {summary([r['rss'] for r in runs], ' MB')}"
                        )
                        print(f"        {'  ratio to Scrapy':<18} {summary(ratios, digits=2)} (target >= 0.7)")
                        print(f"        {'  CPU per article':<18} {cpu_line(runs)}")
                        counts = sorted({r["requests"] for r in runs}, key=str)
                        print(f"        {'  requests made':<18} {', '.join(map(str, counts))} (Scrapy's request_count)")
                        key = {"project": "", "project --no-warc": "no_warc_", "compared (SRC)": "compared_"}[name]
                        row[f"{key}project"] = rate
                        row[f"{key}ratio"] = ratios
                        row[f"{key}rss"] = [r["rss"] for r in runs]
                        row[f"{key}ms_per_article"] = [1000 / r for r in rate]
                    if ours.get("compared (SRC)") and ours.get("project"):
                        speedup = [a / b for a, b in zip(row["project"], row["compared_project"], strict=True)]
                        print(f"        {'this code / SRC':<18} {summary(speedup, digits=2)} (same rounds)")
                        row["speedup"] = speedup
                    if "project" not in row and "no_warc_project" in row:  # growth.py reads these keys
                        row.update(project=row["no_warc_project"], ratio=row["no_warc_ratio"])
                        row.update(rss=row["no_warc_rss"], ms_per_article=row["no_warc_ms_per_article"])
                    results[f"{pad_kb}/{concurrency}"] = row
                if options.profile:
                    shares = profile(url, folder)
                    print("  profile (C=8, self time):", ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
                    results[f"{pad_kb}/profile"] = shares
            finally:
                replica.terminate()
                replica.wait()
    if options.json:
        options.json.write_text(json.dumps({"articles": options.articles, **results}, indent=1))
    return results


if __name__ == "__main__":
    main()
