"""URLs: absolute, percent-encoded the same way every time, without fragments.

Slugs hold characters such as „ and “; the same page is linked raw and percent-encoded,
so every URL the project keys on goes through ``canonical_url``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# A URL made only of these characters, with no query or fragment, is already canonical
# apart from its host's case: the common case, kept off w3lib's slower path. (Possessive
# runs: a character-by-character alternation cost 3 µs a URL, this 0.5 µs.)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_PLAIN = re.compile(
    r"(https?://)([A-Za-z0-9.-]+(?::[0-9]{1,5})?)(/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]++|%[0-9A-F]{2})*+)?"
)


# Cached: in a crawl the same teaser URLs, credits and dates recur on every page of a day.
@lru_cache(maxsize=8192)
def canonical_url(url: str, base: str | None = None) -> str:
    """Resolve ``url`` against ``base``, percent-encode it consistently, drop the fragment.

    Query arguments are sorted (w3lib's canonicalisation) and the host lower-cased.

    >>> canonical_url("/newsroom/nachrichten-dortmund.de/„x“.html#top", "https://www.dortmund.de/newsroom/")
    'https://www.dortmund.de/newsroom/nachrichten-dortmund.de/%E2%80%9Ex%E2%80%9C.html'
    """
    url = url.strip()
    if base and not url.startswith(("http://", "https://")):
        url = _join(base, url)
    if not url.isascii() and "%" not in url:
        # a raw slug such as „zusammen“: UTF-8 percent-encoding, as w3lib would write it
        url = _NON_ASCII.sub(lambda run: quote(run.group()), url)
    plain = _PLAIN.fullmatch(url)
    if plain and "/." not in url:  # dot segments ("/./", "/../") are w3lib's to resolve
        scheme, host, path = plain.groups()
        return url if host.islower() and path else f"{scheme}{host.lower()}{path or '/'}"
    parts = urlsplit(canonicalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, parts.query, ""))


def _join(base: str, url: str) -> str:
    """``urljoin`` with a fast path for site-relative paths, the common case on this site."""
    if url.startswith("/") and not url.startswith("//") and base.startswith(("http://", "https://")):
        slash = base.find("/", base.index("://") + 3)
        return (base if slash < 0 else base[:slash]) + url
    return urljoin(base, url)


def absolute_url(url: str | None, base: str | None) -> str | None:
    """``url`` resolved against ``base`` and percent-encoded; None for none or a malformed one."""
    if not url or not url.strip():
        return None
    try:
        return canonical_url(url, base)
    except ValueError:  # "http://host:port?/…": a broken link is no link, not a broken page
        return None


def web_url(url: str | None, base: str | None, *, mailto: bool = False) -> str | None:
    """``absolute_url``, but only an http(s) URL (or a ``mailto:`` one when asked): what the
    archive stores for images, videos, links and teasers, so no ``javascript:`` or ``data:``
    URL ever reaches a page that shows them.

    >>> web_url("javascript:alert(1)", "https://www.dortmund.de/") is None
    True
    """
    found = absolute_url(url, base)
    if found is None:
        return None
    scheme = found.split(":", 1)[0].lower()
    return found if scheme in ("http", "https") or (mailto and scheme == "mailto") else None


def section_of(url: str) -> str | None:
    """``news`` or ``press`` from an article URL's path; None for other paths.

    Press releases appear under both /presse-mitteilungen/ and /pressemitteilungen/.
    """
    path = urlsplit(url).path.lower()
    if "/presse-mitteilungen/" in path or "/pressemitteilungen/" in path:
        return "press"
    if "/nachrichten-dortmund.de/" in path or "/nachrichten/" in path or "nachrichtenportal" in path:
        return "news"
    return None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL.

    >>> origin_of("http://127.0.0.1:8000/newsroom/?page=2")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_key(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the default port filled in and case folded: what "the same
    origin" compares (``origin_of`` gives the text the crawl builds URLs from).

    >>> origin_key("HTTPS://WWW.Dortmund.de/newsroom/") == origin_key("https://www.dortmund.de:443/x")
    True
    >>> origin_key("http://127.0.0.1:8000/") == origin_key("http://127.0.0.1:8001/")
    False
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is no number: no origin the crawl contacts
        port = -1
    return scheme, (parts.hostname or "").lower(), port
