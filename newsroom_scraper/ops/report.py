"""The run report: what a crawl did, in a few lines a person reads after a scheduled run."""

from __future__ import annotations

import json
from typing import Any

from newsroom_scraper.items import often_empty_fields
from newsroom_scraper.ops.drift import MIN_ARTICLES

# A field empty on more than this share of the run's articles is flagged: most likely the
# site's markup changed and parser/layouts/dtm.py needs a look.
DRIFT_THRESHOLD = 0.5
# Fields that are legitimately empty on many pages (no image, no video, no button): marked in
# items.py; "published_time" is the time part of published_at (pages that show a date only).
OFTEN_EMPTY = often_empty_fields() | {"published_time"}
REMOVED_SHOWN = 5  # removed articles that `status` names (--json: all)


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def run_state(run: dict[str, Any] | None, writing: bool = False) -> str | None:
    """How a run ended (``finish_reason``), or, for a run without an end, "running" while a crawl
    holds the archive's lock (``writing``) and "interrupted" otherwise (killed, power lost)."""
    if not run:
        return None
    if run.get("finish_reason"):
        return str(run["finish_reason"])
    return "running" if writing else "interrupted"


def format_report(run: dict[str, Any] | None, writing: bool = False) -> str:
    """Format one ``crawl_runs`` row as the report printed at the end of a crawl (``writing``: a
    crawl holds the archive's lock now, see ``run_state``)."""
    if not run:
        return "no run recorded"
    stats = _loads(run.get("stats")) or {}
    empty = _loads(run.get("empty_fields")) or {}
    lines = [
        f"Run {run.get('id')} ({run.get('start_url')}): {run_state(run, writing)}, "
        f"{run.get('started_at')} → {run.get('finished_at') or '…'}",
        f"  articles: {run.get('new_count') or 0} new, {run.get('changed_count') or 0} changed, "
        f"{run.get('unchanged_count') or 0} unchanged, {run.get('not_modified_count') or 0} not modified (304), "
        f"{run.get('error_count') or 0} errors",
        f"  requests: {stats.get('downloader/request_count', 0)}, responses: "
        f"{stats.get('downloader/response_count', 0)}, robots.txt forbidden: {stats.get('robotstxt/forbidden', 0)}, "
        f"off-site links ignored: {stats.get('newsroom/offsite_ignored', 0) + stats.get('offsite/filtered', 0)}",
    ]
    if stats.get("newsroom/images") or stats.get("newsroom/images_failed"):
        lines.append(
            f"  images: {stats.get('newsroom/images', 0)} fetched ({stats.get('newsroom/image_bytes', 0):,} bytes), "
            f"{stats.get('newsroom/images_archived_skipped', 0)} archived before, "
            f"{stats.get('newsroom/images_failed', 0)} failed (warnings)"
        )
    failures = {key.rsplit("/", 1)[1]: n for key, n in stats.items() if key.startswith("newsroom/failures/")}
    if failures:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(failures.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"  recorded in crawl_errors, by kind: {kinds}")
    if stats.get("newsroom/removed") or stats.get("newsroom/still-removed"):
        still = stats.get("newsroom/still-removed", 0)
        lines.append(
            f"  removed: {stats.get('newsroom/removed', 0)} archived articles answered 404/410 for the first time"
            + (f" ({still} removed before still gone)" if still else "")
            + "; kept, re-checked on the removed schedule"
        )
    if stats.get("newsroom/too_large_held_back"):
        held = stats["newsroom/too_large_held_back"]
        lines.append(f"  too-large {held} not asked for again until a --recheck-all run (too large last time)")
    if stats.get("newsroom/storage_error"):
        lines.append(f"  ! storage failed, crawl stopped: {stats['newsroom/storage_error']}")
    if stats.get("newsroom/not_stored"):
        lines.append(f"  ! {stats['newsroom/not_stored']} pages could not be stored")
    if stats.get("newsroom/warc_index_error"):
        lines.append(
            f"  ! WARC replay index not written (the WARC files are kept): {stats['newsroom/warc_index_error']}"
        )
    stopped = {key.rsplit("/", 1)[1]: n for key, n in stats.items() if key.startswith("newsroom/paging_stopped/")}
    if "newsroom/full_walk" in stats:
        how = "full walk" if stats["newsroom/full_walk"] else "incremental"
        if stopped:
            how += ", paging stopped at a page with nothing new: " + ", ".join(
                f"{k} {v}" for k, v in sorted(stopped.items())
            )
        lines.append(f"  discovery: {how}")
    if stats.get("newsroom/search_api_failed"):
        lines.append("  search API failed: discovery relied on sitemaps, listings and teasers")
    if empty:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in sorted(empty.items(), key=lambda kv: -kv[1]))
        lines.append(f"  empty fields (share of the run's articles): {shares}")
        drift = [name for name, share in empty.items() if share > DRIFT_THRESHOLD and name not in OFTEN_EMPTY]
        stored = sum(int(run.get(key) or 0) for key in ("new_count", "changed_count", "unchanged_count"))
        if drift and stored >= MIN_ARTICLES:  # one article without a description is no drift
            lines.append(
                f"  ! markup drift? empty on most articles: {', '.join(sorted(drift))} (see parser/layouts/dtm.py)"
            )
    alerts = _loads(run.get("drift")) or []
    for alert in alerts:
        lines.append(f"  ! drift: {alert}")
    if alerts:
        lines.append("  (repeated every run until cleared: `newsroom-archive ack ID --why TEXT` acknowledges one)")
    return "\n".join(lines)


