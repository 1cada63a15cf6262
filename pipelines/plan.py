"""What a build will cost, before it runs (issue 15 part 6): `c4forge corpus plan`, and
`c4forge corpus build ... --dry_run=True`.

For the given inputs, config and runner: the WET files and their size, the CPU-hours at the
config's measured rate, the shuffle volume, a Dataflow worker count for a target wall time, and
the formula that prices it. No page body is read: local files are sized with `os.stat`, local
manifests are read (they are lists of paths), and what is not reachable offline (gs://, s3://,
https:// files; remote manifests; `--crawl`) is sized with Common Crawl's published averages.

    text bytes     = sum of file sizes, gzipped ones x TEXT_PER_GZ_BYTE
    CPU-hours      = text MB / RATES[config].text_mb_per_cpu_s / 3600
    shuffle bytes  = text bytes x RATES[config].shuffle_bytes_per_text_byte
    worker-hours   = CPU-hours / (vCPUs per worker x WORKER_CPU_EFFICIENCY)
    workers        = ceil(worker-hours / target hours)
    price          = vCPU-hours x P_vcpu + memory GB-hours x P_mem + shuffle GB x P_shuffle
                     + disk GB-hours x P_disk            (vCPU-hours = worker-hours x vCPUs)

The rates are in one table, `RATES`, below.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import zlib

from c4forge.pipelines import inputs


@dataclasses.dataclass(frozen=True)
class MeasuredRate:
    """One config's cost per byte of WET text (gunzipped), end to end on the DirectRunner."""

    text_mb_per_cpu_s: float  # MB (10^6 bytes) of WET text per CPU-second, all processes
    shuffle_bytes_per_text_byte: float  # bytes through shuffles per byte of WET text
    # The read stage's share of the build's processing wall time (progress's time left).
    read_share: float


# ============================================================================================
# THE MEASURED RATES: the one table to update.
# Source: `bench/bench_beam.py` (BENCHMARKS.md "The Beam job at crawl scale"): C4 `en` 3.1.0 on
# 298 MB of crawl_sample text, default runner (DirectRunner, multi-processing, 2 cores), run of
# 2026-12-06: 46.8 CPU-s with workers = 6.37 MB/CPU-s; 294.3 MB through shuffles = 0.99 bytes
# per text byte. Only `en` is measured end to end: the other English configs take its figures,
# mC4 the rate of `bench/bench_mc4.py`'s Beam pipeline (5.15 MB/CPU-s, in-memory runner) and
# en's shuffle ratio. read_share: the read stage's wall time over the processing time, on a
# 40 MB crawl_sample (8 files, 2 cores): en 0.085-0.134, en.noclean 0.21, multilingual 0.10.
RATES: dict[str, MeasuredRate] = {
    "en": MeasuredRate(6.37, 0.99, 0.11),
    "en.noblocklist": MeasuredRate(6.37, 0.99, 0.11),
    "realnewslike": MeasuredRate(6.37, 0.99, 0.11),
    "webtextlike": MeasuredRate(6.37, 0.99, 0.11),
    "en.noclean": MeasuredRate(6.37, 0.99, 0.21),
    "multilingual": MeasuredRate(5.15, 0.99, 0.10),
}
RATES_SOURCE = "en measured by bench/bench_beam.py (BENCHMARKS.md); other configs take en's"
# ============================================================================================

# Inputs not reachable offline. Common Crawl CC-MAIN-2019-09 (docs/C4.md §12): 64,000 WET
# files, 7.62 TiB of gzipped WET (2019-18, C4's crawl, is about the same size).
WET_FILES_PER_CRAWL = 64_000
WET_GZ_BYTES_PER_CRAWL = 7.62 * 2**40
AVG_WET_GZ_BYTES = WET_GZ_BYTES_PER_CRAWL / WET_FILES_PER_CRAWL  # ~131 MB
# WET text per gzipped byte: 300 MB of text in 143.7 MB gzipped (BENCHMARKS.md "The Beam job at
# crawl scale": real CC-MAIN-2019-30 pages, one gzip member per record as Common Crawl ships).
TEXT_PER_GZ_BYTE = 300 / 143.7

