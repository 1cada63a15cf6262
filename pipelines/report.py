"""The end-of-build report: every counter, a readable funnel, and a PNG of it.

The funnel text also lists what the build damaged, skipped or retried (WET damage of
`corpus.wet`, unreadable files, download retries) whenever any of it happened.

Written next to the output as `stats.json` (with the resolved config) and `funnel.png`.
"""

from __future__ import annotations

import io
import json

from c4forge.corpus import versions

# (label, namespace, name) in stage order; names are 3.1.0's, renamed per version.
PAGE_STAGES = (
    ("read from WET", versions.SPLIT_WET, "passed"),
    ("length <= 190k chars", versions.TOO_LONG, "passed"),
    ("RealNews domain", versions.REALNEWS, "passed"),
    ("unique URL", versions.URL_DEDUP, "passed"),
    ("clean_page", versions.CLEAN, "passed"),
    ("line dedup", versions.LINE_DEDUP, "passed"),
    ("English (langdetect)", versions.ENGLISH, "passed"),
    ("no badwords", versions.BADWORDS, "passed"),
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


def collect_counters(result) -> dict[str, dict[str, int]]:
    """namespace -> name -> value from a finished Beam result."""
    counters: dict[str, dict[str, int]] = {}
    for c in result.metrics().query()["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        ns = counters.setdefault(c.key.metric.namespace, {})
        ns[c.key.metric.name] = ns.get(c.key.metric.name, 0) + int(value or 0)
    return {ns: dict(sorted(names.items())) for ns, names in sorted(counters.items())}


def funnel(counters: dict, version: versions.C4Version) -> list[tuple[str, int]]:
    """(stage label, pages after it) for the stages this build ran."""
    rows = []
    for label, ns, name in PAGE_STAGES:
        key = versions.counter_key(version, ns, name)
        if key is None or key[0] not in counters:
            continue
        value = counters[key[0]].get(key[1], 0)
        if ns == versions.BADWORDS:
            value += counters[key[0]].get("soft-passed", 0)
        rows.append((label, value))
    for split in ("train", "validation"):
        rows.append((f"{split} examples", counters.get(split, {}).get("examples", 0)))
    return rows


def funnel_text(rows: list[tuple[str, int]], counters: dict) -> str:
    first = rows[0][1] if rows and rows[0][1] else 0
    lines = ["C4 funnel (pages)"]
    for label, value in rows:
        share = f"{100.0 * value / first:6.2f}%" if first else "      -"
        lines.append(f"  {label:<24} {value:>12,} {share}")
    for ns in (versions.CLEAN, versions.LINE_DEDUP):
        names = counters.get(ns)
        if not names:
            continue
        lines.append(f"{ns} (lines and pages)")
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


def plot_png(rows: list[tuple[str, int]]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    bars = ax.barh(labels, values, color="#4C72B0")
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8)
    ax.set_xlabel("pages")
    ax.set_title("C4 build funnel")
    ax.margins(x=0.15)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _write(path: str, data: bytes) -> None:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(data)


def write_report(result, settings, locations, argv, plot: bool = True) -> dict:
    counters = collect_counters(result)
    rows = funnel(counters, settings.rules.version)
    text = funnel_text(rows, counters)
    stats = {
        "c4_version": settings.rules.version.value,
        "config": settings.variant.name,
        "format": settings.format,
        "num_shards": list(settings.num_shards),
        "argv": argv,
        "input_files": len(locations),
        "badwords_count": len(settings.badwords or []),
        "funnel": [{"stage": label, "pages": value} for label, value in rows],
        "counters": counters,
    }
    _write(f"{settings.output}/stats.json", json.dumps(stats, indent=2).encode())
    _write(f"{settings.output}/funnel.txt", (text + "\n").encode())
    if plot:
        _write(f"{settings.output}/funnel.png", plot_png(rows))
    return {**stats, "funnel_text": text}