def run_drifted(run: dict[str, Any] | None) -> bool:
    """Whether the run recorded drift alerts (drift.py): the crawl then exits with EXIT_DRIFT."""
    return bool(run and _loads(run.get("drift")))


def summary_data(summary: dict[str, Any], writing: bool = False) -> dict[str, Any]:
    """``Archive.summary()`` for ``status --json``: the runs' JSON columns decoded, each run's state."""

    def run_data(run: dict[str, Any] | None) -> dict[str, Any] | None:
        if not run:
            return None
        data = {key: _loads(value) if key in _JSON_COLUMNS else value for key, value in run.items()}
        data["state"] = run_state(run, writing and run is summary.get("last_run"))
        return data

    return {
        **summary,
        "last_run": run_data(summary.get("last_run")),
        "recent_runs": [run_data(run) for run in summary.get("recent_runs") or []],
    }


_JSON_COLUMNS = {"stats", "options", "empty_fields", "drift"}


def format_runs(runs: list[dict[str, Any]]) -> str:
    """The last runs, newest first, one line each: when, how long, what they found, drift."""
    lines = []
    for run in runs:
        stats = _loads(run.get("stats")) or {}
        seconds = stats.get("elapsed_time_seconds")
        took = f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "–"
        drift = _loads(run.get("drift")) or []
        lines.append(
            f"  {run.get('id')}: {run.get('started_at')}, {took}, {run_state(run)}: "
            f"{run.get('new_count') or 0} new, {run.get('changed_count') or 0} changed, "
            f"{run.get('error_count') or 0} errors" + (f", {len(drift)} drift alert(s)" if drift else "")
        )
    return "\n".join(lines)


def format_summary(summary: dict[str, Any], writing: bool = False) -> str:
    """Format ``Archive.summary()`` for ``newsroom-archive status`` (``writing``: see ``run_state``)."""
    sections = ", ".join(f"{count} {name}" for name, count in summary["by_section"].items()) or "none"
    lines = [
        f"Articles: {summary['articles']} ({sections}), published {summary['oldest'] or '–'} … "
        f"{summary['newest'] or '–'}",
        f"Versions: {summary['versions']} ({summary['changed_articles']} articles changed since first seen)",
        f"Crawl runs: {summary['runs']}, URLs with open errors: {summary['open_errors']}",
    ]
    if "rechecks" in summary:
        due = summary["rechecks"]
        lines.append(
            f"Re-checks by age: {due['due_now']} due now, {due['due_in_a_day']} within a day, "
            f"{due['due_in_a_week']} within a week; next due {due['next'] or '–'}"
        )
    alerts = summary.get("open_alerts") or []
    lines.append(f"Open alerts: {len(alerts)}" + ("" if alerts else " (none)"))
    for alert in alerts:
        state = (
            f"acknowledged by {alert['acknowledged_by']} {alert['acknowledged_at']}: {alert['acknowledged_why']}"
            if alert.get("acknowledged_at")
            else f"repeated by {alert['runs']} run(s) since {alert['raised_at']}; `newsroom-archive ack {alert['id']}`"
        )
        lines.append(f"  alert {alert['id']}: {alert['message']} ({state})")
    removed = summary.get("removed") or []
    if removed:
        shown = ", ".join(f"{row['url']} ({row['removed_at']})" for row in removed[:REMOVED_SHOWN])
        more = (
            f", … {len(removed) - REMOVED_SHOWN} more (status --json lists all)" if len(removed) > REMOVED_SHOWN else ""
        )
        lines.append(f"Removed (answered 404/410): {len(removed)}: {shown}{more}")
    cycle = summary.get("recheck_cycle")
    if cycle and cycle["cycle_days"]:
        lines.append(
            f"Re-check cycle: every article at least every {_days(cycle['cycle_days'])} "
            f"(budget {cycle['budget']} re-checks a night, {cycle['articles']} articles not removed)"
        )
    elif cycle:
        lines.append("Re-check cycle: none promised (no NEWSROOM_RECHECK_BUDGET): by age only")
    if summary.get("recent_runs"):
        lines.append("Recent runs:")
        lines.append(format_runs(summary["recent_runs"]))
    if summary["last_run"]:
        lines.append("Last run:")
        lines.append(format_report(summary["last_run"], writing))
    return "\n".join(lines)


def _days(count: int) -> str:
    return "day" if count == 1 else f"{count} days"


def run_failed(run: dict[str, Any] | None) -> bool:
    """Whether the run itself failed (not: whether some pages did). Decides the exit code."""
    if not run:
        return True
    stats = _loads(run.get("stats")) or {}
    if run.get("finish_reason") not in ("finished", "closespider_itemcount", "closespider_pagecount"):
        return True
    if stats.get("newsroom/not_stored") or stats.get("newsroom/storage_error"):
        return True  # articles were fetched that the archive could not keep: systemd must hear of it
    if stats.get("newsroom/warc_index_error"):
        return True  # the WARC cannot be replayed from its index until it is rewritten
    return not stats.get("downloader/response_count")
