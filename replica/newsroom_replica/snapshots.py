"""The named samples' pages and their parses, stored as snapshots: ``python -m newsroom_replica.snapshots [--check]``.

For each sample of ``samples.py`` it writes ``tests/snapshots/dtm-2023/<name>.html`` (the page
as ``markup.py`` renders it) and ``<name>.json`` (what the current parser makes of it,
``Article.to_dict()`` indented, UTF-8, in the order of its fields). The parser tests compare
``parse_article`` with the stored JSON, so a change of the parser's output shows up as a
reviewed diff of these files, as Fundus keeps its test data. Run it after changing a sample,
the renderer or the parser on purpose; ``--check`` writes nothing and exits 1 when a file
differs from what it would write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsroom_scraper import parse_article

from .expected import expected
from .markup import render_article
from .samples import sample_pages

LAYOUT = "dtm-2023"
SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "tests" / "snapshots" / LAYOUT


def fetched_url(name: str) -> str:
    """The URL a snapshot is parsed as fetched from (the page's canonical URL wins, as on a crawl)."""
    return f"http://127.0.0.1:8000/snapshots/{name}.html"


def article_json(record: dict[str, object]) -> bytes:
    """A parse as stored: indented JSON, UTF-8 not escaped, the fields in ``Article.to_dict()``'s order."""
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def snapshot_files() -> dict[str, bytes]:
    """Every snapshot file's name and bytes, from the current renderer and the current parser."""
    files: dict[str, bytes] = {}
    for name, page in sorted(sample_pages().items()):
        html = render_article(page).encode("utf-8")
        record = parse_article(html, fetched_url(name)).to_dict()
        if record != expected(page):  # worth a look: the parser and the data-derived record disagree
            print(f"note: the parse of {name} differs from newsroom_replica.expected", file=sys.stderr)
        files[f"{name}.html"] = html
        files[f"{name}.json"] = article_json(record)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsroom_replica.snapshots", description="Store the named samples and their parses."
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a snapshot is out of date")
    parser.add_argument("--dir", type=Path, default=SNAPSHOT_DIR, help=f"default {SNAPSHOT_DIR}")
    options = parser.parse_args(argv)
    files = snapshot_files()
    stale = sorted(path for path in options.dir.glob("*") if path.name not in files)
    changed = [name for name, data in files.items() if _read(options.dir / name) != data]
    for name in changed:
        print(f"{'differs' if options.check else 'wrote'}: {options.dir / name}")
        if not options.check:
            options.dir.mkdir(parents=True, exist_ok=True)
            (options.dir / name).write_bytes(files[name])
    for path in stale:
        print(f"{'no sample' if options.check else 'removed'}: {path}")
        if not options.check:
            path.unlink()
    if not changed and not stale:
        print(f"{len(files)} snapshots up to date in {options.dir}")
    return 1 if options.check and (changed or stale) else 0


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
