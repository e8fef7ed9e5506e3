"""The reader's search box: what was typed → FTS5 expressions for both indexes, and excerpts.

The archive has two full-text indexes (docs/reading.md):

- the *word index* ``version_words``: every version's text as German Snowball stems, with FTS5's
  ``unicode61`` tokenizer. Whole words in any inflection ("Kitas" finds "Kita", "Räte" finds "Rat"),
  words of one or two letters ("OB", "EU"), phrases of stems. The stemmer folds ä/ae/a, ö/oe/o,
  ü/ue/u and ß/ss itself, so "Staedte" and "Städte" are one stem.
- the *substring index* ``articles_fts`` (trigram, search/variants.py): compound parts
  ("partnerschaft" in "Städtepartnerschaft"), words of three letters or more.

A query is words, ``"a phrase"``, ``Kind*`` (prefix), ``OR``, ``NOT`` or ``-excluded``, and
parentheses; words side by side are all required (AND binds tighter than OR). Nothing a reader types
is FTS5 syntax: the query is parsed here (parse_query) and every word is quoted again, so ``NEAR(``,
``^``, ``:``, an unbalanced quote or parenthesis can never make a query fail. Input is NFKC-normalised
(decomposed umlauts pasted from a PDF are umlauts) and soft hyphens and zero-width characters are
removed first. Everything here is pure: no I/O.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

import snowballstemmer

from newsroom_scraper.search.variants import MIN_QUERY_LENGTH, word_variants

_WORD = re.compile(r"\w+")
# The pieces of a query: parentheses, a quoted phrase (the closing quote may be missing), a "-"
# before a term, or a bare run of anything else.
_TOKEN = re.compile(r'(?P<open>\()|(?P<close>\))|"(?P<phrase>[^"]*)"?|(?P<minus>-)(?=[^\s)])|(?P<bare>[^\s"()]+)')
# Characters a pasted query may carry that are no part of a word: soft hyphen, zero-width
# space/joiners, word joiner, BOM (the parser strips them from article text: parser/text/clean.py).
_INVISIBLE = dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
# FTS5 matches nothing for an empty phrase: the expression for "no searchable words".
NOTHING = '""'
# The columns of the word index (store/rows.py, WORD_COLUMNS) that carry most of bm25's weight, as an FTS5
# column filter: the word tier of a very common word ranks only the hits in these.
LEAD_COLUMNS = "{title topline lead}"
# Snowball stemmers keep state while they work: one per thread (Datasette queries in threads).
_local = threading.local()


@dataclass(frozen=True)
class Term:
    """A word (``prefix``: it ends in ``*``), or a phrase of words (lower-cased, at least one)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    """Hits of the surrounding terms that do not match ``term``."""

    term: Node


