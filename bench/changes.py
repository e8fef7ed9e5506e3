"""Latency of the "what changed" pages (issue 16, 6) on an archive with many changed versions.

    python bench/changes.py [--size 10000] [--changed 0.05] [--trivial 0.3] [--rounds 20]

Copies bench/search.py's cached archive of ``--size`` replica articles (building it when missing),
then saves a second version of a share (``--changed``) of its articles through the store: a
punctuation-only title change for ``--trivial`` of them, an added paragraph for the rest. Serves the
copy with ``newsroom-archive serve`` and requests each page ``--rounds`` times; prints p50 / p95 /
max per page, and the requests that failed (status, or the time-out page). The changes page classifies each candidate version in Python (reader/diffs.py's
``only_trivial``), so its cost grows with the number of changed versions, not of articles.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from search import build_archive, get, percentile, serve  # noqa: E402

from newsroom_scraper.items import Article  # noqa: E402
from newsroom_scraper.store import Archive  # noqa: E402

PAGES = [
    "/newsroom/changes",
    "/newsroom/changes?page=2",
    "/newsroom/changes?trivial=1",
    "/newsroom/changes.atom",
    "/newsroom/changes.json",
    "/newsroom/credits",
    "/newsroom/coverage",
]


def add_changes(path: Path, changed: float, trivial: float) -> tuple[int, int]:
    """Save a second version of every ``1/changed``-th article; return (changed, trivial) counts."""
    with Archive(path) as archive:
        rows = archive.db.execute("select v.data from article_versions v where v.version = 1").fetchall()
        step = max(1, round(1 / changed))
        chosen = [Article.from_dict(json.loads(data)) for (data,) in rows[::step]]
        run = archive.start_run("bench-changes", {})
        cut = round(len(chosen) * trivial)
        for number, article in enumerate(chosen):
            if number < cut:
                edited = dataclasses.replace(article, title=article.title + ".")
            else:
                edited = dataclasses.replace(article, body_text=article.body_text + "\n\nNachtrag: geändert.")
            archive.save_article(
                edited,
                run_id=run,
                fetched_url=edited.url,
                fetched_at="2030-01-01T06:00:00+00:00",
                etag=None,
                last_modified=None,
            )
        archive.finish_run(run, "finished", {}, {"changed": len(chosen)}, {})
    return len(chosen), cut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.05, help="share of articles with a second version")
    parser.add_argument("--trivial", type=float, default=0.3, help="share of those changes that are punctuation only")
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "archive.db"
        shutil.copy(build_archive(options.size, options.seed), path)
        changed, trivial = add_changes(path, options.changed, options.trivial)
        print(f"{options.size} articles, {changed} changed ({trivial} punctuation only)")
        process, base = serve(path)
        try:
            for page in PAGES:
                times, failed = [], []
                for _ in range(options.rounds):
                    seconds, status, timed_out = get(base + page)
                    if status != 200 or timed_out:  # 400 "SQL query took too long": counted, not timed
                        failed.append(status)
                        continue
                    times.append(seconds * 1000)
                figures = (
                    "no answer"
                    if not times
                    else (
                        f"p50 {percentile(times, 0.5):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms  max {max(times):6.1f} ms"
                    )
                )
                print(
                    f"{page:32} {figures}"
                    + (f"  failed {len(failed)} (status {sorted(set(failed))})" if failed else "")
                )
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
