"""Faults the replica injects, as an unreliable server would: 5xx, 429, hangs, cut bodies.

Each rate is the chance per request, drawn independently for each fault from ``seed``, the
method, the target and how often that target was asked before: the same crawl against the same
seed meets the same faults, whatever order its concurrent requests arrive in, and a retry gets
a fresh draw. When several faults are drawn for one request, the first of ``KINDS`` wins.
robots.txt and the ``/_replica/`` admin endpoints never fail (a failing robots.txt would change
what the crawler may fetch, not how it copes).

``Gate`` is no random fault but a test's hand on the site: it holds article pages beyond a number,
so that a crawl is certainly still running at a moment the test chooses (to kill it, say).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("timeout", "throttle", "fail", "truncate")
FAIL_STATUSES = (500, 502, 503, 504)
EXEMPT = ("/robots.txt", "/_replica/")


@dataclass
class Faults:
    """The fault rates of a replica (0 to 1 each) and what was injected so far."""

    fail_rate: float = 0.0  # a 5xx answer
    throttle_rate: float = 0.0  # 429 with Retry-After: retry_after
    timeout_rate: float = 0.0  # the answer comes after hang_seconds (longer than the client waits)
    truncate_rate: float = 0.0  # the body is cut; half of them with a Content-Length that says so
    seed: int = 1
    retry_after: int = 1
    hang_seconds: float = 6.0
    # target → (status, body, content type): always answered so, e.g. 410 or JSON at an article URL
    fixed: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    injected: Counter[str] = field(default_factory=Counter)
    _asked: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for name in ("fail_rate", "throttle_rate", "timeout_rate", "truncate_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)}")

    @property
    def active(self) -> bool:
        return any((self.fail_rate, self.throttle_rate, self.timeout_rate, self.truncate_rate))

    def draw(self, method: str, target: str) -> Fault | None:
        """The fault for this request, if any (and it is counted in ``injected``)."""
        if target in self.fixed:
            status, body, content_type = self.fixed[target]
            return Fault("fixed", status, 0.0, body, content_type)
        if not self.active or target.startswith(EXEMPT):
            return None
        with self._lock:
            key = f"{method} {target}"
            nth = self._asked[key]
            self._asked[key] += 1
        rates = dict(
            zip(KINDS, (self.timeout_rate, self.throttle_rate, self.fail_rate, self.truncate_rate), strict=True)
        )
        for kind in KINDS:
            if _chance(self.seed, key, nth, kind) < rates[kind]:
                fault = Fault(kind, self._status(kind, key, nth), _chance(self.seed, key, nth, "where"))
                with self._lock:
                    self.injected[kind] += 1
                return fault
        return None

    def _status(self, kind: str, key: str, nth: int) -> int:
        if kind == "throttle":
            return 429
        if kind == "fail":
            return FAIL_STATUSES[int(_chance(self.seed, key, nth, "status") * len(FAIL_STATUSES))]
        return 200


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind, the status it answers, and a number in [0, 1) that places
    the cut of a truncated body (and, below 0.5, gives it a Content-Length of the cut length)."""

    kind: str
    status: int
    where: float
    body: bytes = b""  # the answer of a "fixed" fault
    content_type: str = "text/html; charset=utf-8"

    def cut(self, body: bytes) -> bytes:
        """The part of ``body`` a truncated answer sends: between 10% and 90% of it."""
        return body[: int(len(body) * (0.1 + 0.8 * self.where))]

    @property
    def honest_length(self) -> bool:
        """Whether the cut body is sent with its own length (the client cannot tell) or with the
        whole body's (the connection closes early: the client sees the loss)."""
        return self.where < 0.5


def _chance(seed: int, key: str, nth: int, salt: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{key}|{nth}|{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Gate:
    """Holds the answers to article pages once ``limit`` of them have been given (None: never).

    Only an article page answered in full (200, not a HEAD) counts and waits: 304s, listings,
    sitemaps, robots.txt and the search API pass. A held answer waits until ``allow`` lets more
    through or ``reset`` lifts the limit, so a crawler can neither finish nor time out on it (given a
    longer timeout) while the test holds it. ``reset`` also starts the count afresh and drops the
    answers held until then, unanswered (their client is gone: a killed crawl); so does stopping
    the server. ``given`` and ``held`` say how many were answered since the last reset and how
    many wait now.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.given = 0
        self.held = 0
        self._limit = limit
        self._round = 0  # bumped by reset(): answers held from an earlier round are dropped
        self._changed = threading.Condition()

    def reset(self, limit: int | None) -> None:
        """Drop the answers held now; give ``limit`` more (None: every one) before holding again."""
        with self._changed:
            self._round += 1
            self._limit, self.given = limit, 0
            self._changed.notify_all()

    def allow(self, more: int) -> None:
        """Give ``more`` answers beyond the limit (those held first)."""
        with self._changed:
            if self._limit is not None:
                self._limit += more
            self._changed.notify_all()

    def wait_turn(self, stopping: threading.Event) -> bool:
        """Called before an article page is answered: whether to answer it (after waiting its turn)."""
        with self._changed:
            round_ = self._round
            self.held += 1
            try:
                while self._limit is not None and self.given >= self._limit and round_ == self._round:
                    if stopping.is_set():
                        return False
                    self._changed.wait(0.05)  # and look at ``stopping`` again
                if round_ != self._round:
                    return False
                self.given += 1
                return True
            finally:
                self.held -= 1
