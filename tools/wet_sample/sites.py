"""The invented web sites of the WET sample: what each publishes and how its pages look."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Site:
    """One invented site: its topics, the article shapes it publishes, how its URLs look, and
    the footer lines every page of it shares."""

    name: str
    domain: str
    topics: tuple[str, ...]
    kinds: tuple[str, ...]  # article shapes this site publishes
    url_style: str
    footer: tuple[str, ...]  # site footer lines that pass clean_page (shared by its pages)
    network: bool = False  # carries the network FOOTER
    cookie_banner: bool = True


# name, domain, topics, article shapes, URL shape, footer line (passes clean_page; shared by
# the site's pages), carries the network FOOTER, shows a cookie banner.
SITES = [
    Site(name, domain, topics, kinds, urls, (footer,) if footer else (), network, cookies)
    for name, domain, topics, kinds, urls, footer, network, cookies in [
        ("The Green Plot", "thegreenplot.example", ("gardening", "cooking"),
         ("blog", "blog", "faq"), "dated",
         "The Green Plot is written by gardeners for gardeners, with no sponsored posts.",
         True, True),
        ("Eastholm Gazette", "eastholmgazette.example",
         ("community", "weather", "education", "business", "football"),
         ("news", "news", "news", "blog"), "news",
         "The Eastholm Gazette has reported on the town and its villages since 1887.",
         False, True),
        ("Spoke and Chain", "spokeandchain.example", ("cycling", "hiking", "fitness"),
         ("blog", "blog", "forum", "review"), "dated",
         "Spoke and Chain is an independent magazine for people who ride every day.",
         True, True),
        ("Quillpedia", "en.quillpedia.example", ("history",),
         ("wiki",), "wiki", "", False, False),
        ("Marrowby Kitchen", "marrowbykitchen.example", ("cooking",),
         ("recipe", "recipe", "blog"), "recipe",
         "All recipes on Marrowby Kitchen are tested at least twice in a home kitchen.",
         True, True),
        ("Night Sky Notes", "nightskynotes.example", ("astronomy", "weather", "photography"),
         ("blog", "blog", "faq"), "dated",
         "Night Sky Notes is run by volunteers from the Larkford Astronomical Society.",
         False, True),
        ("Plain Text Blog", "plaintextblog.example", ("technology",),
         ("blog", "blog", "forum", "review"), "dated",
         "Everything on this blog is written by one developer in the evenings and at weekends.",
         True, True),
        ("Penny Wise", "pennywise.example", ("money", "business"), ("blog", "faq", "faq"),
         "slug", "Penny Wise is not a bank and does not give regulated financial advice.",
         False, True),
        ("Paws and Claws Forum", "forum.pawsandclaws.example", ("pets",),
         ("forum", "forum", "faq"), "forum", "", False, False),
        ("Folk and Fiddle", "folkandfiddle.example", ("music", "books"), ("blog", "review"),
         "dated",
         "Folk and Fiddle lists sessions, concerts and workshops across the whole county.",
         True, True),
        ("Rovers Till I Die", "roverstillidie.example", ("football",),
         ("news", "blog", "forum"), "news",
         "This is an unofficial fan site and is not connected to the club in any way.",
         False, True),
        ("Fit at Any Age", "fitatanyage.example", ("fitness", "cooking"), ("blog", "faq"),
         "slug", "Always talk to your doctor before you start a new exercise programme.",
         True, True),
        ("Mend It Yourself", "menditallyourself.example", ("diy",), ("blog", "forum", "faq"),
         "slug",
         "Mend It Yourself is written by a retired carpenter and a very patient editor.",
         False, True),
        ("The Reading Lamp", "thereadinglamp.example", ("books", "history"),
         ("review", "review", "blog"), "dated",
         "The Reading Lamp buys every book it reviews and accepts no free copies.",
         True, True),
        ("Slow Rails", "slowrails.example", ("travel", "hiking", "photography"),
         ("blog", "blog", "review"), "dated",
         "Slow Rails is a travel diary, not a booking agent, and earns nothing from links.",
         True, True),
        ("Hartshire Weather Watch", "hartshireweather.example", ("weather",),
         ("news", "blog"), "news",
         "Readings come from a volunteer network of more than forty weather stations.",
         False, True),
        ("Kettleworth Schools Trust", "kettleworthschools.example", ("education",),
         ("news", "blog", "faq"), "slug",
         "The Kettleworth Schools Trust is a charity that runs six primary schools.",
         False, True),
        ("Small Shop Stories", "smallshopstories.example", ("business", "money"),
         ("blog", "news"), "dated",
         "Small Shop Stories tells the stories of independent traders in their own words.",
         True, True),
        ("Light and Grain", "lightandgrain.example", ("photography", "travel"),
         ("blog", "review", "forum"), "dated",
         "Every photograph on Light and Grain was taken by the person who wrote the post.",
         False, True),
        ("Harbourside Life", "harbourside.example", ("community", "travel", "history", "pets"),
         ("blog", "news", "faq"), "slug",
         "Harbourside Life is made by people who live along the coast, for everyone else.",
         True, True),
    ]
]  # fmt: skip
REVIEWED = ("books", "technology", "music", "photography", "cycling", "travel", "hiking")
