"""Article text out of lxml elements: plain text blocks and sanitised HTML, in one walk.

The sanitiser is an allow-list serialiser: it writes only the tags below and only an
absolute http(s)/mailto ``href`` on links, escaping all text. Nothing else of the source
markup (attributes, scripts, styles, event handlers) can reach the output, so
``body_html`` is safe to render as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from lxml.etree import _Element as Element

from newsroom_scraper.errors import ParseError, Reason
from newsroom_scraper.parser.text.clean import collapse, strip_invisible, text_of
from newsroom_scraper.parser.text.urls import absolute_url

BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "table"}
CONTAINERS = {"div", "section", "article", "figure", "aside", "li", "main", "header", "details"}
HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
INLINE_TAGS = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "sub": "sub", "sup": "sup"}
# Elements whose content is never article text.
DROPPED = {"script", "style", "template", "noscript", "svg", "iframe", "button", "form", "input", "select"}
MAX_DEPTH = 200
_LINE_BREAK = "\x00"  # stands for <br> until whitespace is collapsed


@dataclass
class Block:
    """One paragraph, heading, list, quote or table of the article."""

    tag: str  # the output tag: p, h2…h6, ul, ol, blockquote, table
    text: str
    html: str


def _tag(element: Element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _clean_lines(text: str) -> str:
    return "\n".join(filter(None, (collapse(line) for line in text.split(_LINE_BREAK))))


def _safe_href(element: Element, base: str | None) -> str | None:
    href = element.get("href")
    url = absolute_url(href, base) if href else None
    return url if url and url.split(":", 1)[0] in ("http", "https", "mailto") else None


def inline(element: Element, base: str | None, depth: int = 0) -> tuple[str, str]:
    """The text and sanitised HTML of ``element``'s content (not the element's own tag)."""
    if depth > MAX_DEPTH:
        raise ParseError(Reason.TOO_DEEP, "the article text is nested too deeply")
    text_parts = [element.text or ""]
    html_parts = [escape(element.text or "", quote=False)]
    for child in element:
        tag = _tag(child)
        if tag == "br":
            text_parts.append(_LINE_BREAK)
            html_parts.append("<br>")
        elif tag and tag not in DROPPED:
            child_text, child_html = inline(child, base, depth + 1)
            text_parts.append(child_text)
            if tag in INLINE_TAGS and child_text.strip():
                out = INLINE_TAGS[tag]
                html_parts.append(f"<{out}>{child_html}</{out}>")
            elif tag == "a" and (href := _safe_href(child, base)):
                html_parts.append(f'<a href="{escape(href)}">{child_html}</a>')
            else:
                html_parts.append(child_html)  # unknown or unsafe tag: keep its text only
        text_parts.append(child.tail or "")
        html_parts.append(escape(child.tail or "", quote=False))
    return "".join(text_parts), " ".join(strip_invisible("".join(html_parts)).split())


def _block(tag: str, element: Element, base: str | None, depth: int) -> Block | None:
    text, html = inline(element, base, depth)
    text = _clean_lines(text)
    if not text:
        return None
    return Block(tag, text, f"<{tag}>{html}</{tag}>")


def list_block(tag: str, items: list[Block]) -> Block | None:
    """A ul/ol block of ``li`` blocks: "- item" (or "1. item") lines, and the sanitised list."""
    if not items:
        return None
    marks = [f"{n}." if tag == "ol" else "-" for n in range(1, len(items) + 1)]
    text = "\n".join(f"{mark} {item.text}" for mark, item in zip(marks, items, strict=True))
    return Block(tag, text, f"<{tag}>{''.join(item.html for item in items)}</{tag}>")


def text_block(tag: str, text: str) -> Block | None:
    """A block of plain text (whitespace collapsed, escaped), None when it is empty."""
    text = collapse(text)
    return Block(tag, text, f"<{tag}>{escape(text, quote=False)}</{tag}>") if text else None


def _list_block(element: Element, base: str | None, depth: int) -> Block | None:
    items = [item for li in element if _tag(li) == "li" and (item := _block("li", li, base, depth + 1))]
    return list_block("ol" if _tag(element) == "ol" else "ul", items)


def _table_block(element: Element, base: str | None, depth: int) -> Block | None:
    rows = []
    for row in element.iter("tr"):
        cells = [_block("td", cell, base, depth + 1) for cell in row if _tag(cell) in ("td", "th")]
        rows.append([cell for cell in cells if cell])
    rows = [row for row in rows if row]
    if not rows:
        return None
    text = "\n".join(" | ".join(cell.text for cell in row) for row in rows)
    html = "".join("<tr>" + "".join(cell.html for cell in row) + "</tr>" for row in rows)
    return Block("table", text, f"<table>{html}</table>")


def blocks(
    container: Element,
    base: str | None,
    skip: Callable[[Element], bool] = lambda element: False,
    depth: int = 0,
) -> Iterable[Block]:
    """The blocks of ``container`` in document order.

    Containers (div, section, …) are walked into; loose inline text between blocks becomes
    a paragraph of its own; ``skip`` leaves out elements such as captions or buttons.
    """
    if depth > MAX_DEPTH:
        raise ParseError(Reason.TOO_DEEP, "the article text is nested too deeply")
    # Inline elements and text between blocks; whitespace-only text (most of it: the
    # line breaks of the markup) is not collected at all.
    loose: list[Element | str] = []

    def add(text: str | None) -> None:
        if text and not text.isspace():
            loose.append(text)

    def flush() -> Iterable[Block]:
        if loose:
            text = collapse("".join(part if isinstance(part, str) else text_of(part) for part in loose))
            loose.clear()
            if text:
                yield Block("p", text, f"<p>{escape(text, quote=False)}</p>")  # already collapsed

    add(container.text)
    for child in container:
        tag = _tag(child)
        if not tag or tag in DROPPED or skip(child):
            add(child.tail)
            continue
        # Custom elements (dtm-text-image, dtm-accordion, …) are containers like <div>.
        if tag in BLOCK_TAGS or tag in CONTAINERS or "-" in tag:
            yield from flush()
            if tag == "p" or tag in HEADINGS or tag == "blockquote":
                block = _block(tag, child, base, depth + 1)
            elif tag in ("ul", "ol"):
                block = _list_block(child, base, depth + 1)
            elif tag == "table":
                block = _table_block(child, base, depth + 1)
            else:
                yield from blocks(child, base, skip, depth + 1)
                block = None
            if block:
                yield block
        else:
            loose.append(child)
        add(child.tail)
    yield from flush()
