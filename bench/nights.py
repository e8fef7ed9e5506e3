"""Nights of unattended operation, simulated: the nightly crawl against the replica on a controlled clock.

    python bench/nights.py [--nights 30] [--articles 500] [--seed 1] [--adds-per-day 4]
                           [--edits-per-day 3] [--remove-every 3] [--history-mb 0] [--pad-kb 0]
                           [--relaunch START:NIGHTS] [--search-down START:NIGHTS] [--sitemap-gone START:NIGHTS]
                           [--json FILE]

Starts ``newsroom-archive replica`` (``--state``: its admin journal, ``--log``: its access log) on a
free loopback port, sets its clock (``POST /_replica/clock``) to the night after today and crawls
it once into a fresh archive (night 0, a full walk). Then, for each night 1..N, the day before it
on the replica's clock: articles published (``/_replica/add``, dated by the clock), edits
(``/_replica/edit``) to articles of every age band (0–7, 7–60, 60–200, 200+ days at the edit), a
removal every ``--remove-every`` nights (``/_replica/remove``, 404 and 410 in turn), and the
switches of the scenario (``/_replica/switch``): the relaunched markup, the search API down, the
sitemap gone, each for the nights given (defaults scale with N). At 03:30 Berlin time on the
clock, the nightly crawl runs as production runs it, in a child process:
``newsroom-archive crawl --delay 0 --concurrency 8 -s NEWSROOM_NOW=<the clock>`` (also in the
environment as ``NEWSROOM_NOW``); only the delay differs (the figures count requests, not seconds).

Per night it prints: the conditions on, the crawl's exit code, its requests (the replica's log),
articles new/changed (``crawl_runs``), CPU seconds of the crawl process and the WARC folder's size
before it, and the drift alerts. The summary: requests per night (median, p90, max); delay from
publication to archive of new articles; delay from edit to an archived version containing it, by
the article's age band; removals noticed (``articles.removed_at``) and their delay, and fetches of
removed URLs after they were noticed; junk versions (a generic-layout version of an article
first archived by a specific layout, or any version written on a relaunch night, and the
"restoring" versions that follow junk); alerts by condition and night (exit code 3 and
``crawl_runs.drift``); CPU per night against the WARC history's size (least-squares slope).

``--history-mb N`` fills the WARC folder, before night 1, with copies of the first crawl's WARC
files up to N MB: the evidence of an archive some years old, for the CPU-against-history figure.
Everything stays on loopback; a temporary folder holds everything and is removed at the end
(``--keep-warc DIR``: its WARC folder copied there first).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
HOST = "https://www.dortmund.de"  # articles are archived under their canonical URL on the real host
COMMAND = [sys.executable, "-m", "newsroom_scraper"]
ARTICLE = re.compile(r"^/newsroom/(?:nachrichten-dortmund\.de|presse-mitteilungen|pressemitteilungen)/[^/?#]+\.html$")
BANDS = [("0-7 d", 0, 7), ("7-60 d", 7, 60), ("60-200 d", 60, 200), ("200+ d", 200, 100_000)]
CRAWL_HOUR = (3, 30)  # Berlin time of the nightly run
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy


# -- the replica ------------------------------------------------------------------------------


class Replica:
    """``newsroom-archive replica`` in a child process, changed through its admin actions."""

    def __init__(self, folder: Path, articles: int, seed: int, pad_kb: int) -> None:
        self.log = folder / "access.log"
        command = [*COMMAND, "replica", "--port", "0", "--articles", str(articles), "--seed", str(seed)]
        command += ["--log", str(self.log), "--state", str(folder / "replica-state.jsonl"), "--pad-kb", str(pad_kb)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not match:
            self.stop()
            raise SystemExit(f"the replica did not start: {line!r}")
        self.base = match.group(0)

    def admin(self, action: str, **data: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base}/_replica/{action}", data=json.dumps(data).encode(), method="POST"
        )
        with NO_PROXY.open(request, timeout=30) as answer:
            return dict(json.loads(answer.read()))

    def requests(self) -> list[tuple[int, str, str]]:
        """The access log: (status, method, path), admin calls left out."""
        lines = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            status, method, path = line.split(" ", 2)
            if method != "ADMIN":
                lines.append((int(status), method, path))
        return lines

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


# -- the scenario ------------------------------------------------------------------------------


def nights_range(text: str | None, default: tuple[int, int]) -> set[int]:
    """ "START:NIGHTS" (or the default) as the set of nights a condition is on; "0:0" for none."""
    start, length = (int(x) for x in text.split(":")) if text else default
    return set(range(start, start + length))


@dataclass
class Edit:
    path: str
    marker: str
    at: datetime
    band: str
    caught_night: int | None = None
    caught_at: datetime | None = None


@dataclass
class Added:
    path: str
    published: datetime
    archived_at: datetime | None = None


@dataclass
class Removal:
    path: str
    status: int
    at: datetime
    noticed_at: datetime | None = None
    fetches_after_notice: int = 0


@dataclass
class Night:
    number: int
    clock: datetime
    conditions: list[str]
    exit_code: int = 0
    requests: int = 0
    article_requests: int = 0
    new: int = 0
    changed: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    warc_mb: float = 0.0
    alerts: list[str] = field(default_factory=list)
    run_id: int | None = None


def canonical(path: str) -> str:
    return HOST + quote(path, safe="/%")


def band_of(age_days: float) -> str:
    return next(name for name, low, high in BANDS if low <= age_days < high)


def night_moment(first: date, number: int) -> datetime:
    """The crawl's moment on night ``number`` (03:30 Berlin on the day after ``first`` + number)."""
    day = first + timedelta(days=number)
    return datetime(day.year, day.month, day.day, *CRAWL_HOUR, tzinfo=BERLIN).astimezone(UTC)


