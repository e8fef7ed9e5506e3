"""The fields table of docs/fields.md, written from the code: ``python -m newsroom_replica.fields_doc [--check]``.

One row per field of ``Article``: what it holds (the field's ``doc`` in items.py), where the
site's current layout reads it (the docstring of that layout's ``@attribute`` method) and an
example from the "full-summer-news" sample's snapshot (text this project wrote, never the
site's). A new field or a changed docstring shows up here after one run; ``--check`` writes
nothing and exits 1 when docs/fields.md differs.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from newsroom_scraper.items import Article
from newsroom_scraper.parser.layouts import FAMILIES

from .snapshots import SNAPSHOT_DIR

DOC = Path(__file__).resolve().parents[2] / "docs" / "fields.md"
START, END = "<!-- fields table: python -m newsroom_replica.fields_doc -->", "<!-- end of fields table -->"
EXAMPLE = "full-summer-news"
WIDTH = 90  # characters of an example before it is cut with …


def _markup(name: str) -> str:
    """Where the site's current layout reads a field: its attribute's docstring, on one line."""
    layout = FAMILIES[0].versions()[-1]
    method = getattr(layout, name, None)
    text = inspect.getdoc(method) if method is not None and getattr(method, "__is_attribute__", False) else None
    if name == "layout":
        return "set by the layout that read the page"
    return " ".join(text.split()) if text else "—"


def _example(value: Any) -> str:
    if isinstance(value, list):
        value = value[:1] + (["…"] if len(value) > 1 else [])
    text = json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def table() -> str:
    """The table as it belongs in docs/fields.md, between its two markers."""
    sample = json.loads((SNAPSHOT_DIR / f"{EXAMPLE}.json").read_text(encoding="utf-8"))
    rows = ["| field | what it holds | where dtm-2023 reads it | example |", "|---|---|---|---|"]
    for field in fields(Article):
        doc = field.metadata["doc"].replace("|", "\\|")
        markup = _markup(field.name).replace("|", "\\|")
        rows.append(f"| `{field.name}` | {doc} | {markup} | {_example(sample[field.name])} |")
    return "\n".join(rows) + "\n"


def rewritten(text: str) -> str:
    """docs/fields.md with the table between the markers replaced."""
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table()}{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when docs/fields.md differs")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    wanted = rewritten(current)
    if current == wanted:
        print(f"{DOC} up to date")
        return 0
    if args.check:
        print(f"{DOC}: the fields table differs from the code; run python -m newsroom_replica.fields_doc")
        return 1
    DOC.write_text(wanted, encoding="utf-8")
    print(f"{DOC}: fields table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
