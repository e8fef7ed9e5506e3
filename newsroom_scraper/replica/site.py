"""The replica's content and state: a deterministic synthetic Dortmund newsroom (no HTTP here).

``ReplicaSite`` invents ``articles`` article pages from ``random.Random(seed)`` and renders
every page the replica serves (articles, listings, sitemaps, robots.txt, search API answers)
as a ``Response``. ``server.py`` only moves those bytes over HTTP. The same seed and the same
``newest`` date give a byte-identical site. All text is composed from the word lists below,
written for this project; place and district names are Dortmund's, the news is invented.

Discovery classes, fixed when the site is built, by an article's index ``i`` in the initial
newest-first list (articles added later with ``add_article`` are always in both):

- ``i % 10 == 3``: **listing-only**: in the listings and the sliders, absent from the sitemaps;
- ``i % 10 == 7``: **sitemap-only**: in the sitemaps and the search API, absent from every HTML
  link (listings and the "Weitere Nachrichten" sliders), so a crawl without the sitemap finds
  it only through the search API;
- every other article is in both. Every article is in the search API.

Validators: an article's Last-Modified is its publication moment (Europe/Berlin, as UTC),
moved to "now" by ``edit_article``; its ETag hashes the body, so it also changes when the
slider does (``add_article`` changes the slider of most pages). Other pages carry the site's
latest Last-Modified.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from itertools import islice
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from ..text.dates import BERLIN
from ..text.urls import canonical_url
from . import fixtures
from .fixtures import HOST, NEWS, PRESS, ArticlePage, Block, Credit, Picture, Strong, Teaser

PRESS_ALIAS = "/newsroom/pressemitteilungen/"  # the second spelling of the press folder
HOME = "/newsroom/"
NEWS_LISTING = "/newsroom/nachrichten/"
PRESS_LISTING = "/newsroom/presse-mitteilungen/"
INTERN = "/newsroom/intern/"  # disallowed in robots.txt, linked from every listing
SEARCH_API = "/api/search/proxy/search"
SITEMAP_INDEX = "/sitemap.xml"
SITEMAPS = {"/sitemaps/news.xml": "news", "/sitemaps/press.xml": "press"}
PER_PAGE = 10  # teasers per listing page
HOME_TEASERS = 12  # teasers on "Dortmund aktuell"
SLIDER = 6  # teasers in an article's "Weitere Nachrichten" slider
SEARCH_WINDOW = 10_000  # Elasticsearch's max_result_window: from + size beyond it fails

LISTING_ONLY, SITEMAP_ONLY, BOTH = "listing-only", "sitemap-only", "both"

# Links every listing carries that a crawler must never follow: other hosts (the real site
# included), a mail address, and the disallowed intern area.
OFFSITE_LINKS = [
    ("https://example.org/veranstaltungen/", "Veranstaltungskalender (extern)"),
    (HOST + "/newsroom/nachrichten/", "Nachrichten auf dortmund.de"),
    (HOST + "/allgemeines/impressum/", "Impressum"),
    ("mailto:presse@example.org", "Kontakt zur Pressestelle"),
]
INTERN_LINK = (INTERN, "Redaktionsplanung (intern)")

# ---------------------------------------------------------------------------------------------
# Vocabulary. Placeholders: {place} {district} {street} {month} {weekday} {n} {person} {role}.
# ---------------------------------------------------------------------------------------------

DISTRICTS = ["Innenstadt-West", "Innenstadt-Nord", "Innenstadt-Ost", "Eving", "Scharnhorst", "Brackel",
             "Aplerbeck", "Hörde", "Hombruch", "Lütgendortmund", "Huckarde", "Mengede"]  # fmt: skip
STREETS = ["Kampstraße", "Hohe Straße", "Saarlandstraße", "Brackeler Straße", "Hörder Bahnhofstraße",
           "Mallinckrodtstraße", "Wittbräucker Straße", "Emscherallee", "Schützenstraße",
           "Lange Straße"]  # fmt: skip
GERMAN_MONTHS = fixtures.MONTHS
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"]
PEOPLE = [("Katrin Wellmann", "Leiterin des Fachbereichs"), ("Jörg Lindemann", "Bezirksbürgermeister"),
          ("Selin Aydın", "Sprecherin der Stadt"), ("Tobias Kretschmer", "Projektleiter"),
          ("Maren Oberhoff", "Stadträtin"), ("Dariusz Nowak", "Leiter des Teams vor Ort"),
          ("Friederike Sommer", "Koordinatorin"), ("Ole Hansen", "Sachgebietsleiter")]  # fmt: skip
PHOTOGRAPHERS = ["Lena Kortmann", "Paul Reinhold", "Aylin Demir", "Martin Schöning", "Sabine Ludwig",
                 "Hendrik Brauer"]  # fmt: skip
AGENCIES = ["Stadt Dortmund", "Dortmund-Agentur", "Privat", "Stadtarchiv Dortmund"]
SINGLE_CREDITS = ["Förderverein Westfalenpark e.V.", "Kulturbüro Dortmund", "Freundeskreis Bücherbus e.V."]
GENERAL_TAGS = ["Stadtverwaltung", "Bürgerbeteiligung", "Ehrenamt", "Familie", "Kultur & Freizeit"]
QUOTES = ["Ein Ort für alle", "Wir bauen für die Zukunft", "Zusammen stark", "Lesen verbindet",
          "Grün in der Stadt", "Sicher unterwegs", "Mitmachen ausdrücklich erwünscht"]  # fmt: skip
RECURRING_TITLES = ["Winterdienst startet in die Saison", "Ferienprogramm für Kinder veröffentlicht",
                    "Weihnachtsbeleuchtung leuchtet wieder"]  # fmt: skip
CTA_LABELS = ["Zur Anmeldung", "Mehr Informationen", "Zum Programm", "Zum Online-Formular"]
GENERAL_SENTENCES = [
    "Die Stadt informiert rechtzeitig über alle weiteren Schritte.",
    "Fragen beantwortet das Bürgertelefon montags bis freitags von 8 bis 18 Uhr.",
    "Die Teilnahme ist kostenlos, eine Anmeldung ist nicht erforderlich.",
    "Weitere Termine folgen im {month}.",
    "Der Bezirksvertretung {district} wurde das Vorhaben bereits vorgestellt.",
    "Rund {n} Menschen haben sich bereits beteiligt.",
]


@dataclass(frozen=True)
class Topic:
    """One subject area: the phrases an article about it is composed from."""

    key: str
    toplines: list[str]
    tags: list[str]
    places: list[str]
    titles: list[str]
    sentences: list[str]
    headings: list[str]
    items: list[str]
    alts: list[str]
    captions: list[str]


TOPICS = [
    Topic("bibliothek", ["Bildung", "Stadtbibliothek"], ["Bildung", "Kinder & Jugend", "Kultur & Freizeit"],
          ["Stadt- und Landesbibliothek", "Stadtteilbibliothek {district}", "Kinder- und Jugendbibliothek"],
          ["{place} verlängert die Öffnungszeiten", "Lesenacht in der {place}", "{place} startet Sommerleseclub",
           "Neue Lernplätze in der {place}", "Bücherbus hält künftig auch in {district}",
           "Vorlesestunde für Kinder in {district}"],
          ["Die {place} bietet ab {month} zusätzliche Lernplätze an.",
           "Für die Ausleihe genügt ein gültiger Bibliotheksausweis.",
           "Kinder bis zwölf Jahre nehmen an der Vorlesestunde kostenlos teil.",
           "Das Team der {place} hat dafür rund {n} neue Medien angeschafft.",
           "Anmeldungen nimmt die {place} telefonisch und vor Ort entgegen.",
           "Jeden {weekday} lesen Ehrenamtliche aus neuen Bilderbüchern vor."],
          ["Mehr Zeit zum Lesen", "So funktioniert die Anmeldung", "Angebote für Kinder"],
          ["Montag bis Freitag: 10 bis 19 Uhr", "Samstag: 10 bis 16 Uhr", "Sonntag: geschlossen",
           "Ausleihe mit Bibliotheksausweis", "Lernplätze ohne Anmeldung"],
          ["Bücherregale in der {place}", "Kinder lesen auf einem Sofa", "Ein heller Lesesaal mit Tischen"],
          ["Der Lesesaal wird zum Lernort.", "Die Ausleihe funktioniert auch am Automaten.", "Symbolbild"]),
    Topic("parks", ["Umwelt", "Grünflächen", "Freizeit"], ["Umwelt", "Klimaschutz", "Kultur & Freizeit"],
          ["Westfalenpark", "Rombergpark", "Fredenbaumpark", "Hoeschpark", "Revierpark Wischlingen"],
          ["Neue Bäume für den {place}", "{place}: Wege werden erneuert", "Frühjahrsputz im {place}",
           "Blühwiesen im {place} angelegt", "Spielplatz im {place} wieder geöffnet"],
          ["Im {place} pflanzt das Grünflächenamt in diesem Jahr {n} junge Bäume.",
           "Die Arbeiten beginnen am {weekday} und dauern voraussichtlich drei Wochen.",
           "Während der Bauzeit bleiben die Hauptwege im {place} geöffnet.",
           "Die neuen Wiesen bieten Insekten Nahrung vom Frühjahr bis in den Herbst.",
           "Freiwillige aus {district} helfen beim Pflanzen mit."],
          ["Was sich ändert", "Mitmachen beim Frühjahrsputz", "Hinweise für Besucherinnen und Besucher"],
          ["Handschuhe und Zangen werden gestellt", "Treffpunkt am Haupteingang", "Hunde bitte an die Leine",
           "Festes Schuhwerk mitbringen"],
          ["Eine Wiese im {place}", "Junge Bäume an einem Parkweg", "Ein Spielplatz mit Klettergerüst"],
          ["Im {place} wachsen bald neue Bäume.", "Der Hauptweg wird verbreitert.", "Blick über den {place}."]),
    Topic("schulen", ["Bildung", "Schule"], ["Bildung", "Schulen", "Kinder & Jugend"],
          ["Grundschule an der {street}", "Gesamtschule {district}", "Realschule {district}"],
          ["{place} bekommt einen Neubau", "Richtfest an der {place}", "Offener Ganztag in {district} wächst",
           "Anmeldung an weiterführenden Schulen beginnt", "Neue Mensa für die {place}"],
          ["Der Neubau der {place} bietet Platz für {n} Schülerinnen und Schüler.",
           "Die Bauarbeiten an der {street} liegen im Zeitplan.",
           "Eltern können ihre Kinder bis Ende {month} anmelden.",
           "Im Ganztag kommen zum neuen Schuljahr zusätzliche Gruppen hinzu.",
           "Die Schule hat das Konzept gemeinsam mit der Schulpflegschaft entwickelt."],
          ["Der Zeitplan", "Anmeldung und Fristen", "Was Eltern wissen müssen"],
          ["Anmeldeschein der Grundschule", "Geburtsurkunde oder Ausweis", "Letztes Zeugnis",
           "Nachweis über den Masernschutz"],
          ["Der Rohbau der {place}", "Kinder auf einem Schulhof", "Eine neue Mensa mit langen Tischen"],
          ["So soll der Neubau aussehen.", "Der Schulhof wird neu gestaltet.", "Visualisierung"]),
    Topic("verkehr", ["Verkehr", "Mobilität"], ["Verkehr", "Mobilität", "Baustellen"],
          ["{street}", "Stadtbahnlinie U{n2}", "Radweg an der {street}"],
          ["Baustelle an der {street}: Umleitung ab {weekday}", "Radweg an der {street} wird breiter",
           "Neue Ampel in {district}", "Stadtbahnlinie U{n2} fährt wieder durchgehend",
           "Fahrbahnsanierung in {district} beginnt"],
          ["Ab {weekday} ist die {street} zwischen zwei Kreuzungen nur in eine Richtung befahrbar.",
           "Der Verkehr wird über ausgeschilderte Strecken durch {district} umgeleitet.",
           "Radfahrende erhalten einen eigenen, zwei Meter breiten Streifen.",
           "Die Arbeiten dauern voraussichtlich bis Ende {month}.",
           "Busse und Bahnen fahren nach einem geänderten Fahrplan."],
          ["Umleitungen", "Hinweise für Radfahrende", "Der Zeitplan"],
          ["Umleitung über die {street}", "Haltestellen werden verlegt", "Fußwege bleiben frei",
           "Anlieger frei"],
          ["Absperrungen an der {street}", "Ein Radweg mit roter Markierung", "Eine Stadtbahn an der Haltestelle"],
          ["Die Fahrbahn wird vollständig erneuert.", "Der neue Radweg ist deutlich breiter.", "Symbolbild"]),
    Topic("kultur", ["Kultur", "Freizeit"], ["Kultur & Freizeit", "Veranstaltungen", "Musik"],
          ["Kulturzentrum {district}", "Kulturhaus {district}", "Stadtteilzentrum {district}"],
          ["{place} stellt neues Programm vor", "Sommerbühne: Eintritt frei", "Kunstpfad in {district} eröffnet",
           "Stadtteilfest in {district} am {weekday}", "Lange Nacht der Kultur im {month}"],
          ["Das Programm umfasst {n} Veranstaltungen für alle Altersgruppen.",
           "Künstlerinnen und Künstler aus {district} stellen ihre Arbeiten vor.",
           "Der Eintritt ist frei, Spenden sind willkommen.",
           "Karten gibt es ab {weekday} an der Abendkasse.",
           "Bei schlechtem Wetter zieht das Fest in die Aula der Gesamtschule um."],
          ["Das Programm", "Karten und Preise", "Anreise"],
          ["Konzert am Freitagabend", "Lesung am Samstagnachmittag", "Familienfest am Sonntag",
           "Ausstellung während der gesamten Woche"],
          ["Publikum bei einer Veranstaltung", "Eine Band auf der Bühne", "Skulpturen am Wegesrand"],
          ["Die Bühne ist bereit.", "Ein Kunstwerk am Kunstpfad.", "Blick ins Publikum beim letzten Fest."]),
    Topic("buergerdienste", ["Bürgerdienste", "Stadtverwaltung"], ["Bürgerdienste", "Stadtverwaltung", "Digitales"],
          ["Bürgerbüro {district}", "Bürgerbüro Innenstadt", "Standesamt"],
          ["{place}: Neue Öffnungszeiten ab {month}", "Termine online buchen", "{place} zieht um",
           "Sprechstunde in {district}", "Personalausweis: Wartezeiten sinken"],
          ["Das {place} öffnet ab {month} auch an einem Samstag im Monat.",
           "Termine lassen sich rund um die Uhr online buchen.",
           "Für einen neuen Personalausweis wird ein aktuelles biometrisches Foto benötigt.",
           "Im Schnitt warten Kundinnen und Kunden derzeit {n2} Tage auf einen Termin.",
           "Barrierefreie Zugänge gibt es am neuen Standort an der {street}."],
          ["Was Sie mitbringen müssen", "Online zum Termin", "Der neue Standort"],
          ["Gültiger Ausweis", "Biometrisches Passfoto", "Meldebescheinigung", "Vollmacht bei Vertretung"],
          ["Der Eingang zum {place}", "Ein Wartebereich mit Anzeigetafel", "Das neue Gebäude an der {street}"],
          ["Der neue Standort ist barrierefrei.", "Wartemarken gibt es am Eingang.", "Symbolbild"]),
    Topic("sport", ["Sport", "Freizeit"], ["Sport", "Kinder & Jugend", "Ehrenamt"],
          ["Hallenbad {district}", "Sportzentrum {district}", "Freibad {district}"],
          ["{place} öffnet nach Sanierung", "Stadtlauf am {weekday}: Straßen gesperrt",
           "Neuer Kunstrasen im Sportpark {district}", "Schwimmkurse für Kinder in {district}",
           "Sportabzeichen-Tag im {month}"],
          ["Das {place} wurde in den vergangenen Monaten energetisch saniert.",
           "Rund {n} Läuferinnen und Läufer haben sich für den Stadtlauf angemeldet.",
           "Vereine aus {district} können den Platz ab sofort buchen.",
           "Die Schwimmkurse beginnen am {weekday} und umfassen zehn Termine.",
           "Für das Sportabzeichen braucht es Ausdauer, Kraft, Schnelligkeit und Koordination."],
          ["Öffnungszeiten", "Streckenverlauf", "Anmeldung für Vereine"],
          ["Frühschwimmen ab 6.30 Uhr", "Familienbadetag am Sonntag", "Startschuss um 10 Uhr",
           "Zieleinlauf am Friedensplatz"],
          ["Das Becken im {place}", "Läuferinnen auf der Strecke", "Ein Kunstrasenplatz bei Flutlicht"],
          ["Das Becken wurde neu gefliest.", "Der Startbereich des Stadtlaufs.",
           "Der Platz ist ab sofort bespielbar."]),
]


@dataclass(frozen=True)
class Response:
    """One answer of the replica: status, body and what the server turns into headers."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None  # UTC

    @property
    def etag(self) -> str:
        """A strong validator: the quoted hash of the body."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:24] + '"'

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "ETag": self.etag}
        if self.last_modified:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return headers


class SearchWindowError(ValueError):
    """Raised by ``ReplicaSite.search`` when from + size exceeds 10,000 (HTTP 500, like Elasticsearch)."""


@dataclass
class _Entry:
    """One article as the site keeps it: its page (slider filled at render time) and its state."""

    page: ArticlePage
    discovery: str
    modified: datetime  # UTC, second precision: the page's Last-Modified
    teaser_text: str | None = None
    district: str | None = None
    teaser_picture: Picture | None = None
    broken: bool = False

    def teaser(self, topline: bool = False) -> Teaser:
        page = self.page
        return Teaser(page.path, page.title, page.day, district=self.district, text=self.teaser_text,
                      picture=self.teaser_picture, topline=page.topline if topline else None)  # fmt: skip


def quote_path(path: str) -> str:
    """A site-relative path percent-encoded the way the sitemaps write it.

    >>> quote_path("/newsroom/nachrichten-dortmund.de/„grün“.html")
    '/newsroom/nachrichten-dortmund.de/%E2%80%9Egr%C3%BCn%E2%80%9C.html'
    """
    return quote(path, safe="/")


def _utc(day: date, at: time | None) -> datetime:
    """A Berlin publication moment as UTC (midnight for date-only pages)."""
    return datetime.combine(day, at or time(0, 0), BERLIN).astimezone(timezone.utc)


def slugify(title: str, keep_unicode: bool) -> str:
    """The site's slug for a title: lower case, words joined by "-".

    With ``keep_unicode`` umlauts and „ “ stay (as in some real slugs); otherwise they are
    transliterated or dropped.

    >>> slugify("„Zusammen stark“ startet im Westpark", True)
    '„zusammen-stark“-startet-im-westpark'
    >>> slugify("Grün: Bäume für Hörde", False)
    'gruen-baeume-fuer-hoerde'
    """
    text = title.lower()
    if not keep_unicode:
        for raw, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ı", "i")):
            text = text.replace(raw, plain)
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789") | (set("äöüß„“") if keep_unicode else set())
    text = "".join(c if c in allowed else " " for c in text.replace("-", " "))
    return "-".join(text.split())


class _Writer:
    """Composes one article's text from a topic, with its own consistent place, district, etc."""

    def __init__(self, rng: random.Random, topic: Topic) -> None:
        self.rng, self.topic = rng, topic
        person, role = rng.choice(PEOPLE)
        district = rng.choice(DISTRICTS)
        self.slots = {"district": district, "street": rng.choice(STREETS), "month": rng.choice(GERMAN_MONTHS),
                      "weekday": rng.choice(WEEKDAYS), "n": str(rng.randrange(12, 480)),
                      "n2": str(rng.randrange(2, 48)), "person": person, "role": role}  # fmt: skip
        self.slots["place"] = rng.choice(topic.places).format(**self.slots)

    def fill(self, template: str) -> str:
        return template.format(**self.slots)

    def pick(self, options: list[str]) -> str:
        return self.fill(self.rng.choice(options))

    def title(self) -> str:
        rng, title = self.rng, self.pick(self.topic.titles)
        roll = rng.random()
        if roll < 0.15:
            return f"„{rng.choice(QUOTES)}“: {title}"
        if roll < 0.25:
            return f'{title}: "{rng.choice(QUOTES)}"'
        return title

    def sentence(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return f"„{rng.choice(QUOTES)}, darum geht es uns“, sagt {self.slots['person']}, {self.slots['role']}."
        if roll < 0.18:
            return f'Eine Anwohnerin aus {self.slots["district"]} meint: "{rng.choice(QUOTES)}."'
        return self.pick(self.topic.sentences if roll < 0.8 else GENERAL_SENTENCES)

    def paragraph(self) -> list[str | Strong] | str:
        sentences = [self.sentence() for _ in range(self.rng.randint(1, 3))]
        if self.rng.random() < 0.15:  # a bold phrase inside the paragraph, as editors write them
            return [Strong("Wichtig:"), " " + " ".join(sentences)]
        if len(sentences) > 1 and self.rng.random() < 0.15:
            return [sentences[0] + " ", Strong(sentences[1]), " " + " ".join(sentences[2:])]
        return " ".join(sentences)

    def paragraphs(self, low: int, high: int) -> list[list[str | Strong] | str]:
        return [self.paragraph() for _ in range(self.rng.randint(low, high))]


def _credit(rng: random.Random) -> Credit:
    """A credit in one of the four shapes the site uses, with or without an agency."""
    shape = rng.choice(["plain", "span", "text-span", "link-span"])
    by = rng.choice(PHOTOGRAPHERS)
    if shape == "link-span":
        agency = "Adobe Stock" if rng.random() < 0.85 else None
        return Credit(by=by, agency=agency, shape=shape)
    if shape == "plain" and rng.random() < 0.15:
        return Credit(by=rng.choice(SINGLE_CREDITS), shape="plain")
    agency = rng.choice(AGENCIES) if rng.random() < (0.85 if shape == "text-span" else 0.5) else None
    return Credit(by=by, agency=agency, shape=shape)


def _body(writer: _Writer, page_id: str) -> list[Block]:
    """A varied article body: text, sub-headings, images, lists, sometimes a video and a CTA."""
    rng, topic = writer.rng, writer.topic
    blocks = [Block("text", paragraphs=writer.paragraphs(1, 2))]
    for number in range(rng.randint(0, 4)):
        kind = rng.choice(["headline", "headline", "image", "image", "text", "list"])
        if kind == "headline":
            blocks.append(Block("headline", heading=writer.pick(topic.headings), paragraphs=writer.paragraphs(1, 2)))
        elif kind == "image":
            picture = Picture(
                f"/dortmund/bilder/{topic.key}-{page_id}-{number}_w1200.webp",
                alt=writer.pick(topic.alts) if rng.random() < 0.8 else "",
                caption=writer.pick(topic.captions) if rng.random() < 0.6 else None,
                credit=_credit(rng) if rng.random() < 0.92 else None,
                overlay_credit=rng.random() < 0.2,
            )
            blocks.append(Block("image", picture=picture, paragraphs=writer.paragraphs(0, 1)))
        elif kind == "list":
            items = [writer.fill(item) for item in rng.sample(topic.items, rng.randint(2, len(topic.items)))]
            heading = writer.pick(topic.headings) if rng.random() < 0.4 else None
            blocks.append(Block("list", heading=heading, items=items))
        else:
            blocks.append(Block("text", paragraphs=writer.paragraphs(1, 3)))
    if rng.random() < 0.12:
        video_id = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789_-") for _ in range(11))
        blocks.append(Block("video", url=f"https://www.youtube-nocookie.com/embed/{video_id}",
                            label=writer.fill("Ein Rundgang: {place}")))  # fmt: skip
    if rng.random() < 0.2:
        url = f"/themen/{topic.key}/" if rng.random() < 0.6 else f"https://example.org/{topic.key}/anmeldung/"
        blocks.append(Block("cta", url=url, label=rng.choice(CTA_LABELS)))
    return blocks


def _article(rng: random.Random, path_for: Callable[[str, str], str], day: date, at: time | None, page_id: str,
             title: str | None = None, section: str | None = None,
             repeat: ArticlePage | None = None) -> tuple[ArticlePage, dict[str, Any]]:  # fmt: skip
    """One invented article page and its teaser data (text, district, picture).

    ``path_for(folder, slug)`` returns a free path; ``repeat`` is an older page whose title,
    folder and slug this one repeats (as a yearly announcement does).
    """
    topic = rng.choice(TOPICS)
    writer = _Writer(rng, topic)
    title = title or writer.title()
    section = section or ("press" if rng.random() < 0.3 else "news")
    folder = NEWS if section == "news" else (PRESS_ALIAS if rng.random() < 0.2 else PRESS)
    slug = slugify(title, keep_unicode=rng.random() < 0.3)
    if repeat is not None:
        title = repeat.title
        folder, _, slug = repeat.path.rpartition("/")
        folder, slug = folder + "/", slug.removesuffix(".html")
    path = path_for(folder, slug)
    lead = writer.pick(topic.sentences) if rng.random() < 0.8 else None
    tags = rng.sample(topic.tags + GENERAL_TAGS + [writer.slots["district"]], rng.choice([0, 1, 1, 2, 2, 3]))
    page = ArticlePage(
        path=path, title=title, day=day, at=at, page_id=page_id,
        topline=rng.choice(topic.toplines) if rng.random() < 0.8 else None,
        lead=lead, blocks=_body(writer, page_id), tags=tags,
        description=lead if lead and rng.random() < 0.7 else None,
        og_image=f"/dortmund/bilder/{topic.key}-{page_id}_w1200h630.webp" if rng.random() < 0.5 else None,
    )  # fmt: skip
    picture = None
    if rng.random() < 0.75:
        alt = writer.pick(topic.alts) if rng.random() < 0.85 else ""
        picture = Picture(f"/dortmund/bilder/{topic.key}-{page_id}_w460h192.webp", alt, credit=_credit(rng))
    teaser = {
        "teaser_text": writer.pick(topic.sentences) if picture is None or rng.random() < 0.2 else None,
        "district": writer.slots["district"] if rng.random() < 0.4 else None,
        "teaser_picture": picture,
    }
    return page, teaser


def _moments(rng: random.Random, count: int, newest: date) -> list[tuple[date, time | None]]:
    """Publication dates over the two years before ``newest``, oldest first.

    One article is on ``newest`` itself and about 12% fall within its last 14 days; about
    15% show a date only.
    """
    recent = max(1, round(count * 0.12)) if count else 0
    offsets = [0] + [rng.randint(0, 13) for _ in range(recent - 1)]
    offsets += [rng.randint(14, 729) for _ in range(count - recent)]
    moments = []
    for offset in offsets[:count]:
        at = None if rng.random() < 0.15 else time(rng.randint(6, 20), rng.randrange(60))
        moments.append((newest - timedelta(days=offset), at))
    return sorted(moments, key=lambda m: (m[0], m[1] or time(0, 0)))


class ReplicaSite:
    """A deterministic synthetic newsroom: content, state between crawls, and rendering.

    Thread-safe: the server renders from several threads while tests or the admin endpoints
    mutate it.
    """

    def __init__(self, articles: int, seed: int = 1, newest: date | None = None, sitemap: bool = True,
                 menu_bytes: int = 3000) -> None:  # fmt: skip
        self.seed, self.sitemap, self.menu_bytes = seed, sitemap, menu_bytes
        self.newest = newest or date.today()
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._order: list[str] = []  # paths, newest first
        self._slugs: set[tuple[str, str]] = set()  # (section, slug) taken
        self._added = 0
        self._build(articles)

    # --- building -------------------------------------------------------------------------

    def _build(self, count: int) -> None:
        rng = random.Random(self.seed)
        moments = _moments(rng, count, self.newest)
        ids = sorted(rng.sample(range(20000, 90000), count))  # ids grow with time, as a CMS's do
        pages: list[ArticlePage] = []
        for index, ((day, at), page_id) in enumerate(zip(moments, ids)):
            # One annual repeat (same title and slug: the newer one gets -2) and a few recurring titles.
            repeat = pages[1] if index == count // 2 and count >= 4 else None
            title = rng.choice(RECURRING_TITLES) if rng.random() < 0.05 else None
            page, teaser = _article(rng, self._free_path, day, at, str(page_id), title=title, repeat=repeat)
            pages.append(page)
            self._entries[page.path] = _Entry(page, BOTH, _utc(day, at), **teaser)
        self._order = [page.path for page in reversed(pages)]
        for index, path in enumerate(self._order):
            self._entries[path].discovery = {3: LISTING_ONLY, 7: SITEMAP_ONLY}.get(index % 10, BOTH)
        self._intern = self._intern_page()

    def _free_path(self, folder: str, slug: str) -> str:
        """The path for ``slug``, with -2, -3 … appended when taken (both press folders share slugs)."""
        section = self._section_of(folder)
        candidate, number = slug, 1
        while (section, candidate) in self._slugs:
            number += 1
            candidate = f"{slug}-{number}"
        self._slugs.add((section, candidate))
        return f"{folder}{candidate}.html"

    @staticmethod
    def _section_of(path: str) -> str:
        return "news" if path.startswith(NEWS) else "press"

    def _intern_page(self) -> ArticlePage:
        """The draft behind /newsroom/intern/: an article page a polite crawler never fetches."""
        text = Block("text", paragraphs=["Dieser Entwurf ist nicht zur Veröffentlichung bestimmt."])
        return ArticlePage(path=INTERN + "entwurf-redaktionsplan.html", title="Entwurf: Redaktionsplan (intern)",
                           day=self.newest, at=time(7, 0), page_id="10001", menu_bytes=self.menu_bytes,
                           blocks=[text])  # fmt: skip

    # --- what tests ask about -------------------------------------------------------------

    def article_paths(self) -> list[str]:
        """Every article's site-relative path (non-ASCII as in the links), newest first."""
        with self._lock:
            return list(self._order)

    def canonical_urls(self) -> list[str]:
        """Every article's canonical URL (on www.dortmund.de, percent-encoded), newest first."""
        return [canonical_url(HOST + path) for path in self.article_paths()]

    def sitemap_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self._entries[p].discovery == SITEMAP_ONLY]

    def listing_only_paths(self) -> list[str]:
        return [p for p in self.article_paths() if self._entries[p].discovery == LISTING_ONLY]

    def listed_paths(self) -> list[str]:
        """Articles reachable through the HTML listings (everything but sitemap-only)."""
        return [p for p in self.article_paths() if self._entries[p].discovery != SITEMAP_ONLY]

    def sitemap_paths(self) -> list[str]:
        """Articles in the sitemaps (everything but listing-only)."""
        return [p for p in self.article_paths() if self._entries[p].discovery != LISTING_ONLY]

    def intern_paths(self) -> list[str]:
        """The disallowed pages under /newsroom/intern/ (they exist and answer 200)."""
        return [INTERN, self._intern.path]

    def page(self, path: str) -> ArticlePage:
        """The article at ``path`` (raw or percent-encoded) as it is served now, slider included."""
        with self._lock:
            entry = self._entry(path)
            others = (p for p in self._order if p != entry.page.path and self._entries[p].discovery != SITEMAP_ONLY)
            related = [self._entries[p].teaser() for p in islice(others, SLIDER)]
            return replace(entry.page, related=related, menu_bytes=self.menu_bytes)

    def expected(self, path: str) -> dict[str, Any]:
        """What ``parse_article`` must return for the page now served at ``path``."""
        return fixtures.expected(self.page(path))

    def last_modified(self, path: str | None = None) -> datetime:
        """An article's Last-Modified, or (no path) the site's latest change."""
        with self._lock:
            if path is not None:
                return self._entry(path).modified
            return max((e.modified for e in self._entries.values()), default=_utc(self.newest, None))

    def _entry(self, path: str) -> _Entry:
        """The entry for a raw or percent-encoded path; KeyError when there is none."""
        entry = self._entries.get(path) or self._entries.get(unquote(path))
        if entry is None:
            raise KeyError(path)
        return entry

    # --- mutations between crawls ---------------------------------------------------------

    def edit_article(self, path: str, new_paragraph: str) -> None:
        """Append a paragraph to the body: new bytes, new ETag, later Last-Modified."""
        with self._lock:
            entry = self._entry(path)
            blocks = entry.page.blocks + [Block("text", paragraphs=[new_paragraph])]
            entry.page = replace(entry.page, blocks=blocks)
            now = datetime.now(timezone.utc).replace(microsecond=0)
            entry.modified = max(now, entry.modified) + timedelta(seconds=1)

    def add_article(self, title: str | None = None, section: str = "news") -> str:
        """Publish a new newest article (in both sitemap and listings); returns its path."""
        with self._lock:
            self._added += 1
            rng = random.Random(f"{self.seed}-added-{self._added}")
            top = self._entries[self._order[0]].page if self._order else None
            moment = datetime.combine(top.day, top.at or time(0, 0)) if top else datetime.combine(self.newest, time(6))
            moment += timedelta(minutes=30)
            page_id = str(max((int(e.page.page_id) for e in self._entries.values()), default=20000) + rng.randint(1, 9))
            page, teaser = _article(rng, self._free_path, moment.date(), moment.time(), page_id, title, section)
            self._entries[page.path] = _Entry(page, BOTH, _utc(page.day, page.at), **teaser)
            self._order.insert(0, page.path)
            return page.path

    def break_article(self, path: str) -> None:
        """Serve the page cut off in the middle of its article (parse_article: ParseError "truncated")."""
        with self._lock:
            self._entry(path).broken = True

    def restore_article(self, path: str) -> None:
        """Serve the whole page again after ``break_article``."""
        with self._lock:
            self._entry(path).broken = False

    # --- rendering ------------------------------------------------------------------------

    def render(self, target: str, base_url: str) -> Response:
        """The response to ``GET target`` (path and query, raw or percent-encoded).

        ``base_url`` ("http://127.0.0.1:8001") is where the replica is served: robots.txt and
        the sitemaps name absolute URLs on it.
        """
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self._lock:
            if path == "/robots.txt":
                return self._text(self._robots(base_url), "text/plain; charset=utf-8")
            if path == SITEMAP_INDEX or path in SITEMAPS:
                return self._sitemap(path, base_url) if self.sitemap else self.not_found()
            if path in (HOME, NEWS_LISTING, PRESS_LISTING, PRESS_ALIAS):
                return self._listing(path, query)
            if path == INTERN:
                return self._text(fixtures.render_listing("Intern", [self._teaser_of(self._intern)]))
            if path == self._intern.path:
                return self._text(fixtures.render_article(self._intern))
            if path in self._entries:
                return self._article(path)
            return self.not_found()

    def not_found(self) -> Response:
        return Response(404, fixtures.render_error_page(404).encode("utf-8"))

    def _text(self, text: str, content_type: str = "text/html; charset=utf-8",
              last_modified: datetime | None = None) -> Response:  # fmt: skip
        return Response(200, text.encode("utf-8"), content_type, last_modified or self.last_modified())

    def _article(self, path: str) -> Response:
        entry = self._entries[path]
        html = fixtures.render_article(self.page(path))
        if entry.broken:  # cut halfway through the article, as a dropped connection would
            start, end = html.index("<main>"), html.index("</main>")
            html = html[: (start + end) // 2]
        return self._text(html, last_modified=entry.modified)

    def _robots(self, base_url: str) -> str:
        lines = ["User-agent: *", f"Disallow: {INTERN}", ""]
        if self.sitemap:
            lines.append(f"Sitemap: {base_url}{SITEMAP_INDEX}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _teaser_of(page: ArticlePage) -> Teaser:
        return Teaser(page.path, page.title, page.day, topline=page.topline)

    def _listing(self, path: str, query: dict[str, list[str]]) -> Response:
        """ "Dortmund aktuell" (12 newest, both sections) or a section index, 10 per page."""
        listed = [self._entries[p] for p in self._order if self._entries[p].discovery != SITEMAP_ONLY]
        links = [INTERN_LINK, *OFFSITE_LINKS]
        if path == HOME:
            teasers = [entry.teaser(topline=True) for entry in listed[:HOME_TEASERS]]
            links = [(NEWS_LISTING, "Alle Nachrichten"), (PRESS_LISTING, "Alle Pressemitteilungen"), *links]
            return self._text(fixtures.render_listing("Dortmund aktuell", teasers, canonical=HOST + HOME,
                                                      extra_links=links))  # fmt: skip
        section = "news" if path == NEWS_LISTING else "press"
        entries = [e for e in listed if e.page.section == section]
        tag = query.get("customContentTags", [None])[0]
        if tag:  # the tag links of article pages filter the listing
            entries = [e for e in entries if tag in e.page.tags]
        number = self._page_number(query)
        pages = max(1, -(-len(entries) // PER_PAGE))
        if number is None or number > pages:
            return self.not_found()
        base = NEWS_LISTING if section == "news" else PRESS_LISTING
        shown = entries[(number - 1) * PER_PAGE : number * PER_PAGE]

        def link(n: int) -> str:
            args = ([f"customContentTags={quote(tag)}"] if tag else []) + ([f"page={n}"] if n > 1 else [])
            return base + ("?" + "&".join(args) if args else "")

        title = "Nachrichten" if section == "news" else "Pressemitteilungen"
        html = fixtures.render_listing(
            title, [entry.teaser(topline=True) for entry in shown], canonical=HOST + link(number),
            next_path=link(number + 1) if number < pages else None,
            prev_path=link(number - 1) if number > 1 else None,
            extra_links=[(HOME, "Dortmund aktuell"), *links],
        )  # fmt: skip
        return self._text(html)

    @staticmethod
    def _page_number(query: dict[str, list[str]]) -> int | None:
        """``?page=N`` (1 when absent); None when it is not a positive number."""
        raw = query.get("page", ["1"])[0]
        return int(raw) if raw.isdigit() and int(raw) >= 1 else None

    def _sitemap(self, path: str, base_url: str) -> Response:
        """The sitemap index, or a child sitemap of one section, absolute URLs on ``base_url``."""
        in_map = [self._entries[p] for p in self._order if self._entries[p].discovery != LISTING_ONLY]
        if path == SITEMAP_INDEX:
            children = []
            for child, section in SITEMAPS.items():
                latest = max((e.modified for e in in_map if e.page.section == section), default=self.last_modified())
                children.append(
                    f"<sitemap><loc>{base_url}{child}</loc><lastmod>{latest.isoformat()}</lastmod></sitemap>"
                )
            body = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(children)
            body += "\n</sitemapindex>\n"
        else:
            urls = [
                f"<url><loc>{xml_escape(base_url + quote_path(e.page.path))}</loc>"
                f"<lastmod>{e.modified.isoformat()}</lastmod></url>"
                for e in in_map if e.page.section == SITEMAPS[path]
            ]  # fmt: skip
            body = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n"
        return self._text('<?xml version="1.0" encoding="UTF-8"?>\n' + body, "application/xml")

    # --- the search API -------------------------------------------------------------------

    def search_documents(self) -> list[dict[str, Any]]:
        """Every document of the search index, newest news first, events and pages interleaved."""
        docs: list[dict[str, Any]] = []
        for index, path in enumerate(self._order):
            page = self._entries[path].page
            section_tag = "Nachrichten" if page.section == "news" else "Pressemitteilungen"
            docs.append({
                "type": "news", "id": page.page_id, "title": page.title, "website_url": path,
                "date": page.day.isoformat(), "teaser": self._entries[path].teaser_text or page.lead,
                "contentTags": [{"value": section_tag, "parentValues": ["Newsroom"]}]
                + [{"value": tag, "parentValues": ["Themen"]} for tag in page.tags],
            })  # fmt: skip
            if index % 3 == 2:
                docs.append({"type": "eventdatetime", "title": f"Führung im Westfalenpark ({index})",
                             "website_url": f"/veranstaltungen/fuehrung-westfalenpark-{index}/",
                             "startDate": (page.day + timedelta(days=7)).isoformat(),
                             "contentTags": [{"value": "Freizeit", "parentValues": ["Veranstaltungen"]}]})  # fmt: skip
            if index % 5 == 4:
                docs.append({"type": "page", "title": f"Bürgerdienste A–Z ({index})",
                             "website_url": f"/themen/buergerdienste/a-z-{index}/", "contentTags": []})  # fmt: skip
        return docs

    def search(self, query: str = "*", start: int = 0, size: int = 10) -> dict[str, Any]:
        """The search proxy's answer for one page of hits; SearchWindowError beyond 10,000."""
        if start + size > SEARCH_WINDOW:
            raise SearchWindowError(f"Result window is too large, from + size must be <= {SEARCH_WINDOW}")
        with self._lock:
            docs = self.search_documents()
        if query.strip() not in ("", "*"):
            words = query.lower().split()
            docs = [d for d in docs if any(word in d["title"].lower() for word in words)]
        hits = [{"_index": "dortmund", "_id": f"{d['type']}-{n}", "_score": 1.0, "_source": d}
                for n, d in enumerate(docs)][start : start + size]  # fmt: skip
        return {"took": 3, "timed_out": False, "hits": {"total": {"value": len(docs), "relation": "eq"}, "hits": hits}}

    def search_response(self, body: bytes) -> Response:
        """``POST /api/search/proxy/search``: 400 for bad JSON, 500 beyond the result window."""
        try:
            request = json.loads(body.decode("utf-8"))
            query, start, size = request.get("query", "*"), request.get("from", 0), request.get("size", 10)
            if not isinstance(query, str) or not all(isinstance(v, int) and v >= 0 for v in (start, size)):
                raise ValueError("query must be a string, from and size non-negative integers")
        except (ValueError, AttributeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return _json(400, {"error": {"type": "parsing_exception", "reason": str(error)}, "status": 400})
        try:
            return _json(200, self.search(query, start, size))
        except SearchWindowError as error:
            return _json(500, {"error": {"type": "search_phase_execution_exception", "reason": str(error)},
                               "status": 500})  # fmt: skip


def _json(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")
