"""Image credits: "Bild: Stadt Dortmund / Roland Gorecki" → credit, credit_by, credit_agency.

The site writes the credit in four markup shapes (plain text, a <span>, text / <span>,
an external link / <span>); once the text of the licence element is taken and its
whitespace collapsed they all read "Agency / Photographer". Pre-relaunch pages wrote
"Bild (Bildlizenz/Fotograf/Grafiker): <name>".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from newsroom_scraper.parser.text.clean import collapse

_PREFIX = re.compile(r"^(?:Bild|Bilder|Foto|Fotos|Grafik|Abbildung)\s*(?:\([^)]*\))?\s*:\s*", re.I)
# Only a slash with space on both sides separates parts ("AC/DC" or a URL stays whole);
# after collapsing whitespace that is exactly " / ".


class Credit(NamedTuple):
    credit: str
    credit_by: str
    credit_agency: str | None


# Cached: in a crawl the same teaser URLs, credits and dates recur on every page of a day.
@lru_cache(maxsize=8192)
def split_credit(text: str | None) -> Credit | None:
    """Normalise a credit text and split it into photographer and agency.

    >>> split_credit("Bild:  Stadt Dortmund\\n/\\n Roland Gorecki")
    Credit(credit='Stadt Dortmund / Roland Gorecki', credit_by='Roland Gorecki', credit_agency='Stadt Dortmund')
    >>> split_credit("Bild: Plumploris e.V.")
    Credit(credit='Plumploris e.V.', credit_by='Plumploris e.V.', credit_agency=None)
    >>> split_credit("Bild:") is None
    True
    """
    flat = collapse(text)
    flat = flat[5:].lstrip() if flat.startswith("Bild:") else _PREFIX.sub("", flat)  # the common case first
    parts = [part for part in (p.strip(" /") for p in flat.split(" / ")) if part]
    if not parts:
        return None
    agency = " / ".join(parts[:-1]) or None
    return Credit(" / ".join(parts), parts[-1], agency)
