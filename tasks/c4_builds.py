"""What a `c4forge corpus build` directory holds: English C4's two splits, or mC4's languages.

English configs (en, en.noclean, realnewslike, ...) write the splits `train` and `validation`.
`multilingual` (mC4, docs/C4.md §8-§9) writes, for every language code L it built (one of
`corpus.mc4.MC4_LANGUAGES`, or `und`), a train split named `L` and a validation split named
`L-validation`, as `c4-{split}.tfrecord-00000-of-00008` (--format tfrecord) or AllenAI's
`c4-{split}.tfrecord-00000-of-00008.json.gz` (--format json). Its stats.json says
"config": "multilingual" and lists the codes built under "languages"; a directory without a
readable stats.json is recognised by its file names alone.

mT5 (Xue et al. 2021, §2) samples language i with probability p(L_i) ∝ n_i^α, n_i its number
of examples, α = 0.3: `language_rates`. The catalog's mC4 mixture and `c4forge vocab train`'s
per-language shares both use it.

Pure: the callers list the files and read stats.json (tf.io.gfile for the catalog, Beam's
FileSystems for the vocabulary job) and pass what they found here.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Iterable, Mapping

from c4forge.corpus.mc4 import MC4_CODES

MULTILINGUAL = "multilingual"
DEFAULT_LANGUAGE_ALPHA = 0.3  # mT5's α

# A shard file's name (`corpus.layout`): its split, and whether it is mC4's JSON.
_SHARD_NAME = re.compile(r"^c4-(?P<split>.+)\.tfrecord-\d{5}-of-\d{5}(?P<json>\.json\.gz)?$")


@dataclasses.dataclass(frozen=True)
class C4Build:
    """A build directory's shape. `languages` is empty for an English build; `version` and
    `config` are stats.json's "c4_version" and "config" (None without them); `counts` maps each
    split to its examples (None without stats.json's counters: nothing is known of sizes)."""

    multilingual: bool
    languages: tuple[str, ...] = ()
    version: str | None = None
    counts: Mapping[str, int] | None = None
    config: str | None = None  # stats.json's "config" (None without one)

    def examples(self, split: str) -> int | None:
        """Examples in `split` (0 for a split the counters never saw; None without counters)."""
        return None if self.counts is None else int(self.counts.get(split, 0))


def task_language(language: str) -> str:
    """A language code as it appears in task names: `zh-Latn` -> `zh_latn`."""
    return language.replace("-", "_").lower()


def language_rates(sizes: Mapping[str, int], alpha: float) -> dict[str, float]:
    """mT5's relative sampling rates n ** alpha, leaving out what has no examples."""
    check_alpha(alpha)
    return {name: float(n) ** alpha for name, n in sizes.items() if n > 0}


def check_alpha(alpha: float) -> None:
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"the language sampling exponent must be >= 0, got {alpha}")


def splits_in(file_names: Iterable[str], fmt: str = "tfrecord") -> dict[str, list[str]]:
    """split -> its shard names among `file_names` (paths or base names), sorted."""
    found: dict[str, list[str]] = {}
    for path in file_names:
        match = _SHARD_NAME.match(path.rsplit("/", 1)[-1])
        if match and bool(match["json"]) == (fmt == "json"):
            found.setdefault(match["split"], []).append(path)
    return {split: sorted(paths) for split, paths in found.items()}


def split_of_file(path: str) -> str | None:
    """The split a shard (or shard pattern) belongs to: `.../c4-sw.tfrecord-00000-of-00008`
    -> `sw` (None for other names)."""
    name = path.rsplit("/", 1)[-1].replace("?????", "00000")
    match = _SHARD_NAME.match(name)
    return match["split"] if match else None


def read_build(stats: Mapping | None, present: Collection[str]) -> C4Build:
    """The build that `stats` (stats.json's content, None if unreadable) and the split names
    `present` among its files describe.

    Multilingual if stats.json says so, or, without a stats.json config, if it holds no `train`
    split but some language's; the languages are stats.json's list, else the known codes among
    the files (in `corpus.mc4.MC4_CODES` order)."""
    stats = stats if isinstance(stats, Mapping) else {}
    config = stats.get("config")
    listed = stats.get("languages")
    counts = _counts(stats.get("counters"))
    version = stats.get("c4_version") if isinstance(stats.get("c4_version"), str) else None
    from_files = tuple(code for code in MC4_CODES if code in present)
    if config is None:
        multilingual = "train" not in present and bool(from_files)
    else:
        multilingual = config == MULTILINGUAL
    if not isinstance(config, str):
        config = None
    if not multilingual:
        return C4Build(multilingual=False, version=version, counts=counts, config=config)
    if isinstance(listed, list) and all(isinstance(code, str) for code in listed):
        languages = tuple(listed)
    else:
        languages = from_files
    return C4Build(
        multilingual=True, languages=languages, version=version, counts=counts, config=config
    )


def _counts(counters) -> dict[str, int] | None:
    """split -> examples from stats.json's "counters" (None if it has none)."""
    if not isinstance(counters, Mapping):
        return None
    return {
        split: int(values["examples"])
        for split, values in counters.items()
        if isinstance(values, Mapping) and "examples" in values
    }
