"""The WET sample assembled: kept articles and every kind of page C4 drops, in a shuffled order.

`SampleBuilder.build` writes the kept articles, then the pages each C4 stage exists for (code
posts, older captures, mirrors and syndicated copies, pages with few sentences, other
languages, lorem ipsum, braces, blocklisted words, an over-long page), and shuffles them with
the same seeded `random.Random`: the same seed always gives the same pages.
"""

from __future__ import annotations

import collections
import functools

from tools.wet_sample.fates import (
    BADWORD,
    DEDUP_EMPTY,
    DEDUP_FEW_SENTENCES,
    FEW_SENTENCES,
    JAVASCRIPT,
    LOREM,
    LOREM_PAGE,
    NO_ENDMARK,
    OLDER_CAPTURE,
    PASSED,
    SQUIGGLY,
    SQUIGGLY_PAGE,
    TOO_LONG,
    TOO_SHORT,
    TRAIN,
    VALIDATION,
    PageDraft,
    SamplePage,
    foreign,
)
from tools.wet_sample.sites import SITES, Site
from tools.wet_sample.tables import (
    CODE_LINES,
    COMPASS,
    FOOTER,
    FOREIGN,
    JS_NOTICES,
    JS_WITH_BRACES,
    LOREM_LINES,
    MONTHS,
    SEASONS,
    SMALL,
    SQUIGGLY_LINES,
    WEEKDAYS,
    word_list,
)
from tools.wet_sample.text import fill, place_name, title_case
from tools.wet_sample.topics import TOPIC_BY_NAME, Topic
from tools.wet_sample.writer import PageWriter, is_validation, md5_hex, normalized_url

SEED = 20190418
NUM_ARTICLES = 2300  # English articles C4 keeps (before mirrors, copies and URL duplicates)


