"""Replay an archived article with pywb from the crawl's WARC files and CDXJ index.

    .venv/bin/python bench/pywb_replay.py --warc-dir archive/warc [--venv .cache/pywb-venv] [--port 8090]

pywb is GPL and pins old packages, so it is never a dependency of newsroom-archive: this script
installs it into a virtualenv of its own (once), makes a collection whose archive folder links
to the WARC files and whose index is our index.cdxj, starts pywb on loopback, asks for the first
article of the index in ``id_`` mode (the original bytes) and in normal replay mode, and prints
what it got. Then the 304s (issue 19, 3): an article at the time of its first 304 answer, which
must replay as the last full capture, never as the bare 304; and pywb's own indexing of the files
(``wb-manager add``), which must hold exactly the records of our index (no 304 metadata).
tests/test_held_out.py uses its pieces; `make test` installs pywb with ``--install-only``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PYWB_VERSION = "2.10.0"
# Where `make test` installs it for tests/test_held_out.py (also a fine place for this script's).
DEFAULT_VENV = Path(__file__).resolve().parents[1] / ".cache" / "pywb-venv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warc-dir", type=Path, default=Path("archive/warc"))
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--install-only", action="store_true", help="install pywb into --venv and stop (make test)")
    args = parser.parse_args()
    warc_dir = args.warc_dir.resolve()
    install(args.venv)
    if args.install_only:
        return 0
    with tempfile.TemporaryDirectory() as root:
        linked_collection(Path(root), warc_dir)
        line = next(
            line
            for line in (warc_dir / "index.cdxj").read_text().splitlines()
            if "/newsroom/" in line and ".html" in line
        )
        _, stamp, fields = line.split(" ", 2)
        url = json.loads(fields)["url"]
        not_modified = first_304(warc_dir)
        with serving(args.venv, Path(root), args.port) as base:
            original = fetch(f"{base}/newsroom/{stamp}id_/{url}")
            replayed = fetch(f"{base}/newsroom/{stamp}/{url}")
            at_304 = fetch(f"{base}/newsroom/{not_modified[1]}id_/{not_modified[0]}") if not_modified else b""
        ours, theirs = index_lines(warc_dir), pywb_index_lines(args.venv, Path(root), warc_dir)
    print(f"pywb ({args.venv}) replaying {url} at {stamp}:")
    print(f"  id_ mode: {len(original)} bytes, <h1>: {between(original, b'<h1', b'</h1>')}")
    print(f"  replay mode: {len(replayed)} bytes (rewritten links, pywb banner)")
    if not_modified:
        kind = "the bare 304 head" if b"304 Not Modified" in at_304[:200] or len(at_304) < 500 else "a full page"
        print(f"  {not_modified[0]} at its 304 ({not_modified[1]}), id_ mode: {len(at_304)} bytes, {kind}")
    print(f"  wb-manager add indexes {theirs} records; our index.cdxj holds {ours}")
    return 0


def install(venv: Path) -> None:
    """pywb in the virtualenv ``venv``, unless it is there (what `make test` does for the tests)."""
    if not (venv / "bin" / "wayback").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([venv / "bin" / "pip", "install", "--quiet", f"pywb=={PYWB_VERSION}"], check=True)


def linked_collection(root: Path, warc_dir: Path) -> None:
    """The collection ``newsroom`` under ``root``: its archive folder is ``warc_dir``, its index ours."""
    collection = root / "collections" / "newsroom"
    (collection / "indexes").mkdir(parents=True)
    (collection / "archive").symlink_to(warc_dir)  # pywb resolves index file names here
    (collection / "indexes" / "index.cdxj").symlink_to(warc_dir / "index.cdxj")


def added_collection(venv: Path, root: Path, name: str, files: list[Path]) -> Path:
    """The collection ``name`` under ``root`` made by pywb itself: ``wb-manager init``, then ``wb-manager
    add`` of ``files`` (copied in and indexed by pywb); returns its index file."""
    manager = str(venv / "bin" / "wb-manager")
    subprocess.run([manager, "init", name], cwd=root, check=True, capture_output=True)
    subprocess.run([manager, "add", name, *map(str, files)], cwd=root, check=True, capture_output=True)
    return root / "collections" / name / "indexes" / "index.cdxj"


@contextmanager
def serving(venv: Path, root: Path, port: int) -> Iterator[str]:
    """pywb's ``wayback`` serving the collections under ``root`` on loopback; yields its base URL."""
    server = subprocess.Popen(
        [venv / "bin" / "wayback", "--bind", "127.0.0.1", "--port", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


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
    index = added_collection(venv, root, "check", sorted(warc_dir.rglob("*.warc.gz")))
    return len(index.read_text().splitlines())


def fetch(url: str) -> bytes:
    """The body pywb answers ``url`` with (waiting for it to start)."""
    return answer(url)[0]


def answer(url: str) -> tuple[bytes, dict[str, str]]:
    """The body pywb answers ``url`` with, as sent (not content-decoded), and its headers (lower-case
    names), waiting for pywb to start."""
    for _ in range(50):  # pywb takes a few seconds to start
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return bytes(response.read()), {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError:
            raise
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"pywb did not answer {url}")


def between(body: bytes, start: bytes, end: bytes) -> str:
    i = body.find(start)
    j = body.find(end, i)
    return body[i : j + len(end)].decode("utf-8", "replace") if i >= 0 and j >= 0 else "(none)"


if __name__ == "__main__":
    sys.exit(main())
