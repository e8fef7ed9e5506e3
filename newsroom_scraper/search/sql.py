"""The reader's search as SQL: what Datasette's canned queries (reader/plugins/search.py) and
``Archive.search_articles`` run alike, and the SQL functions it calls (``register_search_functions``).

The functions turn what a reader typed into MATCH expressions (words.py, variants.py); the SQL
reads the word index ``version_words``, the trigram index ``articles_fts`` and ``search_facts``
(store/schema.py). docs/reading.md describes the search.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable

from newsroom_scraper.search.words import (
    NOTHING,
    body_word_match,
    excerpt,
    lead_word_match,
    substring_match,
    typed_substring_match,
    word_match,
)

# Results per page of the reader's search (the archive's search page; not the site's search API).
READER_PAGE_SIZE = 50

# The reader's search. Parameters: :q (what was typed), the filters :since and :until
# (a date, month or year prefix), :section, :tag, :district, and :page. The SQL functions
# word_match(), substring_match() and search_excerpt() come from register_search_functions().
#
# Whole-word hits (stems, the current version's row of version_words) rank first, by bm25; then
# the articles only the trigram index finds (compound parts, substrings), by its rank; ties newest
# first (very common words: SEARCH_RANK_MAX_HITS below). Each hit is looked up in search_facts
# (migration 0010_search_facts: ~80-byte rows kept equal to articles by triggers), never in the
# 12 KB rows of articles, and only the page's rows are read from articles. Each tier keeps at
# most the rows the page needs (:page × 50 + 1, sorted with a bounded sorter); the substring tier
# runs only when the word tier cannot fill the page.
_SEARCH_FILTERS = """(:section = '' or f.section = :section)
  and (:since = '' or f.published_date >= :since)
  and (:until = '' or substr(f.published_date, 1, length(:until)) <= :until)
  and (:tag = '' or f.article_id in (select article_id from tags where tag = :tag))
  and (:district = '' or f.district = :district)"""
_SEARCH_NEED = f"max(cast(:page as integer), 1) * {READER_PAGE_SIZE} + 1"
# A very common word (docs/reading.md): bm25 scores every hit it ranks, whatever the LIMIT. Word
# tier: when version_words holds more than SEARCH_RANK_MAX_HITS hits of the query (all versions,
# counted before filters, with LIMIT, from the index alone), bm25 ranks only the hits whose title,
# topline or lead hold the words (lead_word_match(), bm25 over those columns: most of its weight),
# then come the other word hits newest first (body_word_match(), recent_word_page). Substring tier:
# its hits (after filters) are matched once, without rank (substring_hits); more than
# SEARCH_RANK_MAX_HITS are listed newest first, fewer are ranked by bm25 as before (a second
# match). A tier that is not needed gets the empty MATCH (NOTHING): FTS5 never scans for it.
SEARCH_RANK_MAX_HITS = 2000


def search_sql(rank_max_hits: int = SEARCH_RANK_MAX_HITS) -> str:
    """SEARCH_SQL with another cap for bm25 (tests use a small one)."""
    word_common = f"""(select count(*) > {rank_max_hits} from (select 1 from version_words
      where version_words match word_match(:q) limit {rank_max_hits + 1}))"""
    substring_left = f"{_SEARCH_NEED} - (select count(*) from word_page) - (select count(*) from recent_word_page)"
    substring_only = f"""{_SEARCH_FILTERS}
    and f.article_id not in (select w.article_id from version_words join search_facts w
      on w.version_id = version_words.rowid where version_words match word_match(:q))"""
    return f"""with word_page as materialized (
  select f.article_id as id, 0 as tier, version_words.rank as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {word_common} then lead_word_match(:q) else word_match(:q) end)
    and {_SEARCH_FILTERS}
  order by score, published_at desc limit {_SEARCH_NEED}
),
recent_word_page as materialized (
  select f.article_id as id, 1 as tier, 0 as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {word_common} then body_word_match(:q) else '{NOTHING}' end)
    and {_SEARCH_FILTERS}
  order by published_at desc limit max({_SEARCH_NEED} - (select count(*) from word_page), 0)
),
substring_hits as materialized (
  select f.article_id as id, f.published_at
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match (case when {substring_left} > 0 then substring_match(:q) else '{NOTHING}' end)
    and {substring_only}
),
substring_page as (
  select id, 2 as tier, 0 as score, published_at from substring_hits
  where (select count(*) from substring_hits) > {rank_max_hits}
  union all
  select f.article_id as id, 2 as tier, articles_fts.rank as score, f.published_at
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match (case when (select count(*) from substring_hits) between 1 and {rank_max_hits}
    then substring_match(:q) else '{NOTHING}' end) and {substring_only}
  order by score, published_at desc limit max({substring_left}, 0)
),
page as (
  select * from (select * from word_page union all select * from recent_word_page
    union all select * from substring_page)
  order by tier, score, published_at desc
  limit {READER_PAGE_SIZE + 1} offset (max(cast(:page as integer), 1) - 1) * {READER_PAGE_SIZE}
)
select articles.id, articles.published_at, articles.topline, articles.title, articles.section,
  articles.district,
  case page.tier when 2 then 'substring' else 'word' end as match,
  coalesce(nullif(search_excerpt(articles.body_text, :q), ''), nullif(search_excerpt(articles.lead, :q), ''),
    substr(articles.lead, 1, 200)) as excerpt,
  articles.url
