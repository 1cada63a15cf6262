"""The C4 variants (TFDS BuilderConfigs, docs/C4.md §8) as presets.

`en.noblocklist` is not a TFDS config: it is AllenAI's `en` with the badwords filter off.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    clean: bool  # clean_page heuristics
    dedupe: bool  # global line dedup (min 3 sentences after it when clean, else none)
    badwords_fraction: float  # 0: no badwords filter; 1.0: drop every matching page
    realnewslike: bool = False
    # AllenAI's JSON layout: (train shards, validation shards).
    json_shards: tuple[int, int] = (1024, 8)


VARIANTS = {
    v.name: v
    for v in (
        Variant("en", clean=True, dedupe=True, badwords_fraction=1.0),
        Variant(
            "en.noclean", clean=False, dedupe=False, badwords_fraction=0.0, json_shards=(7168, 64)
        ),
        Variant("en.noblocklist", clean=True, dedupe=True, badwords_fraction=0.0),
        Variant(
            "realnewslike",
            clean=True,
            dedupe=True,
            badwords_fraction=1.0,
            realnewslike=True,
            json_shards=(512, 1),
        ),
    )
}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose one of: {', '.join(VARIANTS)}") from None
