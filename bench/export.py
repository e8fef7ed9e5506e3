"""A full export of the archive's articles, streamed: its time and the server's memory (issue 16).

    python bench/export.py [--sizes 10000 100000] [--url /newsroom/articles.csv?_stream=on]

Serves bench/search.py's cached archive of each size (building it when missing) with
``newsroom-archive serve``, downloads the URL once (the body is read and counted, not kept) and
prints the lines, megabytes and seconds and the last line (a cut export says so there), with the server's peak RSS (VmHWM) before and after the
export. Constant memory means the peak after does not grow with the number of rows: compare the
sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from search import OPENER, build_archive, peak_rss_mb, serve  # noqa: E402


def download(url: str) -> tuple[int, int, float, str]:
    """Lines and bytes of the answer at ``url``, the seconds it took, and its last line (Datasette
    ends a cut or failed CSV with a line that says why), read 64 KB at a time."""
    started = time.perf_counter()
    lines = size = 0
    tail = b""
    with OPENER.open(url, timeout=3600) as response:
        while chunk := response.read(65536):
            lines += chunk.count(b"\n")
            size += len(chunk)
            tail = (tail + chunk)[-400:]
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    return lines, size, time.perf_counter() - started, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", default="/newsroom/articles.csv?_stream=on")
    options = parser.parse_args()
    for size in options.sizes:
        process, base = serve(build_archive(size, options.seed))
        try:
            before = peak_rss_mb(process.pid)
            lines, size_bytes, seconds, last = download(base + options.url)
            after = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)
        print(
            f"{size} articles  {options.url}: {lines} lines, {size_bytes / 1e6:.0f} MB in {seconds:.1f} s"
            f" ({lines / seconds:.0f} lines/s); server peak RSS {before:.0f} MB before, {after:.0f} MB after"
        )
        print(f"  its last line: {last[:100]}")


if __name__ == "__main__":
    main()
