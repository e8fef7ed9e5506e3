"""Growth at a glance: search p95, crawl time per article, RSS and database size against archive size.

    python bench/growth.py --search search.json --crawl crawl-1000.json crawl-5000.json [--png docs/growth.png]

Reads the ``--json`` output of bench/search.py (one file, several sizes) and of bench/crawl.py
(one file per replica size, ~12 KB pages, C=8), prints a Markdown table and, when matplotlib is
installed (``pip install -e '.[bench]'``), draws the four curves into one PNG.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

SEARCH = "/newsroom/search.json?q={q}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", type=Path, required=True)
    parser.add_argument("--crawl", type=Path, nargs="*", default=[])
    parser.add_argument("--png", type=Path)
    options = parser.parse_args()
    search = {int(size): figures for size, figures in json.loads(options.search.read_text()).items()}
    crawl = {}
    for path in options.crawl:
        figures = json.loads(path.read_text())
        key = next((k for k in ("408/8", "0/8") if k in figures), None)  # real weight, else 12 KB pages
        if key:
            crawl[int(figures.get("articles", 0))] = {**figures[key], "pages": "12 KB" if key == "0/8" else "430 KB"}
    print("| articles | search p95 (ranked) | `?_search=` p95 | pages p95 | serve RSS | DB size | KB/article |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, figures in sorted(search.items()):
        t = figures["templates"]
        table = t.get("/newsroom/articles?_search={q}", {}).get("p95", float("nan"))
        pages = t.get("plain pages", {}).get("p95", float("nan"))
        print(
            f"| {size:,} | {t[SEARCH]['p95']:.0f} ms | {table:.0f} ms | {pages:.0f} ms | {figures['rss']:.0f} MB"
            f" | {figures['mb']:.0f} MB | {figures['mb'] * 1e6 / size / 1024:.1f} |"
        )
    if crawl:
        print("\n| replica articles | pages | crawl ms/article (C=8, WARC on) | crawl peak RSS |")
        print("|---:|---:|---:|---:|")
        for size, row in sorted(crawl.items()):
            print(
                f"| {size:,} | {row['pages']} | {statistics.median(row['ms_per_article']):.1f}"
                f" | {statistics.median(row['rss']):.0f} MB |"
            )
    if not options.png:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install -e '.[bench]')")
        return
    sizes = sorted(search)
    figure, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    panels = [
        (
            axes[0][0],
            "search p95 (ms)",
            {
                "ranked search.json": [search[s]["templates"][SEARCH]["p95"] for s in sizes],
                "articles?_search=": [
                    search[s]["templates"].get("/newsroom/articles?_search={q}", {}).get("p95") for s in sizes
                ],
            },
            sizes,
        ),
        (axes[0][1], "database size (MB)", {"archive": [search[s]["mb"] for s in sizes]}, sizes),
        (axes[1][0], "serve peak RSS (MB)", {"serve": [search[s]["rss"] for s in sizes]}, sizes),
    ]
    crawl_sizes = sorted(crawl)
    panels.append(
        (
            axes[1][1],
            "crawl ms/article, RSS/10 (MB)",
            {
                "ms/article": [statistics.median(crawl[s]["ms_per_article"]) for s in crawl_sizes],
                "peak RSS / 10": [statistics.median(crawl[s]["rss"]) / 10 for s in crawl_sizes],
            },
            crawl_sizes,
        )
    )
    for axis, title, series, xs in panels:
        for label, ys in series.items():
            if xs and all(y is not None for y in ys):
                axis.plot(xs, ys, marker="o", label=label)
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("articles")
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(options.png, dpi=90)
    print(f"plot: {options.png}")


if __name__ == "__main__":
    main()
