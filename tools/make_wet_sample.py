"""The bundled sample: Common Crawl-shaped WET files whose every page c4forge writes itself.

`python -m pipelines.sample --output DIR [--files N]` writes the sample; the committed copy is
`pipelines/sample_data/` (`bundled_files()`), and a test checks it equals a fresh generation
byte for byte. The pages are generated from the templates and word lists below with a seeded
`random.Random`, so the same code always gives the same bytes. Nothing is copied from real
pages: the sites, places and people are invented (domains use the reserved `.example` TLD).

Shape (docs/C4.md): one gzip member per record, a warcinfo record first, then `conversion`
records with the WET header set Common Crawl writes (WARC-Record-ID, WARC-Refers-To,
WARC-Block-Digest, ...). Most pages are English articles of twenty invented sites (how-to
posts, news, recipes, reviews, an encyclopedia, forum threads, FAQs) wrapped in the
boilerplate C4's rules exist for: navigation, bylines, cookie and policy banners, "enable
JavaScript" notices, short lines, citation markers, teasers ending in "...", site footers and a
network-wide footer repeated on many pages. Around them: pages in six other languages, pages
with too few sentences, "lorem ipsum" theme demos, code pages with `{`, pages with a blocklisted
word (the innocent false positives the blocklist is known for), mirrors and syndicated copies
that line dedup empties, URLs crawled twice on two dates, an over-long page, and articles whose
URL hashes to the validation split.

Every page carries, by construction, the fate C4 (3.1.0, `en`) gives it: each line the
`clean-page` counter it hits, each page the stage and reason that drops it, or its split.
`expected_funnel()` turns those labels into the counters a build must report, without running
any of the corpus code; `tests/pipelines/test_sample.py` builds C4 from the bundled files and
compares.
"""

from __future__ import annotations

import argparse
import base64
import collections
import dataclasses
import functools
import gzip
import hashlib
import os
import random
import re
import sys
import uuid

SEED = 20190418
BUNDLED_NUM_FILES = 3
BUNDLED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_data")
NUM_ARTICLES = 2300  # English articles C4 keeps (before mirrors, copies and URL duplicates)
CRAWL = "CC-MAIN-2019-18"

# Line fates: the `clean-page` counter each line hits (docs/C4.md §4).
PASSED = "line-passed"
NO_ENDMARK = "line-filtered:no_endmark"
TOO_SHORT = "line-filtered:too_short"
JAVASCRIPT = "line-filtered:javascript"
POLICY = "line-filtered:policy"
TOO_LONG_WORD = "line-filtered:too_long_word"
LOREM = "filtered:loremipsum"  # the line drops its page
SQUIGGLY = "filtered:squigglybracket"  # the line drops its page
PAGE_KILLS = (LOREM, SQUIGGLY)

# Page labels: (counter namespace, counter) of the stage that drops the page, or its split.
TRAIN = ("train", "examples")
VALIDATION = ("validation", "examples")
TOO_LONG = ("too-long-filter", "filtered")
OLDER_CAPTURE = ("duplicate-url-filter", "filtered")
LOREM_PAGE = ("clean-page", LOREM)
SQUIGGLY_PAGE = ("clean-page", SQUIGGLY)
FEW_SENTENCES = ("clean-page", "filtered:too_few_sentences")
DEDUP_EMPTY = ("dedupe-lines", "filtered:empty")
DEDUP_FEW_SENTENCES = ("dedupe-lines", "filtered:too_few_sentences")
BADWORD = ("badwords-filter", "filtered")


def foreign(lang: str) -> tuple[str, str]:
    return ("english-filter", f"filtered:ignored_language-{lang}")


# Lines many pages share. FOOTER: the blog network's footer, on kept articles only, so line
# dedup leaves exactly one copy of each in the corpus. NOTICE: dropped as a "javascript" line.
FOOTER = [
    "Our writers are readers first, and every story here was checked by a second pair of eyes.",
    "Subscribe to our newsletter and get new articles every week by email.",
]
NOTICE = "Please enable JavaScript in your browser settings to view this page correctly."
JS_NOTICES = [
    NOTICE,
    "You need to enable JavaScript to run this app.",
    "Comments are powered by a JavaScript widget that your browser has blocked.",
    "This map needs JavaScript, which seems to be switched off in your browser.",
]
POLICY_LINES = [
    "This website uses cookies to improve your experience.",
    "We use cookies to remember your settings and to count visits to each page.",
    "By continuing to browse the site you agree to our use of cookies.",
    "Read our privacy policy and terms of use before you continue.",
    "Our cookie policy explains which small files we store and why we store them.",
    "By signing up you accept the terms of use and confirm you are over sixteen.",
]


def _w(text: str) -> list[str]:
    return [w.strip() for w in text.split("|") if w.strip()]


# --- people and places ----------------------------------------------------------------------