@dataclass(frozen=True)
class All:
    """Every part must match (words side by side)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    """One of the parts must match (``OR``)."""

    parts: tuple[Node, ...]


Node = Union[Term, Not, All, Any_]  # noqa: UP007 (a runtime alias the dataclasses above refer to)


def normalise(query: str | None) -> str:
    """What was typed, NFKC-normalised, without soft hyphens and zero-width characters.

    >>> normalise("Ra\\u0308te Kinder\\u00adgarten\\u200b") == "Räte Kindergarten"
    True
    """
    return unicodedata.normalize("NFKC", (query or "").translate(_INVISIBLE))


_Tokens = list[tuple[str, str]]
# How deep parentheses and NOTs may nest; deeper ones are read as words side by side.
MAX_DEPTH = 20


def parse_query(query: str | None) -> Node | None:
    """The query tree of what a reader typed, or None when it holds no word.

    ``OR`` and ``NOT`` are operators only in capitals ("oder", "or" are words); ``-word`` is ``NOT
    word``; a bare run of several words ("Rhein-Ruhr", "a:b") is a phrase, as is a quoted one.
    A missing ``)`` closes at the end, a stray one is ignored.

    >>> parse_query('Rat OR (Kita* -Schule)')  # doctest: +NORMALIZE_WHITESPACE
    Any_(parts=(Term(words=('rat',), prefix=False),
      All(parts=(Term(words=('kita',), prefix=True), Not(term=Term(words=('schule',), prefix=False))))))
    """
    tokens = [(m.lastgroup or "", m.group(m.lastgroup or 0)) for m in _TOKEN.finditer(normalise(query))]
    node, _ = _parse_or(_balanced(tokens), 0)
    return node


def _balanced(tokens: _Tokens) -> _Tokens:
    """The tokens without a ")" that closes nothing."""
    kept, depth = [], 0
    for kind, text in tokens:
        if kind == "close" and depth == 0:
            continue
        depth += {"open": 1, "close": -1}.get(kind, 0)
        kept.append((kind, text))
    return kept


def _parse_or(tokens: _Tokens, at: int, depth: int = 0) -> tuple[Node | None, int]:
    """``a OR b OR …`` from ``at`` to a ``)`` or the end."""
    parts: list[Node] = []
    while at < len(tokens) and tokens[at][0] != "close":
        part, at = _parse_all(tokens, at, depth)
        if part is not None:
            parts.append(part)
        if at < len(tokens) and tokens[at] == ("bare", "OR"):
            at += 1
    return _one(parts, Any_), at


def _parse_all(tokens: _Tokens, at: int, depth: int) -> tuple[Node | None, int]:
    """Terms side by side up to ``OR``, ``)`` or the end; ``AND`` between them is allowed."""
    parts: list[Node] = []
    while at < len(tokens) and tokens[at][0] != "close" and tokens[at] != ("bare", "OR"):
        if tokens[at] == ("bare", "AND"):
            at += 1
            continue
        part, at = _parse_unary(tokens, at, depth)
        if part is not None:
            parts.append(part)
    return _one(parts, All), at


def _parse_unary(tokens: _Tokens, at: int, depth: int) -> tuple[Node | None, int]:
    """One term, a parenthesised group, or either after ``NOT``/``-``. Deeper than MAX_DEPTH,
    operators and parentheses are skipped (a query is never nested that deep on purpose)."""
    kind, text = tokens[at]
    if depth > MAX_DEPTH and (kind in ("minus", "open") or (kind, text) == ("bare", "NOT")):
        return None, at + 1
    if kind == "minus" or (kind, text) == ("bare", "NOT"):
        if at + 1 >= len(tokens) or tokens[at + 1][0] == "close" or tokens[at + 1] == ("bare", "OR"):
            return None, at + 1
        inner, at = _parse_unary(tokens, at + 1, depth + 1)
        return (Not(inner) if inner is not None and not isinstance(inner, Not) else inner), at
    if kind == "open":
        inner, at = _parse_or(tokens, at + 1, depth + 1)
        return inner, at + 1  # past the ")" (or the end)
    words = tuple(word.lower() for word in _WORD.findall(text))
    prefix = kind == "bare" and text.endswith("*") and len(words) == 1
    return (Term(words, prefix) if words else None), at + 1


def _one(parts: list[Node], kind: type[All] | type[Any_]) -> Node | None:
    """None, the only part, or the parts joined (each once, in order)."""
    unique = tuple(dict.fromkeys(parts))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else kind(unique)


def terms(node: Node | None, *, wanted: bool = True) -> list[Term]:
    """The terms of a query tree that a hit may show (``wanted``) or the excluded ones, in order.

    >>> [t.words for t in terms(parse_query('"Rat der Stadt" OR Kita -Schule'))]
    [('rat', 'der', 'stadt'), ('kita',)]
    """
    if node is None:
        return []
    if isinstance(node, Term):
        return [node] if wanted else []
    if isinstance(node, Not):
        return terms(node.term, wanted=not wanted)
    return [t for part in node.parts for t in terms(part, wanted=wanted)]


def stem(word: str) -> str:
    """The German Snowball stem of one word, lower-cased and folded (ä→a, ß→ss).

    >>> [stem(w) for w in ("Straße", "Strasse", "Städte", "Staedte", "Räte", "OB")]
    ['strass', 'strass', 'stadt', 'stadt', 'rat', 'ob']
    """
    return _stem(word.lower())


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("german")
    return str(stemmer.stemWord(word))


def fold(text: str | None) -> str:
    """Lower case without accents, ß as ss: how filters compare a district or a tag.

    >>> fold("Hörde"), fold("HORDE"), fold("Straße")
    ('horde', 'horde', 'strasse')
    """
    decomposed = unicodedata.normalize("NFKD", normalise(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stems(text: str | None) -> str:
    """The text as the word index stores it: the stem of every word, in order (phrases need the order).

    >>> stems("Die Städte öffnen ihre Kitas.")
    'die stadt offn ihr kitas'
    """
    return " ".join(stem(word) for word in _WORD.findall(text or ""))


def word_stems(word: str) -> list[str]:
    """The stems a query word may have in the text: its own, and without a plural "s".

    Snowball keeps the "s" of "Kitas" (it only removes one after b, d, f, g, h, k, l, m, n, r, t),
    so the query also asks for the stem without it.

    >>> word_stems("Kitas"), word_stems("Rat"), word_stems("OB")
    (['kitas', 'kita'], ['rat'], ['ob'])
    """
    found = [stem(word)]
    if len(word) > 3 and word.lower().endswith("s"):
        found.append(stem(word[:-1]))
    return list(dict.fromkeys(found))


# How one term becomes an FTS5 group for an index: (term, excluded) → expression, or None when
# that index cannot express it (a word under three letters in the trigram index).
_Group = Callable[[Term, bool], "str | None"]


def _render(node: Node | None, group: _Group, excluded: bool = False) -> str | None:
    """The FTS5 expression of a query tree, or None when ``group`` cannot express a part it needs.

    Words side by side are ANDed, each excluded part NOTed from them (FTS5's NOT is binary: a group
    of only excluded parts matches nothing by itself and is None). A part of an AND that cannot be
    expressed makes the AND None (leaving it out would find more than asked); an OR keeps the parts
    that can be expressed.
    """
    if node is None:
        return None
    if isinstance(node, Term):
        return group(node, excluded)
    if isinstance(node, Not):
        return None  # only inside All, below
    if isinstance(node, Any_):
        found = [r for r in (_render(part, group, excluded) for part in node.parts) if r is not None]
        return "(" + " OR ".join(found) + ")" if found else None
    wanted = [_render(part, group, excluded) for part in node.parts if not isinstance(part, Not)]
    unwanted = [_render(part.term, group, not excluded) for part in node.parts if isinstance(part, Not)]
    if not wanted or None in wanted or None in unwanted:
        return None
    both = "(" + " AND ".join(str(w) for w in wanted) + ")"
    return f"({both}{''.join(f' NOT {u}' for u in unwanted)})" if unwanted else both


def _word_group(term: Term, excluded: bool = False) -> str:
    """One term for the word index: a phrase of stems; a word's stems; a prefix as typed or stemmed."""
    if len(term.words) > 1:
        return '("' + " ".join(stem(word) for word in term.words) + '")'
    word = term.words[0]
    if term.prefix:
        return f'("{fold(word)}"* OR "{stem(word)}")'
    return "(" + " OR ".join(f'"{s}"' for s in word_stems(word)) + ")"


