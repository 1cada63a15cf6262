"""The end-of-build report: every counter, a readable funnel, and PNGs of it.

The funnel follows the reference stage order (docs/C4.md §2) and shows the stages the build ran;
its split rows are `train`/`validation` for the English configs and one row summed over every
`<lang>`/`<lang>-validation` split for mC4. The funnel text also lists what the build damaged,
skipped or retried (WET damage of `corpus.wet`, unreadable files, download retries) whenever any
of it happened, and, for mC4, a per-language table.

Counters in namespaces starting with `c4forge-` are this project's measurements (characters per
split), not reference counters (docs/C4.md §10): they go to `measures`, so that `counters` holds
exactly what the reference would count.

Written next to the output: `stats.json` (with the resolved config), `funnel.txt`,
`funnel.png`, and for mC4 `languages.png`.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Sequence

from c4forge.corpus import mc4, versions
from c4forge.corpus.layout import language_splits

# Our own measurement counters (not the reference's): namespaces with this prefix are kept out
# of `counters` and reported under `measures`.
MEASURE_PREFIX = "c4forge-"
SPLIT_CHARS = "c4forge-split-chars"  # split -> code points of the texts written to it
SELECTION = "c4forge-languages"  # pages CLD3 gave a language that --languages left out


# (label, namespace, name) in stage order; names are 3.1.0's, renamed per version. A stage is
# shown when its namespace was counted, so one build shows one of the two language stages.
PAGE_STAGES = (
    ("read from WET", versions.SPLIT_WET, "passed"),
    ("length <= 190k chars", versions.TOO_LONG, "passed"),
    ("RealNews domain", versions.REALNEWS, "passed"),
    ("unique URL", versions.URL_DEDUP, "passed"),
    ("WebText-like URL", versions.WEBTEXTLIKE, "passed"),
    ("paragraph filter", versions.PARAGRAPHS, "passed"),
    ("clean_page", versions.CLEAN, "passed"),
    ("line dedup", versions.LINE_DEDUP, "passed"),
    ("English (langdetect)", versions.ENGLISH, "passed"),
    ("language ID (CLD3)", versions.LANGUAGE, "passed"),
    ("no badwords", versions.BADWORDS, "passed"),
    ("not a near duplicate", versions.NEAR_DEDUP, "passed"),
    ("no eval n-grams", versions.DECONTAMINATION, "passed"),
)

# What a build damaged, skipped or retried: (namespace, name), shown when non-zero.
DAMAGE_COUNTERS = (
    (versions.SPLIT_WET, "corrupt-gzip-member"),
    (versions.SPLIT_WET, "truncated-gzip"),
    (versions.SPLIT_WET, "invalid-utf8-line"),
    (versions.SPLIT_WET, "line-too-long"),
    (versions.SPLIT_WET, "filtered:damaged_record"),
    (versions.SPLIT_WET, "unreadable-file"),
    (versions.DOWNLOAD, "retried"),
    (versions.DOWNLOAD, "download-failed"),
)

TOP_LANGUAGES = 20  # rows of the per-language table in the funnel text


def collect_counters(result) -> dict[str, dict[str, int]]:
    """namespace -> name -> value from a finished Beam result."""
    counters: dict[str, dict[str, int]] = {}
    for c in result.metrics().query()["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        ns = counters.setdefault(c.key.metric.namespace, {})
        ns[c.key.metric.name] = ns.get(c.key.metric.name, 0) + int(value or 0)
    return {ns: dict(sorted(names.items())) for ns, names in sorted(counters.items())}


def collect_distributions(result) -> dict[str, dict[str, dict[str, int]]]:
    """namespace -> name -> {count, sum, min, max} of a finished Beam result's distributions."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for d in result.metrics().query()["distributions"]:
        value = d.committed if d.committed is not None else d.attempted
        if value is None or not value.count:
            continue
        names = out.setdefault(d.key.metric.namespace, {})
        names[d.key.metric.name] = {
            "count": value.count, "sum": value.sum, "min": value.min, "max": value.max
        }  # fmt: skip
    return out


def separate_measures(counters: dict) -> tuple[dict, dict]:
    """(reference counters, our measures): namespaces starting with `c4forge-` are measures."""
    reference = {ns: names for ns, names in counters.items() if not ns.startswith(MEASURE_PREFIX)}
    measures = {ns: names for ns, names in counters.items() if ns.startswith(MEASURE_PREFIX)}
    return reference, measures


def _examples(counters: dict, split: str) -> int:
    return counters.get(split, {}).get("examples", 0)