# Dataflow. Its default machine type for batch jobs; the share of a worker's vCPUs kept busy
# (start-up, shuffle waits, stragglers: an assumption until measured on Dataflow); the boot
# disk of a batch worker with Dataflow Shuffle (the default), 25 GB.
DATAFLOW_DEFAULT_MACHINE = "n1-standard-1"
WORKER_CPU_EFFICIENCY = 0.8
WORKER_DISK_GB = 25
DEFAULT_TARGET_HOURS = 4.0
# EXAMPLE prices: Dataflow batch list prices in us-central1 as published in 2024 (USD), before
# discounts. Check your region's at https://cloud.google.com/dataflow/pricing.
EXAMPLE_PRICES = {
    "vcpu_hour": 0.056,
    "memory_gb_hour": 0.003557,
    "shuffle_gb": 0.011,
    "disk_gb_hour": 0.000054,  # standard persistent disk, $0.040 per GB-month
}
PRICE_FORMULA = (
    "vCPU-h x P_vcpu + memory GB-h x P_mem + shuffle GB x P_shuffle + disk GB-h x P_disk"
)

# Memory per vCPU (GB) of the Compute Engine families a Dataflow worker commonly uses.
_GB_PER_VCPU = {
    ("n1", "standard"): 3.75,
    ("n1", "highmem"): 6.5,
    ("n1", "highcpu"): 0.9,
    **{(f, "standard"): 4.0 for f in ("n2", "n2d", "e2", "c2", "c2d")},
    **{(f, "highmem"): 8.0 for f in ("n2", "n2d", "e2", "c2d")},
    **{(f, "highcpu"): 1.0 for f in ("n2", "n2d", "e2", "c2d")},
}
_MACHINE_RE = re.compile(r"^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$")


def machine_shape(machine_type: str) -> tuple[int, float]:
    """(vCPUs, memory GB) of a machine type such as n1-standard-2; ValueError if unknown."""
    match = _MACHINE_RE.match(machine_type)
    gb_per_vcpu = _GB_PER_VCPU.get(match.group(1, 2)) if match else None
    if gb_per_vcpu is None:
        families = sorted({family for family, _ in _GB_PER_VCPU})
        raise ValueError(
            f"unknown worker machine type {machine_type!r}: the plan knows "
            f"{'/'.join(families)}-{{standard,highmem,highcpu}}-N"
        )
    vcpus = int(match.group(3))
    return vcpus, vcpus * gb_per_vcpu


# --------------------------------------------------------------------------------------------
# Inputs


@dataclasses.dataclass(frozen=True)
class InputSize:
    """The WET files a build reads: how many and how big, and how much of it is estimated."""

    files: int
    stored_bytes: int  # as stored and downloaded (gzipped WET mostly)
    text_bytes: int  # gunzipped: what the rates are per
    sized_files: int  # files sized by os.stat; the others are Common Crawl averages
    notes: tuple[str, ...] = ()


def _is_gzip(location: str) -> bool:
    return location.split("?", 1)[0].endswith(".gz")


def _file_size(location: str) -> tuple[int, int] | None:
    """(stored, text) bytes of a local file from its size alone; None if not local or absent."""
    if inputs.has_scheme(location):
        return None
    try:
        size = os.stat(location).st_size
    except OSError:
        return None
    return size, round(size * TEXT_PER_GZ_BYTE) if _is_gzip(location) else size


def _average_size(location: str) -> tuple[int, int]:
    text = round(AVG_WET_GZ_BYTES * TEXT_PER_GZ_BYTE)
    return (round(AVG_WET_GZ_BYTES), text) if _is_gzip(location) else (text, text)