def _substring_group(term: Term, excluded: bool = False) -> str | None:
    """One term for the trigram index: a phrase as written, a word (or prefix) ORed with its other
    spellings; None for a word under three letters, which a trigram index never matches."""
    if len(term.words) > 1:
        return '("' + " ".join(term.words) + '")'
    word = term.words[0]
    if len(word) < MIN_QUERY_LENGTH:
        return None
    return "(" + " OR ".join(f'"{s}"' for s in [word, *word_variants(word)]) + ")"


def word_match(query: str | None) -> str:
    """The MATCH expression of ``query`` for the word index, or NOTHING when it has no wanted word.

    >>> word_match('Kitas "neue Städte" -Schule')
    '((("kitas" OR "kita") AND ("neu stadt")) NOT ("schul"))'
    >>> word_match('Rat OR Kita*')
    '(("rat") OR ("kita"* OR "kita"))'
    """
    return _render(parse_query(query), _word_group) or NOTHING


def substring_match(query: str | None) -> str:
    """The MATCH expression of ``query`` for the trigram index, or NOTHING when it cannot match.

    Each word is ORed with its spelling variants; a phrase is matched as written. A required or
    excluded word under three letters cannot be matched here: its AND group finds nothing in this
    index (the word index finds it).

    >>> substring_match('Strasse "neue Städte" -Schule')
    '((("strasse" OR "straße") AND ("neue städte")) NOT ("schule"))'
    >>> substring_match('Strasse -OB'), substring_match('OB OR Strasse')
    ('""', '(("strasse" OR "straße"))')
    """
    return _render(parse_query(query), _substring_group) or NOTHING


def lead_word_match(query: str | None) -> str:
    """word_match(query) for the hits whose title, topline or lead match the query by themselves.

    The word tier of a very common word ranks only these (search/sql.py, SEARCH_RANK_MAX_HITS).

    >>> lead_word_match('Stadt -Schule')
    '({title topline lead} : (((("stadt")) NOT ("schul")))) AND (((("stadt")) NOT ("schul")))'
    """
    whole = _render(parse_query(query), _word_group)
    if whole is None:
        return NOTHING
    return f"({LEAD_COLUMNS} : ({whole})) AND ({whole})"


