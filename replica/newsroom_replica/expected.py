"""What the parser must return for a page of ``markup.py``, derived from the page's data alone.

This is the oracle of the crawl tests (``ReplicaSite.expected``), so it uses none of the
production helpers it checks: URLs are percent-encoded here with ``urllib.parse.quote`` and
dates put in Europe/Berlin with ``zoneinfo``, not with ``newsroom_scraper.parser.text``. The named
samples' answers are stored as snapshots (``snapshots.py``), the parser tests' oracle.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from .markup import BERLIN, HOST, ArticlePage, Inline, PhotoCredit, Strong, paragraph_html, quote_path, t


def site_url(url: str) -> str:
    """An absolute URL as the parser writes it: site-relative paths on HOST, percent-encoded.

    >>> site_url("/newsroom/nachrichten-dortmund.de/„grün“.html")
    'https://www.dortmund.de/newsroom/nachrichten-dortmund.de/%E2%80%9Egr%C3%BCn%E2%80%9C.html'
    >>> site_url("https://example.org/umwelt/anmeldung/")
    'https://example.org/umwelt/anmeldung/'
    """
    return url if url.startswith(("http://", "https://")) else HOST + quote_path(url)


def berlin_iso(day: date, at: time | None) -> str:
    """ISO 8601 for a Berlin publication moment; the date alone when the page shows no time."""
    return datetime.combine(day, at, tzinfo=BERLIN).isoformat() if at else day.isoformat()


def paragraph_text(paragraph: list[Inline] | str) -> str:
    parts = [paragraph] if isinstance(paragraph, str) else paragraph
    return " ".join("".join(p.text if isinstance(p, Strong) else p for p in parts).split())


def _credit_fields(credit: PhotoCredit | None) -> dict[str, Any]:
    if credit is None:
        return {"credit": None, "credit_by": None, "credit_agency": None}
    return {"credit": credit.text, "credit_by": credit.by, "credit_agency": credit.agency}


def expected(page: ArticlePage) -> dict[str, Any]:
    """What ``parse_article`` must return for ``render_article(page)``, derived from the data."""
    texts: list[str] = []
    htmls: list[str] = []
    images, videos, links = [], [], []
    for block in page.blocks:
        if block.picture:
            images.append(
                {
                    "src": site_url(block.picture.src),
                    "alt": block.picture.alt or None,
                    "caption": block.picture.caption,
                    **_credit_fields(block.picture.credit),
                }
            )
        if block.heading:
            texts.append(block.heading)
            htmls.append(f"<h2>{t(block.heading)}</h2>")
        if block.kind == "list":
            texts.append("\n".join(f"- {item}" for item in block.items))
            htmls.append("<ul>" + "".join(f"<li>{t(item)}</li>" for item in block.items) + "</ul>")
        for paragraph in block.paragraphs:
            texts.append(paragraph_text(paragraph))
            htmls.append(f"<p>{' '.join(paragraph_html(paragraph).split())}</p>")
        if block.kind == "video":
            videos.append({"url": block.url, "title": block.label})
        if block.kind == "cta":
            links.append({"url": site_url(block.url or ""), "text": block.label})
    related = [
        {
            "url": site_url(teaser.path),
            "title": teaser.title,
            "date": teaser.day.isoformat(),
            "district": teaser.district,
            "text": teaser.text,
            "image": site_url(teaser.picture.src) if teaser.picture else None,
            "image_alt": (teaser.picture.alt or None) if teaser.picture else None,
            "credit": teaser.picture.credit.text if teaser.picture and teaser.picture.credit else None,
        }
        for teaser in page.related
    ]
    return {
        "url": site_url(page.path),
        "title": page.title,
        "published_at": berlin_iso(page.day, page.at),
        "layout": "dtm-2023",
        "page_id": page.page_id,
        "section": page.section,
        "description": page.description,
        "og_image": HOST + page.og_image if page.og_image else None,
        "topline": page.topline,
        "lead": page.lead,
        "body_text": "\n\n".join(texts),
        "body_html": "\n".join(htmls),
        "tags": list(page.tags),
        "images": images,
        "videos": videos,
        "links": links,
        "related": related,
    }


def published(page: ArticlePage) -> datetime | date:
    """The page's publication moment (for sorting listings, newest first)."""
    return datetime.combine(page.day, page.at) if page.at else page.day