from page join articles on articles.id = page.id
order by page.tier, page.score, page.published_at desc"""


SEARCH_SQL = search_sql()
# The same search as an Atom feed (datasette-atom): a saved search to subscribe to.
SEARCH_FEED_SQL = f"""select url as atom_id, title as atom_title,
  case when length(published_at) = 10 then published_at || 'T00:00:00+00:00' else published_at end as atom_updated,
  url as atom_link, excerpt as atom_content
from ({SEARCH_SQL})"""
# Hits per month of the same search and filters (the numbers of the search page's bar chart).
SEARCH_MONTHS_SQL = f"""with hits as (
  select f.published_date from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match word_match(:q) and {_SEARCH_FILTERS}
  union all
  select f.published_date from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match substring_match(:q) and {_SEARCH_FILTERS}
    and f.article_id not in (select w.article_id from version_words join search_facts w
      on w.version_id = version_words.rowid where version_words match word_match(:q))
)
select substr(published_date, 1, 7) as month, count(*) as hits from hits group by month order by month"""
# The search page draws the chart only for searches with at most this many hits in either index
# (counted before filters, with LIMIT, from the indexes alone: a few ms); a common word's exact
# months cost more than the rest of the page, and its chart is the archive's volume per month.
# search_months (SEARCH_MONTHS_SQL) counts every hit on demand.
SEARCH_CHART_MAX_HITS = 5000
# A word with other spellings is first counted as typed (typed_substring_match(): some of the
# hits, one phrase instead of three, a third of the time): more than the limit there is enough.


def search_chart_count_sql(max_hits: int = SEARCH_CHART_MAX_HITS) -> str:
    """SEARCH_CHART_COUNT_SQL with another limit (tests use a small one)."""
    return f"""select
  (select count(*) from (select 1 from version_words where version_words match word_match(:q)
    limit {max_hits + 1})) as word_hits,
  case when typed_substring_match(:q) != substring_match(:q)
      and (select count(*) from (select 1 from articles_fts where articles_fts match typed_substring_match(:q)
        limit {max_hits + 1})) > {max_hits}
    then {max_hits + 1}
    else (select count(*) from (select 1 from articles_fts where articles_fts match substring_match(:q)
      limit {max_hits + 1})) end as substring_hits"""


SEARCH_CHART_COUNT_SQL = search_chart_count_sql()
# "When did the city first say X": every article with a version whose words match, the
# earliest capture first (word index only: it alone covers every version).
FIRST_MENTIONS_SQL = """select articles.id, articles.title, min(v.version) as first_version,
  min(v.fetched_at) as first_captured_at, articles.published_at, articles.version_count, articles.url
from version_words
join article_versions v on v.id = version_words.rowid
join articles on articles.id = v.article_id
where version_words match word_match(:q)
group by articles.id
order by first_captured_at, articles.published_at
limit 1000"""


def register_search_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the search SQL needs, on one connection (Datasette's plugin does the same).

    ``word_match(q)`` and ``substring_match(q)`` turn what a reader typed into safe MATCH
    expressions for the word and the trigram index; ``search_excerpt(text, q)`` marks hits «so».
    Each refuses a query over MAX_QUERY_CHARS (``bounded``).
    """
    conn.create_function("word_match", 1, bounded(word_match), deterministic=True)
    conn.create_function("substring_match", 1, bounded(substring_match), deterministic=True)
    conn.create_function("lead_word_match", 1, bounded(lead_word_match), deterministic=True)
    conn.create_function("body_word_match", 1, bounded(body_word_match), deterministic=True)
    conn.create_function("typed_substring_match", 1, bounded(typed_substring_match), deterministic=True)
    conn.create_function("search_excerpt", 2, bounded_excerpt, deterministic=True)


# Bounds of one call of a search function (issue 17, 1). The public reader lets anyone call them
# from their own SQL, and SQLite cannot interrupt a function while it runs: search_excerpt() of a
# 30 KB text and 3,500 query words ran 22 s in one call, holding a query thread. A call's work
# grows with words of text × spellings of the query's words: at these bounds the worst call found
# (43 three-letter words with ä and ß against 100,000 characters without a hit) takes ~0.5 s of CPU.
MAX_QUERY_CHARS = 200  # a search box's query; the reader's pages refuse longer ones with a 400
MAX_EXCERPT_TEXT_CHARS = 100_000  # body_text's cap (items.py): a stored text is never cut


class QueryTooLong(ValueError):
    """A search function was given a query over MAX_QUERY_CHARS."""


def bounded(function: Callable[[str | None], str]) -> Callable[[str | None], str]:
    """``function(q)`` refusing a ``q`` over MAX_QUERY_CHARS (SQLite: "user-defined function raised exception")."""

    @functools.wraps(function)
    def checked(query: str | None) -> str:
        _check_query(query)
        return function(query)

    return checked


def bounded_excerpt(text: str | None, query: str | None) -> str:
    """``excerpt(text, query)`` of at most MAX_EXCERPT_TEXT_CHARS of text, refusing a query over MAX_QUERY_CHARS."""
    _check_query(query)
    return excerpt(text[:MAX_EXCERPT_TEXT_CHARS] if isinstance(text, str) else text, query)


def _check_query(query: object) -> None:
    if isinstance(query, str | bytes) and len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"search query of {len(query)} characters: at most {MAX_QUERY_CHARS}")
