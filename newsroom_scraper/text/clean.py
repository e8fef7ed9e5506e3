"""Whitespace and text cleanup."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space and strip.

    >>> collapse("  Stadt Dortmund\\n /\\n Roland\\u00a0Gorecki ")
    'Stadt Dortmund / Roland Gorecki'
    """
    if not text:
        return ""
    return _SPACE.sub(" ", text).strip()


def collapse_or_none(text: str | None) -> str | None:
    """Like ``collapse`` but gives None for text that is empty after collapsing."""
    return collapse(text) or None
