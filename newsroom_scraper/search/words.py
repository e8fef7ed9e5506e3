"""The reader's search box: what was typed → FTS5 expressions for both indexes, and excerpts.

The archive has two full-text indexes (docs/reading.md):

- the *word index* ``version_words``: every version's text as German Snowball stems, with FTS5's
  ``unicode61`` tokenizer. Whole words in any inflection ("Kitas" finds "Kita", "Räte" finds "Rat"),
  words of one or two letters ("OB", "EU"), phrases of stems. The stemmer folds ä/ae/a, ö/oe/o,
  ü/ue/u and ß/ss itself, so "Staedte" and "Städte" are one stem.
- the *substring index* ``articles_fts`` (trigram, search/variants.py): compound parts
  ("partnerschaft" in "Städtepartnerschaft"), words of three letters or more.

A query is words, ``"a phrase"`` and ``-excluded`` words or phrases. Nothing a reader types is
FTS5 syntax: every word is quoted, so ``NEAR(``, ``*``, ``^``, ``:`` or an unbalanced quote can
never make a query fail. Everything here is pure: no I/O.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from newsroom_scraper.search.variants import MIN_QUERY_LENGTH, word_variants

_WORD = re.compile(r"\w+")
# A term as typed: an optional "-", then a quoted phrase (the closing quote may be missing) or a bare run.
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
# FTS5 matches nothing for an empty phrase: the expression for "no searchable words".
NOTHING = '""'
# The columns of the word index (store/rows.py, WORD_COLUMNS) that carry most of bm25's weight, as an FTS5
# column filter: the word tier of a very common word ranks only the hits in these.
LEAD_COLUMNS = "{title topline lead}"
# Snowball stemmers keep state while they work: one per thread (Datasette queries in threads).
_local = threading.local()


@dataclass(frozen=True)
class Term:
    """One term of a query: a word, or a phrase of words, and whether it is excluded."""

    words: tuple[str, ...]  # lower-cased, at least one
    excluded: bool = False


def parse_query(query: str) -> list[Term]:
    """The terms of what a reader typed, each once, in order.

    A bare run of several words ("Rhein-Ruhr", "a:b") is a phrase, as in a quoted one.

    >>> parse_query('Rat "neue Kita" -Schule Rhein-Ruhr')  # doctest: +NORMALIZE_WHITESPACE
    [Term(words=('rat',), excluded=False), Term(words=('neue', 'kita'), excluded=False),
     Term(words=('schule',), excluded=True), Term(words=('rhein', 'ruhr'), excluded=False)]
    """
    terms: dict[Term, None] = {}
    for match in _TERM.finditer(query):
        minus, phrase, bare_minus, bare = match.groups()
        words = tuple(word.lower() for word in _WORD.findall(phrase if phrase is not None else bare))
        if words:
            terms[Term(words, excluded=bool(minus or bare_minus))] = None
    return list(terms)


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


def word_match(query: str | None) -> str:
    """The MATCH expression of ``query`` for the word index, or NOTHING when it has no wanted word.

    >>> word_match('Kitas "neue Städte" -Schule')
    '("kitas" OR "kita") AND ("neu stadt") NOT ("schul")'
    """

    wanted, unwanted = _word_groups(query)
    return wanted + unwanted if wanted else NOTHING


def substring_match(query: str | None) -> str:
    """The MATCH expression of ``query`` for the trigram index, or NOTHING when no term can match.

    Words under three letters are left out (a trigram index never matches them); each word is ORed
    with its spelling variants; a phrase is matched as written.

    >>> substring_match('Strasse "neue Städte" -OB -Schule')
    '("strasse" OR "straße") AND ("neue städte") NOT ("schule")'
    """

    return _combine(parse_query(query or ""), _substring_group)


def _substring_group(term: Term) -> str | None:
    """One term of substring_match(): a phrase as written, a word ORed with its other spellings."""
    if len(term.words) > 1:
        return '("' + " ".join(term.words) + '")'
    word = term.words[0]
    if len(word) < MIN_QUERY_LENGTH:
        return None
    return "(" + " OR ".join(f'"{s}"' for s in [word, *word_variants(word)]) + ")"


def lead_word_match(query: str | None) -> str:
    """word_match(query) for the hits whose title, topline or lead hold every wanted word.

    The word tier of a very common word ranks only these (search/sql.py, SEARCH_RANK_MAX_HITS).

    >>> lead_word_match('Stadt -Schule')
    '{title topline lead} : (("stadt")) NOT ("schul")'
    """
    wanted, unwanted = _word_groups(query)
    if not wanted:
        return NOTHING
    return f"{LEAD_COLUMNS} : ({wanted})" + unwanted


def body_word_match(query: str | None) -> str:
    """word_match(query) for the other hits: those lead_word_match(query) leaves out.

    >>> body_word_match('Stadt -Schule')
    '(("stadt")) NOT ({title topline lead} : (("stadt"))) NOT ("schul")'
    """
    wanted, unwanted = _word_groups(query)
    if not wanted:
        return NOTHING
    return f"({wanted}) NOT ({LEAD_COLUMNS} : ({wanted}))" + unwanted


def _word_groups(query: str | None) -> tuple[str, str]:
    """word_match(query) in two parts: the wanted groups ANDed ("" without one), the NOTs."""

    def group(term: Term) -> str | None:
        if len(term.words) > 1:
            return '("' + " ".join(stem(word) for word in term.words) + '")'
        return "(" + " OR ".join(f'"{s}"' for s in word_stems(term.words[0])) + ")"

    return _groups(parse_query(query or ""), group)


def _groups(terms: list[Term], group: Callable[[Term], str | None]) -> tuple[str, str]:
    """The wanted groups ANDed ("" without one), and " NOT g" for each excluded group."""
    wanted = [g for g in (group(t) for t in terms if not t.excluded) if g]
    unwanted = [g for g in (group(t) for t in terms if t.excluded) if g]
    return " AND ".join(wanted), "".join(f" NOT {g}" for g in unwanted)


def typed_substring_match(query: str | None) -> str:
    """substring_match(query) with each wanted word only as typed, without its other spellings.

    Its hits are some of substring_match(query)'s (an excluded word keeps every spelling), so more
    than N of them means more than N there: a count that may stop early (SEARCH_CHART_COUNT_SQL).

    >>> typed_substring_match('Strasse "neue Städte" -Straße')
    '("strasse") AND ("neue städte") NOT ("straße" OR "strasse")'
    """
    terms = parse_query(query or "")

    def group(term: Term) -> str | None:
        if len(term.words) == 1 and not term.excluded and len(term.words[0]) >= MIN_QUERY_LENGTH:
            return f'("{term.words[0]}")'
        return _substring_group(term)

    return _combine(terms, group)


def _combine(terms: list[Term], group: Callable[[Term], str | None]) -> str:
    """Wanted groups ANDed, then each excluded group NOTed; NOTHING without a wanted group."""
    wanted, unwanted = _groups(terms, group)
    return wanted + unwanted if wanted else NOTHING


def excerpt(text: str | None, query: str | None, words_before: int = 8, words_after: int = 22) -> str:
    """A few words of ``text`` around the first hit of ``query``, hits marked «like this»; "" without a hit.

    A word is a hit when its stem is one the query asks for, or when it contains a wanted word of
    three letters or more in any spelling (a compound part). Plain text: escape it before showing it
    as HTML.

    >>> excerpt("Im Rathaus tagt heute der Rat der Stadt.", "Rat")
    'Im «Rathaus» tagt heute der «Rat» der Stadt.'
    """
    if not text or not query:
        return ""
    wanted = [t for t in parse_query(query) if not t.excluded]
    wanted_stems = {s for t in wanted for w in t.words for s in word_stems(w)}
    parts = {v for t in wanted for w in t.words if len(w) >= MIN_QUERY_LENGTH for v in [w, *word_variants(w)]}

    def is_hit(word: str) -> bool:
        lowered = word.lower()
        return stem(lowered) in wanted_stems or any(part in lowered for part in parts)

    words = list(_WORD.finditer(text))
    first = next((i for i, m in enumerate(words) if is_hit(m.group())), None)
    if first is None:
        return ""
    window = words[max(first - words_before, 0) : first + words_after + 1]
    pieces = []
    position = window[0].start()
    for match in window:
        pieces.append(text[position : match.start()])
        pieces.append(f"«{match.group()}»" if is_hit(match.group()) else match.group())
        position = match.end()
    end = window[-1].end()
    if words[-1] is window[-1]:
        end = len(text)  # keep the closing punctuation
    pieces.append(text[position:end])
    prefix = "… " if window[0] is not words[0] else ""
    suffix = " …" if window[-1] is not words[-1] else ""
    return prefix + " ".join("".join(pieces).split()) + suffix
