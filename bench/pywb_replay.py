"""Replay an archived article with pywb from the crawl's WARC files and CDXJ index.

    .venv/bin/python bench/pywb_replay.py --warc-dir archive/warc [--venv /tmp/pywb-venv] [--port 8090]

pywb is GPL and pins old packages, so it is never a dependency of newsroom-archive: this script
installs it into a virtualenv of its own (once), makes a collection whose archive folder links
to the WARC files and whose index is our index.cdxj, starts pywb on loopback, asks for the first
article of the index in ``id_`` mode (the original bytes) and in normal replay mode, and prints
what it got. Then the 304s (issue 19, 3): an article at the time of its first 304 answer, which
must replay as the last full capture, never as the bare 304; and pywb's own indexing of the files
(``wb-manager add``), which must hold exactly the records of our index (no 304 metadata).
Too slow for `make test` (the install alone takes a minute): run it by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warc-dir", type=Path, default=Path("archive/warc"))
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "pywb-venv")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    warc_dir = args.warc_dir.resolve()
    if not (args.venv / "bin" / "wayback").exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.venv)], check=True)
        subprocess.run([args.venv / "bin" / "pip", "install", "--quiet", "pywb"], check=True)
    with tempfile.TemporaryDirectory() as root:
        collection = Path(root) / "collections" / "newsroom"
        (collection / "indexes").mkdir(parents=True)
        (collection / "archive").symlink_to(warc_dir)  # pywb resolves index file names here
        (collection / "indexes" / "index.cdxj").symlink_to(warc_dir / "index.cdxj")
        line = next(
            line
            for line in (warc_dir / "index.cdxj").read_text().splitlines()
            if "/newsroom/" in line and ".html" in line
        )
        _, stamp, fields = line.split(" ", 2)
        url = json.loads(fields)["url"]
        server = subprocess.Popen(
            [args.venv / "bin" / "wayback", "--bind", "127.0.0.1", "--port", str(args.port)],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        not_modified = first_304(warc_dir)
        try:
            base = f"http://127.0.0.1:{args.port}/newsroom"
            original = fetch(f"{base}/{stamp}id_/{url}")
            replayed = fetch(f"{base}/{stamp}/{url}")
            at_304 = fetch(f"{base}/{not_modified[1]}id_/{not_modified[0]}") if not_modified else b""
        finally:
            server.terminate()
            server.wait()
        ours, theirs = index_lines(warc_dir), pywb_index_lines(args.venv, Path(root), warc_dir)
    print(f"pywb ({args.venv}) replaying {url} at {stamp}:")
    print(f"  id_ mode: {len(original)} bytes, <h1>: {between(original, b'<h1', b'</h1>')}")
    print(f"  replay mode: {len(replayed)} bytes (rewritten links, pywb banner)")
    if not_modified:
        kind = "the bare 304 head" if b"304 Not Modified" in at_304[:200] or len(at_304) < 500 else "a full page"
        print(f"  {not_modified[0]} at its 304 ({not_modified[1]}), id_ mode: {len(at_304)} bytes, {kind}")
    print(f"  wb-manager add indexes {theirs} records; our index.cdxj holds {ours}")
    return 0


def first_304(warc_dir: Path) -> tuple[str, str] | None:
    """An article URL and the time (14 digits) of its first 304 answer in the WARC files, if any."""
    from newsroom_scraper.evidence.warc import iter_captures

    for capture in iter_captures(warc_dir, lambda url: "/newsroom/" in url and url.endswith(".html")):
        if capture.status == 304:
            return capture.url, "".join(ch for ch in capture.captured_at[:19] if ch.isdigit())
    return None


def index_lines(warc_dir: Path) -> int:
    return len((warc_dir / "index.cdxj").read_text().splitlines())


def pywb_index_lines(venv: Path, root: Path, warc_dir: Path) -> int:
    """The lines of the index pywb's own ``wb-manager add`` writes of the WARC files."""
    manager = str(venv / "bin" / "wb-manager")
    subprocess.run([manager, "init", "check"], cwd=root, check=True, capture_output=True)
    files = [str(p) for p in sorted(warc_dir.rglob("*.warc.gz"))]
    subprocess.run([manager, "add", "check", *files], cwd=root, check=True, capture_output=True)
    return len((root / "collections" / "check" / "indexes" / "index.cdxj").read_text().splitlines())


def fetch(url: str) -> bytes:
    for _ in range(50):  # pywb takes a few seconds to start
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"pywb did not answer {url}")


def between(body: bytes, start: bytes, end: bytes) -> str:
    i = body.find(start)
    j = body.find(end, i)
    return body[i : j + len(end)].decode("utf-8", "replace") if i >= 0 and j >= 0 else "(none)"


if __name__ == "__main__":
    sys.exit(main())