def offline_input_plan(
    given: list[str], crawls: list[str], cc_base_url: str = inputs.CC_BASE_URL
) -> inputs.InputPlan:
    """`inputs.plan_inputs` without the network: local paths and globs are matched, a remote
    path (gs://, s3://, http(s)://) that is no glob is taken as one file or manifest unopened;
    a remote glob is matched by Beam (which may need credentials, as the build's launcher
    does). ValueError as `plan_inputs`."""
    files: set[str] = set()
    manifests = {inputs.crawl_manifest_url(c, cc_base_url) for c in crawls}
    matched = []
    for raw in given:
        location = raw.strip()
        if not location:
            continue
        if inputs.has_scheme(location) and (
            inputs.is_url(location) or not any(c in location for c in "*?[")
        ):
            (manifests if inputs.is_manifest(location) else files).add(location)
        else:
            matched.append(location)
    if matched:
        found = inputs.plan_inputs(matched, cc_base_url=cc_base_url)
        files.update(found.files)
        manifests.update(found.manifests)
    if not files and not manifests:
        raise ValueError("no input files: give --input PATH|GLOB|URL|MANIFEST or --crawl ID")
    return inputs.InputPlan(files=tuple(sorted(files)), manifests=tuple(sorted(manifests)))


def measure_inputs(
    plan: inputs.InputPlan,
    max_files: int | None = None,
    cc_base_url: str = inputs.CC_BASE_URL,
) -> InputSize:
    """The size of `plan`'s WET files, reading no page body (see the module docstring).

    Local manifests are read and their files sized; a remote manifest counts as one crawl,
    WET_FILES_PER_CRAWL files of AVG_WET_GZ_BYTES. `max_files` takes `inputs.sample_evenly`'s
    sample when every file is listed, else min(max_files, total) files of the average size."""
    locations = set(plan.files)
    remote = []
    for manifest in plan.manifests:
        if inputs.has_scheme(manifest):
            remote.append(manifest)
            continue
        try:
            with open(manifest, "rb") as f:
                locations.update(inputs.manifest_locations(f.read(), cc_base_url))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read the manifest {manifest!r}: {e}") from e
    notes = []
    if remote:
        notes.append(
            f"{len(remote)} manifest(s) not read offline, each taken as {WET_FILES_PER_CRAWL:,} "
            f"WET files of ~{AVG_WET_GZ_BYTES / 1e6:.0f} MB gzipped (CC-MAIN-2019-09)"
        )
    listed = sorted(locations)
    unlisted = WET_FILES_PER_CRAWL * len(remote)
    if max_files is not None and unlisted:
        count = min(max_files, len(listed) + unlisted)
        stored, text = _average_size("x.gz")
        notes.append(f"--max-files {max_files}: {count:,} files of the average size")
        return InputSize(count, count * stored, count * text, 0, tuple(notes))
    if max_files is not None:
        listed = inputs.sample_evenly(listed, max_files)
    stored_bytes = text_bytes = sized = missing = 0
    for location in listed:
        size = _file_size(location)
        if size is None:
            size = _average_size(location)
            missing += not inputs.has_scheme(location)
        else:
            sized += 1
        stored_bytes += size[0]
        text_bytes += size[1]
    averaged = len(listed) - sized
    if averaged:
        notes.append(
            f"{averaged:,} file(s) not reachable offline"
            + (f" ({missing:,} local ones missing)" if missing else "")
            + f": sized at the average WET file, ~{AVG_WET_GZ_BYTES / 1e6:.0f} MB gzipped"
        )
    stored, text = _average_size("x.gz")
    return InputSize(
        files=len(listed) + unlisted,
        stored_bytes=stored_bytes + unlisted * stored,
        text_bytes=text_bytes + unlisted * text,
        sized_files=sized,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# The estimate


@dataclasses.dataclass(frozen=True)
class CostPlan:
    config: str
    version: str
    runner: str
    inputs: InputSize
    rate: MeasuredRate
    rates_source: str
    cpu_hours: float
    shuffle_bytes: int
    # this machine (local runners)
    local_cores: int | None
    local_hours: float | None
    # Dataflow
    machine_type: str
    vcpus: int
    memory_gb: float
    efficiency: float
    target_hours: float
    worker_hours: float
    workers: int
    wall_hours: float  # at `workers`
    max_workers: int | None  # --max_num_workers, if given
    wall_hours_at_max: float | None
    vcpu_hours: float
    memory_gb_hours: float
    disk_gb_hours: float
    shuffle_gb: float
    example_prices: dict
    example_cost_usd: float
    notes: tuple[str, ...] = ()


def estimate(
    size: InputSize,
    config: str,
    version: str,
    *,
    runner: str = "DirectRunner",
    local_cores: int | None = None,
    machine_type: str = DATAFLOW_DEFAULT_MACHINE,
    target_hours: float = DEFAULT_TARGET_HOURS,
    max_workers: int | None = None,
    notes: tuple[str, ...] = (),
) -> CostPlan:
    """The plan's arithmetic (module docstring) for inputs of `size`. ValueError on a bad
    target, worker count or machine type."""
    if not target_hours > 0:
        raise ValueError(f"--target-hours must be > 0, got {target_hours}")
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"--max_num_workers must be at least 1, got {max_workers}")
    rate = RATES[config]
    vcpus, memory_gb = machine_shape(machine_type)
    cpu_hours = size.text_bytes / 1e6 / rate.text_mb_per_cpu_s / 3600
    shuffle_bytes = round(size.text_bytes * rate.shuffle_bytes_per_text_byte)
    worker_hours = cpu_hours / (vcpus * WORKER_CPU_EFFICIENCY)
    workers = max(1, math.ceil(worker_hours / target_hours))
    shuffle_gb = shuffle_bytes / 1e9
    disk_gb_hours = worker_hours * WORKER_DISK_GB
    prices = EXAMPLE_PRICES
    cost = (
        worker_hours * vcpus * prices["vcpu_hour"]
        + worker_hours * memory_gb * prices["memory_gb_hour"]
        + shuffle_gb * prices["shuffle_gb"]
        + disk_gb_hours * prices["disk_gb_hour"]
    )
    return CostPlan(
        config=config,
        version=version,
        runner=runner,
        inputs=size,
        rate=rate,
        rates_source=RATES_SOURCE,
        cpu_hours=cpu_hours,
        shuffle_bytes=shuffle_bytes,
        local_cores=local_cores,
        local_hours=cpu_hours / local_cores if local_cores else None,
        machine_type=machine_type,
        vcpus=vcpus,
        memory_gb=memory_gb,
        efficiency=WORKER_CPU_EFFICIENCY,
        target_hours=target_hours,
        worker_hours=worker_hours,
        workers=workers,
        wall_hours=worker_hours / workers,
        max_workers=max_workers,
        wall_hours_at_max=worker_hours / max_workers if max_workers else None,
        vcpu_hours=worker_hours * vcpus,
        memory_gb_hours=worker_hours * memory_gb,
        disk_gb_hours=disk_gb_hours,
        shuffle_gb=shuffle_gb,
        example_prices=dict(prices),
        example_cost_usd=cost,
        notes=notes,
    )


