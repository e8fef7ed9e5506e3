"""Hand-written sample articles covering what real pages vary in.

Each sample is named after what it exercises. ``snapshots.py`` stores each one's page
(``markup.render_article``) and its parse under tests/snapshots/, which the parser tests compare.
All text here was written for this project.
"""

from __future__ import annotations

from datetime import date, time

from .markup import NEWS, PRESS, ArticlePage, BodyBlock, PhotoCredit, Picture, Strong, Teaser

CREDITS = {
    "plain": PhotoCredit(by="Erika Beispiel", agency="Stadt Dortmund", shape="plain"),
    "span": PhotoCredit(by="Jonas Muster", shape="span"),
    "text-span": PhotoCredit(by="Mira Probe", agency="Stadt Dortmund", shape="text-span"),
    "link-span": PhotoCredit(by="Lichtbildnerei", agency="Adobe Stock", shape="link-span"),
    "single": PhotoCredit(by="Verein der Freunde des Phoenix-Sees e.V.", shape="plain"),
}


def _teasers() -> list[Teaser]:
    return [
        Teaser(
            NEWS + "„zusammen-stark“-startet-im-westpark.html",
            "„Zusammen stark“ startet im Westpark",
            date(2025, 3, 4),
            picture=Picture("/dortmund/bilder/westpark_w460h192.webp", "Wiese im Westpark", credit=CREDITS["plain"]),
        ),
        Teaser(
            NEWS + "neue-buecherei-in-hoerde.html",
            "Neue Bücherei in Hörde öffnet",
            date(2025, 3, 3),
            district="Hörde",
            picture=Picture("/dortmund/bilder/buecherei_w460h192.webp", "", credit=CREDITS["span"]),
        ),
        Teaser(
            PRESS + "haushalt-2026-eingebracht.html",
            'Haushalt 2026: "Wir investieren in Schulen"',
            date(2025, 3, 2),
            picture=Picture("/dortmund/bilder/rathaus_w460h192.webp", "Das Rathaus", credit=CREDITS["text-span"]),
        ),
        Teaser(
            NEWS + "radwege-werden-breiter.html",
            "Radwege werden breiter",
            date(2025, 3, 1),
            district="Innenstadt-West",
            picture=Picture("/dortmund/bilder/radweg_w460h192.webp", "Ein Radweg", credit=CREDITS["link-span"]),
        ),
        Teaser(
            NEWS + "sprechstunde-fuer-vereine.html",
            "Sprechstunde für Vereine",
            date(2025, 2, 27),
            text="Vereine können ihre Fragen zur Förderung jetzt in einer offenen Sprechstunde stellen.",
        ),
    ]


