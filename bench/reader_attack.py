"""A reader's latency while four clients attack the public archive with SQL (issue 17, 1).

    python bench/reader_attack.py [--articles 3000] [--seconds 10] [--rounds 3] [--attackers 4]
                                  [--one-address] [--probe N ...]

Serves an archive of N replica articles (built once and cached like bench/search.py's) with
``newsroom-archive serve``. One reader asks for ordinary pages in turn (an article page, the search
page for a common and for a rarer word, a table search) for ``--seconds`` alone, then as long again
while ``--attackers`` clients send, each as fast as it is answered, the probes of issue 17 (both
phases ``--rounds`` times in turn, so that the machine's other load weighs on both alike):

- the giant ``search_excerpt()``: a 30 KB text and 3,500 query words in an 81 KB address (22 s of
  uninterrupted work per request before the fix), and the same function over every article with a
  200-character query of the costliest kind inside the SQL;
- long-running arbitrary SQL: a recursive CTE and a self-join that only the time limit stops, and
  ~8 KB of SQL;
- an uninterruptible built-in: ``instr()`` over two ~0.5 MB strings (seconds in one step);
- table pages with ``?_where=`` running the same kind of work.

Each attacker speaks from its own address (``X-Forwarded-For: 10.0.0.k``, which uvicorn trusts from
loopback as it would from a reverse proxy there); ``--one-address`` sends all from one. Prints the
reader's p50 / p95 / max alone and under attack, the p95 ratio (goal ≤ 3), the reader's answers
that were not 200, and what the attackers were answered.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import OPENER, build_archive, peak_rss_mb, percentile, serve  # noqa: E402

READER_PAGES = [
    "/newsroom/articles/{id}",
    "/newsroom/search?q=Stadt",
    "/newsroom/search?q=Bürgermeister",
    "/newsroom/articles?_search=partnerschaft",
]


def attack_probes() -> list[str]:
    """The attackers' requests (paths with query strings), cycled through by each attacker."""
    text = " ".join(f"Satz{i} über die Städtepartnerschaft der Stadt." for i in range(600))[:30_000]
    giant_q = " ".join(f"wört{i}" for i in range(3_500))
    costly_q = " ".join(f"äß{i}" for i in range(60))[:200]  # short words with ä and ß: most spellings
    endless = "with recursive c(i) as (select 1 union all select i + 1 from c) select count(*) from c"
    join = "select count(*) from articles a, articles b where a.body_text like '%' || b.title || '%'"
    half = "with recursive d(s, n) as (select 'a', 0 union all select s || s, n + 1 from d where n < 19) "
    instr = (
        half + "select instr((select s from d where n = 19), (select substr(s, 1, 262144) from d where n = 19) || 'b')"
    )
    long_sql = "select count(*) from articles where " + " or ".join(f"title = 'titel {i}'" for i in range(330))
    sql = [
        f"select search_excerpt(body_text, '{costly_q}') from articles",
        endless,
        join,
        instr,
        long_sql,
    ]
    probes = [f"/newsroom.json?sql={quote('select search_excerpt(:t, :q)')}&t={quote(text)}&q={quote(giant_q)}"]
    probes += [f"/newsroom.json?sql={quote(query)}" for query in sql]
    probes.append("/newsroom/articles?_where=" + quote(f"length(search_excerpt(body_text, '{costly_q}')) > 0"))
    probes.append("/newsroom/articles.json?_where=" + quote("id in (" + endless.replace("count(*)", "i") + ")"))
    return probes


def get(url: str, address: str | None = None) -> tuple[float, int]:
    """Seconds and status of one GET (``address``: sent as X-Forwarded-For)."""
    request = Request(url, headers={"X-Forwarded-For": address} if address else {})
    started = time.perf_counter()
    try:
        with OPENER.open(request, timeout=120) as response:
            response.read()
            status = response.status
    except HTTPError as error:
        error.read()
        status = error.code
    except OSError:
        status = 0  # refused or cut off
    return time.perf_counter() - started, status


def read_for(base: str, seconds: float, articles: int) -> list[tuple[float, int]]:
    """The reader: ordinary pages in turn for ``seconds``; (seconds, status) of each."""
    answers = []
    pages = itertools.cycle(READER_PAGES)
    pick = random.Random(1)
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        page = next(pages).format(id=pick.randint(1, articles))
        answers.append(get(base + quote(page, safe="/?=&_")))
    return answers


def attack(base: str, number: int, options: argparse.Namespace, stop: threading.Event, statuses: Counter) -> None:
    """One attacker: the probes in turn, each sent as soon as the last was answered, until ``stop``."""
    address = "10.0.0.1" if options.one_address else f"10.0.0.{number + 1}"
    probes = attack_probes()
    if options.probe:
        probes = [probes[index] for index in options.probe]
    for probe in itertools.islice(itertools.cycle(probes), number, None):
        if stop.is_set():
            return
        _, status = get(base + probe, address)
        statuses[status] += 1


def summary(answers: list[tuple[float, int]]) -> tuple[float, float, float]:
    times = [seconds * 1000 for seconds, _ in answers]
    return statistics.median(times), percentile(times, 0.95), max(times)


def under_attack(base: str, options: argparse.Namespace, statuses: Counter) -> list[tuple[float, int]]:
    """The reader's answers while the attackers send their probes (started first, stopped after)."""
    stop = threading.Event()
    attackers = [
        threading.Thread(target=attack, args=(base, number, options, stop, statuses))
        for number in range(options.attackers)
    ]
    for thread in attackers:
        thread.start()
    time.sleep(1)  # every attacker busy before the reader starts
    answers = read_for(base, options.seconds, options.articles)
    stop.set()
    for thread in attackers:
        thread.join()
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10, help="reading time of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="alone / under attack, in turn")
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--one-address", action="store_true", help="every attacker from the same address")
    parser.add_argument("--probe", type=int, action="append", help="only these probes (0-based; repeatable)")
    options = parser.parse_args()
    db = build_archive(options.articles, options.seed)
    process, base = serve(db)
    idle: list[tuple[float, int]] = []
    attacked: list[tuple[float, int]] = []
    statuses: Counter = Counter()
    try:
        for page in READER_PAGES:  # warm the caches
            get(base + quote(page.format(id=1), safe="/?=&_"))
        # Alone and under attack in turn: the machine's other load weighs on both alike.
        for _ in range(options.rounds):
            idle += read_for(base, options.seconds, options.articles)
            attacked += under_attack(base, options, statuses)
        rss = peak_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait()
    (idle_p50, idle_p95, idle_max), (p50, p95, top) = summary(idle), summary(attacked)
    who = "one address" if options.one_address else "their own addresses"
    print(
        f"archive of {options.articles} articles; {options.attackers} attackers from {who}; server peak RSS {rss:.0f} MB"
    )
    print(
        f"reader alone:        {len(idle)} pages, p50 {idle_p50:.0f} ms, p95 {idle_p95:.0f} ms, max {idle_max:.0f} ms"
    )
    print(f"reader under attack: {len(attacked)} pages, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {top:.0f} ms")
    print(f"p95 under attack / alone: {p95 / idle_p95:.1f}x (goal <= 3x)")
    failed = Counter(status for _, status in idle + attacked if status != 200)
    print(f"reader answers not 200: {dict(failed) or 'none'}")
    print(f"attackers answered: {dict(sorted(statuses.items()))} (status: requests)")


if __name__ == "__main__":
    main()
