"""German spelling variants for the full-text index, and search queries built the same way.

SQLite's ``trigram`` tokenizer finds compound parts ("partnerschaft" in
"Städtepartnerschaft"), but it folds neither ä↔ae↔a nor ß↔ss, and its
``remove_diacritics`` option needs SQLite 3.45 — an archive using it cannot be opened
by Python's stdlib (3.40) or Debian 12's sqlite3. So instead the store indexes, next
to the text, the other spellings of those words that have them (``search_variants``
column). A reader may type "Strasse", "Stadtepartnerschaft" or "buergermeister" and
still find "Straße", "Städtepartnerschaft" and "Bürgermeister".

Only words containing ä/ö/ü/ß or ae/oe/ue/ss get variants, which keeps the extra index
small (see docs/storage.md for measured sizes). Everything here is pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

_WORD = re.compile(r"\w+")

# The three ways one umlaut is written: as itself, as a digraph, without the dots.
_UMLAUT_SPELLINGS = {"ä": ("ä", "ae", "a"), "ö": ("ö", "oe", "o"), "ü": ("ü", "ue", "u")}
_DIGRAPH_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü"}
# How many ways each kind of piece can be respelt (style 0 keeps the piece as it is).
_STYLES: dict[str, range] = {"umlaut": range(3), "digraph": range(2), "sharp": range(3)}

# A word is split into pieces: umlauts, digraphs that may stand for an umlaut, ß/ss,
# and plain runs. "ue" after a, e or q is the diphthong au/eu or "qu" ("Feuer",
# "neue", "Frauen", "Quelle"), never an ü, so it is left alone: that keeps common
# words out of the variant list without losing a spelling anyone would type.
_PIECE = re.compile(r"[äöü]|ae|oe|(?<![aeq])ue|ß|ss")

# Query words shorter than this can never match a trigram index.
MIN_QUERY_LENGTH = 3


def word_variants(word: str) -> list[str]:
    """The other spellings of one word, lower-cased, without the word itself.

    Umlauts are spelt all-umlaut, all-digraph or all-plain together, digraphs as
    digraphs or umlauts, and ß/ss as they are, all "ss" or all "ß"; the styles
    combine, so "Größe" gives "groesse" and also the Swiss "grösse". Words without
    such letters give [].

    >>> word_variants("Straße")
    ['strasse']
    >>> word_variants("Städtepartnerschaft")
    ['staedtepartnerschaft', 'stadtepartnerschaft']
    >>> word_variants("Buergermeister")
    ['bürgermeister']
    >>> word_variants("Feuerwehr")
    []
    """
    lowered = word.lower()
    pieces = _split(lowered)
    kinds = sorted({kind for kind in map(_kind, pieces) if kind})
    if not kinds:
        return []
    variants: list[str] = []
    # One style per kind of piece, applied to every piece of that kind: a reader
    # who types "ae" for one umlaut types it for the others too. This bounds the
    # output to 3 × 2 × 3 spellings where a free product would grow as 3^n.
    for styles in itertools.product(*(_STYLES[kind] for kind in kinds)):
        chosen = dict(zip(kinds, styles, strict=True))
        spelling = "".join(_respell(piece, chosen) for piece in pieces)
        if spelling != lowered and spelling not in variants:
            variants.append(spelling)
    return variants


def spelling_variants(text: str) -> str:
    """The alternative spellings of every distinct word of ``text``, space-separated.

    Deduplicated, in order of first appearance, and without spellings that already
    occur as words of the text (those are indexed anyway).

    >>> spelling_variants("Die Straße, die Strasse und die Städte")
    'staedte stadte'
    >>> spelling_variants("Nichts zu tun")
    ''
    """
    words = _distinct_words(text)
    present = set(words)
    out: dict[str, None] = {}
    for word in words:
        for variant in _cached_variants(word):
            if variant not in present:
                out[variant] = None
    return " ".join(out)


@lru_cache(maxsize=65_536)
def _cached_variants(word: str) -> tuple[str, ...]:
    """``word_variants`` of a lower-cased word, remembered: every article repeats the same words
    (the store computes the variants of each version it writes; a reparse, of thousands)."""
    return tuple(word_variants(word))


def _distinct_words(text: str) -> list[str]:
    """Lower-cased words of ``text``, each once, in order of first appearance."""
    return list(dict.fromkeys(match.lower() for match in _WORD.findall(text)))


def _split(word: str) -> list[str]:
    """Cut a lower-case word into special pieces and the plain runs between them."""
    pieces: list[str] = []
    position = 0
    for match in _PIECE.finditer(word):
        if match.start() > position:
            pieces.append(word[position : match.start()])
        pieces.append(match.group())
        position = match.end()
    if position < len(word):
        pieces.append(word[position:])
    return pieces


def _kind(piece: str) -> str | None:
    """Which family a piece belongs to, or None for plain text."""
    if piece in _UMLAUT_SPELLINGS:
        return "umlaut"
    if piece in _DIGRAPH_UMLAUT:
        return "digraph"
    if piece in ("ß", "ss"):
        return "sharp"
    return None


def _respell(piece: str, chosen: dict[str, int]) -> str:
    """One piece written in the style chosen for its kind."""
    kind = _kind(piece)
    if kind is None:
        return piece
    style = chosen[kind]
    if kind == "umlaut":
        return _UMLAUT_SPELLINGS[piece][style]
    if kind == "digraph":
        return (piece, _DIGRAPH_UMLAUT[piece])[style]
    return (piece, "ss", "ß")[style]