def plan_build(
    input_plan: inputs.InputPlan,
    config: str,
    version: str,
    options,
    *,
    target_hours: float = DEFAULT_TARGET_HOURS,
    max_files: int | None = None,
    cc_base_url: str = inputs.CC_BASE_URL,
    notes: tuple[str, ...] = (),
    size: InputSize | None = None,
) -> CostPlan:
    """The CostPlan of a build of `input_plan` with Beam `options` (after
    `launch.default_runner_options`): the runner, --direct_num_workers, --worker_machine_type
    and --max_num_workers are read from them. `size`: the inputs' `measure_inputs`, when the
    caller has it already."""
    from apache_beam.options.pipeline_options import (
        DirectOptions,
        StandardOptions,
        WorkerOptions,
    )

    from c4forge.pipelines import launch

    runner = options.view_as(StandardOptions).runner
    runner = runner if isinstance(runner, str) else type(runner).__name__
    workers = options.view_as(WorkerOptions)
    local_cores = None
    if not launch.is_dataflow(options):
        local_cores = options.view_as(DirectOptions).direct_num_workers or os.cpu_count() or 1
    if size is None:
        size = measure_inputs(input_plan, max_files, cc_base_url)
    return estimate(
        size,
        config,
        version,
        runner=str(runner or "DirectRunner"),
        local_cores=local_cores,
        machine_type=workers.machine_type or DATAFLOW_DEFAULT_MACHINE,
        target_hours=target_hours,
        max_workers=workers.max_num_workers,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Output


def _bytes(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def _hours(h: float) -> str:
    if h >= 48:
        return f"{h:,.0f} h ({h / 24:,.1f} days)"
    if h >= 1:
        return f"{h:,.1f} h"
    return f"{h * 60:,.1f} min" if h * 60 >= 1 else f"{h * 3600:,.1f} s"


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if x >= 1 else f"{x:.3g}"


def _usd(x: float) -> str:
    return f"~${x:,.2f}" if x >= 0.01 else "under $0.01"


def format_plan(p: CostPlan) -> str:
    """The plan as the terminal shows it."""
    size, rate, prices = p.inputs, p.rate, p.example_prices
    averaged = size.files - size.sized_files
    lines = [
        f"Plan: C4 {p.config} {p.version} on {p.runner}",
        f"  input     {size.files:,} WET files, {_bytes(size.stored_bytes)} stored, "
        f"{_bytes(size.text_bytes)} of text (gzipped x {TEXT_PER_GZ_BYTE:.2f})"
        + (f"; {averaged:,} of average size" if averaged else "; sized by stat"),
        f"  rates     {p.config}: {rate.text_mb_per_cpu_s} MB of text per CPU-second, "
        f"{rate.shuffle_bytes_per_text_byte} shuffle bytes per text byte",
        f"            {p.rates_source}",
        f"  CPU       {_num(p.cpu_hours)} CPU-hours"
        + (f" ({p.cpu_hours / 24:,.0f} CPU-days)" if p.cpu_hours >= 48 else "")
        + f" = text MB / {rate.text_mb_per_cpu_s} / 3600",
        f"  shuffle   {_bytes(p.shuffle_bytes)} = text x {rate.shuffle_bytes_per_text_byte}",
    ]
    if p.local_cores:
        lines.append(
            f"  here      ~{_hours(p.local_hours)} on {p.local_cores} cores (CPU-hours / cores), "
            "plus start-up"
        )
    lines += [
        f"  Dataflow  {p.workers:,} worker{'s' if p.workers > 1 else ''} {p.machine_type} "
        f"({p.vcpus} vCPU, {p.memory_gb:g} GB) "
        f"for ~{_hours(p.wall_hours)}",
        f"            = ceil(CPU-hours / ({p.target_hours:g} h target x {p.vcpus} vCPU x "
        f"{p.efficiency} busy))",
    ]
    if p.max_workers:
        at_max = _hours(p.wall_hours_at_max)
        lines.append(f"            with --max_num_workers {p.max_workers:,}: ~{at_max}")
    price_list = ", ".join(
        f"${prices[key]:f}".rstrip("0") + unit
        for key, unit in (
            ("vcpu_hour", "/vCPU-h"),
            ("memory_gb_hour", "/GB-h"),
            ("shuffle_gb", "/shuffle GB"),
            ("disk_gb_hour", "/disk GB-h"),
        )
    )
    lines += [
        f"  price     {PRICE_FORMULA}",
        f"            with {_num(p.vcpu_hours)} vCPU-h, {_num(p.memory_gb_hours)} GB-h, "
        f"{_num(p.shuffle_gb)} shuffle GB, {_num(p.disk_gb_hours)} disk GB-h "
        f"({WORKER_DISK_GB} GB a worker)",
        f"  example   {_usd(p.example_cost_usd)} at EXAMPLE prices, us-central1 list of 2024 "
        "(check your region's):",
        f"            {price_list}",
    ]
    lines += [f"  note      {note}" for note in (*size.notes, *p.notes)]
    return "\n".join(lines)


def plan_dict(p: CostPlan) -> dict:
    """The plan for machines (`corpus plan --json`): every field, plus the formulas."""
    out = dataclasses.asdict(p)
    out["notes"], out["inputs"]["notes"] = list(p.notes), list(p.inputs.notes)  # as JSON has them
    out["formulas"] = {
        "text_bytes": f"stored bytes, gzipped files x {TEXT_PER_GZ_BYTE:.4f}",
        "cpu_hours": "text_bytes / 1e6 / rate.text_mb_per_cpu_s / 3600",
        "shuffle_bytes": "text_bytes x rate.shuffle_bytes_per_text_byte",
        "worker_hours": "cpu_hours / (vcpus x efficiency)",
        "workers": "ceil(worker_hours / target_hours)",
        "price": PRICE_FORMULA,
    }
    return out
