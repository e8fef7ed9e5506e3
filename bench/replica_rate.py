"""How fast the replica answers: sequential keep-alive requests, with and without its fixes.

    python bench/replica_rate.py [--articles N] [--requests N] [--rounds N] [--pad-kb K]

One client, one keep-alive connection, article pages in turn; each round measures every variant
in turn (interleaved, the machine is shared): the replica as it serves now (TCP_NODELAY, cached
answers), without its answer cache, and without TCP_NODELAY (the server as it was before:
headers and body as two writes, the body waiting for the client's delayed ACK). Prints requests/s,
median and range over the rounds. Server and client share this process (the server in a thread).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
from datetime import date

from newsroom_replica import ReplicaServer, ReplicaSite, quote_path
from newsroom_replica.server import _Handler


def rate(server: ReplicaServer, nodelay: bool, requests: int) -> float:
    """Requests per second of one keep-alive client fetching article pages in turn."""
    _Handler.disable_nagle_algorithm = nodelay
    paths = [quote_path(p) for p in server.site.article_paths()]
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    started = time.perf_counter()
    for number in range(requests):
        connection.request("GET", paths[number % len(paths)])
        connection.getresponse().read()
    elapsed = time.perf_counter() - started
    connection.close()
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pad-kb", type=int, default=None, help="menu JSON per page (408: the real ~430 KB page)")
    options = parser.parse_args()
    menu_bytes = options.pad_kb * 1024 if options.pad_kb is not None else 3000
    newest = date(2026, 11, 15)
    cached = ReplicaSite(options.articles, newest=newest, cache_bytes=2_000_000_000, menu_bytes=menu_bytes)
    uncached = ReplicaSite(options.articles, newest=newest, menu_bytes=menu_bytes)
    variants = {
        "replica now (TCP_NODELAY, cached answers)": (ReplicaServer(cached).start(), True),
        "without the answer cache": (ReplicaServer(uncached).start(), True),
        "without TCP_NODELAY (as before)": (ReplicaServer(uncached).start(), False),
    }
    rate(variants["replica now (TCP_NODELAY, cached answers)"][0], True, options.articles)  # fill the cache
    found: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(options.rounds):
        for name, (server, nodelay) in variants.items():
            # Without TCP_NODELAY every request takes ~40 ms: a tenth of the requests tells as much.
            found[name].append(rate(server, nodelay, options.requests if nodelay else max(20, options.requests // 10)))
    for server, _ in variants.values():
        server.stop()
    _Handler.disable_nagle_algorithm = True
    size = len(cached.render(quote_path(cached.article_paths()[0]), "").body)
    print(
        f"replica, {options.articles} articles of {size / 1024:.0f} KB, one keep-alive client, {options.rounds} rounds"
    )
    for name, rates in found.items():
        print(f"  {name:44} median {statistics.median(rates):7.0f} req/s  range {min(rates):6.0f}–{max(rates):6.0f}")


if __name__ == "__main__":
    main()
