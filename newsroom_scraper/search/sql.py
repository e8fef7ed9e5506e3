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

from newsroom_scraper.search.filters import search_since, search_until
from newsroom_scraper.search.words import (
    NOTHING,
    body_word_match,
    excerpt,
    fold,
    lead_word_match,
    substring_match,
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


def distinct_values_sql(table: str, column: str) -> str:
    """The distinct values of an indexed column as ``select value …``, one index seek each (a
    DISTINCT or GROUP BY reads the whole index: ~100 ms for the tags of 100,000 articles)."""
    return f"""with recursive spelling(value) as (
    select min({column}) from {table}
    union all
    select (select min({column}) from {table} where {column} > spelling.value) from spelling where spelling.value is not null
  )
  select value from spelling where value is not null"""


def _spellings(table: str, column: str) -> str:
    """The values of an indexed column that fold() to the same as the filter's (Hörde, HÖRDE, horde)."""
    return f"{distinct_values_sql(table, column)} and fold(value) = fold(:{column})"


_SEARCH_FILTERS = f"""(:section = '' or f.section = :section)
  and (search_since(:since, :until) = '' or f.published_date >= search_since(:since, :until))
  and (search_until(:since, :until) = ''
    or substr(f.published_date, 1, length(search_until(:since, :until))) <= search_until(:since, :until))
  and (:tag = '' or f.article_id in (select article_id from tags where tag in ({_spellings("tags", "tag")})))
  and (:district = '' or f.district in ({_spellings("articles", "district")}))"""
# Sorted by date (:sort newest or oldest) the search is one tier of every hit, word or substring.
_DATED = "(:sort in ('newest', 'oldest'))"
# The order of hits: by relevance (tier, then score, ties newest first), or by publication date.
_ORDER = """case when :sort = 'oldest' then published_at end, case when :sort = 'newest' then published_at end desc,
    tier, score, published_at desc, id"""
_SEARCH_NEED = f"max(cast(:page as integer), 1) * {READER_PAGE_SIZE} + 1"
# An export reads every hit (search_ids_sql): a need no search reaches.
_EVERY_HIT = "1000000000000"
# A very common word (docs/reading.md): bm25 scores every hit it ranks, whatever the LIMIT. Word
# tier: when version_words holds more than SEARCH_RANK_MAX_HITS hits of the query (all versions,
# counted before filters, with LIMIT, from the index alone), bm25 ranks only the hits whose title,
# topline or lead hold the words (lead_word_match(), bm25 over those columns: most of its weight),
# then come the other word hits newest first (body_word_match(), recent_word_page). Substring tier:
# its hits (after filters) are matched once, without rank (substring_hits); more than
# SEARCH_RANK_MAX_HITS are listed newest first, fewer are ranked by bm25 as before (a second
# match). A tier that is not needed gets the empty MATCH (NOTHING): FTS5 never scans for it.
SEARCH_RANK_MAX_HITS = 2000


def _hits_sql(rank_max_hits: int, need: str) -> str:
    """The CTEs of the search up to ``hits``: at least ``need`` of the first hits in order (all when
    ``need`` is _EVERY_HIT), as (id, tier, score, published_at); tier 2 is a substring-only hit."""
    word_common = f"""(select count(*) > {rank_max_hits} from (select 1 from version_words
      where version_words match word_match(:q) limit {rank_max_hits + 1}))"""
    ranked = f"not {_DATED}"
    substring_left = f"{need} - (select count(*) from word_page) - (select count(*) from recent_word_page)"
    substring_only = f"""{_SEARCH_FILTERS}
    and f.article_id not in (select w.article_id from version_words join search_facts w
      on w.version_id = version_words.rowid where version_words match word_match(:q))"""
    return f"""with word_page as materialized (
  select f.article_id as id, 0 as tier, version_words.rank as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {_DATED} then '{NOTHING}' when {word_common} then lead_word_match(:q)
    else word_match(:q) end)
    and {_SEARCH_FILTERS}
  order by score, published_at desc, id limit {need}
),
recent_word_page as materialized (
  select f.article_id as id, 1 as tier, 0 as score, f.published_at
  from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {ranked} and {word_common} then body_word_match(:q) else '{NOTHING}' end)
    and {_SEARCH_FILTERS}
  order by published_at desc, id limit max({need} - (select count(*) from word_page), 0)
),
substring_hits as materialized (
  select f.article_id as id, f.published_at
  from articles_fts join search_facts f on f.article_id = articles_fts.rowid
  where articles_fts match (case when {ranked} and {substring_left} > 0 then substring_match(:q)
    else '{NOTHING}' end)
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
  order by score, published_at desc, id limit max({substring_left}, 0)
),
dated_words as materialized (
  select f.article_id as id from version_words join search_facts f on f.version_id = version_words.rowid
  where version_words match (case when {_DATED} then word_match(:q) else '{NOTHING}' end)
),
dated_found as materialized (
  select id from dated_words
  union
  select rowid from articles_fts where articles_fts match (case when {_DATED} then substring_match(:q) else '{NOTHING}' end)
),
dated_page as materialized (
  select f.article_id as id, case when f.article_id in (select id from dated_words) then 0 else 2 end as tier,
    0 as score, f.published_at
  from search_facts f where f.article_id in (select id from dated_found) and {_SEARCH_FILTERS}
  order by {_ORDER} limit {need}
),
hits as (
  select * from word_page union all select * from recent_word_page union all select * from substring_page
  union all select * from dated_page
)"""


def search_sql(rank_max_hits: int = SEARCH_RANK_MAX_HITS) -> str:
    """SEARCH_SQL with another cap for bm25 (tests use a small one)."""
    return f"""{_hits_sql(rank_max_hits, _SEARCH_NEED)},
page as (
  select *, row_number() over (order by {_ORDER}) as position from hits order by {_ORDER}
  limit {READER_PAGE_SIZE + 1} offset (max(cast(:page as integer), 1) - 1) * {READER_PAGE_SIZE}
)
select articles.id, articles.published_at, articles.topline, articles.title, articles.section,
  articles.district,
  case page.tier when 2 then 'substring' else 'word' end as match,
  coalesce(nullif(search_excerpt(articles.body_text, :q), ''), nullif(search_excerpt(articles.lead, :q), ''),
    substr(articles.lead, 1, 200)) as excerpt,
  articles.url
from page join articles on articles.id = page.id
order by page.position"""


def search_ids_sql(rank_max_hits: int = SEARCH_RANK_MAX_HITS) -> str:
    """Every hit of the search, in the order of its pages: (id, match); exports and first mentions."""
    return f"""{_hits_sql(rank_max_hits, _EVERY_HIT)}
select id, case tier when 2 then 'substring' else 'word' end as match from hits order by {_ORDER}"""


SEARCH_SQL = search_sql()
SEARCH_IDS_SQL = search_ids_sql()
# The same search as an Atom feed (plugins/feeds.py): a saved search to subscribe to, newest first
# whatever :sort says.
SEARCH_FEED_SQL = f"""select id, url, title, published_at, excerpt as content, 'Stadt Dortmund' as author
from ({search_sql().replace(":sort", "'newest'")})
order by published_at desc limit {READER_PAGE_SIZE}"""
# Hits per month of the same search and filters: the search page's bar chart (search_months.svg, its own
# request after the page) and its numbers (search_months).
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
# "When did the city first say X": every hit of the search (its filters, both tiers) and every
# article an earlier version of which holds the words (the word index covers every version; the
# substring index only the current one), earliest publication first, with the first version whose
# words match and when it was captured. :size rows a page (FIRST_MENTIONS_PAGE_SIZE on the page),
# :page 1, 2, …, and one more row when there is a next page. ``total`` counts every row of the answer.
# A substring-only hit's first version is its current one here; first_version_with() finds the
# earliest for the rows shown. Word hits become articles through idx_article_versions_lookup (INDEXED
# BY: SQLite would read each version's row by its id, ~4 KB a hit; migration 0018); the substring hits
# are not looked up in search_facts twice; the total is a count of its own (a window count(*) over ()
# kept every row for the sort: ~15 % slower).
FIRST_MENTIONS_PAGE_SIZE = 50
# Every article of the answer (filters not yet applied): id, first version with the words, match.
_FIRST_MENTIONS_FOUND = """word_versions as materialized (
  select v.article_id as id, min(v.version) as first_version
  from version_words join article_versions v indexed by idx_article_versions_lookup on v.id = version_words.rowid
  where version_words match word_match(:q)
  group by v.article_id
),
found as materialized (
  select id, first_version, 'word' as match from word_versions
  union all
  select rowid, null, 'substring' from articles_fts
  where articles_fts match substring_match(:q) and rowid not in (select id from word_versions)
)"""
_FIRST_MENTIONS_PAGE = (
    """limit cast(:size as integer) + 1 offset (max(cast(:page as integer), 1) - 1) * cast(:size as integer)"""
)
# The page's rows from ``answer`` (id, first_version, match, published_at, total).
_FIRST_MENTIONS_ROWS = """select articles.id, articles.title, articles.published_at, answer.first_version,
  v.fetched_at as first_captured_at, articles.first_seen_at, articles.version_count, answer.match,
  answer.total, articles.url
from answer join articles on articles.id = answer.id
left join article_versions v on v.article_id = answer.id and v.version = answer.first_version
order by answer.published_at, answer.id"""
FIRST_MENTIONS_SQL = f"""with {_FIRST_MENTIONS_FOUND},
answer as (
  select found.id, coalesce(found.first_version, f.version_count) as first_version, found.match, f.published_at,
    (select count(*) from found join search_facts f on f.article_id = found.id where {_SEARCH_FILTERS}) as total
  from found join search_facts f on f.article_id = found.id
  where {_SEARCH_FILTERS}
  order by f.published_at, found.id
  {_FIRST_MENTIONS_PAGE}
)
{_FIRST_MENTIONS_ROWS}"""
# The total of FIRST_MENTIONS_SQL alone: the page's own request when the page was walked (below).
FIRST_MENTIONS_TOTAL_SQL = f"""with {_FIRST_MENTIONS_FOUND}
select count(*) as total from found join search_facts f on f.article_id = found.id where {_SEARCH_FILTERS}"""
# The same rows, found by walking the articles in publication order and asking both indexes about
# each (``rowid =``: a seek in each segment of an index, ~0.01-0.05 ms an article once the indexes
# are merged, migration 0021) instead of reading every hit (44,625 word and 78,400 substring hits
# of "Stadt" in 100,000 articles: ~110 ms before the first row). Fast only when hits are dense: it
# walks at most FIRST_MENTIONS_WALK_FACTOR articles per row the page needs, and only when the word
# index holds a hit per FIRST_MENTIONS_WALK_FACTOR articles (counted with a LIMIT, from the index
# alone); otherwise it returns no row at all, and so does a walk that did not fill the page (a
# filter that leaves few articles among those walked, a page far back): the caller then runs
# FIRST_MENTIONS_SQL. ``total`` is NULL: counting is what the walk saves (FIRST_MENTIONS_TOTAL_SQL
# counts, as its own request). ``hits`` keeps the first rows as the walk yields them, in its order
# (SQLite keeps a subquery's rows in the order its ORDER BY produced them, and a CROSS JOIN keeps
# ``walked`` the outer loop whatever the planner would choose: a filter's index must never drive
# it); tests/test_summaries.py compares the rows with FIRST_MENTIONS_SQL's (and so did 90 walked
# pages of 16 words × 5 filters × 3 page positions at 100,000 articles).
FIRST_MENTIONS_WALK_FACTOR = 20
_FIRST_MENTIONS_NEED = "(max(cast(:page as integer), 1) * cast(:size as integer) + 1)"
_FIRST_MENTIONS_DENSE = f"""(select count(*) * {FIRST_MENTIONS_WALK_FACTOR} >= (select max(article_id) from search_facts)
  from (select 1 from version_words where version_words match word_match(:q)
    limit (select max(article_id) from search_facts) / {FIRST_MENTIONS_WALK_FACTOR} + 1))"""
FIRST_MENTIONS_WALK_SQL = f"""with walked as (
  select a.id from articles a indexed by idx_articles_published_at
  order by a.published_at, a.id
  limit case when {_FIRST_MENTIONS_DENSE} then {_FIRST_MENTIONS_NEED} * {FIRST_MENTIONS_WALK_FACTOR} else 0 end
),
probed as (
  select f.article_id as id, f.published_at, f.version_count,
    (select min(v.version) from article_versions v indexed by idx_article_versions_article_id_version
     where v.article_id = f.article_id and exists (select 1 from version_words
      where version_words match word_match(:q) and version_words.rowid = v.id)) as word_version
  from walked cross join search_facts f on f.article_id = walked.id
  where {_SEARCH_FILTERS}
),
hits as materialized (
  select id, coalesce(word_version, version_count) as first_version,
    case when word_version is null then 'substring' else 'word' end as match, published_at
  from probed
  where word_version is not null
    or exists (select 1 from articles_fts where articles_fts match substring_match(:q) and articles_fts.rowid = probed.id)
  limit {_FIRST_MENTIONS_NEED}
),
answer as (
  select id, first_version, match, published_at, null as total from hits
  where (select count(*) from hits) = {_FIRST_MENTIONS_NEED}
  order by published_at, id
  {_FIRST_MENTIONS_PAGE}
)
{_FIRST_MENTIONS_ROWS}"""


SEARCH_FILTER_NAMES = ("since", "until", "section", "tag", "district", "sort")


def search_hits(conn: sqlite3.Connection, q: str, **filters: str) -> list[tuple[int, str]]:
    """Every hit of the search for ``q`` (filters: since, until, section, tag, district, sort), in
    order, as (article id, "word" or "substring"). The connection needs register_search_functions();
    the store's ``Archive.search()`` reads this."""
    params = {"q": q, **{name: filters.get(name) or "" for name in SEARCH_FILTER_NAMES}}
    return [(row[0], row[1]) for row in conn.execute(SEARCH_IDS_SQL, params)]


# The articles the search finds for :q, without order or filters (the table page sorts and filters
# them itself): the current versions' word hits and the substring hits, each once. No bm25 and no
# sort: a word in most articles costs a fraction of the ordered SEARCH_IDS_SQL.
SEARCH_HIT_SET_SQL = """select f.article_id from version_words join search_facts f on f.version_id = version_words.rowid
where version_words match word_match(:q)
union
select rowid from articles_fts where articles_fts match substring_match(:q)"""


def search_hit_ids(conn: sqlite3.Connection, q: str) -> list[int]:
    """The ids search_hits() finds without filters, in id order: what ``?_search=`` on the articles
    table reads (plugins/search.py)."""
    return [row[0] for row in conn.execute(SEARCH_HIT_SET_SQL, {"q": q})]


def first_version_with(versions: list[tuple[int, str]], q: str) -> int | None:
    """The first of ``versions`` (number, text) whose text shows a hit of ``q`` (search_excerpt's
    rule), or None: the first version of a substring-only hit, which no index keeps for old versions."""
    for number, text in sorted(versions):
        if excerpt(text, q):
            return number
    return None


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
    conn.create_function("search_excerpt", 2, bounded_excerpt, deterministic=True)
    conn.create_function("fold", 1, fold, deterministic=True)
    conn.create_function("search_since", 2, search_since, deterministic=True)
    conn.create_function("search_until", 2, search_until, deterministic=True)


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
