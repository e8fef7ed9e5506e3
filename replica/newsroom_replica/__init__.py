"""The replica: a synthetic Dortmund newsroom in the site's real markup, served on loopback for tests and demos.

A separate distribution (``newsroom-replica``) beside the product: the product never imports it.

    from newsroom_replica import ReplicaServer, ReplicaSite
    site = ReplicaSite(40, seed=1)            # articles, state, and every answer the site gives
    with ReplicaServer(site) as server:       # HTTP on 127.0.0.1, a free port
        ...                                   # crawl server.url + "/newsroom/", compare site.expected(path)
"""

from .faults import Faults, Gate
from .markup import quote_path
from .replica_site import ReplicaSite
from .server import ReplicaServer

__all__ = ["Faults", "Gate", "ReplicaServer", "ReplicaSite", "quote_path"]
