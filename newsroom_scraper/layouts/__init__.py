"""Page layouts and the registry that picks one for a page.

Every module in this package is imported and every ``Layout`` subclass with a ``version``
is registered, so a layout for a redesign is one new file (plus its fixtures). The registry
tries layout families by priority and markup; within a family it picks the version whose
``valid_until`` covers the page's publication date.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date

from ..errors import LayoutError, ParseError
from ..page import Page
from .base import Layout, attribute

__all__ = ["Layout", "attribute", "LAYOUTS", "choose_layout"]


def _all_subclasses(cls: type[Layout]) -> list[type[Layout]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def _registry() -> dict[str, list[type[Layout]]]:
    """Families mapped to their versions, oldest first; checks the dates are unambiguous."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    families: dict[str, list[type[Layout]]] = {}
    for layout in _all_subclasses(Layout):
        if layout.version:
            families.setdefault(layout.family, []).append(layout)
    for family, versions in families.items():
        dates = [v.valid_until for v in versions]
        if len(set(dates)) != len(dates):
            raise LayoutError(
                f"layout family {family!r} has two versions valid until the same date; "
                "give the older version the last date it parses as valid_until"
            )
        versions.sort(key=lambda v: v.valid_until or date.max)
    return dict(sorted(families.items(), key=lambda item: -item[1][-1].priority))


LAYOUTS = _registry()


def choose_layout(page: Page) -> type[Layout]:
    """The layout version that parses ``page``; ParseError when none recognises it."""
    for versions in LAYOUTS.values():
        if versions[-1].matches(page):
            day = versions[-1].page_date(page)
            if day is None:
                return versions[-1]
            for version in versions:
                if version.valid_until is None or day <= version.valid_until:
                    return version
            return versions[-1]
    if not page.is_html and not page.has_main:
        raise ParseError("not-html", "the file is not an HTML page")
    if (page.has_main and not page.main_complete) or not page.complete:
        raise ParseError("truncated", "the page ends before its article does")
    raise ParseError("no-article", "no known layout recognises an article on this page")
