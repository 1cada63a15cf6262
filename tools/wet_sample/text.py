"""Filling the sample's templates: `{slot}`s from the topic's words and the shared pools."""

from __future__ import annotations

import random

from tools.wet_sample.tables import (
    COUNTIES,
    FIRST_NAMES,
    MONTHS,
    ORDINALS,
    PLACE_ENDS,
    PLACE_STARTS,
    SEASONS,
    SMALL,
    SURNAMES,
    WEEKDAYS,
    WIKI_POOLS,
)
from tools.wet_sample.topics import Topic


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


def title_case(text: str) -> str:
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
    return title_case(text) if title else text
