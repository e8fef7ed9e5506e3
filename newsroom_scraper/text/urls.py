"""URLs: absolute, percent-encoded the same way every time, without fragments.

Slugs hold characters such as „ and “; the same page is linked raw and percent-encoded,
so every URL the project keys on goes through ``canonical_url``.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url


def canonical_url(url: str, base: str | None = None) -> str:
    """Resolve ``url`` against ``base``, percent-encode it consistently, drop the fragment.

    Query arguments are sorted (w3lib's canonicalisation) and the host lower-cased.

    >>> canonical_url("/newsroom/nachrichten-dortmund.de/„x“.html#top", "https://www.dortmund.de/newsroom/")
    'https://www.dortmund.de/newsroom/nachrichten-dortmund.de/%E2%80%9Ex%E2%80%9C.html'
    """
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(canonicalize_url(absolute))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, parts.query, ""))


def absolute_url(url: str | None, base: str | None) -> str | None:
    """``url`` resolved against ``base`` and percent-encoded; None stays None."""
    if not url or not url.strip():
        return None
    return canonical_url(url, base)


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