FIRST_NAMES = _w(
    "Ada|Adebayo|Agnes|Aisha|Alba|Amir|Anika|Arlo|Astrid|Bea|Bram|Callum|Carys|Cecil|Dara|Delia|"
    "Desmond|Edith|Eamon|Elif|Elsie|Emeka|Esme|Ezra|Fenna|Fintan|Freya|Gideon|Greta|Hamish|Hana|"
    "Idris|Ines|Iris|Ivo|Jun|Juno|Kasia|Kofi|Lars|Leila|Linus|Lorna|Mabel|Malik|Mara|Marek|Maud|"
    "Milo|Nadia|Nell|Niamh|Noor|Odile|Olek|Orla|Otto|Priya|Quentin|Rafa|Rhiannon|Rosa|Rufus|"
    "Saoirse|Selim|Signe|Silas|Tamsin|Teodor|Thea|Tobias|Una|Vera|Wren|Yusuf|Zadie|Zora"
)
SURNAMES = _w(
    "Abernethy|Achebe|Alder|Ashdown|Bellweather|Birchall|Blackwood|Brightwater|Calloway|Carrow|"
    "Castellan|Challis|Copperfield|Dunmore|Ellery|Fairbairn|Fenwick|Galloway|Greaves|Hallam|"
    "Harrowgate|Hawthorne|Holloway|Ibarra|Jessop|Kettleby|Kowalczyk|Lachance|Larkin|Lindqvist|"
    "Mbeki|Merriweather|Moorcroft|Nakamura|Nightingale|Oduya|Okonkwo|Pemberton|Petrakis|Quill|"
    "Ravenscroft|Rosslyn|Saltmarsh|Sandoval|Sedgwick|Sorensen|Stonebridge|Tallis|Thackeray|"
    "Treadwell|Underhill|Varga|Wainwright|Whitlock|Winterbourne|Yardley|Zielinski"
)
PLACE_STARTS = _w(
    "Ash|Bram|Brock|Cinder|Cold|Dun|Elder|Fen|Fox|Glen|Hart|Hazel|Hollow|Kettle|Kings|Lark|"
    "Lantern|Marrow|Mill|North|Oak|Pike|Quill|Raven|Salt|Thorn|West|Wick|Yarrow|Heron"
)
PLACE_ENDS = _w(
    "by|ham|holm|ton|ford|wick|mere|stead|field|bridge|combe|haven|dale|worth|port|gate"
)
COUNTIES = _w("Hartshire|Fenmoor|Westmarch|Larkshire|Oldwater|the Brackenlands|Thornvale")
MONTHS = _w("January|February|March|April|May|June|July|August|September|October|November|December")
WEEKDAYS = _w("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
SEASONS = _w("spring|summer|autumn|winter")
SMALL = _w("two|three|four|five|six|seven|eight|ten|twelve|fifteen|twenty")
ORDINALS = _w("second|third|fourth|fifth|sixth|seventh")


# --- topics ---------------------------------------------------------------------------------
# Each topic: singular noun phrases (`things`), plural nouns, base-form verb phrases (`actions`),
# adjectives, roles (a role + "s" is its plural), the activity, title templates, headings and
# sentences of its own. Generic templates below use the same slots, so every topic reads in
# its own words.


@dataclasses.dataclass(frozen=True)
class Topic:
    name: str
    activity: str
    things: list[str]
    plurals: list[str]
    actions: list[str]
    adjs: list[str]
    roles: list[str]
    titles: list[str]
    headings: list[str]
    sentences: list[str]


def _topic(name: str, activity: str, **fields: str) -> Topic:
    return Topic(name, activity, **{k: _w(v) for k, v in fields.items()})


TOPICS = [
    _topic(
        "gardening",
        "growing your own food",
        things="the vegetable patch|a raised bed|the greenhouse|the compost heap|a rain barrel|"
        "the old apple tree|a cold frame|the herb border|a new hedge|the lawn|"
        "a pair of sharp secateurs|the potting bench",
        plurals="tomatoes|runner beans|seedlings|earthworms|dahlias|onion sets|fruit bushes|"
        "climbing roses|courgettes|native wildflowers|leeks|broad beans",
        actions="prune the fruit bushes|turn the compost|sow the first carrots|mulch the borders|"
        "water the seedlings|stake the tall plants|divide the old perennials|lift the potatoes|"
        "net the cabbages|plant out the tomatoes|sharpen the tools|rake up the fallen leaves",
        adjs="sunny|sheltered|heavy|sandy|frost-free|waterlogged|overgrown|productive",
        roles="gardener|allotment holder|nursery owner|garden designer|beekeeper",
        titles="How to {Action} Without Losing Your Weekend|{Small} Mistakes I Made With "
        "{Plural}|A Beginner's Guide to {Plural}|What to Do in the Garden in {Month}|"
        "Why I Stopped Worrying About {Plural}|Is It Too Late to {Action} This Year?",
        headings="Getting started|Choosing the right spot|Soil and feeding|Watering|"
        "Common problems|What to do next month",
        sentences="Most {role}s {action} in {month}, although a mild spring can push that back "
        "by a few weeks.|A {adj} corner is a good home for {plural}, provided the soil drains "
        "well.|Slugs love damp evenings, so check the seedlings with a torch after it rains.|"
        "A handful of compost at planting time does more good than any bottle of feed.|"
        "Rotate the crops each year so that pests and diseases do not build up in one bed.|"
        "If {thing} gets less than six hours of sun, grow leafy crops rather than fruiting "
        "ones.|Water deeply once a week rather than a little every day, and the roots will "
        "follow the moisture down.|Frost can arrive as late as {month} in {place}, so keep a "
        "roll of fleece by the back door.|Bees visit the flowers all summer, which is good news "
        "for every fruit tree nearby.|Leave a patch of long grass for insects, and the birds "
        "will deal with most of the aphids.",
    ),
    _topic(
        "cooking",
        "home cooking",
        things="a heavy cast iron pan|the oven|a sharp knife|the spice drawer|a good stock|"
        "the sourdough starter|a wooden spoon|the freezer|a pot of soup|the bread dough|"
        "a simple tomato sauce|the weekly shop",
        plurals="lentils|onions|root vegetables|fresh herbs|eggs|dried beans|tinned tomatoes|"
        "peppers|spices|seasonal greens|potatoes|lemons",
        actions="toast the spices|brown the onions slowly|season the dish while it cooks|"
        "rest the meat|taste the sauce|chill the pastry|soak the beans overnight|knead the dough|"
        "plan the meals for the week|sharpen the knives|reduce the stock|fold in the flour",
        adjs="golden|crisp|tender|smoky|silky|hearty|tangy|fragrant",
        roles="home cook|chef|baker|market trader|food writer",
        titles="{Small} Weeknight Dinners Built Around {Plural}|How to {Action} Like a "
        "Professional|The Only Guide to {Plural} You Will Need|Cooking on a Budget in {Month}|"
        "What Every Cook Should Know About {Plural}",
        headings="Ingredients worth buying|Before you start|The method|Storing leftovers|"
        "Variations|Serving suggestions",
        sentences="A pinch of salt at the start lets the vegetables release their juices and "
        "soften evenly.|Most recipes rush the onions, but they need a good fifteen minutes to turn "
        "sweet.|Keep a few tins and jars in the cupboard and a quick dinner is never far away.|"
        "The trick with {thing} is patience, because high heat only burns the outside.|"
        "Leftover rice makes the best fried rice, since it has had time to dry out in the "
        "fridge.|Buy {plural} from the market late on a {weekday}, when the traders are happy "
        "to sell cheaply.|If the sauce tastes flat, it usually needs acid rather than more "
        "salt.|A {adj} crust comes from a hot pan and the discipline to leave the food alone.",
    ),
    _topic(
        "cycling",
        "cycling",
        things="a steel touring frame|the chain|a good set of lights|the rear derailleur|"
        "a saddle bag|the front tyre|a track pump|the canal towpath|a puncture repair kit|"
        "the climb out of town|a folding bike|the commute",
        plurals="disc brakes|mudguards|wider tyres|cycle lanes|gravel roads|inner tubes|"
        "panniers|hills|headwinds|commuters|spare spokes|bike shops",
        actions="clean the chain|check the tyre pressure|adjust the brakes|pack a spare tube|"
        "plan the route|replace the brake pads|oil the cables|fit the mudguards|"
        "ride the hills in a low gear|true the wheel|lower the saddle a little|charge the lights",
        adjs="hilly|windswept|quiet|gravelly|muddy|flat|scenic|busy",
        roles="cyclist|mechanic|bike courier|touring rider|club captain",
        titles="How to {Action} at Home in Ten Minutes|{Small} Routes Around {Place} for a "
        "Slow Sunday|Do You Really Need {Plural}?|Winter Riding Without the Misery|"
        "What I Learned From a Year of {Plural}",
        headings="The kit|The route|On the road|Maintenance|What went wrong|Next time",
        sentences="The road out of {place} climbs gently for {small} miles before the view "
        "opens up.|Rinse the chain after salty rides, then dry it and add a few drops of "
        "fresh oil.|Wider tyres at lower pressure give more grip on wet roads and packed "
        "gravel.|Bright lights front and back matter more than ever when the days are short.|"
        "Most punctures happen in the last mile, usually when you are already late.|"
        "A {adj} route takes longer, but you arrive in a far better mood.|The local club "
        "meets every {weekday} at the café by the bridge and welcomes new riders.|"
        "Carry a spare tube even if you run tubeless, because sealant cannot fix everything.",
    ),
    _topic(
        "hiking",
        "walking in the hills",
        things="the ridge path|a paper map|a waterproof jacket|the summit cairn|the bothy|"
        "a flask of tea|the river crossing|a compass|the old drovers' road|the valley floor|"
        "a head torch|the first aid kit",
        plurals="walking boots|stiles|waymarks|sheep|blisters|clouds|stone walls|viewpoints|"
        "trekking poles|midges|ferns|lapwings",
        actions="check the forecast|pack an extra layer|leave a route plan with a friend|"
        "break in new boots|take a bearing|refill the water bottles|turn back early|"
        "follow the river upstream|start before dawn|read the contour lines|"
        "rest at the top|close every gate on the way through",
        adjs="boggy|rocky|exposed|misty|steep|gentle|remote|wooded",
        roles="hillwalker|mountain guide|ranger|map maker|rescue volunteer",
        titles="A Day on the Ridge Above {Place}|{Small} Walks for Short Winter Days|"
        "How to {Action} and Why It Matters|Walking the Coast Path From {Place} to {Place2}|"
        "What to Pack for a Day in the Hills",
        headings="Getting there|The route|Navigation|Safety|Where to eat|Map and distances",
        sentences="The path leaves the car park at {place} and follows a {adj} lane towards "
        "the woods.|Cloud can come down quickly on the tops, so always {action}.|The ascent is "
        "steady rather than hard, and it is never far from the stream.|From the cairn you can "
        "see across {county} on a clear day.|A {role} told us that most rescues involve "
        "tired walkers rather than dramatic falls.|Allow about {small} hours, more if you "
        "stop for lunch by the tarn.|The descent is loose in places, and poles help on the "
        "last steep section.|There is no phone signal in the valley, so carry a paper map.",
    ),
    _topic(
        "community",
        "local life",
        things="the town council|the new library|the village hall|a community orchard|"
        "the bypass plan|the bus timetable|a school extension|the market square|"
        "the swimming pool|the summer fair|a repair café|the footbridge",
        plurals="residents|volunteers|councillors|shopkeepers|parking spaces|potholes|"
        "bus routes|local charities|families|street lights|allotments|planning objections",
        actions="fix the potholes|extend the opening hours|repair the roof|plant more trees|"
        "reopen the footbridge|cut the bus fares|clean up the riverbank|collect litter|"
        "raise money for the hall|hold a public meeting|restore the bandstand|"
        "improve the crossing",
        adjs="crowded|busy|quiet|rundown|popular|restored|controversial|long-awaited",
        roles="councillor|resident|shop owner|volunteer|head teacher",
        titles="{Place} Council Agrees Plan to {Action}|Residents Asked for Views on "
        "{Thing}|Volunteers Step In to {Action}|New Hours for {Place} Library From "
        "{Month}|Why {Place} Is Arguing About {Plural}",
        headings="What happens next|How to have your say|Background|In other news",
        sentences="The council will publish the final plans in {month}, after a six week "
        "consultation.|Around {number} people attended the meeting in the village hall on "
        "{weekday}.|The project has cost less than expected, according to a report seen by "
        "this paper.|Work is due to start in the {season} and should take about {small} "
        "months.|Some residents have asked why the money was not spent on the roads "
        "instead.|The {adj} stretch of road near the school has been a worry for years.|"
        "Anyone who wants to comment can write to the town clerk before the end of {month}.|"
        "The scheme is funded by a grant and by money raised at last year's fair.",
    ),
    _topic(
        "travel",
        "slow travel",
        things="the night train|a small guesthouse|the harbour|the old town|a ferry crossing|"
        "the railway station|a rented cottage|the border crossing|the morning market|"
        "the coastal road|a window seat|the island",
        plurals="sleeper cabins|day trips|guidebooks|fishing villages|local buses|cafés|"
        "luggage lockers|museums|side streets|viewpoints|rail passes|cheap rooms",
        actions="book the sleeper early|travel light|learn a few phrases|take the slow train|"
        "carry some cash|walk the old town at dawn|skip the tourist menus|"
        "check the ferry times|pack a picnic|stay an extra night|"
        "ask the locals where they eat|get off at the small stations",
        adjs="sleepy|crowded|remote|charming|windswept|overlooked|colourful|affordable",
        roles="traveller|tour guide|ferry captain|innkeeper|travel writer",
        titles="{Small} Days in {Place} by Train|The Slow Way to {Place}|How to {Action} "
        "and Save Money|A Weekend in {Place} Out of Season|Why I Always {Action}",
        headings="Getting there|Where to stay|What to see|Where to eat|Budget|Tips",
        sentences="The train from {place} leaves just before nine and arrives in time for "
        "breakfast.|You board in the evening, sleep in a small cabin and wake up in another "
        "country.|Booking early is wise, since the cabins often sell out weeks ahead.|"
        "The harbour at {place} is {adj} in the morning and busy by noon.|Most visitors only "
        "stay one night, which is a mistake.|A {role} in {place} told us that the best months "
        "to visit are {month} and {month2}.|Buses run every hour in summer but only {small} "
        "times a day in winter.|The guesthouse serves fresh bread, local cheese and strong "
        "coffee every morning.",
    ),
    _topic(
        "history",
        "local history",
        things="the old mill|the parish records|the market charter|a ruined abbey|the canal|"
        "the town museum|a medieval bridge|the railway viaduct|the grammar school|"
        "the manor house|a Roman road|the harbour wall",
        plurals="weavers|merchants|monks|canal boats|old photographs|court records|"
        "mill workers|maps|letters|stone masons|fishermen|census returns",
        actions="search the parish records|restore the old mill|map the Roman road|"
        "record the memories of older residents|catalogue the letters|"
        "rebuild the harbour wall|excavate the abbey grounds|digitise the old photographs|"
        "trace the family names|date the timber beams|preserve the canal locks|"
        "read the court rolls",
        adjs="medieval|Victorian|forgotten|prosperous|ruined|ancient|industrial|rural",
        roles="historian|archivist|archaeologist|museum curator|local researcher",
        titles="The Forgotten History of {Thing}|How {Place} Grew Rich on Wool|"
        "{Small} Things We Learned From {Plural}|When the Canal Came to {Place}|"
        "The Rise and Fall of {Place} Mill",
        headings="Early history|The industrial age|Decline|The twentieth century|Legacy",
        sentences="The first record of {place} appears in a tax list from {old_year}.|By the "
        "eighteenth century the town was known for its wool, which {merchants} shipped down "
        "the river.|The canal opened in {old_year}, and for a generation it carried coal, grain "
        "and stone.|Most of the {adj} buildings in the square date from after the great fire "
        "of {old_year}.|The mills were once the largest employers in {place}.|A {role} at the "
        "museum has spent {small} years piecing the story together.|Old maps show a ford "
        "where the bridge now stands.|The railway arrived late, and with it the slow end of "
        "the river trade.",
    ),
    _topic(
        "astronomy",
        "amateur astronomy",
        things="the night sky|a small refracting telescope|the Moon|a pair of binoculars|"
        "the Milky Way|a dark sky site|the Andromeda galaxy|the planet Jupiter|"
        "a star chart|the observatory|a meteor shower|the winter sky",
        plurals="craters|star clusters|satellites|comets|galaxies|meteors|eclipses|"
        "double stars|sunspots|variable stars|nebulae|planets",
        actions="give the eyes time to adjust|find the Pole Star|log each observation|"
        "use a red torch|check the phase of the Moon|align the finder scope|"
        "photograph the Moon through the eyepiece|join a local society|"
        "learn the bright constellations first|keep the lens caps on|"
        "wait for a clear night|sketch each target at the eyepiece",
        adjs="faint|bright|dark|distant|clear|hazy|crisp|spectacular",
        roles="amateur astronomer|astrophysicist|planetarium guide|stargazer|observer",
        titles="What to Look for in the {Month} Sky|A Beginner's Guide to {Plural}|"
        "How to {Action} and See More|{Small} Targets for a Small Telescope|"
        "Why Dark Skies Matter",
        headings="What you need|Where to look|Timing|Taking photographs|Further reading",
        sentences="Tides rise and fall mainly because the Moon pulls on the oceans of the "
        "Earth.|On a {adj} night away from street lights you can see thousands of stars.|"
        "Binoculars show the craters of the Moon better than many cheap telescopes.|"
        "The best views come when a planet is high in the sky, above the worst of the "
        "haze.|It takes about twenty minutes for your eyes to adapt fully to the dark.|"
        "Light from the Andromeda galaxy set off more than two million years ago.|"
        "Members of the {place} society meet on the first {weekday} of each month.|"
        "A {role} once told me that patience matters more than the size of the lens.",
    ),
    _topic(
        "technology",
        "working with computers",
        things="the command line|a spare laptop|the home router|a backup drive|"
        "the test suite|a small server|the code review|an old phone|the password manager|"
        "the build system|a text editor|the release notes",
        plurals="backups|passwords|software updates|spreadsheets|error messages|"
        "keyboard shortcuts|open source projects|unit tests|log files|plain text files|"
        "databases|version numbers",
        actions="back up the important files|update the software|write the tests first|"
        "read the error message|use a password manager|automate the boring parts|"
        "restart the router|keep notes in plain text|review the changes|"
        "delete the old accounts|measure before optimising|pin the versions",
        adjs="slow|reliable|broken|outdated|simple|fragile|secure|lightweight",
        roles="developer|systems administrator|support engineer|designer|tester",
        titles="How to {Action} Once and For All|{Small} Tools That Made Me a Better "
        "Developer|Why {Plural} Matter More Than You Think|A Gentle Introduction to "
        "{Plural}|What Happened When We Stopped Ignoring {Plural}",
        headings="The problem|What we tried|The fix|Lessons learned|Further reading",
        sentences="Most outages we have seen began with a change that nobody thought was "
        "risky.|If a task takes you more than {small} minutes every week, it is worth "
        "automating.|A backup you have never restored is only a hope, not a backup.|"
        "{Plural} are boring, which is exactly why people forget them.|The error message "
        "usually tells you what is wrong, if you read it to the end.|Small pull requests "
        "get better reviews than large ones, because reviewers can hold them in their "
        "heads.|We moved the build to a {adj} machine and it became twice as fast.|"
        "Keep a changelog, because future you will not remember why a decision was made.",
    ),
    _topic(
        "money",
        "managing money",
        things="a household budget|the emergency fund|the pension|a savings account|"
        "the energy bill|a credit card|the mortgage|the weekly food shop|a spending diary|"
        "the tax return|a current account|the car loan",
        plurals="direct debits|receipts|interest rates|subscriptions|savings goals|"
        "utility bills|second hand clothes|loyalty cards|insurance policies|bank fees|"
        "price comparisons|payslips",
        actions="track every purchase for a month|cancel unused subscriptions|"
        "build an emergency fund|pay off the most expensive debt first|"
        "compare energy tariffs|set up a standing order|check the credit report once a year|"
        "meal plan for the week|sell things that sit unused|ask for a better rate|"
        "review the insurance each year|save a little every payday",
        adjs="tight|steady|unexpected|modest|sensible|rising|generous|hidden",
        roles="saver|financial adviser|bank clerk|student|pensioner",
        titles="How to {Action} Without Feeling Deprived|{Small} Ways to Cut "
        "{Plural}|What Nobody Tells You About {Thing}|Is It Worth It to {Action}?|"
        "A Simple Plan for {Thing}",
        headings="Where the money goes|Quick wins|The bigger picture|Common questions",
        sentences="Start with {thing}, because it turns vague worry into numbers you can "
        "work with.|Most families in {place} spend more on subscriptions than they realise.|"
        "Even saving {small} pounds a week adds up over a year.|Interest on a credit card "
        "can quickly cost more than the thing you bought.|It helps to {action} before "
        "making any big decision.|A {role} we spoke to keeps a simple notebook rather than "
        "an app.|Prices have risen faster than wages in the last {small} years.|"
        "Automatic transfers on payday remove the temptation to spend first and save later.",
    ),
    _topic(
        "pets",
        "living with animals",
        things="a rescue dog|the cat flap|a scratching post|the litter tray|a long lead|"
        "the vet|a dog bed|the rabbit hutch|a bird feeder|the fish tank|a travel crate|"
        "the garden pond",
        plurals="cats|puppies|rabbits|guinea pigs|chickens|tropical fish|treats|"
        "chew toys|tortoises|parrots|kittens|older dogs",
        actions="walk the dog twice a day|brush the coat weekly|book a health check|"
        "trim the claws|clean the water bowl|introduce new food slowly|"
        "keep the vaccinations up to date|play for ten minutes each evening|"
        "get the microchip details checked|reward good behaviour|check the hutch for draughts|"
        "weigh the animals every month",
        adjs="nervous|playful|lively|gentle|curious|elderly|stubborn|affectionate",
        roles="vet|dog trainer|shelter volunteer|pet owner|groomer",
        titles="How to {Action} Without the Drama|{Small} Signs Your Pet Is Happy|"
        "Caring for {Plural} in {Season}|What I Wish I Knew Before Adopting|"
        "Do {Plural} Get Lonely?",
        headings="Settling in|Food and water|Exercise|Health|Training",
        sentences="Cats sleep for most of the day, but they are wide awake at dawn and "
        "dusk.|A scratching post near the sofa saves the furniture and keeps the claws in "
        "shape.|Fresh water in a wide bowl encourages them to drink more than a narrow "
        "dish does.|Rescue animals often need a few quiet weeks before their personality "
        "shows.|A {role} in {place} recommends short training sessions rather than long "
        "ones.|Rabbits and guinea pigs are social animals and should not be kept alone.|"
        "Most {adj} dogs calm down once they get enough exercise.|Regular play with a "
        "feather toy keeps an indoor cat fit and calm.",
    ),
    _topic(
        "music",
        "making music",
        things="the piano|a second hand guitar|the local choir|a metronome|the practice "
        "room|a new song|the brass band|the rehearsal|a folk session|the village "
        "orchestra|a recording|the concert hall",
        plurals="scales|chords|sheet music|harmonies|songs|rehearsals|open mic nights|"
        "drum patterns|old records|lessons|tunes|instruments",
        actions="practise a little every day|play hands separately first|"
        "record every practice session|learn the song by ear|tune the guitar|"
        "warm up the voice properly|count in out loud|slow the difficult passage down|"
        "join a local band|listen closely to the other players|write down the chords|"
        "practise with a metronome",
        adjs="haunting|lively|simple|tricky|joyful|mellow|upbeat|quiet",
        roles="musician|music teacher|choir leader|sound engineer|fiddle player",
        titles="How to {Action} and Actually Enjoy It|{Small} Songs Every Beginner "
        "Should Learn|Learning {Plural} as an Adult|Why Our Choir Sings in {Month}|"
        "The Joy of {Plural}",
        headings="Getting started|Practice|Playing with others|Performing|Resources",
        sentences="Learning the piano as an adult is slower than as a child, but it is "
        "far from hopeless.|Short daily practice beats one long session at the weekend.|"
        "Recording yourself now and then shows progress that is hard to notice day to "
        "day.|The session at the pub in {place} starts around eight and runs until the "
        "tunes run out.|Our choir has grown from {small} singers to more than forty in "
        "three years.|Most tunes sound harder than they are once you slow them down.|"
        "A good {role} will give you pieces you want to play, not just exercises.|"
        "Playing with other people teaches timing faster than any metronome.",
    ),
    _topic(
        "football",
        "grassroots football",
        things="the home ground|the youth team|a late equaliser|the new manager|the "
        "penalty area|the league table|the clubhouse|a training session|the away "
        "end|the first half|the kit sponsor|the cup draw",
        plurals="supporters|goals|substitutes|clean sheets|away games|season tickets|"
        "corner kicks|young players|referees|volunteers|fixtures|injuries",
        actions="press higher up the pitch|keep a clean sheet|rotate the squad|"
        "train twice a week|play out from the back|defend set pieces better|"
        "give the youngsters a chance|sell more season tickets|fix the drainage|"
        "finish in the top half|bring in a new striker|stay calm under pressure",
        adjs="muddy|tense|dramatic|scrappy|dominant|nervy|famous|bruising",
        roles="supporter|coach|groundsman|club secretary|referee",
        titles="{Place} Rovers Need to {Action}|Match Report: {Place} Rovers "
        "{Score} {Place2} Town|{Small} Things We Learned From {Month}|Can the Youth Team "
        "Keep Its Run Going?|Inside the Club That Volunteers Built",
        headings="Match report|Team news|What the manager said|Next up",
        sentences="Rovers started brightly and had {small} chances before the half hour.|"
        "The equaliser came from a corner that should never have been given, according to "
        "the away bench.|Attendance has risen to around {number} for home games this "
        "season.|It was a {adj} afternoon, settled by one moment of quality in the second "
        "half.|The club relies on volunteers to run the bar, the gate and the programme.|"
        "A {role} said the pitch had taken a battering after weeks of rain.|The youth "
        "side have not lost since {month}, which says a lot about the coaching.|Next "
        "{weekday} they travel to {place}, where they have not won in {small} years.",
    ),
    _topic(
        "fitness",
        "staying active",
        things="a morning run|the local pool|a yoga mat|the park run|a rest day|the "
        "stretching routine|a pair of running shoes|the gym|a training plan|the "
        "warm up|a skipping rope|the rowing machine",
        plurals="squats|intervals|long walks|stretches|push ups|easy runs|swimming "
        "lengths|rest days|hill repeats|classes|sore muscles|personal bests",
        actions="warm up properly|start with short runs|stretch after every session|"
        "sleep eight hours|drink more water|take a rest day|build up slowly|"
        "find a training partner|mix running with swimming|keep a training diary|"
        "take small aches seriously|walk before running",
        adjs="gentle|demanding|steady|brisk|relaxed|exhausting|consistent|sustainable",
        roles="runner|swimming coach|physiotherapist|personal trainer|yoga teacher",
        titles="How to {Action} When You Hate Exercise|{Small} Weeks From the Sofa to "
        "Five Kilometres|The Case for {Plural}|Why You Should {Action}|Staying Active in "
        "{Season}",
        headings="Week one|Building up|Recovery|Food|Staying motivated",
        sentences="The first week is the hardest, and after that it slowly becomes a "
        "habit.|Most injuries come from doing too much too soon, not from a lack of "
        "talent.|A {role} in {place} suggests adding no more than ten percent a week.|"
        "Hill repeats feel awful at first and then, almost suddenly, they do not.|The park "
        "run starts at nine every {weekday} and anyone is welcome to walk it.|A {adj} "
        "routine you keep is better than a perfect one you abandon.|Sleep does more for "
        "recovery than any supplement on the shelf.|Swimming gives your joints a break "
        "while your heart and lungs still work hard.",
    ),
    _topic(
        "diy",
        "fixing things at home",
        things="the leaking tap|a cordless drill|the garden shed|a squeaky door|the "
        "bathroom sealant|a spirit level|the loft insulation|a damp wall|the skirting "
        "board|a wobbly shelf|the boiler|the fence panel",
        plurals="screws|wall plugs|paint brushes|floorboards|hinges|tiles|draughts|"
        "power tools|radiators|window frames|sandpaper sheets|shelves",
        actions="turn off the water first|measure twice and cut once|bleed the radiators|"
        "sand the surface smooth|use the right wall plug|seal the gaps around the window|"
        "replace the washer|prime the wood before painting|find the joists|"
        "wear safety glasses|tighten the hinges|clear the gutters",
        adjs="damp|sturdy|crooked|draughty|tidy|rotten|solid|awkward",
        roles="carpenter|plumber|electrician|decorator|handyman",
        titles="How to {Action} in an Afternoon|{Small} Jobs You Can Do Without a "
        "Tradesman|Fixing {Thing} Without Losing Your Temper|When to {Action} and When "
        "to Call a Professional|What I Learned Renovating an Old House",
        headings="Tools you need|Preparation|Step by step|Finishing|Safety",
        sentences="Before you start, {action}, or you will regret it halfway through.|"
        "Most {adj} walls in old houses are caused by blocked gutters rather than rising "
        "damp.|A good {role} will tell you when a job is simple enough to do yourself.|"
        "Cheap tools are a false economy, because they fail just when you need them.|"
        "Fill small holes with filler, let it dry overnight and sand it flat.|"
        "Leave electrical work to a qualified {role}, whatever the videos online say.|"
        "Paint always looks different on the wall, so try a small patch first.|A sharp "
        "blade cuts more safely than a blunt one, because you do not have to force it.",
    ),
    _topic(
        "books",
        "reading",
        things="the new novel|a short story collection|the library|a second hand "
        "bookshop|the book club|a thick biography|the final chapter|a debut novel|"
        "the reading list|a poetry pamphlet|the audiobook|a translated novel",
        plurals="novels|short stories|poems|memoirs|crime novels|biographies|"
        "library cards|book reviews|paperbacks|characters|plot twists|literary prizes",
        actions="read a little every night|join a book club|visit the library|"
        "keep a reading journal|reread an old favourite|try a translated novel|"
        "give up on books that drag|read the short stories first|"
        "borrow before buying|listen to an audiobook on the commute|"
        "read outside the usual genres|take notes in the margins",
        adjs="gripping|slow|moving|ambitious|funny|bleak|quiet|beautifully written",
        roles="reader|librarian|bookseller|novelist|critic",
        titles="Review: The Lantern Keeper by {Person}|{Small} Books to Read This "
        "{Season}|Why I Started to {Action}|The Best {Plural} of {Year}|In Praise of "
        "{Plural}",
        headings="The story|The writing|What did not work|Verdict|Read it if",
        sentences="The novel follows a family in {place} over three generations.|The "
        "first hundred pages are slow, but the payoff is worth the patience.|{Person} "
        "writes about small lives with great care and no sentimentality.|Our book club "
        "chose it for {month}, and it started the longest argument we have ever had.|"
        "It is a {adj} book, and the ending stayed with me for days.|A {role} at the "
        "library in {place} recommended it, and she was right.|The translation reads "
        "naturally, which is rarer than it should be.|Some of the chapters in the middle "
        "section could have been cut without losing anything.",
    ),
    _topic(
        "weather",
        "watching the weather",
        things="the weather station|a rain gauge|the barometer|the forecast|a cold "
        "front|the wind|the first frost|a heatwave|the storm|the sea fog|a dry "
        "spell|the thermometer",
        plurals="showers|gales|frosts|thunderstorms|clouds|sunny spells|floods|"
        "snowfalls|temperatures|records|rainfall totals|sea breezes",
        actions="read the barometer each morning|empty the rain gauge at nine|"
        "note the wind direction|watch the clouds from the west|log the daily maximum|"
        "compare forecasts|mount the thermometer in the shade|record every frost|"
        "check the river levels|share the readings online|photograph the sky|"
        "calibrate the sensors",
        adjs="wet|mild|blustery|dry|bitter|humid|changeable|settled",
        roles="weather watcher|forecaster|farmer|climate scientist|lifeboat volunteer",
        titles="{Month} Was the Wettest in {Small} Decades|How to {Action} Like a "
        "Forecaster|Why {Plural} Are So Hard to Predict|A Year of Weather in {Place}|"
        "What the Clouds Are Telling You",
        headings="The month in numbers|Records|The outlook|How we measure",
        sentences="Rainfall in {place} was nearly twice the average for {month}.|The "
        "temperature fell below freezing on {small} nights, the most since {year}.|A "
        "{adj} week ended with a gale that brought down trees across {county}.|Our "
        "station sits on a hill above the town, so it often reads a little colder.|"
        "Forecasts for the next day are far better than they were when I started "
        "recording.|The first frosts arrived earlier than usual this year, to the worry of local "
        "farmers.|A {role} explained that sea fog forms when warm air moves over cold "
        "water.|Spring came late, but the long dry spell that followed made up for it.",
    ),
    _topic(
        "education",
        "learning and teaching",
        things="the school library|a night class|the reading scheme|the science "
        "lab|a school trip|the exam timetable|the playground|an apprenticeship|the "
        "staff room|a language course|the parents' evening|the homework club",
        plurals="pupils|teachers|textbooks|exams|school meals|after school clubs|"
        "spelling tests|apprentices|school buses|reading volunteers|field trips|"
        "student loans",
        actions="read with children every evening|ask open questions|plan lessons "
        "together|praise effort over results|visit the museum|learn a new language|"
        "go back to college|set less homework|teach outside|mark work quickly|"
        "listen to the pupils|give feedback early",
        adjs="small|outstanding|overcrowded|rural|friendly|ambitious|patient|curious",
        roles="teacher|teaching assistant|school governor|parent|tutor",
        titles="Why Our School Decided to {Action}|{Small} Lessons From a Year of "
        "Teaching|Going Back to Learning at Forty|How to Help Children With {Plural}|"
        "{Place} School Opens Its New Library",
        headings="The idea|How it works|What pupils say|What comes next",
        sentences="The school has {number} pupils and a waiting list for the first "
        "time in years.|Children who read for pleasure tend to do better in every "
        "subject, not only English.|A {role} at the school said the change had made "
        "the mornings calmer.|The new library was built with money raised by parents "
        "over {small} years.|Adult classes at the college in {place} start again in "
        "{month}.|Pupils were asked what they wanted to learn, and the answers "
        "surprised everyone.|A {adj} class can do remarkable things with the right "
        "support.|Homework is now limited to reading and one short task a week.",
    ),
    _topic(
        "business",
        "running a small business",
        things="the corner shop|a market stall|the small bakery|a family firm|the "
        "online shop|the business plan|a bank loan|the high street|the cash flow|a "
        "new workshop|the delivery van|the shop window",
        plurals="customers|invoices|suppliers|opening hours|online orders|rents|"
        "apprentices|local brands|wholesale prices|regulars|staff rotas|margins",
        actions="chase late invoices|talk to customers every day|keep the books up to date|"
        "open on Sundays|sell online|train an apprentice|negotiate with suppliers|"
        "cut the waste|raise prices carefully|plan for the quiet months|"
        "work with other local shops|take a proper holiday",
        adjs="independent|struggling|thriving|seasonal|family-run|tiny|busy|new",
        roles="shopkeeper|baker|accountant|craft brewer|market trader",
        titles="How a {Place} Bakery Learned to {Action}|{Small} Lessons From Ten "
        "Years of Trading|Why Small Shops Should {Action}|The {Adj} Shops Keeping "
        "{Place} Alive|What Rising Rents Mean for {Plural}",
        headings="How it started|The hard years|What changed|Advice for others",
        sentences="The shop opened in {year} with one counter and a borrowed oven.|"
        "Rents on the high street have risen by a third in {small} years.|{Person} "
        "says customers come back because they are treated like neighbours.|Cash flow, "
        "not profit, is what closes most small firms.|A {adj} business needs a plan "
        "for the quiet months after Christmas.|They now sell online as well, which "
        "helped when the road was closed for repairs.|A local {role} helped them "
        "understand the numbers in the first year.|Half of the staff started as "
        "apprentices and stayed.",
    ),
    _topic(
        "photography",
        "taking photographs",
        things="an old film camera|the golden hour|a prime lens|the tripod|a "
        "landscape shot|the light meter|a portrait|the darkroom|a wide angle lens|"
        "the histogram|a camera bag|the editing software",
        plurals="photographs|lenses|sunsets|street scenes|prints|shadows|reflections|"
        "filters|contact sheets|memory cards|portraits|long exposures",
        actions="shoot in the early morning|use a tripod|check the histogram|"
        "get closer to the subject|back up the photographs|print the best frames|"
        "learn the manual settings|wait for the light|straighten the horizon|"
        "edit with a light touch|carry a spare battery|clean the lens",
        adjs="soft|harsh|grainy|sharp|moody|vivid|overexposed|atmospheric",
        roles="photographer|picture editor|camera repairer|wedding photographer|gallery owner",
        titles="How to {Action} for Better Pictures|{Small} Tips for Photographing "
        "{Plural}|Rediscovering Film in {Year}|A Walk With a Camera Through {Place}|"
        "Why You Should {Action}",
        headings="Equipment|Settings|Composition|Editing|Printing",
        sentences="The best light comes in the hour after sunrise, when the shadows are "
        "long and soft.|A cheap prime lens teaches you to move your feet instead of "
        "zooming.|Landscapes look best when there is something in the foreground to lead "
        "the eye.|The harbour at {place} is a gift on a {adj} morning.|Printing your "
        "work shows flaws that a screen hides.|A {role} once told me to take fewer "
        "pictures and look for longer.|Film forces you to slow down, because every "
        "frame costs money.|Straight horizons and clean edges matter more than the "
        "camera you use.",
    ),
]

# Generic sentences, by the move they make in an article. Slots as in the topics.
INTRO = _w(
    "Every {season} I promise myself that this will be the year I finally learn to {action}.|"
    "When {person} moved to {place} in {year}, {activity} was the last thing on their mind.|"
    "There is a lot of conflicting advice about {activity}, so we asked people who do it "
    "every day.|If you have ever tried to {action} on a wet {weekday} afternoon, you will know "
    "why this guide exists.|This is the {ordinal} part of our series on {activity}, and it "
    "covers the questions readers ask most often.|A reader from {place} wrote to ask about "
    "{plural}, and the answer turned into this article.|I came to {activity} late, after "
    "years of thinking it was not for me.|For most of us, {thing} is where the trouble "
    "starts.|It has been a strange {season} for {activity} in {place}, and plenty of people "
    "have noticed.|Nobody is born knowing how to {action}, whatever the experts like to "
    "suggest.|My grandmother had a saying about {activity}: do a little, and do it often.|"
    "We have written about {plural} before, but the questions keep coming.|Ask ten "
    "{role}s how to {action} and you will get eleven different answers.|This guide is for "
    "anyone who has stood in front of {thing} and wondered where to begin.|Three years ago "
    "I knew almost nothing about {activity}, and I still remember how confusing it was."
)
ADVICE = _w(
    "The simplest rule is to {action} before you {action2}, not the other way round.|Start "
    "small, because a modest first project is far easier to manage while you are still "
    "learning.|Keep a notebook and write down when you {action}, so that next year you are "
    "not guessing.|Do not worry if the first attempt looks rough, since it usually "
    "improves within a fortnight.|It is worth asking a local {role} for advice, since "
    "conditions in {place} are not what the textbooks describe.|Set aside {small} minutes "
    "each {weekday} to {action}, and the job never gets out of hand.|Above all, {action}, "
    "because everything else depends on it.|You do not need expensive equipment to "
    "{action}, just a little time and some patience.|If in doubt, {action} and then wait "
    "a week before changing anything else.|Try to {action} at the same time each week, so "
    "that it becomes a habit rather than a chore.|The people who enjoy {activity} most are "
    "rarely the ones with the most gear.|Write a short list before you begin, and cross "
    "things off as you go.|Make one change at a time, otherwise you will never know which "
    "one helped.|Check the small things first, because they cause most of the big "
    "problems.|Borrow before you buy, and buy second hand before you buy new.|When the "
    "weather turns, it pays to {action} a little earlier than usual.|Take photographs as "
    "you go, since memory is a poor record of what you actually did.|Be honest about how "
    "much time you have, and plan for half of it.|If something goes wrong, write down what "
    "happened while it is still fresh.|Rest is part of the work, not a break from it."
)
ANECDOTE = _w(
    "Last {month} {person} showed me how to {action}, and I have done it that way ever "
    "since.|On our first attempt we forgot to {action}, and we paid the price for weeks.|"
    "My neighbour in {place} has been at this for {small} years and still learns something "
    "new each season.|{Person} laughed when I asked whether {thing} really mattered, then "
    "spent an hour explaining why it does.|The first time I tried to {action}, it took most "
    "of a {weekday} and a good deal of muttering under my breath.|We met {person}, a "
    "{role} from {place}, at a fair in {month}.|It rained for {small} days straight, which "
    "taught us more than any book.|I still remember the {adj} {weekday} when everything "
    "finally made sense.|Two years ago I could not {action} at all, and now I teach others "
    "to do it.|My father never read a manual in his life, and he could still {action} "
    "better than anyone I know.|Our first {season} in {place} was a disaster, but we "
    "learned quickly.|A stranger at the station in {place} gave me the best advice I have "
    "ever had on the subject.|We were halfway through when the power went off, so we "
    "finished by torchlight.|{Person} still keeps the notes from that first year in a "
    "shoebox under the stairs."
)
DATA = _w(
    "A survey of {number} {role}s in {place} found that most of them {action} at least "
    "once a week.|According to {person}, about {percent} percent of problems with {plural} "
    "come from doing too much rather than too little.|Prices for {plural} rose by around "
    "{percent} percent last year, which surprised many people in {place}.|Figures from "
    "{recent_year} suggest that interest in {activity} has doubled in a decade.|Roughly one in "
    "{small} people who start {activity} give up within the first year.|The local group "
    "now has {number} members, up from a handful when it began.|In our own small survey, "
    "{percent} percent of readers said they {action} less often than they would like.|It "
    "takes most beginners around {small} weeks to feel confident, and that is perfectly "
    "normal.|The waiting list in {place} has grown to {number} names since {month}."
)
CONTRAST = _w(
    "Some people swear by {thing}, while others think it is a waste of money.|That said, "
    "there is no need to worry about {thing} until you know what you want from it.|The old "
    "advice was to {action} in {month}, but many {role}s now wait until {month2}.|It sounds "
    "obvious, but most people still skip this step.|Not everyone agrees, of course, and "
    "{person} thinks the whole idea is overrated.|Of course, what works in {place} may not "
    "work where you live.|There is a catch, though, and it is the time it takes.|Experts "
    "disagree on the details, but they all agree on the basics.|It is tempting to skip "
    "ahead, and almost everyone who does regrets it.|None of this is new, yet it is "
    "surprising how often it is forgotten."
)
QUOTE = _w(
    '"The biggest mistake is trying to do everything at once," says {person}, a {role} '
    'from {place}.|"You learn more from one bad season than from ten good ones," {person} '
    'told us.|"I still {action} myself, because it is the only way to see what is going '
    'on," {person} said.|"People think {activity} is complicated, but it really is not," '
    'says {person}.|"We started with nothing but {thing} and a lot of enthusiasm," '
    '{person} remembers.|"If I could give one piece of advice, it would be to {action}," '
    'says {person}.|"Ask me again in {month}," {person} joked, "and I might have a '
    'better answer."|"Nobody warned me how much I would enjoy it," says {person}, who took '
    'it up in {recent_year}.|"We get new faces every week, and that is the best sign there is," '
    'said {person}.|"It is not about being good at it, it is about turning up," {person} '
    "told the {weekday} meeting."
)
CLOSING = _w(
    "In the end, {activity} rewards patience more than expensive equipment.|Give it a try "
    "this {season}, and let us know how you get on.|We will be back next month with more on "
    "{plural} and what we have learned since.|Whatever you decide, remember that next year "
    "is another chance.|If you have a question we have not answered, send it in and we will "
    "do our best.|It is not glamorous, but it works, and that is what matters.|Next time we "
    "will look at {thing}, which deserves an article of its own.|Most of all, enjoy it, "
    "because that is the whole point.|Thank you to everyone in {place} who shared their "
    "stories with us for this piece.|We would love to hear how you {action}, so do get in "
    "touch."
)
BODY = (ADVICE, ANECDOTE, DATA, CONTRAST, QUOTE)
NEWS = (DATA, CONTRAST, QUOTE)

# Encyclopedia articles (Quillpedia) about the invented towns: `{subject}` is the town.
WIKI_POOLS = {
    "river": _w("Lark|Fen|Wending|Brack|Ouse|Tamber|Mallow|Sill|Avel|Derrow"),
    "census": ("1991", "2001", "2011"),
    "century": _w("eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"),
    "landmark": _w(
        "parish church|market cross|old bridge|castle mound|guildhall|harbour wall|windmill|"
        "corn exchange|almshouses|town gate"
    ),
    "earlier": _w("Roman villa|Bronze Age barrow|Saxon chapel|hill fort|Norman motte"),
    "quarter": _w("old town|harbour district|market square|lower town|riverside"),
    "trade": _w("wool merchant|brewer|shipbuilder|mill owner|banker|stone mason"),
    "industry": _w(
        "wool|lace making|fishing|quarrying|paper making|brewing|rope making|tanning|salt"
    ),
    "hills": _w("Raven|Heron|Ashen|Cold|Marrow|Lantern|Brock"),
    "landuse": _w("farmland|pasture|heath|marsh|orchard|woodland"),
    "festival": _w("lantern|sea shanty|cheese|kite|folk music|apple|boat"),
    "building": _w("corn exchange|grammar school|railway goods shed|workhouse|chapel|tannery"),
    "ground": _w("Mill Lane|Riverside|Station Road|Abbey Field|Harbour Park"),
}
WIKI_LEAD = _w(
    "{Subject} is a market town in {county}, on the River {river}.|{Subject} is a village "
    "and civil parish in {county}, about {small} miles from {place}.|{Subject} is a small "
    "port town on the coast of {county}, at the mouth of the River {river}.|{Subject} is a "
    "hill town in the north of {county}, above the valley of the {river}."
)
WIKI_SECTIONS = {
    "": _w(
        "At the {census} "
        "census the parish had a population of {population}.|The town is known for its "
        "{landmark}, which dates from the {century} century.|The name is first recorded in "
        "{old_year}, and is thought to mean the farm by the river crossing.|It is the largest "
        "settlement between {place} and {place2}."
    ),
    "History": _w(
        "A settlement existed here before the {century} century, and traces of a {earlier} "
        "have been found near the {landmark}.|The town received a market charter in "
        "{old_year}, and a weekly market is still held on {weekday}s.|In {old_year} a fire "
        "destroyed much of the {quarter}, after which the streets were rebuilt in stone.|The "
        "{landmark} was paid for in {old_year} by a local {trade}.|The arrival of the railway "
        "in {rail_year} brought visitors and new industries to the town.|For several centuries "
        "the town prospered from {industry}, which was sold as far away as {place}.|The "
        "population fell after the last {industry} works closed in {year}.|During the civil "
        "war the town changed hands {small} times.|Much of the {quarter} was flooded in "
        "{year}, and new defences were built along the river."
    ),
    "Geography": _w(
        "The town lies in a shallow valley between the {hills} Hills and the sea.|The River "
        "{river} flows through the centre and joins the {river2} about {small} miles "
        "downstream.|The surrounding land is mostly {landuse}, with areas of ancient "
        "woodland to the north.|The highest point in the parish is {hills} Hill, at {height} "
        "metres above sea level.|The climate is mild, and the nearby coast rarely sees "
        "snow.|Much of the parish lies within the {hills} Hills landscape area.|The soil is "
        "thin and chalky on the hills and heavy clay in the valley bottom."
    ),
    "Economy": _w(
        "Tourism is now the largest employer, followed by farming and small "
        "manufacturing.|The weekly market and a number of independent shops serve the "
        "surrounding villages.|A business park opened on the edge of the town in {year}.|"
        "Many residents commute to {place}, which is about {small} miles away by road.|The "
        "{industry} trade survives in a few small workshops near the {landmark}.|Farming "
        "remains important, and a livestock market is held on the first {weekday} of each "
        "month.|The former {building} has been converted into offices and small flats."
    ),
    "Culture": _w(
        "The annual {festival} festival is held each {month} and draws visitors from across "
        "{county}.|The town museum, housed in the former {building}, tells the story of the "
        "local {industry} trade.|{Subject} Rovers play in the county league at the {ground} "
        "ground.|The {landmark} is a listed building and is open to the public in summer.|A "
        "brass band has played in the town since {old_year}."
    ),
    "Transport": _w(
        "{Subject} railway station is on the line between {place} and {place2}.|Regular "
        "buses connect the town with {place} and the villages of the {river} valley.|The "
        "old turnpike road, now the main street, was bypassed in {year}.|A ferry across the "
        "{river} ran from the {quarter} until {year}."
    ),
}


# --- slots ----------------------------------------------------------------------------------


class _Slots(dict):
    """Fills `{slot}` on first use from the topic and the pools (`preset` fixes some);
    `{Slot}` capitalizes, `{slot2}` differs from `{slot}`."""

    def __init__(self, rng: random.Random, topic: Topic, **preset: str) -> None:
        super().__init__(preset)
        self.rng = rng
        self.topic = topic

    def __missing__(self, key: str) -> str:
        if key[0].isupper():
            value = self[key[0].lower() + key[1:]]
            value = value[0].upper() + value[1:]
        elif key[-1] == "2":
            base = self[key[:-1]]
            value = base
            while value == base:
                value = self._fresh(key[:-1])
        else:
            value = self._fresh(key)
        self[key] = value
        return value

    def _fresh(self, key: str) -> str:
        rng, t = self.rng, self.topic
        pools = {
            "thing": t.things,
            "plural": t.plurals,
            "action": t.actions,
            "adj": t.adjs,
            "role": t.roles,
            "month": MONTHS,
            "weekday": WEEKDAYS,
            "season": SEASONS,
            "small": SMALL,
            "ordinal": ORDINALS,
            "county": COUNTIES,
            "merchants": ("merchants", "traders", "dealers"),
            **WIKI_POOLS,
        }
        if key in pools:
            return rng.choice(pools[key])
        if key == "activity":
            return t.activity
        if key == "place":
            return place_name(rng)
        if key == "person":
            return person_name(rng)
        if key == "number":
            return str(rng.choice((rng.randint(12, 95), rng.randint(100, 900))))
        if key == "percent":
            return str(rng.randint(3, 19) * 5)
        if key == "year":
            return str(rng.randint(1950, 2018))
        if key == "recent_year":
            return str(rng.randint(2008, 2018))
        if key == "old_year":
            return str(rng.randint(1150, 1899))
        if key == "rail_year":
            return str(rng.randint(1838, 1885))
        if key == "height":
            return str(rng.randint(9, 60) * 10)
        if key == "population":
            return f"{rng.randint(1, 40)},{rng.randint(0, 999):03d}"
        if key == "score":
            return f"{rng.randint(0, 4)}-{rng.randint(0, 3)}"
        raise KeyError(key)


SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with"}


def _title(text: str) -> str:
    """Title Case, small words lower except first and after a colon."""
    out: list[str] = []
    for w in text.split():
        small = out and w.lower() in SMALL_WORDS and not out[-1].endswith(":")
        out.append(w.lower() if small else w[0].upper() + w[1:])
    return " ".join(out)


def place_name(rng: random.Random) -> str:
    return rng.choice(PLACE_STARTS) + rng.choice(PLACE_ENDS)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def fill(rng: random.Random, topic: Topic, template: str, title: bool = False, **preset) -> str:
    """The template with its slots filled; a title comes out in Title Case."""
    text = template.format_map(_Slots(rng, topic, **preset))
    return _title(text) if title else text


# --- pages ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SamplePage:
    """One record of the sample and its fate in C4 en 3.1.0, by construction.

    `lines`: (text, fate) with fate the `clean-page` counter the line hits. `kept`: the
    line as clean_page keeps it (citation markers removed) for each PASSED line, in order.
    """

    url: str
    timestamp: str
    lines: tuple[tuple[str, str], ...]
    kept: tuple[str, ...]
    label: tuple[str, str]

    @property
    def text(self) -> str:
        return "\n".join(line for line, _ in self.lines)


class _Page:
    """A page being written: lines with their fates, and the kept form of passed lines."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.kept: list[str] = []

    def add(self, text: str, fate: str, kept: str | None = None) -> None:
        self.lines.append((text, fate))
        if fate == PASSED:
            self.kept.append(text if kept is None else kept)

    def nav(self, *items: str) -> None:
        for item in items:
            self.add(item, NO_ENDMARK)

    def prose(self, text: str) -> None:
        self.add(text, PASSED)

    def title(self, text: str) -> None:
        """A headline: dropped for its missing end mark, unless it is a question."""
        if not text.endswith("?"):
            self.add(text, NO_ENDMARK)
        elif len(text.split()) >= 5:
            self.add(text, PASSED)
        else:
            self.add(text, TOO_SHORT)


@dataclasses.dataclass(frozen=True)
class Site:
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
TOPIC_BY_NAME = {t.name: t for t in TOPICS}
REVIEWED = ("books", "technology", "music", "photography", "cycling", "travel", "hiking")
REVIEW_TITLES = _w(
    "Review: {Thing} After {Small} Months|Long Term Review of {Thing}|{Thing}, Tested in "
    "Real Life|We Tried {Thing} So You Do Not Have To"
)
NAV_WORDS = _w("Home|About|Contact|Archive|Search|Subscribe|Log in|Menu|Latest|Popular|Shop")


def _label(topic: Topic) -> str:
    return "DIY" if topic.name == "diy" else topic.name.title()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def normalized_url(url: str) -> str:
    """C4's URL normalization (docs/C4.md §3), written out here to label pages by split."""
    url = re.sub(r"https?:\/\/(www\.)?", "", url)
    url = re.sub(r"\?(utm_|ref|feed).*", "", url)
    return url.rstrip("/")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def is_validation(url: str) -> bool:
    return int(_md5(normalized_url(url)), 16) % 1000 == 0


class _Writer:
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

    def header(self, page: _Page, site: Site, topic: Topic) -> None:
        rng = self.rng
        page.nav(site.name)
        items = rng.sample(NAV_WORDS, rng.randint(3, 6))
        items.insert(rng.randint(0, len(items)), _label(topic))
        page.nav(*items)
        if rng.random() < 0.3:
            page.nav(f"Home » {_label(topic)} » {rng.choice(topic.headings)}")

    def footer(self, page: _Page, site: Site, *, shared: bool = True) -> None:
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

    def teasers(self, page: _Page, topic: Topic) -> None:
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

    def article(self, site: Site, kind: str, topic: Topic) -> tuple[str, _Page]:
        """(title, page) of a kept article: at least three unique paragraphs of its own."""
        rng = self.rng
        self.used_templates = set()
        page = _Page()
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

    def _blog(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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

    def _news(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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

    def _wiki(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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

    def _recipe(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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

    def _review(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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

    def _faq(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
        rng = self.rng
        page.nav("Frequently asked questions")
        page.prose(self.paragraph(topic, n=2, first=INTRO))
        for question in rng.sample(QUESTIONS, rng.randint(3, 5)):
            q = fill(rng, topic, question)
            page.title(q)  # questions end in "?": kept when long enough
            page.prose(self.paragraph(topic, n=rng.choice((2, 3)), first=ADVICE))
        page.nav("Still stuck? Contact us")

    def _forum(self, page: _Page, site: Site, topic: Topic, title: str) -> None:
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


PROS = _w(
    "Well made|Good value for money|Easy to set up|Light and compact|Clear instructions|"
    "Built to last|Friendly support|Works straight out of the box"
)
CONS = _w("A little expensive|Heavier than expected|Only one colour|Slow delivery|Thin manual")
INGREDIENTS = _w(
    "{g} g plain flour|{n} large eggs|{g} ml whole milk|{n} onions, finely chopped|"
    "{n} cloves of garlic|{g} g butter|{n} tbsp olive oil|{g} g dried lentils|"
    "{n} tins of chopped tomatoes|a bunch of parsley|{n} tsp ground cumin|{g} g rice|"
    "{n} lemons|salt and pepper|{g} g brown sugar|{n} carrots|{g} ml vegetable stock"
)
STEPS = _w(
    "Heat the oven to {t} degrees and line a tray with baking paper.|Warm the oil in a "
    "large pan over a medium heat.|Add the onions and cook gently for {m} minutes until soft.|"
    "Stir in the spices and cook for another minute.|Pour in the stock and bring to a gentle "
    "simmer.|Season well with salt and pepper, then taste and adjust.|Bake for {m} minutes "
    "until golden and firm to the touch.|Leave to cool for ten minutes before serving.|"
    "Whisk the eggs and milk together in a large jug.|Fold the flour in gently with a metal "
    "spoon.|Scatter over the herbs and serve straight away.|Cover the pan and leave it to "
    "cook for {m} minutes."
)
QUESTIONS = _w(
    "How often should I {action}?|What is the best month to {action}?|Do I really need "
    "{thing} to get started?|Why do {plural} sometimes go wrong?|Is it worth paying more for "
    "{thing}?|Can beginners {action} without help?|How long does it take to {action}?|"
    "What should I do if {thing} lets me down?"
)

# --- the other pages ------------------------------------------------------------------------
# Pages in other languages, written for the sample: langdetect must name their language with
# probability >= 0.99 once clean_page has kept only their sentences.

FOREIGN = {
    "de": dict(
        site="Tal und Gipfel",
        domain="talundgipfel.example",
        nav="Startseite|Wandern|Wetter|Über uns|Kontakt|Suche",
        footer="Alle Texte auf dieser Seite werden von unserer Redaktion selbst geschrieben.",
        sentences="Das Wetter in den Bergen kann sich innerhalb weniger Minuten völlig ändern.|"
        "Wer wandern geht, sollte immer eine warme Jacke und genug Wasser mitnehmen.|"
        "Vor dem Aufbruch lohnt sich ein Blick auf die aktuelle Vorhersage für das Tal.|"
        "Der Weg führt zuerst durch einen dichten Wald und dann über eine offene Wiese.|"
        "Nach etwa zwei Stunden erreicht man eine kleine Hütte mit einer schönen Aussicht.|"
        "Im Sommer sind die Wege am Wochenende oft sehr voll, deshalb starten wir früh.|"
        "Die Gemeinde hat im letzten Jahr neue Schilder an allen Kreuzungen aufgestellt.|"
        "Viele Familien kommen gern hierher, weil die Strecke nicht besonders steil ist.|"
        "Unterwegs gibt es mehrere Brunnen, an denen man die Flaschen auffüllen kann.|"
        "Bei Gewitter sollte man den Grat sofort verlassen und Schutz im Tal suchen.|"
        "Der Rückweg ist etwas länger, aber dafür geht es gemütlich am Bach entlang.|"
        "Im Herbst leuchten die Blätter der Buchen in allen Farben zwischen Gelb und Rot.|"
        "Die Bahn fährt stündlich bis zum Dorf, und vom Bahnhof sind es nur wenige Minuten.|"
        "Unsere Gruppe trifft sich jeden Samstag um acht Uhr auf dem Parkplatz am See.|"
        "Für Kinder gibt es unterwegs einen kleinen Spielplatz und einen Lehrpfad über Vögel.|"
        "Die Wirtin der Hütte backt jeden Morgen frischen Kuchen für die Gäste.",
        titles="Die schönsten Wanderwege im Frühling|Sicher unterwegs bei jedem Wetter|"
        "Eine Rundtour über den Sonnenberg|Tipps für die erste Hüttenwanderung",
    ),
    "fr": dict(
        site="Le Petit Marché",
        domain="lepetitmarche.example",
        nav="Accueil|Recettes|Marchés|À propos|Contact|Rechercher",
        footer="Tous les articles de ce site sont écrits par notre petite équipe de bénévoles.",
        sentences="Le marché du samedi matin est le meilleur endroit pour acheter des fruits "
        "de saison.|Les producteurs locaux y vendent aussi du fromage, du miel et du pain frais.|"
        "Il vaut mieux arriver tôt, avant que les meilleures tomates ne soient parties.|"
        "Cette recette de soupe aux légumes est simple, rapide et très économique.|"
        "Faites revenir les oignons dans un peu de beurre jusqu'à ce qu'ils soient dorés.|"
        "Ajoutez ensuite les carottes, les poireaux et une pomme de terre coupée en dés.|"
        "Laissez cuire à feu doux pendant une vingtaine de minutes en remuant de temps en temps.|"
        "Ma grand-mère préparait ce plat chaque dimanche pour toute la famille.|"
        "Les habitants du village se retrouvent souvent au café après le marché.|"
        "En automne, les étals sont couverts de champignons, de pommes et de noix.|"
        "Le boulanger ouvre sa boutique à six heures et ferme dès que le pain est vendu.|"
        "Nous avons demandé aux commerçants ce qui avait changé depuis l'année dernière.|"
        "Beaucoup de jeunes agriculteurs choisissent maintenant de vendre directement aux "
        "clients.|Servez la soupe bien chaude avec une tranche de pain grillé et du fromage "
        "râpé.|La mairie souhaite agrandir la place pour accueillir de nouveaux marchands.|"
        "Pour conserver les herbes fraîches, il suffit de les garder dans un verre d'eau.",
        titles="Les meilleurs marchés de la région|Une soupe d'hiver pour toute la famille|"
        "Ce que les producteurs nous ont raconté|Cuisiner les légumes de saison",
    ),
    "es": dict(
        site="Costa Tranquila",
        domain="costatranquila.example",
        nav="Inicio|Playas|Rutas|Quiénes somos|Contacto|Buscar",
        footer="Todas las fotos y los textos de esta web son obra de nuestro pequeño equipo.",
        sentences="La playa está tranquila por la mañana, cuando el agua todavía está fresca.|"
        "Muchas familias llegan después del almuerzo con sombrillas y neveras llenas.|"
        "Al atardecer, el paseo marítimo se llena de gente que sale a caminar.|"
        "El pueblo tiene un puerto pequeño donde los pescadores venden el pescado del día.|"
        "Desde la estación de autobuses hay un camino que baja hasta la cala en diez minutos.|"
        "En verano conviene reservar mesa en los restaurantes del centro con antelación.|"
        "La ruta por los acantilados es sencilla, pero hay que llevar agua y gorra.|"
        "Los domingos por la tarde hay música en la plaza y los niños juegan hasta tarde.|"
        "El faro antiguo se puede visitar los fines de semana con un guía del ayuntamiento.|"
        "Nosotros preferimos venir en septiembre, cuando hay menos gente y el mar sigue "
        "caliente.|La tortilla del bar del puerto es la mejor que hemos probado en años.|"
        "Para llegar en coche hay que tomar la carretera de la costa y seguir las señales.|"
        "Los vecinos organizan cada año una fiesta con comida, baile y fuegos artificiales.|"
        "Si hace viento, la playa del norte está más protegida que la del sur.|"
        "El mercado abre los jueves y allí se pueden comprar frutas, quesos y aceite.|"
        "Después de nadar, nada mejor que un helado a la sombra de los pinos.",
        titles="Las calas más bonitas del norte|Un paseo por los acantilados|"
        "Qué hacer en el pueblo en septiembre|Dónde comer junto al puerto",
    ),
    "it": dict(
        site="Borghi e Sapori",
        domain="borghiesapori.example",
        nav="Home|Borghi|Ricette|Chi siamo|Contatti|Cerca",
        footer="Tutti i testi di questo sito sono scritti dalla nostra piccola redazione.",
        sentences="Il borgo si trova su una collina e si raggiunge con una strada piena di "
        "curve.|Nella piazza principale c'è una fontana antica e un bar sempre affollato.|"
        "La domenica mattina gli abitanti fanno una passeggiata prima del pranzo.|"
        "La nonna di Giulia prepara la pasta fresca a mano ogni fine settimana.|"
        "Per questa ricetta servono pomodori maturi, basilico, olio e un pizzico di sale.|"
        "Lasciate cuocere il sugo a fuoco basso per almeno mezz'ora, mescolando spesso.|"
        "In autunno nei boschi intorno al paese si raccolgono castagne e funghi.|"
        "Il museo civico ospita una piccola collezione di attrezzi agricoli e fotografie.|"
        "Dalla torre si vede tutta la valle, e nelle giornate limpide anche il mare.|"
        "Molti giovani sono tornati a vivere qui e hanno aperto nuove botteghe.|"
        "La festa del paese si tiene a luglio, con musica, balli e cibo per tutti.|"
        "Consigliamo di visitare il borgo in primavera, quando i prati sono pieni di fiori.|"
        "Il treno si ferma nella stazione a valle e da lì parte un autobus ogni ora.|"
        "Il formaggio locale viene stagionato per mesi nelle cantine sotto le case.|"
        "Dopo cena ci si ritrova in piazza a chiacchierare fino a tardi.|"
        "Questa zuppa di fagioli è un piatto povero, ma è davvero buonissima.",
        titles="I borghi più belli della valle|La ricetta del sugo della nonna|"
        "Un fine settimana tra colline e castagni|Cosa vedere in primavera",
    ),
    "nl": dict(
        site="Fietsen langs het Water",
        domain="fietsenlangshetwater.example",
        nav="Home|Routes|Nieuws|Over ons|Contact|Zoeken",
        footer="Alle routes op deze website zijn door onze vrijwilligers zelf gefietst.",
        sentences="De route begint bij het station en volgt de dijk langs de rivier.|"
        "Onderweg kom je door kleine dorpjes met oude kerken en smalle straatjes.|"
        "Bij de molen is een leuk terras waar je koffie met appeltaart kunt bestellen.|"
        "Het fietspad is overal goed aangegeven en grotendeels vrij van auto's.|"
        "Als het hard waait, is het verstandig om de route in de andere richting te rijden.|"
        "In het voorjaar staan de weilanden vol met lammetjes en bloeiende bloemen.|"
        "De pont naar de overkant vaart ieder halfuur en is gratis voor fietsers.|"
        "Wij hebben de tocht met het hele gezin gedaan en de kinderen vonden het prachtig.|"
        "Vergeet niet om een regenjas mee te nemen, want het weer verandert hier snel.|"
        "De gemeente heeft dit jaar een nieuw fietspad langs het kanaal aangelegd.|"
        "Er zijn genoeg bankjes onderweg om even uit te rusten en van het uitzicht te "
        "genieten.|Bij de boerderij aan het eind van de weg kun je verse kaas en eieren kopen.|"
        "Het laatste stuk gaat door een bos en is bij slecht weer soms een beetje modderig.|"
        "Na de tocht kun je in het dorp iets eten bij het café naast de brug.|"
        "Wie nog niet moe is, kan nog een extra lus van twintig kilometer langs het meer "
        "rijden.|De fietsenmaker in het dorp is ook op zaterdag open.",
        titles="Een mooie fietstocht langs de rivier|Vijf routes voor een zonnige zondag|"
        "Met de pont naar de overkant|Fietsen in het voorjaar",
    ),
    "pt": dict(
        site="Vila do Mar",
        domain="viladomar.example",
        nav="Início|Praias|Receitas|Sobre nós|Contactos|Pesquisar",
        footer="Todos os textos deste site são escritos pela nossa pequena equipa de amigos.",
        sentences="A vila fica junto ao mar e tem uma praia de areia fina muito procurada no "
        "verão.|Os pescadores chegam ao porto de madrugada e vendem o peixe logo ali.|"
        "Não há nada melhor do que sardinhas assadas com pão e uma salada de tomate.|"
        "As ruas do centro são estreitas, com casas brancas e janelas azuis.|"
        "No domingo de manhã, a feira ocupa toda a praça e as ruas ao lado.|"
        "Também vale a pena subir ao miradouro para ver o pôr do sol sobre o oceano.|"
        "A minha avó fazia este bolo de laranja sempre que recebia visitas em casa.|"
        "Para a receita são precisos ovos, açúcar, farinha e o sumo de duas laranjas.|"
        "Muitas pessoas da cidade vêm passar o fim de semana e ficam em casas alugadas.|"
        "O comboio não chega até aqui, mas há autocarros todos os dias a partir da estação.|"
        "Em setembro a água ainda está quente e as praias já estão muito mais calmas.|"
        "A câmara municipal quer recuperar o antigo mercado e transformá-lo num espaço "
        "cultural.|As crianças adoram apanhar conchas nas rochas quando a maré está baixa.|"
        "Depois do jantar, as famílias passeiam pela marginal até ao farol.|"
        "Os restaurantes do porto servem arroz de marisco que é famoso em toda a região.|"
        "Você também pode alugar uma bicicleta e seguir o caminho junto às dunas.",
        titles="As praias mais bonitas da costa|O bolo de laranja da avó|"
        "Um fim de semana na vila|Onde comer peixe fresco",
    ),
}

LOREM_LINES = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Vestibulum ante ipsum primis in faucibus, lorem ipsum dolor sit amet, nulla facilisi.",
)
# Lines with a `{` that pass every earlier rule: each drops its whole page.
SQUIGGLY_LINES = (
    'Set the option in the settings file as {"theme": "dark"} and restart the editor.',
    "The shortest valid rule is a selector followed by braces, as in p { color: red; }.",
    "In Rust the body of a function sits between braces, for example fn main() { run(); }.",
    "Write the struct as type Point struct { X, Y int } and the compiler does the rest.",
    "A Python dictionary literal such as {1: 'one'} builds a mapping in a single step.",
    "Our template engine replaces {name} with the name of the reader who is logged in.",
)
# Code seen in pages C4 keeps: lines without an end mark, and a line that names JavaScript.
CODE_LINES = (
    "function greet(name) {",
    "  return 'Hello, ' + name;",
    "}",
    "for (let i = 0; i < 10; i++) {",
    "def main():",
    "    print('done')",
)
JS_WITH_BRACES = "In JavaScript you can write an empty object as {} and an empty array as []."


class _Sample(_Writer):
    def __init__(self, seed: int = SEED) -> None:
        super().__init__(seed)
        self.pages: list[SamplePage] = []

    def emit(self, url: str, page: _Page, label: tuple[str, str], when: str | None = None):
        self.pages.append(
            SamplePage(url, when or self.crawl_time(), tuple(page.lines), tuple(page.kept), label)
        )

    def build(self, num_articles: int) -> list[SamplePage]:
        rng = self.rng
        kept: list[tuple[Site, Topic, str, str, _Page]] = []
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
            older = _Page()
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
            copy = _Page()
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
                if _md5(curl) > _md5(url) and _md5(normalized_url(curl)) > _md5(
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
            page = _Page()
            self.header(page, site, topic)
            shape = i % 6
            place = place_name(rng)
            if shape == 0:
                page.nav("Contact us", f"{rng.randint(1, 99)} Mill Lane, {place}")
                page.nav(f"Phone: 01632 {rng.randint(100000, 999999)}")
                page.prose(f"We reply to every message within {rng.choice(SMALL)} working days.")
                page.nav("Your name", "Your email", "Message", "Send")
            elif shape == 1:
                page.nav(_title(rng.choice(topic.things).split(" ", 1)[1]))
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
            sentences = _w(spec["sentences"])
            site = Site(spec["site"], spec["domain"], (), (), "dated", (spec["footer"],))
            for _ in range(per_language):
                page = _Page()
                page.nav(spec["site"], *_w(spec["nav"]))
                title = rng.choice(_w(spec["titles"]))
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
            page = _Page()
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
            page = _Page()
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
            page = _Page()
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
        page = _Page()
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


COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _shared_keys(site: Site) -> set[str]:
    return {line.lower() for line in (*site.footer, *FOOTER)}


@functools.lru_cache(maxsize=1)
def sample_pages() -> tuple[SamplePage, ...]:
    """Every page of the sample with its fate, in record order."""
    return tuple(_Sample().build(NUM_ARTICLES))


def sample_records() -> list[tuple[str, str, str]]:
    """(url, timestamp, text) for each page of the sample, in a fixed order."""
    return [(p.url, p.timestamp, p.text) for p in sample_pages()]


# --- expected funnel ------------------------------------------------------------------------


def expected_funnel(num_files: int = BUNDLED_NUM_FILES) -> dict[str, dict[str, int]]:
    """The counters (namespace -> name -> count) C4 en 3.1.0 reports on the sample written as
    `num_files` files, from the pages' labels alone (docs/C4.md §2, §4, §5, §10)."""
    pages = sample_pages()
    c: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    c["split-wet-file"].update(
        {"wet-file": num_files, "filtered:no_url": num_files, "passed": len(pages)}
    )
    stage = [p for p in pages if p.label != TOO_LONG]
    c["too-long-filter"].update({"passed": len(stage), "filtered": len(pages) - len(stage)})
    newest = [p for p in stage if p.label != OLDER_CAPTURE]
    c["duplicate-url-filter"].update({"passed": len(newest), "filtered": len(stage) - len(newest)})
    cleaned = []
    for p in newest:
        for _, fate in p.lines:
            c["clean-page"][fate] += 1
            if fate in PAGE_KILLS:
                break
        if p.label[0] != "clean-page":
            c["clean-page"]["passed"] += 1
            cleaned.append(p)
        elif p.label == FEW_SENTENCES:
            c["clean-page"][FEW_SENTENCES[1]] += 1
    # Line dedup: each distinct line (stripped, lowercased) survives once; the other copies
    # in other pages are global duplicates, those in the same page local ones. (The sample
    # never repeats within a page a line that another page also has: then which page keeps
    # it would decide the split between the two.)
    pages_with: collections.Counter = collections.Counter()
    repeated_within: set[str] = set()
    for p in cleaned:
        keys = collections.Counter(line.strip().lower() for line in p.kept)
        pages_with.update(keys.keys())
        repeated_within.update(k for k, n in keys.items() if n > 1)
        c["dedupe-lines"]["line-filtered:local_duplicate"] += sum(keys.values()) - len(keys)
    if any(pages_with[k] > 1 for k in repeated_within):
        raise AssertionError("a line repeated within a page is also in another page")
    c["dedupe-lines"]["line-passed"] += len(pages_with)
    c["dedupe-lines"]["line-filtered:global_duplicate"] += sum(pages_with.values()) - len(
        pages_with
    )
    deduped = []
    for p in cleaned:
        if p.label[0] == "dedupe-lines":
            c["dedupe-lines"][p.label[1]] += 1
        else:
            c["dedupe-lines"]["passed"] += 1
            deduped.append(p)
    english = []
    for p in deduped:
        if p.label[0] == "english-filter":
            c["english-filter"]["filtered:ignored_language"] += 1
            c["english-filter"][p.label[1]] += 1
        else:
            c["english-filter"]["passed"] += 1
            english.append(p)
    for p in english:
        verdict = "filtered" if p.label == BADWORD else "passed"
        c["badwords-filter"][verdict] += 1
        c["badwords-filter-en"][verdict] += 1
        if p.label in (TRAIN, VALIDATION):
            c[p.label[0]][p.label[1]] += 1
    return {ns: {k: v for k, v in sorted(names.items()) if v} for ns, names in sorted(c.items())}


def expected_documents() -> dict[str, list[str]]:
    """split -> URLs of the documents C4 keeps, in record order."""
    out: dict[str, list[str]] = {"train": [], "validation": []}
    for p in sample_pages():
        if p.label in (TRAIN, VALIDATION):
            out[p.label[0]].append(p.url)
    return out


# --- WET files ------------------------------------------------------------------------------


def _uuid(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ' '.join(parts))}>"


def _block_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _warcinfo(filename: str, date: str = "2019-04-26T19:04:32Z") -> bytes:
    fields = (
        "Software-Info: c4forge pipelines/sample.py\r\n"
        f"Extracted-Date: {date}\r\n"
        f"isPartOf: c4forge-sample (shaped like {CRAWL})\r\n"
        "operator: c4forge\r\n"
        "description: Synthetic pages written by c4forge, shaped like a Common Crawl WET file\r\n"
        "publisher: c4forge\r\n"
    ).encode()
    head = (
        "WARC/1.0\r\nWARC-Type: warcinfo\r\n"
        f"WARC-Date: {date}\r\nWARC-Filename: {filename}\r\n"
        f"WARC-Record-ID: {_uuid('warcinfo', filename)}\r\n"
        f"Content-Type: application/warc-fields\r\nContent-Length: {len(fields)}\r\n"
        f"WARC-Block-Digest: {_block_digest(fields)}\r\n\r\n"
    )
    return head.encode("utf-8") + fields + b"\r\n\r\n"


WARCINFO = _warcinfo("c4forge-sample.warc.wet.gz")


def _record(url: str, timestamp: str, text: str) -> bytes:
    """One WET conversion record, headers as Common Crawl writes them."""
    body = text.encode("utf-8")
    head = (
        "WARC/1.0\r\nWARC-Type: conversion\r\n"
        f"WARC-Target-URI: {url}\r\nWARC-Date: {timestamp}\r\n"
        f"WARC-Record-ID: {_uuid('conversion', url, timestamp)}\r\n"
        f"WARC-Refers-To: {_uuid('response', url, timestamp)}\r\n"
        f"WARC-Block-Digest: {_block_digest(body)}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("utf-8") + body + b"\r\n\r\n"


def file_name(index: int) -> str:
    return f"sample-{index:02d}.warc.wet.gz"


def write_sample(directory: str, num_files: int = BUNDLED_NUM_FILES) -> list[str]:
    """Writes the sample as `num_files` gzip WET files (one gzip member per record, as Common
    Crawl ships them, mtime 0 so the bytes never change) and returns their paths."""
    os.makedirs(directory, exist_ok=True)
    records = sample_records()
    paths = []
    for f in range(num_files):
        name = file_name(f)
        members = [_warcinfo(name)] + [_record(*r) for r in records[f::num_files]]
        path = os.path.join(directory, name)
        with open(path, "wb") as out:
            for member in members:
                out.write(gzip.compress(member, compresslevel=9, mtime=0))
        paths.append(path)
    return paths


def bundled_files() -> list[str]:
    """The committed sample (`python -m pipelines.sample --output pipelines/sample_data`)."""
    return [os.path.join(BUNDLED_DIR, file_name(f)) for f in range(BUNDLED_NUM_FILES)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.sample", description=__doc__.split("\n")[0]
    )
    p.add_argument("--output", required=True, help="directory for the WET files")
    p.add_argument(
        "--files", type=int, default=BUNDLED_NUM_FILES, help="number of files (%(default)s)"
    )
    args = p.parse_args(argv)
    if args.files < 1:
        p.error("--files must be at least 1")
    paths = write_sample(args.output, args.files)
    size = sum(os.path.getsize(path) for path in paths)
    docs = expected_documents()
    print(
        f"wrote {len(paths)} files ({size / 1e6:.2f} MB) to {args.output}: "
        f"{len(sample_pages())} pages; C4 en keeps {len(docs['train'])} train and "
        f"{len(docs['validation'])} validation documents"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
