"""The page writers of the WET sample: article shapes, site chrome, URLs.

`PageWriter` writes one kept article at a time (blog post, news story, encyclopedia entry,
recipe, review, FAQ, forum thread) inside its site's header and footer, labelling every line
with the fate C4 gives it, and draws URLs of the site's shape, steered into the validation split
when asked (C4's split: md5 of the normalized URL, 1 in 1,000; docs/C4.md §10).
"""

from __future__ import annotations

import base64
import hashlib
import random
import re

from tools.wet_sample.fates import (
    JAVASCRIPT,
    NO_ENDMARK,
    PASSED,
    POLICY,
    TOO_LONG_WORD,
    TOO_SHORT,
    PageDraft,
)
from tools.wet_sample.sites import REVIEWED, SITES, Site
from tools.wet_sample.tables import (
    ADVICE,
    BODY,
    CLOSING,
    CONS,
    COUNTIES,
    FIRST_NAMES,
    FOOTER,
    INGREDIENTS,
    INTRO,
    JS_NOTICES,
    MONTHS,
    NAV_WORDS,
    NEWS,
    POLICY_LINES,
    PROS,
    QUESTIONS,
    QUOTE,
    REVIEW_TITLES,
    STEPS,
    SURNAMES,
    WIKI_LEAD,
    WIKI_SECTIONS,
)
from tools.wet_sample.text import fill, person_name, place_name
from tools.wet_sample.topics import TOPIC_BY_NAME, Topic


def _label(topic: Topic) -> str:
    return "DIY" if topic.name == "diy" else topic.name.title()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def normalized_url(url: str) -> str:
    """C4's URL normalization (docs/C4.md §3), written out here to label pages by split."""
    url = re.sub(r"https?:\/\/(www\.)?", "", url)
    url = re.sub(r"\?(utm_|ref|feed).*", "", url)
    return url.rstrip("/")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def is_validation(url: str) -> bool:
    return int(md5_hex(normalized_url(url)), 16) % 1000 == 0