def sample_pages() -> dict[str, ArticlePage]:
    """Named sample pages; together they cover every variation the parser must handle."""
    body = [
        BodyBlock(
            "text",
            paragraphs=[
                "Die Stadtbibliothek verlängert ab März ihre Öffnungszeiten am Samstag.",
                [" Dafür stehen ", Strong("zwölf zusätzliche Stunden"), " pro Woche bereit. "],
            ],
        ),
        BodyBlock(
            "headline",
            heading="Mehr Zeit zum Lesen",
            paragraphs=[
                "„Wir wollen, dass alle einen Platz zum Lernen finden“, sagt die Leiterin der Bibliothek.",
                'Ein Besucher meinte: "Das ist eine gute Nachricht für Studierende."',
            ],
        ),
        BodyBlock(
            "image",
            picture=Picture(
                "/dortmund/bilder/lesesaal_w1200.webp",
                "Ein heller Lesesaal mit Tischen",
                caption="Der Lesesaal wird zum Lernort.",
                credit=CREDITS["plain"],
                overlay_credit=True,
            ),
            paragraphs=["Der Lesesaal bietet künftig auch Steckdosen an jedem Tisch."],
        ),
        BodyBlock(
            "image", picture=Picture("/dortmund/bilder/regal_w1200.webp", "Bücherregale", credit=CREDITS["span"])
        ),
        BodyBlock(
            "image",
            picture=Picture(
                "/dortmund/bilder/eingang_w1200.webp",
                "",
                caption="Der Eingang an der Königswall-Seite.",
                credit=CREDITS["text-span"],
            ),
        ),
        BodyBlock(
            "image",
            picture=Picture(
                "/dortmund/bilder/symbol_w1200.webp",
                "Symbolbild Bücher",
                caption="Symbolbild",
                credit=CREDITS["link-span"],
            ),
        ),
        BodyBlock("list", items=["Montag bis Freitag: 10 bis 19 Uhr", "Samstag: 10 bis 18 Uhr"]),
        BodyBlock(
            "video", url="https://www.youtube-nocookie.com/embed/abc123XYZ", label="Ein Rundgang durch die Bibliothek"
        ),
        BodyBlock("cta", url="/themen/bildung/bibliothek/", label="Zur Stadtbibliothek"),
    ]
    pages = {
        "full-summer-news": ArticlePage(
            path=NEWS + "stadtbibliothek-verlaengert-oeffnungszeiten.html",
            title="Stadtbibliothek verlängert Öffnungszeiten",
            day=date(2025, 7, 7),
            at=time(12, 52),
            topline="Bildung",
            lead="Mehr Zeit für Leserinnen und Leser: Die Stadtbibliothek öffnet samstags länger.",
            blocks=body,
            tags=["Bildung", "Kultur & Freizeit", "Innenstadt"],
            related=_teasers(),
            page_id="30001",
            description="Die Stadtbibliothek öffnet samstags länger.",
            og_image="/dortmund/bilder/lesesaal_w1200h630.webp",
        ),
        "winter-press-no-topline": ArticlePage(
            path=PRESS + "winterdienst-startet.html",
            title="Winterdienst startet in die Saison",
            day=date(2024, 1, 15),
            at=time(8, 5),
            topline=None,
            lead="Die Räumfahrzeuge stehen bereit.",
            blocks=[
                BodyBlock("text", paragraphs=["Bei Schnee und Glätte räumt der Winterdienst zuerst die Hauptstraßen."])
            ],
            tags=["Verkehr"],
            related=_teasers()[:2],
            page_id="30002",
        ),
        "date-only-no-tags": ArticlePage(
            path=NEWS + "sprechstunde-im-mai.html",
            title="Sprechstunde im Mai",
            day=date(2024, 5, 14),
            at=None,
            topline="Bürgerdienste",
            lead=None,
            blocks=[BodyBlock("headline", heading="Termine", paragraphs=["Die Sprechstunde findet dienstags statt."])],
            tags=[],
            related=[],
            page_id="30003",
        ),
        "quotes-and-non-ascii-slug": ArticlePage(
            path=NEWS + "„grün-in-der-stadt“-preis-für-gärten.html",
            title='„Grün in der Stadt": Preis für "Gärten"',
            day=date(2025, 10, 26),
            at=time(2, 30),
            topline="Umwelt",
            lead="Gärtnerinnen und Gärtner können sich bis Ende Oktober bewerben.",
            blocks=[
                BodyBlock("text", paragraphs=["Die Jury vergibt drei Preise & eine Anerkennung <für> Engagement."])
            ],
            tags=["Umwelt"],
            related=_teasers()[4:],
            page_id="30004",
        ),
        "single-part-credit-and-press-alias": ArticlePage(
            path="/newsroom/pressemitteilungen/seefest-am-phoenix-see-2.html",
            title="Seefest am Phoenix-See",
            day=date(2023, 12, 31),
            at=time(23, 59),
            topline="Freizeit",
            lead="Ein Fest für alle.",
            blocks=[
                BodyBlock(
                    "image",
                    picture=Picture(
                        "/dortmund/bilder/see_w1200.webp",
                        "Der See am Abend",
                        caption="Abendstimmung",
                        credit=CREDITS["single"],
                    ),
                )
            ],
            related=[],
            page_id="30005",
        ),
    }
    return pages
