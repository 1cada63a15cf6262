"""`c4forge corpus plan`: what `c4forge corpus build` with the same flags would cost, before it
runs (issue 15 part 6; the arithmetic and the measured rates are `pipelines.plan`'s).

    c4forge corpus plan --input 'wet/*.warc.wet.gz' --config en
    c4forge corpus plan --crawl CC-MAIN-2019-18 --runner DataflowRunner \
        --worker_machine_type n1-standard-2 --max_num_workers 450 --target-hours 6
    c4forge corpus plan --crawl all --config multilingual --json

It takes the build's flags (swap the word `build` for `plan`; --output is optional and the
public-data flags are ignored) and Beam's; it reads no page body and fetches nothing: local
files are sized by stat, local manifests are read, and remote files, remote manifests and
`--crawl` are sized with Common Crawl's averages. `corpus build ... --dry_run=True` prints the
same plan.
"""

from __future__ import annotations

import json
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors


def build_parser():
    from c4forge.cli.corpus_build import build_parser as build_flags

    p = build_flags(output_required=False)
    p.prog = "c4forge corpus plan"
    p.description = (
        "What `c4forge corpus build` with these flags would cost, before it runs: the input's "
        "size, CPU-hours at the config's measured rate, shuffle volume, a Dataflow worker count "
        "for --target-hours and the formula that prices it. Takes the build's flags (--output "
        "optional) and Beam's (--runner, --worker_machine_type, --max_num_workers, ...); reads "
        "no page body."
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    return p


def cost_plan(args, input_plan, options, max_files: int | None = None, size=None):
    """`pipelines.plan.CostPlan` of a build with flags `args` over `input_plan`, Beam `options`
    (after `launch.default_runner_options`); `size`: the inputs' `plan.measure_inputs` if the
    caller has measured them. UsageError on a bad plan flag."""
    from c4forge.pipelines import inputs, plan

    notes = []
    if args.near_dedup:
        notes.append(
            "--near-dedup is not in the rates: MinHash and its shuffles cost more "
            "(BENCHMARKS.md 'Near-duplicate removal')"
        )
    if args.decontaminate or args.decontaminate_file:
        notes.append(
            "--decontaminate is not in the rates (BENCHMARKS.md 'Eval-set decontamination')"
        )
    try:
        return plan.plan_build(
            input_plan,
            args.config,
            args.c4_version,
            options,
            target_hours=args.target_hours,
            max_files=max_files,
            cc_base_url=inputs.cc_base_url_from_env(),
            notes=tuple(notes),
            size=size,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None


def run(argv: list[str]) -> dict:
    """{"plan": the plan as a dict, "text": as printed, "json": --json}. Raises UsageError on
    any problem."""
    args, rest = build_parser().parse_known_args(argv)  # --help exits here, before Beam loads
    from c4forge.cli.corpus_build import _check_config_flags, _crawls
    from c4forge.corpus.variants import variant
    from c4forge.corpus.versions import rules_for
    from c4forge.pipelines import inputs, launch, plan

    options = launch.default_runner_options(beam_options(rest))
    var = variant(args.config)
    _check_config_flags(args, var, rules_for(args.c4_version))
    if not args.input and not args.crawl:
        raise UsageError("give --input PATH... or --crawl CC-MAIN-YYYY-WW")
    if args.max_files is not None and args.max_files < 1:
        raise UsageError(f"--max-files must be at least 1, got {args.max_files}")
    try:
        input_plan = plan.offline_input_plan(
            args.input, _crawls(args.crawl, var, args.c4_version), inputs.cc_base_url_from_env()
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    estimate = cost_plan(args, input_plan, options, args.max_files)
    return {"plan": plan.plan_dict(estimate), "text": plan.format_plan(estimate), "json": args.json}


def main(argv: list[str] | None = None) -> int:
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()

    def show() -> int:
        out = run(list(sys.argv[1:] if argv is None else argv))
        print(json.dumps(out["plan"], indent=2) if out["json"] else out["text"])
        return 0

    return report_usage_errors("c4forge corpus plan", show)
