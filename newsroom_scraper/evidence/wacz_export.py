"""``newsroom-archive export-wacz``: the crawl's WARC files of each month packed as a signed WACZ.

One WACZ per month (``wacz/newsroom-YYYY-MM.wacz`` beside the database, never inside the WARC
folder, which reparse reads): the month's ``newsroom-*.warc.gz`` files, their index, one page per
article capture, SHA-256 of every file, signed with the archive's own key
(``wacz-signing-key.pem``; its public half in ``wacz-signing-key.pem.pub``). A month's package is
rewritten only when a WARC file of that month is newer than it, so the command can run nightly.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from newsroom_scraper import __version__
from newsroom_scraper.evidence.warc.wacz import Page, load_or_create_key, write_wacz
from newsroom_scraper.store import Archive

CRAWL_FILE = re.compile(r"^newsroom-(\d{4})(\d{2})\d{8}-\d+\.warc\.gz$")  # evidence/warc/write.py's names
SOFTWARE = f"newsroom-archive {__version__}"


@dataclass(frozen=True)
class Packed:
    """One WACZ the export wrote (or found current)."""

    month: str
    path: Path
    files: int
    pages: int
    written: bool  # False: already current


def months_of(warc_dir: Path) -> dict[str, list[Path]]:
    """The crawl's own WARC files (top level of ``warc_dir``), by month of their name ("2026-12")."""
    months: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(warc_dir.glob("newsroom-*.warc.gz")):
        match = CRAWL_FILE.match(path.name)
        if match:
            months[f"{match[1]}-{match[2]}"].append(path)
    return dict(months)


def export_wacz(
    db_path: Path,
    warc_dir: Path,
    *,
    out_dir: Path | None = None,
    month: str | None = None,
    key_path: Path | None = None,
    sign: bool = True,
    force: bool = False,
) -> list[Packed]:
    """Write the WACZ of ``month`` (every month when None) into ``out_dir`` (default ``wacz/``
    beside the database); ValueError when the month has no WARC file."""
    months = months_of(warc_dir)
    if month is not None:
        if month not in months:
            raise ValueError(f"no WARC file of {month} in {warc_dir}")
        months = {month: months[month]}
    out = out_dir or db_path.parent / "wacz"
    out.mkdir(parents=True, exist_ok=True)
    key = load_or_create_key(key_path or db_path.parent / "wacz-signing-key.pem") if sign else None
    packed = []
    with Archive(db_path, read_only=True) as archive:
        for name, files in sorted(months.items()):
            target = out / f"newsroom-{name}.wacz"
            newest = max(p.stat().st_mtime for p in files)
            if not force and target.exists() and target.stat().st_mtime >= newest:
                packed.append(Packed(name, target, len(files), 0, written=False))
                continue
            rows = archive.pages_in([p.name for p in files])
            pages = [Page(r["url"], r["title"], r["captured_at"]) for r in rows]
            title = f"Newsroom der Stadt Dortmund, Archiv {name}"
            write_wacz(target, files, pages, software=SOFTWARE, title=title, key=key)
            packed.append(Packed(name, target, len(files), len(pages), written=True))
    return packed
