"""A small WET sample that the project writes itself, for the demo and smoke tests.

Every text below was written for c4forge. The pages exercise each C4 rule: clean English pages,
navigation and policy boilerplate, a "javascript" notice, a lorem-ipsum page, a page of code,
pages in German, French and Spanish, a page with a badword, one URL crawled twice, and footer
lines shared by many pages (which line dedup keeps in one page only).
"""

from __future__ import annotations

import gzip
import os

ARTICLES = {
    "gardening/tomatoes": [
        "Tomatoes grow best in a sunny spot that gets at least six hours of light a day.",
        "Plant them deep, because the buried stem will grow extra roots and anchor the plant.",
        "Water at the base in the morning so the leaves dry quickly and stay healthy.",
        "A thick layer of straw keeps the soil moist and stops the fruit from touching the mud.",
    ],
    "cycling/winter": [
        "Riding a bicycle through the winter takes a little preparation and a lot of patience.",
        "Wider tyres at lower pressure give more grip on wet roads and packed snow.",
        "Bright lights front and back matter more than ever when the days are short.",
        "Rinse the chain after salty rides, then dry it and add a few drops of fresh oil.",
    ],
    "kitchen/bread": [
        "Good bread needs only flour, water, salt and yeast, plus time to let them work.",
        "A long, cool rise in the refrigerator develops more flavour than a quick warm one.",
        "Bake the loaf in a heavy covered pot so the steam keeps the crust soft at first.",
        "Let it cool for an hour before cutting, or the crumb will turn gummy.",
    ],
    "history/lighthouses": [
        "The first lighthouses were simple fires kept burning on hills near busy harbours.",
        "Later towers used oil lamps and polished mirrors to send the light much farther.",
        "The Fresnel lens, invented in the 1820s, bent the light into a narrow, bright beam.",
        "Today most lights run automatically, and many old keepers' houses are museums.",
    ],
    "science/tides": [
        "Tides rise and fall mainly because the Moon pulls on the oceans of the Earth.",
        "The Sun adds its own smaller pull, so the highest tides come at new and full moon.",
        "Some bays funnel the water so well that the tide there rises more than ten metres.",
        "Sailors still check tide tables before they enter a shallow harbour.",
    ],
    "travel/trains": [
        "Night trains are coming back across Europe as travellers look for slower journeys.",
        "You board in the evening, sleep in a small cabin and wake up in another country.",
        "Booking early is wise, since the sleeping cars often sell out weeks ahead.",
        "Bring a light snack and earplugs, and the trip can be the best part of the holiday.",
    ],
    "pets/cats": [
        "Cats sleep for most of the day, but they are wide awake at dawn and dusk.",
        "A scratching post near the sofa saves the furniture and keeps the claws in shape.",
        "Fresh water in a wide bowl encourages them to drink more than a narrow dish does.",
        "Regular play with a feather toy keeps an indoor cat fit and calm.",
    ],
    # md5("example.org/news/118") % 1000 == 0: this page lands in the validation split.
    "news/118": [
        "The town library will stay open until nine in the evening from next month.",
        "Volunteers have offered to run reading groups for children on two weekday nights.",
        "The council hopes the longer hours will help students who work during the day.",
        "A new reading room with quiet desks opens at the same time on the first floor.",
    ],
    "music/piano": [
        "Learning the piano as an adult is slower than as a child, but it is far from hopeless.",
        "Short daily practice beats one long session at the weekend.",
        "Play hands separately first, then slowly put them together.",
        "Recording yourself now and then shows progress that is hard to notice day to day.",
    ],
}
FOREIGN = {
    "de/wetter": [
        "Das Wetter in den Bergen kann sich innerhalb weniger Minuten völlig ändern.",
        "Wer wandern geht, sollte immer eine warme Jacke und genug Wasser mitnehmen.",
        "Vor dem Aufbruch lohnt sich ein Blick auf die aktuelle Vorhersage für das Tal.",
    ],
    "fr/marche": [
        "Le marché du samedi matin est le meilleur endroit pour acheter des fruits de saison.",
        "Les producteurs locaux y vendent aussi du fromage, du miel et du pain frais.",
        "Il vaut mieux arriver tôt, avant que les meilleures tomates ne soient parties.",
    ],
    "es/playa": [
        "La playa está tranquila por la mañana, cuando el agua todavía está fresca.",
        "Muchas familias llegan después del almuerzo con sombrillas y neveras llenas.",
        "Al atardecer, el paseo marítimo se llena de gente que sale a caminar.",
    ],
}
NAVIGATION = ["Home", "About us", "Contact", "Search this site", "Menu"]
FOOTER = [
    "This website uses cookies to improve your experience.",
    "Read our privacy policy and terms of use before you continue.",
    "Subscribe to our newsletter and get new articles every week by email.",
]
NOTICE = "Please enable JavaScript in your browser settings to view this page correctly."
SITES = ("https://www.example.org/", "http://blog.example.net/posts/")


