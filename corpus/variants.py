"""The C4 variants (TFDS BuilderConfigs, docs/C4.md §8) as presets.

`en.noblocklist` is not a TFDS config: it is AllenAI's `en` with the badwords filter off.
`multilingual` (mC4) has no fixed badwords fraction: it is the version's (3.1.0: 0.999 soft,
3.0.1: 1.0 hard; `versions.VersionRules.mc4_badwords_fraction`), and did not exist in 2.2.0.
"""

from __future__ import annotations

import dataclasses

from c4forge.corpus import mc4


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    clean: bool  # clean_page heuristics
    dedupe: bool  # global line dedup (min 3 sentences after it when clean, else none)
    badwords_fraction: float  # 0: no badwords filter; 1.0: drop every matching page
    realnewslike: bool = False
    webtextlike: bool = False  # joined with OpenWebText's URLs after URL dedup
    multilingual: bool = False  # paragraph filter, CLD3 over mC4's languages, per-language splits
    # AllenAI's JSON layout: (train shards, validation shards).
    json_shards: tuple[int, int] = (1024, 8)

    @property
    def paragraph_filter(self) -> bool:
        return self.multilingual

    def crawls(self, version: str) -> tuple[str, ...]:
        """The Common Crawl dumps the reference config reads (`cc_versions`) in `version`."""
        if self.multilingual:
            return mc4.ALL_CC_VERSIONS if version == "3.1.0" else mc4.ALL_CC_VERSIONS_V301
        if self.webtextlike:
            return mc4.OPENWEBTEXT_CC_VERSIONS
        return (mc4.DEFAULT_CC_VERSION,)


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
        Variant("webtextlike", clean=True, dedupe=True, badwords_fraction=1.0, webtextlike=True),
        Variant("multilingual", clean=False, dedupe=True, badwords_fraction=0.0, multilingual=True),
    )
}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose one of: {', '.join(VARIANTS)}") from None