def funnel(
    counters: dict,
    version: versions.C4Version,
    languages: Sequence[str] | None = None,
    measures: dict | None = None,
) -> list[tuple[str, int]]:
    """(stage label, pages after it) for the stages this build ran, then the split rows.

    `languages` are the mC4 codes built (None for the English configs): their splits are summed
    into one row instead of the `train`/`validation` rows. `measures`: ours; a `--languages`
    build adds the row of the pages its languages kept after CLD3."""
    rows = []
    unselected = (measures or {}).get(SELECTION, {}).get("filtered:not_selected")
    for label, ns, name in PAGE_STAGES:
        key = versions.counter_key(version, ns, name)
        if key is None or key[0] not in counters:
            continue
        value = counters[key[0]].get(key[1], 0)
        if ns == versions.BADWORDS:  # soft-passed pages matched a badword and were kept
            value += counters[key[0]].get("soft-passed", 0)
        rows.append((label, value))
        if ns == versions.LANGUAGE and unselected is not None:
            rows.append(("in --languages", value - unselected))
    if languages is None:
        for split in ("train", "validation"):
            rows.append((f"{split} examples", _examples(counters, split)))
    else:
        splits = language_splits(languages)
        rows.append(("examples (all splits)", sum(_examples(counters, s) for s in splits)))
    return rows


def language_table(counters: dict, measures: dict, languages: Sequence[str]) -> list[dict]:
    """One row per built language, most pages first (ties by code), languages with none too.

    pages = train + validation examples; characters = code points written to both splits;
    share = pages / pages of all languages (0 when the build kept nothing)."""
    chars = measures.get(SPLIT_CHARS, {})
    rows = []
    for lang in languages:
        train, validation = language_splits([lang])
        rows.append(
            {
                "language": lang,
                "pages": _examples(counters, train) + _examples(counters, validation),
                "validation": _examples(counters, validation),
                "characters": chars.get(train, 0) + chars.get(validation, 0),
            }
        )
    total = sum(r["pages"] for r in rows)
    for r in rows:
        r["share"] = r["pages"] / total if total else 0.0
    return sorted(rows, key=lambda r: (-r["pages"], r["language"]))


def funnel_text(rows: list[tuple[str, int]], counters: dict) -> str:
    first = rows[0][1] if rows and rows[0][1] else 0
    lines = ["C4 funnel (pages)"]
    for label, value in rows:
        share = f"{100.0 * value / first:6.2f}%" if first else "      -"
        lines.append(f"  {label:<24} {value:>12,} {share}")
    for ns, what in (
        (versions.CLEAN, "lines and pages"),
        (versions.LINE_DEDUP, "lines and pages"),
        (versions.NEAR_DEDUP, "pages, pairs and clusters"),
    ):
        names = counters.get(ns)
        if not names:
            continue
        lines.append(f"{ns} ({what})")
        lines.extend(f"  {name:<36} {value:>12,}" for name, value in names.items())
    damage = [
        (f"{ns}/{name}", counters[ns][name])
        for ns, name in DAMAGE_COUNTERS
        if counters.get(ns, {}).get(name)
    ]
    if damage:
        lines.append("damaged, skipped or retried inputs")
        lines.extend(f"  {label:<36} {value:>12,}" for label, value in damage)
    return "\n".join(lines)


def languages_text(table: list[dict], counters: dict, top: int = TOP_LANGUAGES) -> str:
    """The per-language block of the funnel text: why CLD3 dropped pages, the top languages."""
    built = [r["language"] for r in table]
    lines = [f"mC4 languages: {len(built)} built"]
    if len(set(built)) < len(mc4.MC4_CODES):
        lines.append(
            f"  --languages restricted the build to {len(set(built))} of the "
            f"{len(mc4.MC4_CODES)} mC4 languages ({len(mc4.MC4_LANGUAGES)} + und)"
        )
    dropped = {
        name: value
        for name, value in counters.get(versions.LANGUAGE, {}).items()
        if name.startswith("filtered:")
    }
    lines.extend(f"  {versions.LANGUAGE}/{name:<30} {v:>12,}" for name, v in dropped.items())
    lines.append(
        f"  {'language':<10} {'pages':>12} {'validation':>11} {'characters':>15} {'share':>8}"
    )
    lines.extend(
        f"  {r['language']:<10} {r['pages']:>12,} {r['validation']:>11,} "
        f"{r['characters']:>15,} {100.0 * r['share']:7.2f}%"
        for r in table[:top]
    )
    rest = table[top:]
    if rest:
        pages = sum(r["pages"] for r in rest)
        lines.append(f"  ... {len(rest)} more languages, {pages:,} pages")
    empty = [r["language"] for r in table if not r["pages"]]
    if empty:
        lines.append(f"  no pages: {', '.join(sorted(empty))}")
    return "\n".join(lines)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _pyplot()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def plot_png(rows: list[tuple[str, int]]) -> bytes:
    plt = _pyplot()
    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    bars = ax.barh(labels, values, color="#4C72B0")
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8)
    ax.set_xlabel("pages")
    ax.set_title("C4 build funnel")
    ax.margins(x=0.15)
    return _png(fig)


