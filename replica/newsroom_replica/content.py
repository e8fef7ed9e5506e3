"""The replica's invented content: vocabulary, topics, and the generators of article pages.

All text is composed from the word lists below, written for this project; place and district
names are Dortmund's, the news is invented. ``state.py`` decides which articles exist and how
they are served; this module only writes them, deterministically from a ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from .markup import MONTHS, NEWS, PRESS, ArticlePage, BodyBlock, PhotoCredit, Picture, Strong

PRESS_ALIAS = "/newsroom/pressemitteilungen/"  # the second spelling of the press folder

# ---------------------------------------------------------------------------------------------
# Vocabulary. Placeholders: {place} {district} {street} {month} {weekday} {n} {person} {role}.
# ---------------------------------------------------------------------------------------------

DISTRICTS = [
    "Innenstadt-West",
    "Innenstadt-Nord",
    "Innenstadt-Ost",
    "Eving",
    "Scharnhorst",
    "Brackel",
    "Aplerbeck",
    "Hörde",
    "Hombruch",
    "Lütgendortmund",
    "Huckarde",
    "Mengede",
]
STREETS = [
    "Kampstraße",
    "Hohe Straße",
    "Saarlandstraße",
    "Brackeler Straße",
    "Hörder Bahnhofstraße",
    "Mallinckrodtstraße",
    "Wittbräucker Straße",
    "Emscherallee",
    "Schützenstraße",
    "Lange Straße",
]
GERMAN_MONTHS = MONTHS
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"]
PEOPLE = [
    ("Katrin Wellmann", "Leiterin des Fachbereichs"),
    ("Jörg Lindemann", "Bezirksbürgermeister"),
    ("Selin Aydın", "Sprecherin der Stadt"),
    ("Tobias Kretschmer", "Projektleiter"),
    ("Maren Oberhoff", "Stadträtin"),
    ("Dariusz Nowak", "Leiter des Teams vor Ort"),
    ("Friederike Sommer", "Koordinatorin"),
    ("Ole Hansen", "Sachgebietsleiter"),
]
PHOTOGRAPHERS = ["Lena Kortmann", "Paul Reinhold", "Aylin Demir", "Martin Schöning", "Sabine Ludwig", "Hendrik Brauer"]
AGENCIES = ["Stadt Dortmund", "Dortmund-Agentur", "Privat", "Stadtarchiv Dortmund"]
SINGLE_CREDITS = ["Förderverein Westfalenpark e.V.", "Kulturbüro Dortmund", "Freundeskreis Bücherbus e.V."]
GENERAL_TAGS = ["Stadtverwaltung", "Bürgerbeteiligung", "Ehrenamt", "Familie", "Kultur & Freizeit"]
QUOTES = [
    "Ein Ort für alle",
    "Wir bauen für die Zukunft",
    "Zusammen stark",
    "Lesen verbindet",
    "Grün in der Stadt",
    "Sicher unterwegs",
    "Mitmachen ausdrücklich erwünscht",
]
RECURRING_TITLES = [
    "Winterdienst startet in die Saison",
    "Ferienprogramm für Kinder veröffentlicht",
    "Weihnachtsbeleuchtung leuchtet wieder",
]
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
    Topic(
        "bibliothek",
        ["Bildung", "Stadtbibliothek"],
        ["Bildung", "Kinder & Jugend", "Kultur & Freizeit"],
        ["Stadt- und Landesbibliothek", "Stadtteilbibliothek {district}", "Kinder- und Jugendbibliothek"],
        [
            "{place} verlängert die Öffnungszeiten",
            "Lesenacht in der {place}",
            "{place} startet Sommerleseclub",
            "Neue Lernplätze in der {place}",
            "Bücherbus hält künftig auch in {district}",
            "Vorlesestunde für Kinder in {district}",
        ],
        [
            "Die {place} bietet ab {month} zusätzliche Lernplätze an.",
            "Für die Ausleihe genügt ein gültiger Bibliotheksausweis.",
            "Kinder bis zwölf Jahre nehmen an der Vorlesestunde kostenlos teil.",
            "Das Team der {place} hat dafür rund {n} neue Medien angeschafft.",
            "Anmeldungen nimmt die {place} telefonisch und vor Ort entgegen.",
            "Jeden {weekday} lesen Ehrenamtliche aus neuen Bilderbüchern vor.",
        ],
        ["Mehr Zeit zum Lesen", "So funktioniert die Anmeldung", "Angebote für Kinder"],
        [
            "Montag bis Freitag: 10 bis 19 Uhr",
            "Samstag: 10 bis 16 Uhr",
            "Sonntag: geschlossen",
            "Ausleihe mit Bibliotheksausweis",
            "Lernplätze ohne Anmeldung",
        ],
        ["Bücherregale in der {place}", "Kinder lesen auf einem Sofa", "Ein heller Lesesaal mit Tischen"],
        ["Der Lesesaal wird zum Lernort.", "Die Ausleihe funktioniert auch am Automaten.", "Symbolbild"],
    ),
    Topic(
        "parks",
        ["Umwelt", "Grünflächen", "Freizeit"],
        ["Umwelt", "Klimaschutz", "Kultur & Freizeit"],
        ["Westfalenpark", "Rombergpark", "Fredenbaumpark", "Hoeschpark", "Revierpark Wischlingen"],
        [
            "Neue Bäume für den {place}",
            "{place}: Wege werden erneuert",
            "Frühjahrsputz im {place}",
            "Blühwiesen im {place} angelegt",
            "Spielplatz im {place} wieder geöffnet",
        ],
        [
            "Im {place} pflanzt das Grünflächenamt in diesem Jahr {n} junge Bäume.",
            "Die Arbeiten beginnen am {weekday} und dauern voraussichtlich drei Wochen.",
            "Während der Bauzeit bleiben die Hauptwege im {place} geöffnet.",
            "Die neuen Wiesen bieten Insekten Nahrung vom Frühjahr bis in den Herbst.",
            "Freiwillige aus {district} helfen beim Pflanzen mit.",
        ],
        ["Was sich ändert", "Mitmachen beim Frühjahrsputz", "Hinweise für Besucherinnen und Besucher"],
        [
            "Handschuhe und Zangen werden gestellt",
            "Treffpunkt am Haupteingang",
            "Hunde bitte an die Leine",
            "Festes Schuhwerk mitbringen",
        ],
        ["Eine Wiese im {place}", "Junge Bäume an einem Parkweg", "Ein Spielplatz mit Klettergerüst"],
        ["Im {place} wachsen bald neue Bäume.", "Der Hauptweg wird verbreitert.", "Blick über den {place}."],
    ),
    Topic(
        "schulen",
        ["Bildung", "Schule"],
        ["Bildung", "Schulen", "Kinder & Jugend"],
        ["Grundschule an der {street}", "Gesamtschule {district}", "Realschule {district}"],
        [
            "{place} bekommt einen Neubau",
            "Richtfest an der {place}",
            "Offener Ganztag in {district} wächst",
            "Anmeldung an weiterführenden Schulen beginnt",
            "Neue Mensa für die {place}",
        ],
        [
            "Der Neubau der {place} bietet Platz für {n} Schülerinnen und Schüler.",
            "Die Bauarbeiten an der {street} liegen im Zeitplan.",
            "Eltern können ihre Kinder bis Ende {month} anmelden.",
            "Im Ganztag kommen zum neuen Schuljahr zusätzliche Gruppen hinzu.",
            "Die Schule hat das Konzept gemeinsam mit der Schulpflegschaft entwickelt.",
        ],
        ["Der Zeitplan", "Anmeldung und Fristen", "Was Eltern wissen müssen"],
        [
            "Anmeldeschein der Grundschule",
            "Geburtsurkunde oder Ausweis",
            "Letztes Zeugnis",
            "Nachweis über den Masernschutz",
        ],
        ["Der Rohbau der {place}", "Kinder auf einem Schulhof", "Eine neue Mensa mit langen Tischen"],
        ["So soll der Neubau aussehen.", "Der Schulhof wird neu gestaltet.", "Visualisierung"],
    ),
    Topic(
        "verkehr",
        ["Verkehr", "Mobilität"],
        ["Verkehr", "Mobilität", "Baustellen"],
        ["{street}", "Stadtbahnlinie U{n2}", "Radweg an der {street}"],
        [
            "Baustelle an der {street}: Umleitung ab {weekday}",
            "Radweg an der {street} wird breiter",
            "Neue Ampel in {district}",
            "Stadtbahnlinie U{n2} fährt wieder durchgehend",
            "Fahrbahnsanierung in {district} beginnt",
        ],
        [
            "Ab {weekday} ist die {street} zwischen zwei Kreuzungen nur in eine Richtung befahrbar.",
            "Der Verkehr wird über ausgeschilderte Strecken durch {district} umgeleitet.",
            "Radfahrende erhalten einen eigenen, zwei Meter breiten Streifen.",
            "Die Arbeiten dauern voraussichtlich bis Ende {month}.",
            "Busse und Bahnen fahren nach einem geänderten Fahrplan.",
        ],
        ["Umleitungen", "Hinweise für Radfahrende", "Der Zeitplan"],
        ["Umleitung über die {street}", "Haltestellen werden verlegt", "Fußwege bleiben frei", "Anlieger frei"],
        ["Absperrungen an der {street}", "Ein Radweg mit roter Markierung", "Eine Stadtbahn an der Haltestelle"],
        ["Die Fahrbahn wird vollständig erneuert.", "Der neue Radweg ist deutlich breiter.", "Symbolbild"],
    ),
    Topic(
        "kultur",
        ["Kultur", "Freizeit"],
        ["Kultur & Freizeit", "Veranstaltungen", "Musik"],
        ["Kulturzentrum {district}", "Kulturhaus {district}", "Stadtteilzentrum {district}"],
        [
            "{place} stellt neues Programm vor",
            "Sommerbühne: Eintritt frei",
            "Kunstpfad in {district} eröffnet",
            "Stadtteilfest in {district} am {weekday}",
            "Lange Nacht der Kultur im {month}",
        ],
        [
            "Das Programm umfasst {n} Veranstaltungen für alle Altersgruppen.",
            "Künstlerinnen und Künstler aus {district} stellen ihre Arbeiten vor.",
            "Der Eintritt ist frei, Spenden sind willkommen.",
            "Karten gibt es ab {weekday} an der Abendkasse.",
            "Bei schlechtem Wetter zieht das Fest in die Aula der Gesamtschule um.",
        ],
        ["Das Programm", "Karten und Preise", "Anreise"],
        [
            "Konzert am Freitagabend",
            "Lesung am Samstagnachmittag",
            "Familienfest am Sonntag",
            "Ausstellung während der gesamten Woche",
        ],
        ["Publikum bei einer Veranstaltung", "Eine Band auf der Bühne", "Skulpturen am Wegesrand"],
        ["Die Bühne ist bereit.", "Ein Kunstwerk am Kunstpfad.", "Blick ins Publikum beim letzten Fest."],
    ),
    Topic(
        "buergerdienste",
        ["Bürgerdienste", "Stadtverwaltung"],
        ["Bürgerdienste", "Stadtverwaltung", "Digitales"],
        ["Bürgerbüro {district}", "Bürgerbüro Innenstadt", "Standesamt"],
        [
            "{place}: Neue Öffnungszeiten ab {month}",
            "Termine online buchen",
            "{place} zieht um",
            "Sprechstunde in {district}",
            "Personalausweis: Wartezeiten sinken",
        ],
        [
            "Das {place} öffnet ab {month} auch an einem Samstag im Monat.",
            "Termine lassen sich rund um die Uhr online buchen.",
            "Für einen neuen Personalausweis wird ein aktuelles biometrisches Foto benötigt.",
            "Im Schnitt warten Kundinnen und Kunden derzeit {n2} Tage auf einen Termin.",
            "Barrierefreie Zugänge gibt es am neuen Standort an der {street}.",
        ],
        ["Was Sie mitbringen müssen", "Online zum Termin", "Der neue Standort"],
        ["Gültiger Ausweis", "Biometrisches Passfoto", "Meldebescheinigung", "Vollmacht bei Vertretung"],
        ["Der Eingang zum {place}", "Ein Wartebereich mit Anzeigetafel", "Das neue Gebäude an der {street}"],
        ["Der neue Standort ist barrierefrei.", "Wartemarken gibt es am Eingang.", "Symbolbild"],
    ),
    Topic(
        "sport",
        ["Sport", "Freizeit"],
        ["Sport", "Kinder & Jugend", "Ehrenamt"],
        ["Hallenbad {district}", "Sportzentrum {district}", "Freibad {district}"],
        [
            "{place} öffnet nach Sanierung",
            "Stadtlauf am {weekday}: Straßen gesperrt",
            "Neuer Kunstrasen im Sportpark {district}",
            "Schwimmkurse für Kinder in {district}",
            "Sportabzeichen-Tag im {month}",
        ],
        [
            "Das {place} wurde in den vergangenen Monaten energetisch saniert.",
            "Rund {n} Läuferinnen und Läufer haben sich für den Stadtlauf angemeldet.",
            "Vereine aus {district} können den Platz ab sofort buchen.",
            "Die Schwimmkurse beginnen am {weekday} und umfassen zehn Termine.",
            "Für das Sportabzeichen braucht es Ausdauer, Kraft, Schnelligkeit und Koordination.",
        ],
        ["Öffnungszeiten", "Streckenverlauf", "Anmeldung für Vereine"],
        [
            "Frühschwimmen ab 6.30 Uhr",
            "Familienbadetag am Sonntag",
            "Startschuss um 10 Uhr",
            "Zieleinlauf am Friedensplatz",
        ],
        ["Das Becken im {place}", "Läuferinnen auf der Strecke", "Ein Kunstrasenplatz bei Flutlicht"],
        ["Das Becken wurde neu gefliest.", "Der Startbereich des Stadtlaufs.", "Der Platz ist ab sofort bespielbar."],
    ),
]


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
        self.slots = {
            "district": district,
            "street": rng.choice(STREETS),
            "month": rng.choice(GERMAN_MONTHS),
            "weekday": rng.choice(WEEKDAYS),
            "n": str(rng.randrange(12, 480)),
            "n2": str(rng.randrange(2, 48)),
            "person": person,
            "role": role,
        }
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


def _credit(rng: random.Random) -> PhotoCredit:
    """A credit in one of the four shapes the site uses, with or without an agency."""
    shape = rng.choice(["plain", "span", "text-span", "link-span"])
    by = rng.choice(PHOTOGRAPHERS)
    if shape == "link-span":
        agency = "Adobe Stock" if rng.random() < 0.85 else None
        return PhotoCredit(by=by, agency=agency, shape=shape)
    if shape == "plain" and rng.random() < 0.15:
        return PhotoCredit(by=rng.choice(SINGLE_CREDITS), shape="plain")
    agency = rng.choice(AGENCIES) if rng.random() < (0.85 if shape == "text-span" else 0.5) else None
    return PhotoCredit(by=by, agency=agency, shape=shape)


def _body(writer: _Writer, page_id: str) -> list[BodyBlock]:
    """A varied article body: text, sub-headings, images, lists, sometimes a video and a CTA."""
    rng, topic = writer.rng, writer.topic
    blocks = [BodyBlock("text", paragraphs=writer.paragraphs(1, 2))]
    for number in range(rng.randint(0, 4)):
        kind = rng.choice(["headline", "headline", "image", "image", "text", "list"])
        if kind == "headline":
            blocks.append(
                BodyBlock("headline", heading=writer.pick(topic.headings), paragraphs=writer.paragraphs(1, 2))
            )
        elif kind == "image":
            picture = Picture(
                f"/dortmund/bilder/{topic.key}-{page_id}-{number}_w1200.webp",
                alt=writer.pick(topic.alts) if rng.random() < 0.8 else "",
                caption=writer.pick(topic.captions) if rng.random() < 0.6 else None,
                credit=_credit(rng) if rng.random() < 0.92 else None,
                overlay_credit=rng.random() < 0.2,
            )
            blocks.append(BodyBlock("image", picture=picture, paragraphs=writer.paragraphs(0, 1)))
        elif kind == "list":
            items = [writer.fill(item) for item in rng.sample(topic.items, rng.randint(2, len(topic.items)))]
            heading = writer.pick(topic.headings) if rng.random() < 0.4 else None
            blocks.append(BodyBlock("list", heading=heading, items=items))
        else:
            blocks.append(BodyBlock("text", paragraphs=writer.paragraphs(1, 3)))
    if rng.random() < 0.12:
        video_id = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789_-") for _ in range(11))
        blocks.append(
            BodyBlock(
                "video",
                url=f"https://www.youtube-nocookie.com/embed/{video_id}",
                label=writer.fill("Ein Rundgang: {place}"),
            )
        )
    if rng.random() < 0.2:
        url = f"/themen/{topic.key}/" if rng.random() < 0.6 else f"https://example.org/{topic.key}/anmeldung/"
        blocks.append(BodyBlock("cta", url=url, label=rng.choice(CTA_LABELS)))
    return blocks


def invent_article(
    rng: random.Random,
    path_for: Callable[[str, str], str],
    day: date,
    at: time | None,
    page_id: str,
    title: str | None = None,
    section: str | None = None,
    repeat: ArticlePage | None = None,
) -> tuple[ArticlePage, dict[str, Any]]:
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
        path=path,
        title=title,
        day=day,
        at=at,
        page_id=page_id,
        topline=rng.choice(topic.toplines) if rng.random() < 0.8 else None,
        lead=lead,
        blocks=_body(writer, page_id),
        tags=tags,
        description=lead if lead and rng.random() < 0.7 else None,
        og_image=f"/dortmund/bilder/{topic.key}-{page_id}_w1200h630.webp" if rng.random() < 0.5 else None,
    )
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


def publication_moments(rng: random.Random, count: int, newest: date) -> list[tuple[date, time | None]]:
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
