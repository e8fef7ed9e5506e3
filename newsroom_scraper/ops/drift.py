"""Drift alerts: has the site changed under the crawl? Compares a run with the runs before it.

Four signals, each a line of text (an alert), computed from ``crawl_runs`` rows and the run's
parse errors; no I/O here (the pipeline asks the store and records the alerts with the run):

- a field whose empty rate jumped: empty on ``FIELD_JUMP`` more of the run's articles than on
  average over the previous runs, and so many that chance explains it less than once in a
  thousand runs (binomial tail at the usual rate, ``SIGNIFICANCE``): three articles without an
  image on a night are no alert, forty without a lead are;
- parse errors: at least ``MIN_ARTICLES`` pages that did not parse, the majority of the pages the
  run fetched, by reason;
- a discovery channel that stopped yielding: it named articles in each of the previous runs
  (``newsroom/seen_by/<channel>``) and none in this one;
- a lost layout: archived articles that the site's own layout read before and only the generic
  fallback reads now (``newsroom/failures/layout-lost``, archive_writer.py): a relaunch. One is
  enough, since no version of them is stored until a layout reads them again.

A run with alerts ends ``newsroom-archive crawl`` with exit code ``EXIT_DRIFT`` (3), so a systemd
``OnFailure=`` unit or cron's mail reaches the operator; ``status`` shows the alerts of the runs.

Alarms stay on (issue 18): a run is compared with the last *healthy* runs only (those that raised
no alert, ``crawl_runs.drift`` empty), so a broken run never becomes the baseline; each condition
(``drift_conditions``: a key such as ``channel:sitemap`` and its line) is one row of ``alerts``
(store/alerts.py), repeated by every run until a run that can judge it sees it gone
(``cleared_by``) or an operator acknowledges it (``newsroom-archive ack ID``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from newsroom_scraper.items import FALLBACK_LAYOUT

EXIT_DRIFT = 3
FIELD_JUMP = 0.4  # share of the run's articles (0.4: 40 percentage points above the average)
MIN_ARTICLES = 3  # fewer articles (or parse errors) in a run say nothing either way
SIGNIFICANCE = 0.001  # a field's empty count this unlikely at its usual rate is an alert
USUAL_FLOOR = 0.02  # a field never empty before is taken to be empty on 2 % of the pages
PREVIOUS_RUNS = 5  # the runs a run is compared with
# Channels that run every time (the teasers only when an article page is fetched).
CHANNELS = ("listing", "search", "sitemap", "teaser")


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _stored(run: Mapping[str, Any]) -> int:
    return sum(int(run.get(key) or 0) for key in ("new_count", "changed_count", "unchanged_count"))


def drift_alerts(
    run: Mapping[str, Any], previous: Sequence[Mapping[str, Any]], parse_errors: dict[str, int]
) -> list[str]:
    """The alerts of ``run`` (a ``crawl_runs`` row) against ``previous`` (older rows, any order)
    and its parse errors by reason."""
    return list(drift_conditions(run, previous, parse_errors).values())


def drift_conditions(
    run: Mapping[str, Any], previous: Sequence[Mapping[str, Any]], parse_errors: dict[str, int]
) -> dict[str, str]:
    """``drift_alerts`` by condition: ``{"field:lead": "field lead empty on …", "channel:search": …,
    "parse-errors": …, "layout-lost": …}`` (the keys ``alerts.condition`` and ``cleared_by`` use)."""
    found: dict[str, str] = {}
    for key, alerts in (
        ("field", _field_jumps(run, previous)),
        ("parse-errors", _parse_errors(run, parse_errors)),
        ("channel", _silent_channels(run, previous)),
        ("layout-lost", _lost_layouts(run)),
    ):
        for alert in alerts:
            condition = f"{key}:{alert.split()[1]}" if key in ("field", "channel") else key
            found[condition] = alert
    return found


def cleared_by(condition: str, run: Mapping[str, Any], parse_errors: dict[str, int]) -> bool:
    """Whether ``run``, which did not raise ``condition``, shows it gone. A run that cannot judge
    it (too few articles to tell a field's rate, no page a layout could lose) leaves it open: a quiet
    night is no all-clear."""
    stats = _loads(run.get("stats"))
    kind, _, name = condition.partition(":")
    if kind == "channel":
        return int(stats.get(f"newsroom/seen_by/{name}", 0)) > 0
    if kind == "field":
        return _stored(run) >= MIN_ARTICLES
    if kind == "parse-errors":
        return _stored(run) + sum(parse_errors.values()) >= MIN_ARTICLES
    if kind == "layout-lost":  # one of the site's layouts read a page of this run again
        return any(
            count and key.rsplit("/", 1)[1] != FALLBACK_LAYOUT
            for key, count in stats.items()
            if key.startswith("newsroom/read_by/")
        )
    return True  # a condition this code no longer raises


def _lost_layouts(run: Mapping[str, Any]) -> list[str]:
    lost = int(_loads(run.get("stats")).get("newsroom/failures/layout-lost", 0))
    if not lost:
        return []
    return [
        f"layout lost: {lost} archived articles read only by the generic fallback, no version stored "
        "(the site's markup changed: teach parser/layouts/ the new markup, then reparse the WARC)"
    ]


def _field_jumps(run: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[str]:
    empty = _loads(run.get("empty_fields"))
    before = [_loads(other.get("empty_fields")) for other in previous if _stored(other) >= MIN_ARTICLES]
    before = [shares for shares in before if shares]
    if _stored(run) < MIN_ARTICLES or not before or not empty:
        return []
    alerts = []
    articles = _stored(run)
    for name, share in sorted(empty.items()):
        usual = sum(shares.get(name, 0.0) for shares in before) / len(before)
        chance = _binomial_tail(articles, round(share * articles), max(usual, USUAL_FLOOR))
        if share - usual >= FIELD_JUMP and chance < SIGNIFICANCE:
            alerts.append(f"field {name} empty on {share:.0%} of the articles (usually {usual:.0%})")
    return alerts


def _parse_errors(run: Mapping[str, Any], parse_errors: dict[str, int]) -> list[str]:
    failed = sum(parse_errors.values())
    if failed < MIN_ARTICLES or failed <= _stored(run):
        return []
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(parse_errors.items(), key=lambda kv: -kv[1]))
    return [f"{failed} pages did not parse, more than were stored ({reasons})"]


def _silent_channels(run: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[str]:
    stats = _loads(run.get("stats"))
    earlier = [_loads(other.get("stats")) for other in previous]
    if not earlier:
        return []
    alerts = []
    for channel in CHANNELS:
        key = f"newsroom/seen_by/{channel}"
        if channel == "teaser" and not _stored(run):
            continue  # no article page fetched, so no slider to read
        if stats.get(key, 0) == 0 and all(other.get(key, 0) > 0 for other in earlier):
            alerts.append(f"channel {channel} named no article (it did in the previous {len(earlier)} runs)")
    return alerts


def usual_channels(runs: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The channels that named articles in every one of ``runs`` (the last healthy ones), with the
    fewest they named: what ``doctor`` expects of the site (a channel gone silent is broken).

    >>> usual_channels([{"stats": '{"newsroom/seen_by/sitemap": 30, "newsroom/seen_by/search": 0}'}])
    {'sitemap': 30}
    """
    if not runs:
        return {}
    counts = {
        channel: [int(_loads(run.get("stats")).get(f"newsroom/seen_by/{channel}", 0)) for run in runs]
        for channel in CHANNELS
    }
    return {channel: min(seen) for channel, seen in counts.items() if min(seen) > 0}


def _binomial_tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how likely k or more of n articles lack a field by chance.

    >>> round(_binomial_tail(3, 3, 0.5), 3), _binomial_tail(40, 40, 0.25) < 1e-20
    (0.125, True)
    """
    if k <= 0:
        return 1.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = (
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(k, n + 1)
    )
    return min(1.0, sum(math.exp(term) for term in terms))
