"""Reparse beside its floor: what reading the WARC and parsing each article costs, without storing.

    .venv/bin/python bench/reparse_floor.py [--articles N] [--pad-kb K ...] [--rounds R]

For each page weight (``--pad-kb 0``: ~12 KB pages; ``408``: ~430 KB, the live site's), a replica of
N articles is crawled once with WARC on. Then, in this one process and in alternating order, R
rounds of:

- the floor: warcio reads every record of the same files, and each article response's payload
  (decoded) is handed to ``parse_article`` — what any reparse must do at least;
- ``reparse`` of the folder into a fresh archive, in this process (``workers=0``), and as the command
  runs it (``workers=None``: a pool above ``POOL_MIN_BYTES``).

Prints ms per article (median of the rounds) and reparse / floor (the median of the rounds' ratios,
each over its own round's floor, and their range); the goal is ≤ 1.3 at both weights.
Peak RSS (the child's VmHWM): ``reparse`` in a child process of an empty folder, of N articles and
of the same captures four times over (copies, read and found already present): flat in the
captures; what each distinct article adds while its history waits to be stored.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newsroom_replica import ReplicaServer, ReplicaSite
from newsroom_scraper.errors import ParseError
from newsroom_scraper.evidence.reparse import reparse
from newsroom_scraper.evidence.warc import archive_files
from newsroom_scraper.parser.parse import parse_article

ROOT = Path(__file__).resolve().parents[1]
# The child's own peak: /proc's VmHWM belongs to its memory map, while ru_maxrss keeps the parent's
# peak at fork on Linux (every figure read 485 MB, this process's own peak, whatever the folder).
RSS_CHILD = """
import sys
from newsroom_scraper.evidence.reparse import reparse
reparse(sys.argv[1], sys.argv[2], workers=0)
status = open("/proc/self/status").read()
print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


def crawl(articles: int, pad_kb: int, folder: Path) -> Path:
    """The WARC folder of one crawl of a replica of ``articles`` pages padded by ``pad_kb``."""
    db = folder / "newsroom.db"
    site = ReplicaSite(articles, seed=3, newest=date.today(), menu_bytes=pad_kb * 1024, cache_bytes=256 << 20)
    with ReplicaServer(site) as server:
        command = [sys.executable, "-m", "newsroom_scraper", "crawl", "--start-url", f"{server.url}/newsroom/"]
        options = ["--db", str(db), "--delay", "0", "--concurrency", "16", "--log-level", "ERROR", "--no-images"]
        subprocess.run([*command, *options], check=True, capture_output=True, cwd=ROOT)
    return folder / "warc"


def floor(warc: Path) -> int:
    """Read every record of every file and parse each article response; the articles parsed."""
    parsed = 0
    for path in archive_files(warc):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or "/newsroom/" not in record.rec_headers.get_header(
                    "WARC-Target-URI"
                ):
                    record.content_stream().read()
                    continue
                body = record.content_stream().read()
                headers = record.http_headers
                if headers is None or not (headers.get_header("Content-Type") or "").startswith("text/html"):
                    continue
                try:
                    parse_article(body, record.rec_headers.get_header("WARC-Target-URI"))
                    parsed += 1
                except ParseError:  # a listing: read, not an article
                    pass
    return parsed


def timed(run, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = run(*args, **kwargs)
    return time.perf_counter() - start, result


def ratio(times: dict[str, list[float]], name: str) -> str:
    """``name``'s time over the floor's: the median of the rounds' ratios (each round's own floor), and their range."""
    ratios = sorted(t / f for t, f in zip(times[name], times["floor"], strict=True))
    return f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}–{ratios[-1]:.2f})"


def peak_rss_mb(warc: Path, folder: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, str(warc), str(folder / "rss.db")], check=True, capture_output=True, text=True
    ).stdout
    return int(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--pad-kb", type=int, nargs="+", default=[0, 408])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| pages | floor ms/article | reparse here ms/article | ratio | reparse (command) ms/article | ratio |")
    print("|---|---|---|---|---|---|")
    rss_lines = []
    for pad_kb in args.pad_kb:
        with tempfile.TemporaryDirectory() as tmp:
            warc = crawl(args.articles, pad_kb, Path(tmp))
            times: dict[str, list[float]] = {"floor": [], "here": [], "command": []}
            articles = 0
            for number in range(args.rounds):
                order = ["floor", "here", "command"] if number % 2 == 0 else ["command", "here", "floor"]
                for name in order:
                    target = Path(tmp) / f"r{number}-{name}.db"
                    if name == "floor":
                        seconds, articles = timed(floor, warc)
                    else:
                        seconds, _ = timed(reparse, warc, target, workers=0 if name == "here" else None)
                    times[name].append(seconds)
            per = {name: statistics.median(values) / articles * 1000 for name, values in times.items()}
            weight = f"~{12 + pad_kb} KB" if pad_kb else "~12 KB"
            print(
                f"| {weight} ({articles}) | {per['floor']:.2f} | {per['here']:.2f} | {ratio(times, 'here')} "
                f"| {per['command']:.2f} | {ratio(times, 'command')} |"
            )
            four = Path(tmp) / "four"
            four.mkdir()
            for copy in range(4):  # the same captures four times over: files of other names
                for path in archive_files(warc):
                    shutil.copy(path, four / f"copy{copy}-{path.name}")
            empty = Path(tmp) / "empty"
            empty.mkdir()
            none, one, many = peak_rss_mb(empty, empty), peak_rss_mb(warc, Path(tmp)), peak_rss_mb(four, four)
            per = (one - none) * 1024 / articles
            rss_lines.append(
                f"peak RSS of reparse ({weight}): {none} MB for none, {one} MB for {articles} articles "
                f"({per:.0f} KB each), {many} MB for the same captures 4× over"
            )
    print("\n".join(rss_lines))
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB peak)")


if __name__ == "__main__":
    main()
