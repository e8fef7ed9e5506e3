"""The shared text helpers, every argument tested (not only through their callers)."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom_scraper.parser.text.credits import split_credit
from newsroom_scraper.parser.text.dates import berlin_iso, parse_german_date, parse_time
from newsroom_scraper.parser.text.urls import canonical_url, section_of


@pytest.mark.parametrize(
    "text, day",
    [
        ("Mo 7. Juli 2025", date(2025, 7, 7)),
        ("Di 20. Februar 2024", date(2024, 2, 20)),
        ("Mittwoch, 5. März 2025", date(2025, 3, 5)),
        ("Do 1. Maerz 2029", date(2029, 3, 1)),
        ("3. Okt. 2026", date(2026, 10, 3)),
        ("31.12.2023", date(2023, 12, 31)),
        ("2024-05-14", date(2024, 5, 14)),
        ("So 31. Dezember 2023", date(2023, 12, 31)),
    ],
)
def test_german_dates(text, day):
    assert parse_german_date(text) == day


@pytest.mark.parametrize("text", [None, "", "kein Datum", "31. Februar 2024", "7. Juno 2025"])
def test_not_dates(text):
    assert parse_german_date(text) is None


def test_times():
    assert parse_time("12:52 Uhr") == time(12, 52)
    assert parse_time("9.05 Uhr") == time(9, 5)
    assert parse_time("keine Zeit") is None
    assert parse_time("25:99") is None


@pytest.mark.parametrize(
    "day, at, iso",
    [
        (date(2025, 7, 7), time(12, 52), "2025-07-07T12:52:00+02:00"),
        (date(2025, 12, 24), time(18, 0), "2025-12-24T18:00:00+01:00"),
        (date(2025, 3, 30), time(1, 59), "2025-03-30T01:59:00+01:00"),  # before the spring change
        (date(2025, 3, 30), time(3, 0), "2025-03-30T03:00:00+02:00"),  # after it
        (date(2024, 5, 14), None, "2024-05-14"),
    ],
)
def test_berlin_iso(day, at, iso):
    assert berlin_iso(day, at) == iso


@pytest.mark.parametrize(
    "raw, credit, by, agency",
    [
        (
            "Bild: Stadt Dortmund / Roland Gorecki",
            "Stadt Dortmund / Roland Gorecki",
            "Roland Gorecki",
            "Stadt Dortmund",
        ),
        (
            "Bild:\n  Stadt Dortmund\n/\n Oliver  Scharper ",
            "Stadt Dortmund / Oliver Scharper",
            "Oliver Scharper",
            "Stadt Dortmund",
        ),
        ("Bild: Plumploris e.V.", "Plumploris e.V.", "Plumploris e.V.", None),
        ("Bild (Bildlizenz/Fotograf/Grafiker): Max Muster", "Max Muster", "Max Muster", None),
        ("A / B / C", "A / B / C", "C", "A / B"),
        ("Foto: AC/DC Archiv", "AC/DC Archiv", "AC/DC Archiv", None),
    ],
)
def test_credits(raw, credit, by, agency):
    assert tuple(split_credit(raw)) == (credit, by, agency)


@pytest.mark.parametrize("raw", [None, "", "Bild:", " / "])
def test_empty_credits(raw):
    assert split_credit(raw) is None


def test_canonical_url_encodes_consistently():
    raw = canonical_url("/newsroom/nachrichten-dortmund.de/„zusammen“.html", "https://www.dortmund.de/")
    encoded = canonical_url(
        "https://WWW.dortmund.de/newsroom/nachrichten-dortmund.de/%e2%80%9ezusammen%E2%80%9C.html#x"
    )
    assert raw == encoded == "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/%E2%80%9Ezusammen%E2%80%9C.html"


def test_sections():
    assert section_of("https://www.dortmund.de/newsroom/presse-mitteilungen/a.html") == "press"
    assert section_of("https://www.dortmund.de/newsroom/pressemitteilungen/a-2.html") == "press"
    assert section_of("https://www.dortmund.de/newsroom/nachrichten-dortmund.de/a.html") == "news"
    assert section_of("https://www.dortmund.de/themen/") is None


def test_malformed_urls_are_none_not_errors():
    from newsroom_scraper.parser.text.urls import absolute_url

    assert absolute_url("http://www.dortmund.de:port/x.html", None) is None
    assert absolute_url("/bild.webp", "https://www.dortmund.de/a/") == "https://www.dortmund.de/bild.webp"
    assert absolute_url("  ", "https://www.dortmund.de/") is None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["https://www.dortmund.de", "HTTPS://WWW.Dortmund.DE", "http://127.0.0.1:8000"]),
    st.lists(st.text(alphabet="abcäöüß-_.„“ %/~()+'", min_size=1, max_size=12), min_size=1, max_size=4),
    st.sampled_from(["", "?b=2&a=1", "?x=ä", "#frag", "?q=1#f"]),
)
def test_fast_path_agrees_with_w3lib(origin, segments, tail):
    """The fast path of canonical_url gives what w3lib's canonicalisation gives."""
    from urllib.parse import urlsplit, urlunsplit

    from w3lib.url import canonicalize_url

    url = origin + "/" + "/".join(segments) + tail
    parts = urlsplit(canonicalize_url(url))
    reference = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, parts.query, ""))
    assert canonical_url(url) == reference