def sample_records() -> list[tuple[str, str, str]]:
    """(url, timestamp, text) for each page of the sample, in a fixed order."""
    records = []
    for i, (slug, sentences) in enumerate(ARTICLES.items()):
        site = SITES[0] if slug.startswith("news/") else SITES[i % len(SITES)]
        body = [sentences[0] + " " + sentences[1], *sentences[2:]]
        text = "\n".join([*NAVIGATION, slug.split("/")[1].title(), *body, NOTICE, FOOTER[-1]])
        records.append((f"{site}{slug}", f"2019-04-2{i % 9}T10:0{i % 6}:00Z", text))
    for slug, sentences in FOREIGN.items():
        records.append(
            (f"https://www.example.eu/{slug}", "2019-04-21T08:00:00Z", "\n".join(sentences))
        )
    lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."
    code = "function greet(name) { return 'Hello, ' + name + '!'; } greet('world');"
    specials = [
        ("https://www.example.org/template", "\n".join([lorem, *ARTICLES["pets/cats"]])),
        ("https://www.example.org/snippets", "\n".join([*ARTICLES["music/piano"][:2], code + "."])),
        (
            "https://www.example.org/jokes",
            "\n".join(
                [
                    "My uncle tells the same three jokes at every family dinner.",
                    "One of them ends with the dog sitting on his butt in the snow.",
                    "We all laugh anyway, because he laughs so hard himself.",
                ]
            ),
        ),
        ("https://www.example.org/short", "Thanks for visiting.\nSee you soon."),
        # Crawled twice: the newer capture wins (3.1.0); both share most lines.
        ("https://www.example.org/gardening/tomatoes/", "\n".join(ARTICLES["gardening/tomatoes"])),
    ]
    records += [(url, "2019-04-30T12:00:00Z", text) for url, text in specials]
    # Footer-only boilerplate pages: the footer lines survive in one page only.
    for i in range(3):
        records.append(
            (
                f"https://www.example.org/tag/{i}?utm_source=feed",
                "2019-04-22T00:00:00Z",
                "\n".join(FOOTER),
            )
        )
    return records


def _record(url: str, timestamp: str, text: str) -> bytes:
    body = text.encode("utf-8")
    head = (
        "WARC/1.0\r\nWARC-Type: conversion\r\n"
        f"WARC-Target-URI: {url}\r\nWARC-Date: {timestamp}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("utf-8") + body + b"\r\n\r\n"


WARCINFO = (
    b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2019-04-26T19:04:32Z\r\n"
    b"Content-Type: application/warc-fields\r\nContent-Length: 0\r\n\r\n"
)


def write_sample(directory: str, num_files: int = 3) -> list[str]:
    """Writes the sample as `num_files` gzip WET files (one gzip member per record, as Common
    Crawl ships them) and returns their paths."""
    os.makedirs(directory, exist_ok=True)
    records = sample_records()
    paths = []
    for f in range(num_files):
        members = [WARCINFO] + [_record(*r) for r in records[f::num_files]]
        path = os.path.join(directory, f"sample-{f:02d}.warc.wet.gz")
        with open(path, "wb") as out:
            for member in members:
                out.write(gzip.compress(member, mtime=0))
        paths.append(path)
    return paths
