"""The search's filters as a reader types them: dates in German and ISO forms, understood or refused.

``since``/``until`` accept a year ``2024``, a month ``2024-03``, ``03.2024`` or ``März 2024`` and a day
``2024-03-05``, ``5.3.2024`` or ``05.03.2024``. Anything else is refused with a German message (the
page shows it next to the field, ``search.json`` under ``messages``) and that filter is not applied;
a ``since`` after the ``until`` is refused the same way (neither is applied). The SQL reads the
normalised values through ``search_since()`` and ``search_until()`` (search/sql.py), so a bad value
never reaches a comparison. Everything here is pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from newsroom_scraper.search.words import fold, normalise

MONTH_NAMES = ["januar", "februar", "marz", "april", "mai", "juni", "juli", "august", "september", "oktober"]
MONTH_NAMES += ["november", "dezember"]
_MONTH_ALIASES = {"maerz": "marz", "jan": "januar", "feb": "februar", "mar": "marz", "apr": "april", "jun": "juni"}
_MONTH_ALIASES |= {"jul": "juli", "aug": "august", "sep": "september", "sept": "september", "okt": "oktober"}
_MONTH_ALIASES |= {"nov": "november", "dez": "dezember", "jänner": "januar", "janner": "januar"}
_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_GERMAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_GERMAN_MONTH = re.compile(r"(\d{1,2})\.(\d{4})")
_NAMED_MONTH = re.compile(r"([^\W\d_]+)\.?\s+(\d{4})")
FORMS = "2024, 2024-03, März 2024, 2024-03-05 oder 5.3.2024"


@dataclass(frozen=True)
class DateFilters:
    """The dates a search filters on ("" = not applied) and what to tell the reader per field."""

    since: str = ""
    until: str = ""
    messages: tuple[tuple[str, str], ...] = ()  # (field, German message)


def parse_date(text: str | None) -> str | None:
    """A year, month or day as an ISO prefix ("2024", "2024-03", "2024-03-05"); "" for nothing typed;
    None when ``text`` is no date.

    >>> [parse_date(t) for t in ("2024", "2024-3", "5.3.2024", "05.03.2024", "März 2024", "maerz 2024")]
    ['2024', '2024-03', '2024-03-05', '2024-03-05', '2024-03', '2024-03']
    >>> [parse_date(t) for t in ("", "garbage", "2026-13", "31.02.2024", "01.11.26")]
    ['', None, None, None, None]
    """
    value = " ".join(normalise(text).split())
    if not value:
        return ""
    if match := _ISO.fullmatch(value):
        year, month, day = match.groups()
    elif match := _GERMAN_DAY.fullmatch(value):
        day, month, year = match.groups()
    elif match := _GERMAN_MONTH.fullmatch(value):
        month, year, day = *match.groups(), None
    elif match := _NAMED_MONTH.fullmatch(value):
        name = fold(match.group(1))
        name = _MONTH_ALIASES.get(name, name)
        if name not in MONTH_NAMES:
            return None
        month, year, day = str(MONTH_NAMES.index(name) + 1), match.group(2), None
    else:
        return None
    return _iso_prefix(int(year), int(month) if month else None, int(day) if day else None)


def _iso_prefix(year: int, month: int | None, day: int | None) -> str | None:
    """The ISO prefix of a real year, month or day; None for a month 13 or a 31 February."""
    try:
        if day is not None and month is not None:
            return dt.date(year, month, day).isoformat()
        if month is not None:
            return dt.date(year, month, 1).isoformat()[:7]
        return dt.date(year, 1, 1).isoformat()[:4]
    except ValueError:
        return None


def date_filters(since: str | None, until: str | None) -> DateFilters:
    """The date filters a search applies, and the messages for those it refuses.

    >>> date_filters("01.11.2026", "2026")
    DateFilters(since='2026-11-01', until='2026', messages=())
    >>> date_filters("garbage", "2025").since, date_filters("garbage", "2025").messages[0][0]
    ('', 'since')
    >>> date_filters("2026", "2025-06")  # doctest: +ELLIPSIS
    DateFilters(since='', until='', messages=(('since', '„von“ (2026) liegt nach „bis“ (2025-06): ...'),))
    """
    messages = []
    parsed = {}
    for field, label, text in (("since", "von", since), ("until", "bis", until)):
        value = parse_date(text)
        if value is None:
            messages.append((field, f"„{text}“ ist kein Datum (möglich: {FORMS}); „{label}“ ist nicht angewandt."))
        parsed[field] = value or ""
    start, end = parsed["since"], parsed["until"]
    if start and end and _first_day(start) > _last_day(end):
        message = f"„von“ ({start}) liegt nach „bis“ ({end}): kein Datumsfilter angewandt."
        return DateFilters(messages=(("since", message),))
    return DateFilters(start, end, tuple(messages))


def _first_day(prefix: str) -> str:
    return (prefix + "-01-01")[:10] if len(prefix) == 4 else (prefix + "-01")[:10]


def _last_day(prefix: str) -> str:
    if len(prefix) == 4:
        return prefix + "-12-31"
    if len(prefix) == 7:
        year, month = int(prefix[:4]), int(prefix[5:7])
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return (following - dt.timedelta(days=1)).isoformat()
    return prefix


def search_since(since: str | None, until: str | None) -> str:
    """The ``since`` a search applies ("" for none): the SQL function of the same name."""
    return date_filters(since, until).since


def search_until(since: str | None, until: str | None) -> str:
    """The ``until`` a search applies ("" for none): the SQL function of the same name."""
    return date_filters(since, until).until
