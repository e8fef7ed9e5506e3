"""WARC bytes per article when the site answers uncompressed, gzip, br or zstd.

    python bench/warc_encodings.py [--articles 100] [--pad-kb 0 408] [--real-page PATH]

For each page weight (``--pad-kb``: 0 gives the replica's ~12 KB pages, 408 the real page's
~430 KB) and each encoding, a replica in its own process answers so (``--encoding``), and the
project's crawl, asking for every encoding Scrapy decodes (``DEFAULT_REQUEST_HEADERS``), writes its
WARC into a fresh folder. Printed: the WARC files' bytes per article (every exchange of the run
divided by the articles: robots.txt, listings, sitemaps and search API included), and whether
``warcio check`` passes on them. The crawl asks only for gzip and deflate (settings.py); this shows
what br or zstd would have saved on disk, and what they cost in the field's tools.

The replica's padding is a repeated pattern that even compressed data repeats (a gzip answer of
it shrinks 4x again in the WARC's own gzip), so ``--real-page`` (default: the real page in
``../shared/real-pages``, when there) adds the honest figure: that page encoded as a server would
(gzip 6, br 5, zstd 3), written as one response record by the crawl's writer (gzip 6 per record).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
EVERY_ENCODING = '{"Accept-Encoding": "gzip, deflate, br, zstd"}'


def run(articles: int, pad_kb: int, encoding: str | None, root: Path) -> tuple[int, bool]:
    """Crawl a replica answering in ``encoding`` (None: uncompressed); WARC bytes, ``warcio check`` passed."""
    command = [str(BIN / "newsroom-archive"), "replica", "--port", "0", "--articles", str(articles)]
    command += ["--pad-kb", str(pad_kb)] + (["--encoding", encoding] if encoding else [])
    replica = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert replica.stdout is not None
    url = replica.stdout.readline().split()[2]
    try:
        crawl = [str(BIN / "newsroom-archive"), "crawl", "--start-url", url, "--db", str(root / "a.db")]
        crawl += ["--delay", "0", "--concurrency", "8", "--log-level", "ERROR"]
        subprocess.run([*crawl, "-s", f"DEFAULT_REQUEST_HEADERS={EVERY_ENCODING}"], check=True, capture_output=True)
    finally:
        replica.terminate()
        replica.wait()
    files = sorted((root / "warc").glob("*.warc.gz"))
    check = subprocess.run([str(BIN / "warcio"), "check", *map(str, files)], capture_output=True)
    return sum(p.stat().st_size for p in files), check.returncode == 0


def real_page_records(page: bytes, root: Path) -> dict[str, int]:
    """Bytes of one WARC response record of ``page`` sent uncompressed and in each encoding."""
    from newsroom_replica.encodings import ENCODERS
    from newsroom_scraper.evidence.warc import Exchange, WarcWriter

    sizes = {}
    for encoding in (None, *ENCODERS):
        body = ENCODERS[encoding](page) if encoding else page
        headers = [("Content-Type", "text/html; charset=utf-8")] + (
            [("Content-Encoding", encoding)] if encoding else []
        )
        writer = WarcWriter(root / (encoding or "none"))
        url = "http://127.0.0.1:1/newsroom/page.html"
        location = writer.write_exchange(Exchange(url, "GET", [], b"", 200, headers, body, "2026-01-01T00:00:00+00:00"))
        writer.close()
        sizes[encoding or "none"] = location.length
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--pad-kb", type=int, nargs="+", default=[0, 408])
    shared = Path(__file__).resolve().parents[2] / "shared" / "real-pages"
    parser.add_argument("--real-page", type=Path, default=next(iter(sorted(shared.glob("*.html"))), None))
    args = parser.parse_args()
    if args.real_page:
        with tempfile.TemporaryDirectory() as root:
            sizes = real_page_records(args.real_page.read_bytes(), Path(root))
        print(f"The real page ({args.real_page.stat().st_size:,} bytes) as one WARC response record:")
        print("  " + ", ".join(f"{name} {size:,} bytes" for name, size in sizes.items()))
    print(f"{'page':>8} {'encoding':>9} {'WARC bytes/article':>19} {'warcio check':>13}")
    for pad_kb in args.pad_kb:
        for encoding in (None, "gzip", "br", "zstd"):
            with tempfile.TemporaryDirectory() as root:
                size, passed = run(args.articles, pad_kb, encoding, Path(root))
            page = f"+{pad_kb} KB"
            verdict = "passes" if passed else "FAILS"
            print(f"{page:>8} {encoding or 'none':>9} {size / args.articles:>19,.0f} {verdict:>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
