"""The CDXJ replay index kept up to date from what a run wrote: index the new files, merge.

``write_index`` (write.py) indexes a whole folder; at the end of every run that cost grew with
the archive's age (116 MB of WARC history: +3.95 s CPU for a 20-article night, issue 18). A run
only adds files (WARC files are never changed once closed), so ``update_index`` indexes the files
the index does not cover yet and merges their sorted lines into it: the same bytes a full rebuild
writes (cdxj-indexer sorts lines as strings and drops repeated ones; a merge of two sorted
files that drops repeated lines gives exactly that).

Which files the index covers is kept beside it in ``MANIFEST_NAME`` (name and size of each, one
JSON object). A missing or stale manifest (a file gone, or of another size; an index missing)
means one full rebuild, after which the manifest is right again.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsroom_scraper.evidence.warc.records import INDEX_NAME
from newsroom_scraper.evidence.warc.write import indexable, write_index

MANIFEST_NAME = f".{INDEX_NAME}.files"  # {"relative/path.warc.gz": size in bytes, …}
CDXJ_OPTIONS = {"sort": True, "post_append": True, "records": "response,revisit,resource"}  # as write_index's


def indexable_files(folder: Path) -> dict[str, int]:
    """The files an index of ``folder`` covers (write_index's inputs): relative name → size."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in indexable(folder)}


def update_index(folder: Path) -> Path:
    """Bring ``index.cdxj`` up to date with the files in ``folder``, indexing only the new ones.

    Byte-identical to ``write_index(folder)``; falls back to it when the index or its manifest is
    missing, or a file it covered is gone or changed.
    """
    files = indexable_files(folder)
    covered = _read_manifest(folder)
    index = folder / INDEX_NAME
    if covered is None or not index.exists() or any(files.get(name) != size for name, size in covered.items()):
        write_index(folder)
    else:
        new = sorted(name for name in files if name not in covered)
        if new:
            _merge_new_files(folder, new)
    _write_manifest(folder, files)
    return index


def _merge_new_files(folder: Path, names: list[str]) -> None:
    """Index ``names`` (relative to ``folder``) and merge their lines into the index."""
    from cdxj_indexer.main import write_cdx_index

    index = folder / INDEX_NAME
    fresh = folder / f".{INDEX_NAME}.new"
    partial = folder / f".{INDEX_NAME}.partial"
    write_cdx_index(str(fresh), [str(folder / name) for name in names], {**CDXJ_OPTIONS, "dir_root": str(folder)})
    with (
        index.open(encoding="utf-8", newline="") as old,
        fresh.open(encoding="utf-8", newline="") as added,
        partial.open("w", encoding="utf-8", newline="") as out,
    ):
        out.writelines(_distinct(heapq.merge(old, added)))
    os.replace(partial, index)
    fresh.unlink()


def _distinct(lines: Iterable[str]) -> Iterator[str]:
    """Sorted lines without repeats (what cdxj-indexer's sorting writer does)."""
    last = None
    for line in lines:
        if line != last:
            yield line
        last = line


def _read_manifest(folder: Path) -> dict[str, int] | None:
    try:
        covered = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return covered if isinstance(covered, dict) else None


def _write_manifest(folder: Path, files: dict[str, int]) -> None:
    partial = folder / f"{MANIFEST_NAME}.partial"
    partial.write_text(json.dumps(files, sort_keys=True), encoding="utf-8")
    os.replace(partial, folder / MANIFEST_NAME)