def body_word_match(query: str | None) -> str:
    """word_match(query) for the other hits: those lead_word_match(query) leaves out.

    >>> body_word_match('Stadt')
    '((("stadt"))) NOT ({title topline lead} : (("stadt")))'
    """
    whole = _render(parse_query(query), _word_group)
    if whole is None:
        return NOTHING
    return f"(({whole})) NOT ({LEAD_COLUMNS} : ({whole}))"


def excerpt(text: str | None, query: str | None, words_before: int = 8, words_after: int = 22) -> str:
    """A few words of ``text`` around the first hit of ``query``, hits marked «like this»; "" without a hit.

    A word is a hit when its stem is one the query asks for, when it starts with a wanted prefix, or
    when it contains a wanted word of three letters or more in any spelling (a compound part). A
    phrase is a hit only as a whole, its words in order, marked as one. Plain text: escape it before
    showing it as HTML.

    >>> excerpt("Im Rathaus tagt heute der Rat der Stadt.", "Rat")
    'Im «Rathaus» tagt heute der «Rat» der Stadt.'
    >>> excerpt("Die Kinder der Innenstadt und der Rat der Stadt.", '"Rat der Stadt"')
    'Die Kinder der Innenstadt und der «Rat der Stadt».'
    """
    if not text or not query:
        return ""
    spans = _hit_spans(text, terms(parse_query(query)))
    if not spans:
        return ""
    words = list(_WORD.finditer(text))
    first = next(i for i, m in enumerate(words) if m.end() > spans[0][0])
    window = words[max(first - words_before, 0) : first + words_after + 1]
    start, end = window[0].start(), window[-1].end()
    if words[-1] is window[-1]:
        end = len(text)  # keep the closing punctuation
    pieces, position = [], start
    for hit_start, hit_end in spans:
        if hit_end <= start or hit_start >= end:
            continue
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        pieces += [text[position:hit_start], "«", text[hit_start:hit_end], "»"]
        position = hit_end
    pieces.append(text[position:end])
    prefix = "… " if window[0] is not words[0] else ""
    suffix = " …" if window[-1] is not words[-1] else ""
    return prefix + " ".join("".join(pieces).split()) + suffix


def _hit_spans(text: str, wanted: list[Term]) -> list[tuple[int, int]]:
    """Where ``text`` shows the wanted terms: (start, end) of each hit, in order, not overlapping."""
    singles = [t for t in wanted if len(t.words) == 1]
    phrases = [t.words for t in wanted if len(t.words) > 1]
    wanted_stems = {s for t in singles for s in word_stems(t.words[0])}
    prefixes = [fold(t.words[0]) for t in singles if t.prefix]
    parts = {
        v for t in singles if len(t.words[0]) >= MIN_QUERY_LENGTH for v in [t.words[0], *word_variants(t.words[0])]
    }
    words = list(_WORD.finditer(text))
    found: list[tuple[int, int]] = []
    for i, match in enumerate(words):
        lowered = match.group().lower()
        if (
            stem(lowered) in wanted_stems
            or any(part in lowered for part in parts)
            or any(fold(lowered).startswith(p) for p in prefixes)
        ):
            found.append((match.start(), match.end()))
        for phrase in phrases:
            found.extend(_phrase_at(text, words, i, phrase))
    return _without_overlaps(found)


def _phrase_at(text: str, words: list[re.Match[str]], i: int, phrase: tuple[str, ...]) -> list[tuple[int, int]]:
    """The phrase starting at word ``i``: its words' stems in order (the word index), or its words
    as written inside longer ones (the substring index: "Beirat der Stadtwerke")."""
    following = words[i : i + len(phrase)]
    if len(following) < len(phrase):
        return []
    by_stem = all(stem(m.group().lower()) == stem(w) for m, w in zip(following, phrase, strict=True))
    pattern = r"\W+".join(re.escape(w) for w in phrase)
    as_written = re.match(rf"\w*{pattern}", text[following[0].start() :], re.IGNORECASE)
    if by_stem or (as_written and following[-1].group().lower().startswith(phrase[-1])):
        return [(following[0].start(), following[-1].end())]
    return []


def _without_overlaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans in order, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