class PageWriter:
    """Writes the pages; keeps every paragraph unique across the sample, so an article's
    own paragraphs always survive line dedup."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seen_keys: set[str] = {
            line.lower() for line in (*FOOTER, *(f for s in SITES for f in s.footer))
        }
        self.urls: set[str] = set()
        self.used_templates: set[str] = set()  # by the page being written

    # -- text --

    def unique(self, make) -> str:
        for _ in range(1000):
            text = make()
            key = text.strip().lower()
            if key not in self.seen_keys:
                self.seen_keys.add(key)
                return text
        raise RuntimeError("cannot write a unique paragraph")

    def sentence(self, topic: Topic, pool=None, pools=None, **preset: str) -> str:
        """A sentence from `pool`, else from the topic's own or one of `pools` (the body
        moves by default), from a template the page has not used yet where possible."""
        rng = self.rng
        for _ in range(20):
            if pool is not None:
                source = pool
            elif pools is None:
                source = topic.sentences if rng.random() < 0.45 else rng.choice(BODY)
            else:
                source = rng.choice(pools)
            template = rng.choice(source)
            if template not in self.used_templates:
                break
        self.used_templates.add(template)
        return fill(rng, topic, template, **preset)

    def paragraph(self, topic: Topic, n=None, first=None, last=None, pools=None, **preset):
        """`n` sentences (2 to 5 if None), opening from `first` or closing from `last`;
        never a paragraph already in the sample."""
        rng = self.rng

        def make() -> str:
            count = n or rng.choice((2, 3, 3, 4, 4, 5))
            out = [self.sentence(topic, first, **preset)] if first else []
            end = self.sentence(topic, last, **preset) if last else None
            while len(out) < count - (end is not None):
                s = self.sentence(topic, pools=pools, **preset)
                if s not in out and s != end:
                    out.append(s)
            return " ".join([*out, end] if end else out)

        return self.unique(make)

    def title(self, topic: Topic, question: bool = True) -> str:
        """A headline; `question=False` never picks one ending in "?" (which C4 might keep)."""
        titles = topic.titles if question else [t for t in topic.titles if not t.endswith("?")]
        return fill(self.rng, topic, self.rng.choice(titles), title=True)

    def date_text(self) -> str:
        """A date before the crawl (April 2019)."""
        rng = self.rng
        year = rng.randint(2014, 2019)
        month = rng.choice(MONTHS[:3] if year == 2019 else MONTHS)
        return f"{month} {rng.randint(1, 28)}, {year}"

    def crawl_time(self, day: str | None = None) -> str:
        rng = self.rng
        if day is None:
            day = f"2019-04-{rng.randint(18, 26):02d}"
        return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"

    # -- urls --

    def url(self, site: Site, title: str, want_validation: bool | None = None) -> str:
        """A new URL of the site's shape; `want_validation` steers the split by trying ids."""
        rng = self.rng
        slug = _slug(title)[:60].strip("-") or "page"
        scheme = "https://www." if rng.random() < 0.8 else "http://www."
        if site.domain.count(".") > 1:
            scheme = scheme.replace("www.", "")
        base = scheme + site.domain
        for attempt in range(200_000):
            n = rng.randint(1000, 99999)
            if site.url_style == "dated":  # a month before the crawl
                year, month = divmod(rng.randint(2015 * 12, 2019 * 12 + 2), 12)
                url = f"{base}/{year}/{month + 1:02d}/{slug}-{n}/"
            elif site.url_style == "news":
                url = f"{base}/news/{slug}-{n}"
            elif site.url_style == "wiki":
                url = f"{base}/wiki/{title.replace(' ', '_')}"
                if attempt:  # a second town of that name: disambiguated by its county
                    url += f"_({rng.choice(COUNTIES).replace('the ', '').replace(' ', '_')})"
                if attempt > 20:
                    url += f"_{n}"
            elif site.url_style == "recipe":
                url = f"{base}/recipes/{slug}-{n}"
            elif site.url_style == "forum":
                url = f"{base}/viewtopic.php?t={n}"
            else:
                url = f"{base}/{slug}-{n}"
            if rng.random() < 0.05:
                url += "?utm_source=newsletter&utm_medium=email"
            key = normalized_url(url)
            if key in self.urls:
                continue
            if want_validation is None or is_validation(url) == want_validation:
                self.urls.add(key)
                return url
        raise RuntimeError("no URL found")

    # -- chrome --

    def header(self, page: PageDraft, site: Site, topic: Topic) -> None:
        rng = self.rng
        page.nav(site.name)
        items = rng.sample(NAV_WORDS, rng.randint(3, 6))
        items.insert(rng.randint(0, len(items)), _label(topic))
        page.nav(*items)
        if rng.random() < 0.3:
            page.nav(f"Home » {_label(topic)} » {rng.choice(topic.headings)}")

    def footer(self, page: PageDraft, site: Site, *, shared: bool = True) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            page.nav("Share this:", "Facebook", "Twitter", "Email")
        if rng.random() < 0.35:
            page.add(
                rng.choice(("Thanks for reading!", "Leave a comment.", "Read more.")), TOO_SHORT
            )
        if rng.random() < 0.3:
            page.add(rng.choice(JS_NOTICES), JAVASCRIPT)
        if shared:
            for line in site.footer:
                page.prose(line)
            if site.network:
                for line in FOOTER:
                    page.prose(line)
        if site.cookie_banner and rng.random() < 0.7:
            page.add(rng.choice(POLICY_LINES), POLICY)
        page.nav(f"© {rng.randint(2012, 2019)} {site.name}. All rights reserved")
        if rng.random() < 0.5:
            page.nav("Privacy Policy | Terms of Use | Contact")

    def teasers(self, page: PageDraft, topic: Topic) -> None:
        """Related posts: titles and excerpts cut off with "..."."""
        rng = self.rng
        page.nav(rng.choice(("Related posts", "You might also like", "More from this section")))
        for _ in range(rng.randint(1, 3)):
            page.nav(self.title(topic, question=False))
            words = self.sentence(topic).rstrip('.?!"').split()
            cut = rng.randint(5, max(5, len(words) - 1))
            page.add(" ".join(words[:cut]) + "...", NO_ENDMARK)
        if rng.random() < 0.4:
            page.add(
                rng.choice(("Read more...", "Continue reading...", "Load more...")), NO_ENDMARK
            )

    # -- article bodies --

    def article(self, site: Site, kind: str, topic: Topic) -> tuple[str, PageDraft]:
        """(title, page) of a kept article: at least three unique paragraphs of its own."""
        rng = self.rng
        self.used_templates = set()
        page = PageDraft()
        self.header(page, site, topic)
        if kind == "review" and topic.name not in REVIEWED:
            kind = "blog"
        if kind == "recipe" and topic.name != "cooking":
            kind = "blog"
        if kind == "review":
            title = fill(rng, topic, rng.choice(REVIEW_TITLES), title=True)
        elif kind == "wiki":
            title = place_name(rng)
        else:
            title = self.title(topic)
        page.title(title)
        getattr(self, f"_{kind}")(page, site, topic, title)
        if rng.random() < 0.02:
            blob = base64.b64encode(rng.randbytes(rng.randint(780, 1200))).decode("ascii")
            page.add(f'<img src="data:image/png;base64,{blob}">', TOO_LONG_WORD)
        if kind != "wiki" and rng.random() < 0.6:
            self.teasers(page, topic)
        self.footer(page, site)
        return title, page

    def _blog(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        if rng.random() < 0.7:
            page.nav(f"By {person_name(rng)} | {self.date_text()}")
        else:
            page.add(f"Posted by {rng.choice(FIRST_NAMES)}.", TOO_SHORT)
        page.prose(self.paragraph(topic, first=INTRO))
        for heading in rng.sample(topic.headings, rng.randint(2, 4)):
            page.nav(heading)
            for _ in range(rng.randint(1, 2)):
                page.prose(self.paragraph(topic))
            if rng.random() < 0.15:
                page.add(rng.choice(JS_NOTICES), JAVASCRIPT)
        page.prose(self.paragraph(topic, last=CLOSING))
        if rng.random() < 0.5:
            tags = ", ".join(rng.sample([*topic.plurals, topic.name], 3))
            page.nav(f"Tags: {tags}")

    def _news(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav(f"{self.date_text()} | {rng.choice(topic.headings)}")
        page.add(f"By {person_name(rng)}.", TOO_SHORT)
        page.prose(self.paragraph(topic, n=2, first=topic.sentences))  # the lede
        for _ in range(rng.randint(2, 5)):
            quote = QUOTE if rng.random() < 0.4 else None
            n = rng.choice((1, 2, 2, 3))
            page.prose(self.paragraph(topic, n=n, first=quote, pools=(topic.sentences, *NEWS)))
        if rng.random() < 0.4:
            page.nav("Advertisement")
        page.prose(self.paragraph(topic, n=2, pools=(topic.sentences, *NEWS)))
        if rng.random() < 0.3:
            page.nav(f"Reporting by {person_name(rng)}; editing by {person_name(rng)}")

    def _wiki(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        """An encyclopedia article on the town `title`, with citation markers and a reference
        list whose lines keep a leading space once their marker is removed."""
        rng = self.rng
        page.nav("From Quillpedia, the free encyclopedia", "Jump to navigation", "Jump to search")
        refs = 0
        sections = ["", "History", *rng.sample(list(WIKI_SECTIONS)[2:], rng.randint(1, 3))]
        for heading in sections:
            if heading:
                page.nav(f"{heading}[edit]")
            pool = WIKI_SECTIONS[heading]
            for _ in range(2 if heading == "History" else 1):
                first = pool if heading else WIKI_LEAD
                clean = self.paragraph(
                    topic, n=rng.randint(2, 4), first=first, pools=(pool,), subject=title
                )
                cited, refs = _cite(rng, clean, refs)
                page.add(cited, PASSED, clean)
        page.nav("Notable people[edit]")
        for _ in range(rng.randint(2, 4)):
            born = rng.randint(1700, 1960)
            role = rng.choice(TOPIC_BY_NAME[rng.choice(list(TOPIC_BY_NAME))].roles)
            page.nav(f"{person_name(rng)} ({born}–{born + rng.randint(40, 60)}), {role}")
        page.nav("References[edit]")
        for n in range(1, refs + 1):
            ref = self.unique(
                lambda: fill(
                    rng,
                    topic,
                    f"{rng.choice(SURNAMES)}, {rng.choice('ABCDEFGHJKLMNPRSTW')}. ({{year}}). "
                    f"{rng.choice(('A History of', 'Notes on', 'Letters from', 'The Book of'))} "
                    f"{title}. {{Place}}: {rng.choice(('Old Mill', 'Lantern', 'Heron'))} Press.",
                )
            )
            # The marker goes, its space stays: the kept line starts with a space.
            page.add(f"[{n}] {ref}", PASSED, f" {ref}")
        page.nav(f"Categories: Towns in {rng.choice(COUNTIES)} | Market towns")

    def _recipe(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav(f"Serves {rng.randint(2, 8)}", f"Prep time: {rng.randint(2, 9) * 5} minutes")
        for _ in range(rng.randint(2, 3)):
            page.prose(self.paragraph(topic))
        page.nav("Ingredients")
        for item in rng.sample(INGREDIENTS, rng.randint(4, 9)):
            page.nav(item.format(n=rng.randint(1, 4), g=rng.randint(1, 9) * 50))
        page.nav("Method")
        steps = rng.sample(STEPS, rng.randint(3, 6))
        for i, step in enumerate(steps, 1):
            page.nav(f"Step {i}")
            # Steps recur across recipes: line dedup keeps each in one recipe only.
            page.prose(step.format(t=rng.choice((180, 190, 200, 220)), m=rng.randint(2, 8) * 5))
        page.prose(self.paragraph(topic, last=CLOSING))
        page.nav(f"Rated {rng.randint(3, 5)} out of 5 by {rng.randint(4, 300)} readers")

    def _review(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav(f"Rating: {rng.randint(2, 5)}/5", f"Price: £{rng.randint(5, 250)}.99")
        page.prose(self.paragraph(topic, first=INTRO))
        page.prose(self.paragraph(topic))
        page.nav("Pros", *rng.sample(PROS, 2), "Cons", *rng.sample(CONS, rng.randint(1, 2)))
        page.prose(self.paragraph(topic))
        page.nav("Verdict")
        page.prose(self.paragraph(topic, last=CLOSING))
        if rng.random() < 0.3:
            page.add(f"{rng.randint(2, 90)} found this helpful.", TOO_SHORT)

    def _faq(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav("Frequently asked questions")
        page.prose(self.paragraph(topic, n=2, first=INTRO))
        for question in rng.sample(QUESTIONS, rng.randint(3, 5)):
            q = fill(rng, topic, question)
            page.title(q)  # questions end in "?": kept when long enough
            page.prose(self.paragraph(topic, n=rng.choice((2, 3)), first=ADVICE))
        page.nav("Still stuck? Contact us")

    def _forum(self, page: PageDraft, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav(f"Forum index » {_label(topic)}")
        page.title(f"Thread: {title}")
        posts = []
        for i in range(rng.randint(4, 7)):
            user = f"{rng.choice(FIRST_NAMES).lower()}_{rng.randint(1, 999)}"
            page.nav(f"{user} wrote:", f"Posted {self.date_text()}")
            if posts and rng.random() < 0.25:
                page.nav("Quote")
                page.prose(rng.choice(posts))  # a quoted post: a repeat within the page
            post = self.paragraph(topic, n=rng.choice((1, 2, 3)))
            posts.append(post)
            page.prose(post)
            if i and rng.random() < 0.3:
                page.add(
                    rng.choice(("Thanks, that helped.", "Same here!", "Good question!")), TOO_SHORT
                )
            page.nav("Reply", "Quote")
        page.nav(f"Page 1 of {rng.randint(1, 4)}")


def _cite(rng: random.Random, text: str, refs: int) -> tuple[str, int]:
    """Citation markers glued to the end of some sentences (removed whole by clean_page)."""
    out = []
    for sentence in re.split(r"(?<=\.) ", text):
        if sentence.endswith(".") and rng.random() < 0.4:
            r = rng.random()
            if r < 0.7:
                refs += 1
                marker = f"[{refs}]"
            else:
                marker = "[citation needed]" if r < 0.9 else "[]"
            sentence = sentence[:-1] + marker + "."
        out.append(sentence)
    return " ".join(out), refs