def day_events(rng: random.Random, options: argparse.Namespace, night: int) -> list[tuple[float, str]]:
    """The day's changes before a night, as (hours after the previous night's crawl, kind), in order."""
    events = [(rng.uniform(3.5, 18), "add") for _ in range(_poisson(rng, options.adds_per_day))]
    events += [(rng.uniform(3.5, 20), "edit") for _ in range(_poisson(rng, options.edits_per_day))]
    if options.remove_every and night % options.remove_every == 0:
        events.append((rng.uniform(3.5, 20), "remove"))
    return sorted(events)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: fine for small means)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# -- one night ---------------------------------------------------------------------------------


def crawl(replica: Replica, db: Path, clock: datetime) -> tuple[int, float, float]:
    """The nightly crawl at ``clock`` to its end: (exit code, CPU seconds, wall seconds)."""
    moment = clock.isoformat(timespec="seconds")
    command = [*COMMAND, "crawl", "--start-url", replica.base + "/newsroom/", "--db", str(db)]
    command += ["--delay", "0", "--concurrency", "8", "--log-level", "WARNING", "-s", f"NEWSROOM_NOW={moment}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=db.parent, env={**os.environ, "NEWSROOM_NOW": moment}, capture_output=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode == 2:
        raise SystemExit(f"the crawl could not start:\n{done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, cpu, wall


def folder_mb(folder: Path) -> float:
    """Megabytes of WARC files in ``folder`` (the index beside them left out)."""
    files = folder.rglob("*.warc.gz") if folder.exists() else ()
    return sum(p.stat().st_size for p in files) / 1e6


def pad_history(warc: Path, megabytes: float) -> None:
    """Copies of the WARC files there are, under older names, until the folder holds ``megabytes``;
    then the index is brought up to date, as the runs that wrote that history would have left it."""
    originals = sorted(warc.glob("*.warc.gz"))
    serial = 0
    while originals and folder_mb(warc) < megabytes:
        for original in originals:
            serial += 1
            shutil.copyfile(original, warc / f"history-2020{serial:010d}-00000.warc.gz")
    try:  # the code under test's own index step (older code: a full rebuild)
        from newsroom_scraper.evidence.warc import update_index as index_step
    except ImportError:
        from newsroom_scraper.evidence.warc import write_index as index_step
    index_step(warc)


def observe(db: Path, night: Night, state: dict[str, Any]) -> None:
    """Read the night's run, what got archived, edits caught and removals noticed from the archive."""
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        run = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        night.run_id, night.new, night.changed = run["id"], run["new_count"] or 0, run["changed_count"] or 0
        night.alerts = json.loads(run["drift"]) if "drift" in run.keys() and run["drift"] else []
        archived = {row[0] for row in conn.execute("SELECT url FROM articles")}
        for added in state["added"]:
            if added.archived_at is None and canonical(added.path) in archived:
                added.archived_at = night.clock
        for edit in state["edits"]:
            if edit.caught_night is None:
                found = conn.execute(
                    "SELECT 1 FROM article_versions v JOIN articles a ON a.id = v.article_id "
                    "WHERE a.url = ? AND v.body_text LIKE ? LIMIT 1",
                    [canonical(edit.path), f"%{edit.marker}%"],
                ).fetchone()
                if found:
                    edit.caught_night, edit.caught_at = night.number, night.clock
        columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
        for removal in state["removals"]:
            if removal.noticed_at is None and "removed_at" in columns:
                row = conn.execute(
                    "SELECT removed_at FROM articles WHERE url = ?", [canonical(removal.path)]
                ).fetchone()
                if row and row[0]:
                    removal.noticed_at = night.clock


def junk_versions(db: Path, relaunch_runs: set[int]) -> dict[str, int]:
    """Versions no reader wants: generic re-versions of articles first read by a specific layout,
    any version written on a relaunch night, and versions that only restore the text after junk."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT article_id, version, run_id, json_extract(data, '$.layout') FROM article_versions "
            "ORDER BY article_id, version"
        ).fetchall()
    first_layout: dict[int, str] = {}
    counts: Counter[str] = Counter()
    previous_junk: dict[int, bool] = {}
    for article_id, version, run_id, layout in rows:
        layout = layout or ""
        first_layout.setdefault(article_id, layout)
        generic_over_specific = layout.startswith("generic") and not first_layout[article_id].startswith("generic")
        on_relaunch = run_id in relaunch_runs
        if version > 1 and generic_over_specific:
            counts["generic over a specific layout"] += 1
        elif on_relaunch:
            counts["other versions on relaunch nights"] += 1
        elif previous_junk.get(article_id):
            counts["restoring versions after junk"] += 1
        previous_junk[article_id] = (version > 1 and generic_over_specific) or on_relaunch
    return dict(counts)


def condition_of(alert: str) -> str:
    """An alert line without its figures: what it is about (e.g. "channel search named no article")."""
    words = re.sub(r"\(.*?\)|\d+(?:\.\d+)?%?", "", alert).split()
    return " ".join(words[:3])


# -- the run -----------------------------------------------------------------------------------


def simulate(options: argparse.Namespace, folder: Path) -> dict[str, Any]:
    rng = random.Random(options.seed)
    db, warc = folder / "newsroom.db", folder / "warc"
    scenario = {
        "relaunch": nights_range(options.relaunch, (max(2, options.nights // 2), max(2, options.nights // 10))),
        "search down": nights_range(options.search_down, (max(1, options.nights // 5), 2)),
        "sitemap gone": nights_range(options.sitemap_gone, (max(1, (options.nights * 3) // 4), 2)),
    }
    switch = {"relaunch": "changed_markup", "search down": "search_down", "sitemap gone": "sitemap"}
    first_day = date.today() + timedelta(days=1)
    state: dict[str, Any] = {"added": [], "edits": [], "removals": []}
    nights: list[Night] = []
    replica = Replica(folder, options.articles, options.seed, options.pad_kb)
    try:
        replica.admin("clock", set=night_moment(first_day, 0).isoformat())
        print(f"replica {replica.base}: {options.articles} articles, seed {options.seed}; night 0 (first crawl) …")
        for number in range(options.nights + 1):
            clock = night_moment(first_day, number)
            if number:
                day(replica, rng, options, number, night_moment(first_day, number - 1), state)
            conditions = [name for name, on in scenario.items() if number in on]
            for name, on_nights in scenario.items():
                on = number in on_nights
                replica.admin("switch", name=switch[name], on=(not on) if name == "sitemap gone" else on)
            replica.admin("clock", set=clock.isoformat())
            if number == 1 and options.history_mb:
                pad_history(warc, options.history_mb)
            night = Night(number, clock, conditions, warc_mb=folder_mb(warc))
            mark = len(replica.requests())
            night.exit_code, night.cpu, night.wall = crawl(replica, db, clock)
            fetched = replica.requests()[mark:]
            night.requests = len(fetched)
            night.article_requests = sum(1 for _, _, p in fetched if ARTICLE.match(p.split("?")[0]))
            observe(db, night, state)
            for removal in state["removals"]:
                if removal.noticed_at is not None and removal.noticed_at < night.clock:
                    removal.fetches_after_notice += sum(1 for _, _, p in fetched if _same(p, removal.path))
            nights.append(night)
            print(night_line(night), flush=True)
    finally:
        replica.stop()
    relaunch_runs = {n.run_id for n in nights if "relaunch" in n.conditions and n.run_id is not None}
    return {"nights": nights, "state": state, "junk": junk_versions(db, relaunch_runs), "scenario": scenario}


def _same(logged: str, path: str) -> bool:
    return logged.split("?")[0] in (path, quote(path, safe="/%"))


def day(
    replica: Replica, rng: random.Random, options: argparse.Namespace, night: int, since: datetime, state: dict
) -> None:
    """The site's day before ``night``: adds, edits and removals on the replica's clock."""
    for hours, kind in day_events(rng, options, night):
        moment = since + timedelta(hours=hours)
        replica.admin("clock", set=moment.isoformat())
        if kind == "add":
            added = replica.admin("add")
            state["added"].append(Added(added["path"], datetime.fromisoformat(added["published_at"])))
            continue
        listed = replica.admin("articles")["articles"]
        ages = [(row, (moment - datetime.fromisoformat(row["published_at"])).total_seconds() / 86400) for row in listed]
        if kind == "edit":
            band = BANDS[len(state["edits"]) % len(BANDS)]  # every band in turn
            candidates = [(row, age) for row, age in ages if band[1] <= age < band[2]] or ages
            row, age = rng.choice(candidates)
            marker = f"Korrektur {len(state['edits']) + 1} vom {moment.date().isoformat()}"
            replica.admin("edit", path=row["path"], paragraph=f"{marker}: Die Angaben wurden berichtigt.")
            state["edits"].append(Edit(row["path"], marker, moment, band_of(age)))
        else:
            row, _ = rng.choice([pair for pair in ages if pair[1] > 2])
            status = 404 if len(state["removals"]) % 2 == 0 else 410
            replica.admin("remove", path=row["path"], status=status)
            state["removals"].append(Removal(row["path"], status, moment))


# -- the report --------------------------------------------------------------------------------


def night_line(night: Night) -> str:
    alerts = "; ".join(night.alerts) if night.alerts else "-"
    return (
        f"| {night.number} | {night.clock.astimezone(BERLIN):%Y-%m-%d} | {', '.join(night.conditions) or '-'} | "
        f"{night.exit_code} | {night.requests} | {night.article_requests} | {night.new} | {night.changed} | "
        f"{night.cpu:.2f} | {night.warc_mb:.1f} | {alerts[:160]} |"
    )


HEADER = "| night | date | conditions | exit | requests | article requests | new | changed | CPU s | WARC MB | alerts |"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def days(delays: list[float]) -> str:
    if not delays:
        return "-"
    return f"median {statistics.median(delays):.2f} d, p90 {quantile(delays, 0.9):.2f} d, max {max(delays):.2f} d"


def summary(result: dict[str, Any]) -> list[str]:
    nights: list[Night] = result["nights"][1:]  # night 0 is the first crawl
    state = result["state"]
    lines = []
    requests = [n.requests for n in nights]
    lines.append(
        f"requests per night: median {statistics.median(requests):.0f}, p90 {quantile(requests, 0.9):.0f}, "
        f"max {max(requests)} (article pages: median {statistics.median(n.article_requests for n in nights):.0f})"
    )
    added = state["added"]
    delays = [(a.archived_at - a.published).total_seconds() / 86400 for a in added if a.archived_at]
    lines.append(f"new articles: {len(delays)} of {len(added)} archived; delay from publication {days(delays)}")
    for name, _, _ in BANDS:
        edits = [e for e in state["edits"] if e.band == name]
        caught = [(e.caught_at - e.at).total_seconds() / 86400 for e in edits if e.caught_at]
        lines.append(f"edits to articles {name} old: {len(caught)} of {len(edits)} caught; delay {days(caught)}")
    removals = state["removals"]
    noticed = [(r.noticed_at - r.at).total_seconds() / 86400 for r in removals if r.noticed_at]
    refetches = [r.fetches_after_notice for r in removals if r.noticed_at]
    lines.append(
        f"removals: {len(noticed)} of {len(removals)} noticed; delay {days(noticed)}; fetches of removed URLs "
        f"after notice: {sum(refetches)} (most for one URL: {max(refetches, default=0)})"
    )
    junk = result["junk"]
    detail = ", ".join(f"{k} {v}" for k, v in sorted(junk.items())) or "none"
    lines.append(f"junk versions: {sum(junk.values())} ({detail})")
    by_condition: dict[str, list[int]] = defaultdict(list)
    for night in nights:
        for alert in night.alerts:
            by_condition[condition_of(alert)].append(night.number)
    exit3 = [n.number for n in nights if n.exit_code == 3]
    lines.append(f"alerts: exit 3 on nights {_ranges(exit3) or 'none'}")
    for condition, numbers in sorted(by_condition.items()):
        lines.append(f"  {condition}: nights {_ranges(numbers)}")
    for name, on in result["scenario"].items():
        on_nights = sorted(n for n in on if n <= len(nights))
        alerted = [n for n in on_nights if n in exit3]
        lines.append(f"  {name} on nights {_ranges(on_nights) or 'none'}: alerted on {_ranges(alerted) or 'none'}")
    lines.append(cpu_against_history(nights))
    return lines


def cpu_against_history(nights: list[Night]) -> str:
    """CPU seconds of the nightly crawl process against the size of the WARC history before it."""
    xs, ys = [n.warc_mb for n in nights], [n.cpu for n in nights]
    slope = statistics.linear_regression(xs, ys).slope if len(set(xs)) > 1 else float("nan")
    quiet = [n.cpu for n in nights if not n.conditions] or ys
    return (
        f"CPU per night: median {statistics.median(ys):.2f} s (quiet nights {statistics.median(quiet):.2f} s), "
        f"WARC history {xs[0]:.1f} → {xs[-1]:.1f} MB; least-squares slope {slope * 100:+.2f} s per 100 MB"
    )


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 → "1-3, 5"."""
    parts: list[str] = []
    for number in sorted(set(numbers)):
        if parts and number == int(parts[-1].split("-")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{number}"
        else:
            parts.append(str(number))
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--adds-per-day", type=float, default=4.0)
    parser.add_argument("--edits-per-day", type=float, default=3.0)
    parser.add_argument("--remove-every", type=int, default=3, help="a removal every N nights (0: none)")
    parser.add_argument("--history-mb", type=float, default=0.0, help="WARC history before night 1 (copies)")
    parser.add_argument("--pad-kb", type=int, default=0, help="the replica's page padding (408: real weight)")
    parser.add_argument("--relaunch", help="START:NIGHTS of the changed markup (default N/2 : N/10)")
    parser.add_argument("--search-down", help="START:NIGHTS of the search API answering 503 (default N/5 : 2)")
    parser.add_argument("--sitemap-gone", help="START:NIGHTS without a sitemap (default 3N/4 : 2)")
    parser.add_argument("--json", type=Path, help="also write every night's figures here")
    parser.add_argument(
        "--keep-warc", type=Path, help="copy the nights' WARC folder here (e.g. for bench/reparse_floor.py)"
    )
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the replica's stop() still runs (finally)
    started = time.monotonic()
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    with tempfile.TemporaryDirectory() as name:
        result = simulate(options, Path(name))
        if options.keep_warc:
            shutil.copytree(Path(name) / "warc", options.keep_warc, dirs_exist_ok=True)
    print()
    print(f"{options.nights} nights, {options.articles} articles at the start, seed {options.seed}:")
    for line in summary(result):
        print(line)
    print(f"(simulated in {time.monotonic() - started:.0f} s)")
    if options.json:
        figures = {
            "options": vars(options) | {"json": str(options.json)},
            "nights": [vars(n) for n in result["nights"]],
        }
        options.json.write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
