"""An article's history for readers: which fields changed between versions, and word-level diffs.

Pure functions over two versions' data (``Article.to_dict()`` as ``article_versions.data`` holds it);
the Datasette pages (reader/plugins/pages.py) render what they return. No I/O.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# The fields a reader cares about, in page order, with their German names.
FIELDS = {
    "topline": "Dachzeile",
    "title": "Überschrift",
    "published_at": "Datum",
    "lead": "Vorspann",
    "body_text": "Text",
    "images": "Bilder",
    "tags": "Schlagwörter",
    "videos": "Videos",
    "links": "Links",
}
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_WORDS = re.compile(r"\w+")


@dataclass
class Piece:
    """A run of text of a diff: ``kind`` is "same", "added" or "removed"."""

    kind: str
    text: str


@dataclass
class FieldChange:
    """One field's change between two versions."""

    name: str
    label: str
    trivial: bool  # only whitespace or punctuation changed
    pieces: list[Piece] = field(default_factory=list)


def as_text(name: str, value: Any) -> str:
    """A field's value as the text a diff compares (lists one item a line)."""
    if value is None:
        return ""
    if name == "images":
        return "\n".join(" · ".join(v for v in (i.get("alt"), i.get("caption"), i.get("credit")) if v) for i in value)
    if name in ("videos", "links"):
        return "\n".join(" · ".join(str(v) for v in item.values() if v) for item in value)
    if name == "tags":
        return ", ".join(value)
    return str(value)


def word_diff(old: str, new: str) -> list[Piece]:
    """The new text as runs of same, removed and added words (whitespace kept).

    >>> [(p.kind, p.text) for p in word_diff("Der Rat tagt.", "Der Rat tagte heute.")]
    [('same', 'Der Rat '), ('removed', 'tagt'), ('added', 'tagte heute'), ('same', '.')]
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    pieces: list[Piece] = []

    def add(kind: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1].kind == kind:
            pieces[-1].text += text
        else:
            pieces.append(Piece(kind, text))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("same", "".join(a[i1:i2]))
        else:
            add("removed", "".join(a[i1:i2]))
            add("added", "".join(b[j1:j2]))
    return pieces


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    """Each field that differs from ``old`` to ``new``: name, label, text before, text after, and
    whether the change is trivial (only whitespace or punctuation; never against no earlier version).
    """
    found = []
    for name, label in FIELDS.items():
        before = as_text(name, (old or {}).get(name))
        after = as_text(name, new.get(name))
        if before != after:
            trivial = old is not None and _WORDS.findall(before) == _WORDS.findall(after)
            found.append((name, label, before, after, trivial))
    return found


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ from ``old`` to ``new`` (all of them against no earlier version).

    >>> [(c.name, c.trivial) for c in changes({"title": "A b", "lead": "x"}, {"title": "A  b!", "lead": "y"})]
    [('title', True), ('lead', False)]
    """
    return [
        FieldChange(name, label, trivial, word_diff(before, after))
        for name, label, before, after, trivial in changed_fields(old, new)
    ]


def change_summary(old_json: str | None, new_json: str | None) -> str:
    """The changed fields of two versions' JSON as one line, trivial ones marked (a SQL function).

    >>> change_summary('{"title": "A b", "lead": "x"}', '{"title": "A  b!", "lead": "y"}')
    'Überschrift (nur Leer-/Satzzeichen), Vorspann'
    """
    if not new_json:
        return ""
    found = changed_fields(json.loads(old_json) if old_json else None, json.loads(new_json))
    return ", ".join(label + (" (nur Leer-/Satzzeichen)" if trivial else "") for _, label, _, _, trivial in found)


def only_trivial(old_json: str | None, new_json: str | None) -> int:
    """1 when every change between two versions' JSON is trivial (or there is none), else 0 (a SQL function).

    >>> only_trivial('{"title": "A b"}', '{"title": "A b!"}'), only_trivial('{"title": "A b"}', '{"title": "A c"}')
    (1, 0)
    """
    if not old_json or not new_json:
        return 0
    return int(all(trivial for *_, trivial in changed_fields(json.loads(old_json), json.loads(new_json))))