def plot_languages_png(table: list[dict]) -> bytes:
    """Horizontal bars of pages per language, most on top; one bar row per language, so the
    figure grows with the count (108 languages stay readable). The x axis is logarithmic when
    the languages with pages differ by more than 100x (mC4 spans ~5 orders of magnitude)."""
    plt = _pyplot()
    labels = [r["language"] for r in table][::-1]
    values = [r["pages"] for r in table][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.18 * len(table) + 1.4))
    bars = ax.barh(labels, values, height=0.7, color="#4C72B0")
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=6)
    positive = [v for v in values if v > 0]
    if positive and max(positive) > 100 * min(positive):
        ax.set_xscale("log")  # zero-page bars vanish; the text lists those languages
        ax.set_xlim(left=0.5, right=max(positive) * 20)  # room for the labels
    else:
        ax.margins(x=0.15)
        ax.xaxis.set_major_formatter("{x:,.0f}")  # no "1e6" offset
    ax.set_ylim(-0.6, len(table) - 0.4)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("pages (train + validation)")
    ax.set_title(f"mC4 pages per language ({len(table)} languages)")
    return _png(fig)


def _write(path: str, data: bytes) -> None:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(data)


def write_report(result, settings, plan, argv, plot: bool = True) -> dict:
    """Writes stats.json, funnel.txt and the PNGs; `plan`: the build's `inputs.InputPlan`."""
    counters, measures = separate_measures(collect_counters(result))
    languages = settings.languages
    rows = funnel(counters, settings.rules.version, languages, measures)
    text = funnel_text(rows, counters)
    stats = {
        "c4_version": settings.rules.version.value,
        "config": settings.variant.name,
        "format": settings.format,
        "num_shards": list(settings.num_shards),
        "argv": argv,
        "input_files": len(plan.files),  # WET files named on the launcher
        "input_manifests": len(plan.manifests),  # manifests the workers read
        "badwords_count": sum(len(words) for words in (settings.badwords or {}).values()),
        # How the dedup shuffles were laid out (line-dedup groups; groupings per local split).
        "shuffle_partitions": settings.shuffle_partitions,
        "local_splits": settings.local_splits,
        "funnel": [{"stage": label, "pages": value} for label, value in rows],
        "counters": counters,
        "measures": measures,
    }
    if settings.near_dedup is not None:
        from c4forge.corpus.minhash import DEFAULT_CLUSTER_ROUNDS

        sizes = collect_distributions(result).get(versions.NEAR_DEDUP, {}).get("cluster_size")
        stats["near_dedup"] = {
            **dataclasses.asdict(settings.near_dedup),
            "cluster_rounds": settings.near_dedup_rounds or DEFAULT_CLUSTER_ROUNDS,
            "largest_cluster": sizes["max"] if sizes else 0,
        }
        text += (
            f"\nlargest near-duplicate cluster: {stats['near_dedup']['largest_cluster']:,} pages"
        )
    if settings.decontamination is not None:
        from c4forge.pipelines.decontamination import REPORT_NAME

        stats["decontamination"] = {
            **dataclasses.asdict(settings.decontamination),
            "report": REPORT_NAME,
            "tasks": sorted(settings.decontamination_summary or {}),
        }
    table = None
    if languages is not None:
        table = language_table(counters, measures, languages)
        stats["languages"] = list(languages)
        stats["language_table"] = table
        text += "\n" + languages_text(table, counters)
    _write(f"{settings.output}/stats.json", json.dumps(stats, indent=2).encode())
    _write(f"{settings.output}/funnel.txt", (text + "\n").encode())
    if plot:
        _write(f"{settings.output}/funnel.png", plot_png(rows))
        if table is not None:
            _write(f"{settings.output}/languages.png", plot_languages_png(table))
    return {**stats, "funnel_text": text}
