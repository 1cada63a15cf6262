"""Writes the bundled `sample_qa` data (`tasks/sample_data/`): made-up facts and questions.

`python -m tools.make_qa_sample --output tasks/sample_data` (from the repository root) rewrites
the committed files byte for byte; the task that reads them is `c4forge.tasks.sample_qa`. Each
example is one to three short sentences of made-up facts (towns on rivers, people's birthplaces
and jobs, mountain heights, companies and their products, ...) and a question about one of
them; the answer is a span copied from the context, as in SQuAD v1.1:

    context:  In 1990, Iris Korrin was born in Carrowby. The Harbor 4 is a pink bicycle made by
              Northgale.
    question: What colour is the Harbor 4?
    answers:  {"text": ["pink"], "answer_start": [61]}

Every value in a context is different (no name, number or colour appears twice), so the
question has exactly one answer. The text comes from fixed templates and word lists through a
seeded `random.Random`, so the same code always writes the same bytes. Validation uses the same
templates with fresh combinations: none of its facts (a fact type with all its values) occurs
anywhere in train. Generating needs only the standard library.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import io
import json
import os
import random
import sys
from collections.abc import Sequence

from c4forge.tasks.sample_qa import DATA_DIR, SPLIT_SIZES, SPLITS, TASK_NAME, file_name

SPLIT_SEEDS = {"train": 2019, "validation": 4042}

# How many facts a context holds, drawn uniformly.
FACTS_PER_CONTEXT = (1, 2, 3)

# --- word lists (all invented for this project; the people are fictional) -------------------
# No name starts with Q or Z: a small vocabulary trained on web text may lack those capitals,
# and a model cannot write an answer its vocabulary turns into UNK.

TOWNS = (
    "Alderwick", "Barrowmere", "Brackenford", "Caldmoor", "Carrowby", "Dunmarsh", "Eldhollow",
    "Emberwick", "Fallowmere", "Fennick", "Glenmarsh", "Greywater", "Harrowby", "Hollinford",
    "Ivelstow", "Kilnworth", "Larkhaven", "Lindenmoor", "Marrowdale", "Northwold", "Osterby",
    "Pellingham", "Sallowfield", "Ravensholt", "Redmarsh", "Saltcombe", "Selbrook", "Tarnwick",
    "Thistlewood", "Umberleigh", "Velmora", "Wexhollow", "Whitlow", "Yarrowby", "Brindle Vale",
    "Ashcombe", "Briarholt", "Coldwater Bay", "Drennick", "Elmstead", "Frostmere", "Gorsefield",
    "Hawksmere", "Kestrel Point", "Lowmarsh", "Millhaven", "Nettlecombe", "Oakwold",
    "Pinecrest", "Rookhaven",
)  # fmt: skip
RIVERS = tuple(
    f"{name} River"
    for name in (
        "Arlen", "Belka", "Corvin", "Daska", "Elvar", "Farrow", "Gessa", "Harl", "Isel", "Jorra",
        "Kelda", "Lunn", "Marrin", "Nessa", "Orla", "Pellin", "Sorrel", "Rusk", "Selva", "Tarrin",
        "Ulla", "Varn", "Wendle", "Yssel", "Tamsin",
    )
)  # fmt: skip
MOUNTAINS = tuple(
    f"Mount {name}"
    for name in (
        "Kessel", "Aravel", "Brunhold", "Corrag", "Dravik", "Eskar", "Fennoch", "Galdur",
        "Horrin", "Istrel", "Jarvok", "Korrim", "Lothar", "Morvane", "Nald", "Orrick", "Pyrrel",
        "Brask", "Rendal", "Sorrow", "Tavik", "Ulgar", "Vesk", "Wyrren",
    )
)  # fmt: skip
COUNTRIES = (
    "Ostria", "Valdoria", "Kethmark", "Lunesse", "Brevania", "Corvalia", "Drennland", "Esmereth",
    "Farrowland", "Galdoria", "Havrenia", "Istavia", "Jorvania", "Kessaly", "Lorvenia",
    "Marrovia", "Nordessa", "Orvalle", "Pellavia", "Soltmark", "Rusovia", "Selvany", "Tarvonia",
    "Ulmaria", "Velloria", "Yrsenia", "Caldessa",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Tomas", "Lena", "Marcus", "Ines", "Oskar", "Clara", "Hugo", "Maya", "Felix",
    "Nora", "Jonas", "Elena", "Victor", "Ruth", "Samuel", "Alma", "Leon", "Iris", "Daniel",
    "Vera", "Paul", "Greta", "Simon", "Lucia", "Henrik", "Mira", "Adrian", "Edith", "Milo",
)  # fmt: skip
SURNAMES = (
    "Vellis", "Korrin", "Brannock", "Castell", "Dorrance", "Elwin", "Farrand", "Gessner",
    "Holloway", "Ibsley", "Jessop", "Kavanagh", "Lindqvist", "Marlowe", "Nettles", "Okonkwo",
    "Pryce", "Pennock", "Rennick", "Stroud", "Tolland", "Urquhart", "Vance", "Whitcombe",
    "Yardley", "Harwood",
)  # fmt: skip
PEOPLE = tuple(f"{first} {last}" for first in FIRST_NAMES for last in SURNAMES)
COMPANIES = (
    "Brightloom", "Copperleaf", "Driftwell", "Emberline", "Foxglove Works", "Glasswing",
    "Harbourlight", "Ironbark", "Kettleby", "Lanternfield", "Moonrake", "Northgale",
    "Oakspire", "Pinewhistle", "Larkfeather", "Redfern Mills", "Saltmarsh", "Tidewell",
    "Umberfield", "Velvetine", "Willowby", "Yarrowfield", "Silverine", "Bellhaven",
)  # fmt: skip
PRODUCT_NAMES = (
    "Skylark", "Comet", "Pebble", "Nimbus", "Lantern", "Marble", "Orbit", "Falcon", "Tundra",
    "Meadow", "Harbor", "Beacon", "Sparrow", "Breeze", "Summit", "Willow",
)  # fmt: skip
PRODUCTS = tuple(f"{name} {number}" for name in PRODUCT_NAMES for number in range(2, 10))
# No vowel-initial words below: the templates say "a {color} {thing}", "a {job}".
THINGS = (
    "kettle", "bicycle", "lamp", "radio", "camera", "tent", "boat", "clock", "guitar",
    "scooter", "backpack", "heater", "telescope", "typewriter", "sewing machine", "toaster",
)  # fmt: skip
COLORS = (
    "red", "blue", "green", "yellow", "purple", "black", "white", "grey", "silver", "brown",
    "pink", "golden",
)  # fmt: skip
JOBS = (
    "baker", "carpenter", "teacher", "nurse", "pilot", "librarian", "fisher", "potter",
    "painter", "doctor", "farmer", "tailor", "gardener", "blacksmith", "chemist", "musician",
    "miner", "shepherd", "weaver", "clockmaker",
)  # fmt: skip
YEARS = tuple(str(year) for year in range(1650, 2000))
LENGTHS = tuple(f"{km} kilometres" for km in range(40, 1000, 7))
HEIGHTS = tuple(f"{m} metres" for m in range(900, 4900, 13))
POPULATIONS = tuple(str(n) for n in range(500, 95000, 37))

POOLS: dict[str, Sequence[str]] = {
    "town": TOWNS,
    "river": RIVERS,
    "mountain": MOUNTAINS,
    "country": COUNTRIES,
    "person": PEOPLE,
    "company": COMPANIES,
    "product": PRODUCTS,
    "thing": THINGS,
    "color": COLORS,
    "job": JOBS,
    "year": YEARS,
    "length": LENGTHS,
    "height": HEIGHTS,
    "population": POPULATIONS,
}


@dataclasses.dataclass(frozen=True)
class FactType:
    """A kind of fact: its fields (each drawn from the pool of the same name), the sentences
    that state it and the questions about it, each with the field that answers it."""

    name: str
    fields: tuple[str, ...]
    statements: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]


FACT_TYPES = (
    FactType(
        "town_river",
        ("town", "river"),
        ("{town} lies on the {river}.", "The town of {town} stands on the {river}."),
        (
            ("Which river does {town} lie on?", "river"),
            ("On which river is {town}?", "river"),
            ("Which town lies on the {river}?", "town"),
        ),
    ),
    FactType(
        "river_length",
        ("river", "length"),
        ("The {river} is {length} long.", "The {river} runs for {length}."),
        (
            ("How long is the {river}?", "length"),
            ("What is the length of the {river}?", "length"),
        ),
    ),
    FactType(
        "mountain",
        ("mountain", "height", "town"),
        ("{mountain} rises {height} above {town}.", "{mountain}, near {town}, is {height} high."),
        (
            ("How high is {mountain}?", "height"),
            ("What is the height of {mountain}?", "height"),
            ("Which town lies below {mountain}?", "town"),
            ("Which mountain rises above {town}?", "mountain"),
        ),
    ),
    FactType(
        "person_born",
        ("person", "town", "year"),
        ("{person} was born in {town} in {year}.", "In {year}, {person} was born in {town}."),
        (
            ("Where was {person} born?", "town"),
            ("In which town was {person} born?", "town"),
            ("When was {person} born?", "year"),
            ("In what year was {person} born?", "year"),
        ),
    ),
    FactType(
        "person_job",
        ("person", "job", "town"),
        ("{person} works as a {job} in {town}.", "In {town}, {person} works as a {job}."),
        (
            ("What does {person} do for a living?", "job"),
            ("What is the job of {person}?", "job"),
            ("Where does {person} work?", "town"),
            ("Who works as a {job} in {town}?", "person"),
        ),
    ),
    FactType(
        "company_founded",
        ("company", "person", "year"),
        ("{company} was founded by {person} in {year}.", "{person} founded {company} in {year}."),
        (
            ("Who founded {company}?", "person"),
            ("When was {company} founded?", "year"),
            ("In what year was {company} founded?", "year"),
            ("Which company did {person} found?", "company"),
        ),
    ),
    FactType(
        "product",
        ("product", "color", "thing", "company"),
        (
            "The {product} is a {color} {thing} made by {company}.",
            "{company} makes the {product}, a {color} {thing}.",
        ),
        (
            ("Who makes the {product}?", "company"),
            ("Which company makes the {product}?", "company"),
            ("What colour is the {product}?", "color"),
            ("What kind of product is the {product}?", "thing"),
        ),
    ),
    FactType(
        "capital",
        ("country", "town"),
        ("{town} is the capital of {country}.", "The capital of {country} is {town}."),
        (
            ("What is the capital of {country}?", "town"),
            ("Which country has {town} as its capital?", "country"),
            ("{town} is the capital of which country?", "country"),
        ),
    ),
    FactType(
        "population",
        ("town", "population"),
        ("About {population} people live in {town}.", "{town} has a population of {population}."),
        (
            ("How many people live in {town}?", "population"),
            ("What is the population of {town}?", "population"),
        ),
    ),
)

# A fact: its type and the value of each field, e.g. ("capital", (("country", "Ostria"), ...)).
Fact = tuple[str, tuple[tuple[str, str], ...]]


# --- generation -----------------------------------------------------------------------------


def _draw(rng: random.Random, pool: str, used: set[str]) -> str:
    """A value of `pool` not used yet in this context (in any field: a year cannot also be a
    population), so the answer is the only occurrence of its text as a whole phrase."""
    values = POOLS[pool]
    while True:
        value = values[rng.randrange(len(values))]
        if value not in used:
            used.add(value)
            return value


def _render(template: str, values: dict[str, str], answer_field: str) -> tuple[str, int]:
    """The sentence, and where `answer_field`'s value starts in it (found by a placeholder,
    so an earlier occurrence of the same text cannot be mistaken for it)."""
    marked = template.format(**{**values, answer_field: "\0"})
    sentence = template.format(**values)
    return sentence, marked.index("\0")


def make_example(rng: random.Random) -> tuple[dict, list[Fact]]:
    """One example (SQuAD's fields, without `id`) and the facts its context states."""
    used: set[str] = set()
    count = FACTS_PER_CONTEXT[rng.randrange(len(FACTS_PER_CONTEXT))]
    kinds = [FACT_TYPES[rng.randrange(len(FACT_TYPES))] for _ in range(count)]
    facts = [{field: _draw(rng, field, used) for field in kind.fields} for kind in kinds]
    asked = rng.randrange(count)
    question_template, answer_field = rng.choice(kinds[asked].questions)
    sentences, start = [], 0
    for i, (kind, values) in enumerate(zip(kinds, facts, strict=True)):
        template = rng.choice(kind.statements)
        if i == asked:
            sentence, offset = _render(template, values, answer_field)
            answer_start = start + offset
        else:
            sentence = template.format(**values)
        sentences.append(sentence)
        start += len(sentence) + 1  # the joining space
    answer = facts[asked][answer_field]
    example = {
        "context": " ".join(sentences),
        "question": question_template.format(**facts[asked]),
        "answers": {"text": [answer], "answer_start": [answer_start]},
    }
    stated = [
        (kind.name, tuple(sorted(values.items())))
        for kind, values in zip(kinds, facts, strict=True)
    ]
    return example, stated


def generate() -> dict[str, list[dict]]:
    """Both splits, deterministically: unique (context, question) pairs within a split, and no
    validation example states a fact that any train example states."""
    out: dict[str, list[dict]] = {}
    train_facts: set[Fact] = set()
    for split in SPLITS:
        rng = random.Random(SPLIT_SEEDS[split])
        rows: list[dict] = []
        seen: set[tuple[str, str]] = set()
        while len(rows) < SPLIT_SIZES[split]:
            example, facts = make_example(rng)
            key = (example["context"], example["question"])
            if key in seen or (split != "train" and train_facts.intersection(facts)):
                continue
            seen.add(key)
            if split == "train":
                train_facts.update(facts)
            rows.append({"id": f"{TASK_NAME}-{split}-{len(rows):05d}", **example})
        out[split] = rows
    return out


def encode_split(rows: Sequence[dict]) -> bytes:
    """JSON lines, gzip'd with mtime 0 and no file name, so the bytes depend on the rows only.

    `GzipFile` writes the header itself (OS byte 255 everywhere); `gzip.compress` leaves it to
    zlib, which writes the platform's code (3 on Unix, 19 on macOS).
    """
    text = "".join(json.dumps(row, ensure_ascii=True) + "\n" for row in rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as f:
        f.write(text.encode("ascii"))
    return buffer.getvalue()


def write_data(output_dir: str) -> dict[str, str]:
    """Write both splits under `output_dir`; returns split -> path."""
    os.makedirs(output_dir, exist_ok=True)
    paths = {}
    for split, rows in generate().items():
        paths[split] = os.path.join(output_dir, file_name(split))
        with open(paths[split], "wb") as f:
            f.write(encode_split(rows))
    return paths


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.make_qa_sample",
        description="Write the bundled sample_qa data (deterministic: same bytes every run).",
    )
    parser.add_argument("--output", default=DATA_DIR, help="directory (default: %(default)s)")
    args = parser.parse_args(argv)
    for split, path in write_data(args.output).items():
        print(f"{split}: {SPLIT_SIZES[split]} examples -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
