"""German dates as the newsroom writes them, turned into ISO 8601 with the Berlin offset.

The pages show "Mo 7. Juli 2025" and "12:52 Uhr" in local time (Europe/Berlin);
the JSON-LD carries the date only. Summer dates get +02:00, winter dates +01:00.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

MONTHS = {
    "januar": 1,
    "jan": 1,
    "jänner": 1,
    "februar": 2,
    "feb": 2,
    "märz": 3,
    "maerz": 3,
    "mär": 3,
    "mrz": 3,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "dezember": 12,
    "dez": 12,
}

# "Mo 7. Juli 2025", "Montag, 7. Juli 2025", "7. Jul. 2025" (the weekday is optional and ignored:
# the day, month and year decide).
_GERMAN_DATE = re.compile(r"(\d{1,2})\.\s*([A-Za-zÄÖÜäöü]+)\.?\s+(\d{4})")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")


# Cached: in a crawl the same teaser URLs, credits and dates recur on every page of a day.
@lru_cache(maxsize=8192)
def parse_german_date(text: str | None) -> date | None:
    """Read a date written the German way ("Di 20. Februar 2024", "20.02.2024") or in ISO form.

    Returns None when the text holds no valid date.

    >>> parse_german_date("Di 20. Februar 2024")
    datetime.date(2024, 2, 20)
    """
    if not text:
        return None
    try:
        match = _GERMAN_DATE.search(text)
        if match and match.group(2).lower() in MONTHS:
            return date(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
        match = _NUMERIC_DATE.search(text)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _ISO_DATE.search(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:  # "31. Februar": a date that does not exist
        return None
    return None


def parse_time(text: str | None) -> time | None:
    """Read a clock time such as "12:52 Uhr" or "9.05"; None when there is none."""
    if not text:
        return None
    match = _TIME.search(text)
    if not match:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def berlin_iso(day: date, at: time | None) -> str:
    """ISO 8601 for a local Berlin date and optional time.

    With a time, the offset of that day in Berlin is attached; without one, the date alone
    is returned, because inventing midnight would claim a precision the page does not give.

    >>> berlin_iso(date(2025, 7, 7), time(12, 52))
    '2025-07-07T12:52:00+02:00'
    >>> berlin_iso(date(2025, 1, 7), time(9, 0))
    '2025-01-07T09:00:00+01:00'
    >>> berlin_iso(date(2024, 5, 14), None)
    '2024-05-14'
    """
    if at is None:
        return day.isoformat()
    return datetime.combine(day, at, tzinfo=BERLIN).isoformat()


def utc_now() -> str:
    """The current UTC time as ISO 8601 with offset, to the second: every timestamp the crawl
    and the archive record."""
    return datetime.now(UTC).isoformat(timespec="seconds")