class SampleBuilder(PageWriter):
    """Writes the whole sample into `pages` (`build`), each page with its label."""

    def __init__(self, seed: int = SEED) -> None:
        super().__init__(seed)
        self.pages: list[SamplePage] = []

    def emit(self, url: str, page: PageDraft, label: tuple[str, str], when: str | None = None):
        self.pages.append(
            SamplePage(url, when or self.crawl_time(), tuple(page.lines), tuple(page.kept), label)
        )

    def build(self, num_articles: int) -> list[SamplePage]:
        rng = self.rng
        kept: list[tuple[Site, Topic, str, str, PageDraft]] = []
        for i in range(num_articles):
            site = rng.choice(SITES)
            topic = TOPIC_BY_NAME[rng.choice(site.topics)]
            kind = rng.choice(site.kinds)
            title, page = self.article(site, kind, topic)
            # One article in 40 is steered into the validation split (C4's is 1 in 1,000).
            steer = i % 40 == 7 and site.url_style != "wiki"
            url = self.url(site, title, want_validation=steer or None)
            kept.append((site, topic, title, url, page))
        for *_, url, page in kept:
            self.emit(url, page, VALIDATION if is_validation(url) else TRAIN)
        self._code_pages(kept)
        self._recaptures(kept)
        self._copies(kept)
        self._few_sentences(num_articles // 10)
        self._foreign(num_articles // 60)
        self._lorem()
        self._squiggly()
        self._badwords()
        self._too_long()
        order = list(range(len(self.pages)))
        rng.shuffle(order)
        return [self.pages[i] for i in order]

    def _code_pages(self, kept) -> None:
        """Kept programming posts with code C4 lets through: braces without an end mark, and
        a JavaScript line with braces (dropped as javascript before the `{` rule)."""
        site = next(s for s in SITES if s.name == "Plain Text Blog")
        topic = TOPIC_BY_NAME["technology"]
        for i in range(12):
            title, page = self.article(site, "blog", topic)
            lines = page.lines
            at = next(j for j, (_, fate) in enumerate(lines) if fate == PASSED) + 1
            code = [(line, NO_ENDMARK) for line in CODE_LINES[(i % 2) * 3 : (i % 2) * 3 + 3]]
            if i % 3 == 0:
                code.append((JS_WITH_BRACES, JAVASCRIPT))
            page.lines[at:at] = code
            url = self.url(site, title, want_validation=False)
            self.emit(url, page, TRAIN)

    def _recaptures(self, kept) -> None:
        """Older captures of kept URLs: C4 3.1.0 keeps the newest capture of a URL."""
        rng = self.rng
        for site, topic, _, url, page in rng.sample(kept, 12):
            older = PageDraft()
            self.header(older, site, topic)
            for line in page.kept[:3]:
                older.prose(line)
            older.prose(self.paragraph(topic))
            variant = url
            if rng.random() < 0.5:  # a different spelling of the same normalized URL
                variant = url.replace("https://", "http://").rstrip("/") + "/?ref=home"
            newer = next(p for p in self.pages if p.url == url)
            last = int(newer.timestamp[8:10])  # an earlier day of the crawl, or the crawl before
            day = f"2019-04-{rng.randint(18, last - 1)}" if last > 18 else "2019-03-25"
            self.emit(variant, older, OLDER_CAPTURE, when=self.crawl_time(day))

    def _copies(self, kept) -> None:
        """Mirrors (every kept line copied: line dedup empties them) and syndicated copies (plus
        a one-sentence credit: too few sentences left after line dedup) of articles whose
        lines no other page has. Each copy's URL has a larger md5 than the original's, raw and
        normalized, so the original keeps every shared line (3.1.0 keeps a line in the page
        with the smallest md5 of the raw URL; 3.0.1 of the normalized URL)."""
        rng = self.rng
        mirror = Site("Daily Digest", "dailydigest.example", (), (), "slug", ())
        pages_with = collections.Counter(
            key for p in self.pages for key in {line.strip().lower() for line in p.kept}
        )
        repeats = collections.Counter(line.strip().lower() for p in self.pages for line in p.kept)
        originals = []
        for site, topic, title, url, page in kept:
            own = [line for line in page.kept if line.lower() not in _shared_keys(site)]
            keys = [line.strip().lower() for line in own]
            if not is_validation(url) and all(pages_with[k] == repeats[k] == 1 for k in keys):
                originals.append((topic, title, url, own))
        for n, (topic, title, url, own) in enumerate(rng.sample(originals, 20)):
            copy = PageDraft()
            self.header(copy, mirror, topic)
            copy.nav(f"{title} | {mirror.name}")
            for line in own:
                copy.prose(line.strip())
            if n % 2:
                copy.prose(
                    self.unique(
                        lambda: (
                            f"This article first appeared on {self.date_text()} and is "
                            "republished here with permission."
                        )
                    )
                )
            self.footer(copy, mirror, shared=False)
            while True:
                curl = self.url(mirror, title)
                if md5_hex(curl) > md5_hex(url) and md5_hex(normalized_url(curl)) > md5_hex(
                    normalized_url(url)
                ):
                    break
            self.emit(curl, copy, DEDUP_FEW_SENTENCES if n % 2 else DEDUP_EMPTY)

    def _few_sentences(self, count: int) -> None:
        """Contact, product, event, gallery, login and error pages: < 3 sentences kept."""
        rng = self.rng
        for i in range(count):
            site = rng.choice(SITES)
            topic = TOPIC_BY_NAME[rng.choice(site.topics)]
            page = PageDraft()
            self.header(page, site, topic)
            shape = i % 6
            place = place_name(rng)
            if shape == 0:
                page.nav("Contact us", f"{rng.randint(1, 99)} Mill Lane, {place}")
                page.nav(f"Phone: 01632 {rng.randint(100000, 999999)}")
                page.prose(f"We reply to every message within {rng.choice(SMALL)} working days.")
                page.nav("Your name", "Your email", "Message", "Send")
            elif shape == 1:
                page.nav(title_case(rng.choice(topic.things).split(" ", 1)[1]))
                page.nav(f"£{rng.randint(3, 400)}.{rng.choice(('00', '49', '99'))}", "In stock")
                page.prose(fill(rng, topic, "A {adj} choice for anyone who wants to {action}."))
                page.prose(f"Free delivery on orders over £{rng.choice((25, 30, 40, 50))}.")
                page.nav("Add to basket", "Reviews (0)")
            elif shape == 2:
                page.nav(f"{rng.choice(WEEKDAYS)} {rng.randint(1, 28)} {rng.choice(MONTHS)}")
                page.nav(f"{rng.randint(9, 14)}:00 to {rng.randint(15, 18)}:00", "Village hall")
                page.prose(f"Tickets cost £{rng.randint(2, 9)} on the door and children go free.")
                page.add("All welcome!", TOO_SHORT)
            elif shape == 3:
                page.nav(f"Photo {rng.randint(1, 40)} of {rng.randint(41, 90)}", "Previous")
                page.nav(f"The harbour at {place} in {rng.choice(SEASONS)}", "Next")
                page.prose(f"This image has been viewed {rng.randint(100, 9000)} times.")
            elif shape == 4:
                page.nav("Sign in", "Username", "Password")
                page.add("Forgot your password?", TOO_SHORT)
                page.add(rng.choice(JS_NOTICES[:2]), JAVASCRIPT)
            else:
                page.nav("Page not found")
                page.prose("Sorry, the page you were looking for could not be found.")
                page.nav("Go back to the homepage")
            if rng.random() < 0.5:
                self.teasers(page, topic)
            self.footer(page, site, shared=False)
            title = rng.choice(("contact", "shop item", "event", "gallery", "login", "missing"))
            self.emit(self.url(site, f"{title} {i}", want_validation=False), page, FEW_SENTENCES)

    def _foreign(self, per_language: int) -> None:
        rng = self.rng
        for lang, spec in FOREIGN.items():
            sentences = word_list(spec["sentences"])
            site = Site(spec["site"], spec["domain"], (), (), "dated", (spec["footer"],))
            for _ in range(per_language):
                page = PageDraft()
                page.nav(spec["site"], *word_list(spec["nav"]))
                title = rng.choice(word_list(spec["titles"]))
                page.nav(title)
                for _ in range(rng.randint(3, 5)):
                    k = rng.choice((2, 2, 3))
                    page.prose(self.unique(lambda s=sentences, k=k: " ".join(rng.sample(s, k))))
                page.prose(spec["footer"])
                page.nav(f"© {rng.randint(2014, 2019)} {spec['site']}")
                self.emit(self.url(site, title), page, foreign(lang))

    def _lorem(self) -> None:
        """Theme demos: a "lorem ipsum" line that passes the line rules drops the page, even
        after good lines; one only in a heading (no end mark) does not."""
        site = next(s for s in SITES if s.name == "Plain Text Blog")
        topic = TOPIC_BY_NAME["technology"]
        for i in range(8):
            page = PageDraft()
            self.header(page, site, topic)
            page.nav("Sample page", "Lorem ipsum dolor sit amet")  # headings: no end mark
            for _ in range(i % 3):
                page.prose(self.paragraph(topic, n=2))
            page.add(LOREM_LINES[i % len(LOREM_LINES)], LOREM)
            page.prose(self.paragraph(topic, n=2))  # never reached by clean_page
            self.emit(self.url(site, f"theme demo {i}", want_validation=False), page, LOREM_PAGE)

    def _squiggly(self) -> None:
        rng = self.rng
        site = next(s for s in SITES if s.name == "Plain Text Blog")
        topic = TOPIC_BY_NAME["technology"]
        for i, line in enumerate(SQUIGGLY_LINES * 2):
            page = PageDraft()
            self.header(page, site, topic)
            title = self.title(topic)
            page.title(title)
            page.prose(self.paragraph(topic, n=2))
            if i % 2:
                page.add(JS_WITH_BRACES, JAVASCRIPT)  # javascript wins over "{"
            page.add(line, SQUIGGLY)
            page.prose(self.paragraph(topic))
            self.emit(self.url(site, title, want_validation=False), page, SQUIGGLY_PAGE)
        del rng

    def _badwords(self) -> None:
        """Innocent pages the LDNOOBW list removes: 'butt', 'how to kill', 'hooker'."""
        cases = [
            (
                "community",
                "Volunteers Clean the Beach at {Place}",
                "Every cigarette butt left on the sand ends up in the sea within a few tides.",
            ),
            (
                "gardening",
                "Bindweed Without Chemicals",
                "Readers often ask us how to kill bindweed without spraying the whole garden.",
            ),
            (
                "football",
                "Rugby Club Report",
                "The hooker threw in cleanly at every lineout and the forwards did the rest.",
            ),
        ]
        site = next(s for s in SITES if s.name == "Harbourside Life")
        for topic_name, title, line in cases:
            topic = TOPIC_BY_NAME[topic_name]
            page = PageDraft()
            self.header(page, site, topic)
            title = fill(self.rng, topic, title, title=True)
            page.title(title)
            page.prose(self.paragraph(topic))
            page.prose(self.unique(lambda line=line, topic=topic: f"{line} {self.sentence(topic)}"))
            page.prose(self.paragraph(topic))
            self.footer(page, site, shared=False)
            self.emit(self.url(site, title, want_validation=False), page, BADWORD)

    def _too_long(self) -> None:
        """A weather station's data dump, over 190,000 characters: the length filter drops it."""
        rng = self.rng
        site = next(s for s in SITES if s.name == "Hartshire Weather Watch")
        page = PageDraft()
        page.nav(site.name, "Raw data: hourly readings, all stations")
        station = 400
        while sum(len(line) + 1 for line, _ in page.lines) <= 200_000:
            station += 1
            for hour in range(24):
                page.nav(
                    f"Station {station} 2019-04-{rng.randint(1, 17):02d} {hour:02d}:00 "
                    f"{rng.uniform(-3, 19):.1f} C {rng.randint(985, 1035)} hPa "
                    f"wind {rng.randint(0, 60)} km/h {rng.choice(COMPASS)}"
                )
        self.emit(self.url(site, "hourly readings", want_validation=False), page, TOO_LONG)


def _shared_keys(site: Site) -> set[str]:
    return {line.lower() for line in (*site.footer, *FOOTER)}


@functools.lru_cache(maxsize=1)
def sample_pages() -> tuple[SamplePage, ...]:
    """Every page of the sample with its fate, in record order."""
    return tuple(SampleBuilder().build(NUM_ARTICLES))


def sample_records() -> list[tuple[str, str, str]]:
    """(url, timestamp, text) for each page of the sample, in a fixed order."""
    return [(p.url, p.timestamp, p.text) for p in sample_pages()]
