"""Peak memory of ``wayback`` and ``reparse`` on the bombs of issue 17 (4), each in a child process.

    python bench/bombs.py [--bomb-mib 2048] [--body-mib 300]

1. ``newsroom-archive wayback`` against the loopback Wayback stub whose one memento is an HTTP
   gzip bomb (``--bomb-mib`` of zeros, gzip-compressed, ``Content-Encoding: gzip``).
2. ``newsroom-archive reparse`` of a WACZ whose one WARC member holds a response record with a
   ``--body-mib`` body (stored gzipped: zeros, a few hundred KB on disk).

Prints each command's exit code, its last report line and its peak RSS (``ru_maxrss`` of the
child: the bench starts no other process).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsroom_replica.wayback_stub import StubCapture, WaybackStub

URL = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/bombe.html"


def gzip_of_zeros(mib: int) -> bytes:
    """``mib`` MiB of zeros as one gzip member, compressed a MiB at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(compressor.compress(block) for _ in range(mib)) + compressor.flush()


def run(command: list[str]) -> tuple[int, str, float]:
    """Exit code, last stdout line and peak RSS in MB of ``newsroom-archive <command>``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, "-m", "newsroom_scraper", *command], capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak >= before
    lines = (done.stdout or done.stderr).strip().splitlines() or [""]
    return done.returncode, lines[0], peak / 1024


def wayback_bomb(folder: Path, mib: int) -> None:
    bomb = gzip_of_zeros(mib)
    capture = StubCapture(URL, "20250701090000", bomb, headers=(("Content-Encoding", "gzip"),))
    with WaybackStub([capture]) as stub:
        db = folder / "wayback.db"
        code, line, peak = run(["wayback", "--db", str(db), "--wayback-url", stub.url, "--mementos-per-second", "0"])
    print(f"wayback, a {mib} MiB gzip bomb ({len(bomb) / 1e6:.1f} MB on the wire): exit {code}, peak RSS {peak:.0f} MB")
    print(f"  {line}")


def wacz_with_a_large_body(folder: Path, mib: int) -> None:
    zeros = folder / "zeros"
    with open(zeros, "wb") as handle:
        handle.truncate(mib << 20)
    member = folder / "data.warc.gz"
    with open(member, "wb") as out, open(zeros, "rb") as body:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer = WARCWriter(out, gzip=True)
        writer.write_record(
            writer.create_warc_record(URL, "response", payload=body, length=mib << 20, http_headers=http)
        )
    zeros.unlink()
    warc = folder / "warc"
    warc.mkdir()
    with zipfile.ZipFile(warc / "large.wacz", "w") as wacz:
        wacz.write(member, "archive/data.warc.gz")
    code, line, peak = run(["reparse", "--quiet", "--warc-dir", str(warc), "--db", str(folder / "reparse.db")])
    print(f"reparse, a WACZ member with a {mib} MiB body: exit {code}, peak RSS {peak:.0f} MB")
    print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bomb-mib", type=int, default=2048)
    parser.add_argument("--body-mib", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wayback_bomb(Path(tmp), options.bomb_mib)
    with tempfile.TemporaryDirectory() as tmp:
        wacz_with_a_large_body(Path(tmp), options.body_mib)


if __name__ == "__main__":
    main()
