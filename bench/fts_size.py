"""Archive size without full-text search, with a plain trigram index, and with spelling variants.

    python bench/fts_size.py [--articles N] [--seed S]

Builds an archive of N synthetic German articles (about 2 KB of body text each, made up
here from a small word list: no site text) through ``Archive.save_article``, then
derives from it, each VACUUMed: the database without any FTS index, with a trigram index
of the text only, with trigram + ``search_variants``, with the word index (German stems,
``version_words``) only, the archive as the store builds it (both), and for comparison the text plus whole folded copies (ä→ae and ä→a, ß→ss) instead of
per-word variants. Prints sizes in MB and relative to the database without FTS.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import sqlite_utils

from newsroom_scraper.items import Article, Image
from newsroom_scraper.store import FTS_COLUMNS, Archive

# A made-up word list. With 2 % compounds an article has about 130 distinct words, 19
# of them with variants, and search_variants is ~21 % of the indexed text: as on the
# real page in ../shared (135, 18, 23 %) and the 2024 seed text (17 %).
PARTS = (
    "Stadt Städte Partner Schaft Bürger Meister Straße Bahn Schule Kinder Garten Grün "
    "Fläche Rat Haus Bücherei Sport Platz Feuer Wehr Wasser Versorgung Brücke Bau Stelle "
    "Verkehr Übergang Größe Umwelt Schutz Gebäude Förderung Jugend Hilfe Öffentlichkeit "
    "Arbeit Markt Fußgänger Zone Klima Anpassung Straßen Reinigung Müll Abfuhr Polizei "
    "Präsidium Gesundheit Amt Kultur Büro Theater Spiel Hafen Gelände Schloss Park"
).split()
WORDS = (
    "die der das den dem des und oder aber mit für zum zur im am an auf aus von über "
    "nach bei vor seit bis ein eine einen neue neuen alle viele wird werden wurde hat haben "
    "ist sind war soll sollen muss können heute morgen ab ersten zweiten Woche Monat Jahr "
    "Termin Stadtbezirk Einwohnerinnen Einwohner gemeinsam künftig größere schöne wieder "
    "außerdem dass bereits weiter rund Menschen Euro Millionen Projekt Verwaltung Rathaus "
    "Ausschuss Beschluss teuer Mitteilung Ergebnis Gespräch Anmeldung Informationen gibt "
    "sich sie er wir ihre seine diese dieser nicht auch noch nur sehr mehr etwa dort hier "
    "Angebot Veranstaltung Familien Eltern Anfang Ende Sommer Herbst Uhr Tag Abend Stadt "
    "Freitag Samstag Sonntag Montag Telefon Internet Seite Kosten kostenlos offen statt"
).split()
DISTRICTS = "Aplerbeck Brackel Eving Hörde Hombruch Huckarde Lütgendortmund Mengede Scharnhorst".split()


def compound(rng: random.Random) -> str:
    """A made-up compound noun of two or three parts ("Straßenbahnbrücke")."""
    parts = rng.sample(PARTS, rng.choice((2, 2, 3)))
    return parts[0] + "".join(part.lower() for part in parts[1:])


def sentence(rng: random.Random) -> str:
    """A German-looking sentence of 8 to 16 words."""
    words = [compound(rng) if rng.random() < 0.02 else rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    words.insert(rng.randrange(len(words)), rng.choice(DISTRICTS))
    return " ".join(words).capitalize() + "."


def article(number: int, rng: random.Random) -> Article:
    """One synthetic article with about 2 KB of body text."""
    body = []
    while sum(map(len, body)) < 2000:
        body.append(sentence(rng))
    body_text = " ".join(body)
    return Article(
        url=f"https://presse.example.de/news/{number}",
        title=sentence(rng)[:80],
        published_at=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        layout="bench",
        section="news",
        topline=compound(rng),
        lead=sentence(rng),
        body_text=body_text,
        body_html=f"<p>{body_text}</p>",
        tags=[compound(rng) for _ in range(rng.randint(1, 4))],
        images=[Image(src=f"https://img.example.de/{number}.jpg", credit=f"Stadt Beispiel / {rng.choice(DISTRICTS)}")],
    )


def fold(text: str, umlaut: int) -> str:
    """The whole text with umlauts spelt as digraphs (0) or plain vowels (1), ß as ss."""
    table = {"ä": ("ae", "a"), "ö": ("oe", "o"), "ü": ("ue", "u"), "ß": ("ss", "ss")}
    return "".join(table[c][umlaut] if c in table else c for c in text.lower())


def derive(source: Path, target: Path, step: str) -> int:
    """Copy the archive to ``target``, change its search index as ``step`` says, VACUUM it."""
    with sqlite_utils.Database(source) as db:
        db.execute("VACUUM INTO ?", [str(target)])
    with sqlite_utils.Database(target) as db:
        if step not in ("store", "words"):
            db.execute("DROP TABLE version_words")  # the word index (migration 0002)
        if step not in ("store", "trigram+variants"):
            db["articles"].disable_fts()
            db.execute("UPDATE articles SET search_variants = NULL")
        if step == "trigram":
            db["articles"].enable_fts(FTS_COLUMNS[:-1], tokenize="trigram")
        if step == "folded":
            for article_id, *texts in db.execute(f"SELECT id, {', '.join(FTS_COLUMNS[:-1])} FROM articles").fetchall():
                text = "\n".join(t for t in texts if t)
                db.execute(
                    "UPDATE articles SET search_variants = ? WHERE id = ?",
                    [fold(text, 0) + "\n" + fold(text, 1), article_id],
                )
            db["articles"].enable_fts(FTS_COLUMNS, tokenize="trigram")
        db.execute("VACUUM")
    return target.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)

    with tempfile.TemporaryDirectory() as folder:
        built = Path(folder) / "built.db"
        started = time.perf_counter()
        with Archive(built) as archive:
            run_id = archive.start_run("bench", {})
            for number in range(options.articles):
                archive.save_article(
                    article(number, rng),
                    run_id=run_id,
                    fetched_url="",
                    fetched_at="2025-07-08T00:00:00+00:00",
                    etag=None,
                    last_modified=None,
                )
            text_kb, variants_kb = archive.db.execute(
                f"SELECT SUM({' + '.join(f'LENGTH({c})' for c in FTS_COLUMNS[:-1])}) / 1024.0,"
                " SUM(LENGTH(search_variants)) / 1024.0 FROM articles"
            ).fetchone()
        seconds = time.perf_counter() - started
        print(
            f"{options.articles} articles saved in {seconds:.1f} s; indexed text "
            f"{text_kb / options.articles:.2f} KB/article, search_variants "
            f"{variants_kb / options.articles:.2f} KB/article ({variants_kb / text_kb:.0%})"
        )
        sizes = {}
        for step, label in [
            ("none", "no FTS index"),
            ("trigram", "trigram FTS, text only"),
            ("trigram+variants", "trigram FTS + search_variants"),
            ("words", "word index (stems, unicode61) only"),
            ("store", "word index + trigram + variants (the store)"),
            ("folded", "trigram FTS + whole folded copies"),
        ]:
            sizes[step] = derive(built, Path(folder) / f"{step}.db", step)
            extra_kb = (sizes[step] - sizes["none"]) / 1024 / options.articles
            print(
                f"{label:42} {sizes[step] / 1e6:8.1f} MB  {sizes[step] / sizes['none']:.2f}x"
                f"  {extra_kb:+6.1f} KB/article"
            )


if __name__ == "__main__":
    main()
