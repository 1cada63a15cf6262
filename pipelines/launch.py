"""What every c4forge Beam job shares at launch: strict Beam flags, the default runner, the
Dataflow checks and staging, quiet logging.

`strict_beam_options` refuses a flag Beam does not know (Beam itself would ignore it); with no
`--runner`, jobs run on the DirectRunner in multi-processing mode on all cores; on Dataflow,
workers get this project as an sdist built from its pyproject.toml.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os


def strict_beam_options(rest: list[str]):
    """PipelineOptions from the flags we did not parse; an unknown flag is an error."""
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    parser = _BeamArgumentParser(allow_abbrev=False)
    seen = set()
    stack = list(PipelineOptions.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        with contextlib.suppress(argparse.ArgumentError):  # an option two classes declare
            cls._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(rest)
    if unknown:
        raise ValueError(f"unknown flag(s): {' '.join(unknown)} (see --help)")
    return PipelineOptions(rest)


def is_dataflow(options) -> bool:
    from apache_beam.options.pipeline_options import StandardOptions

    return "Dataflow" in str(options.view_as(StandardOptions).runner or "")


def default_runner_options(options):
    """DirectRunner on all cores unless the user chose a runner or a running mode."""
    from apache_beam.options.pipeline_options import DirectOptions, SetupOptions, StandardOptions

    # The flags as given: `get_all_options(drop_default=True)` would also drop an explicit flag
    # whose value is the default (`--direct_running_mode=in_memory`).
    given = {
        flag.lstrip("-").split("=", 1)[0].replace("-", "_")
        for flag in getattr(options, "_flags", None) or []
        if flag.startswith("--")
    } | set(options.get_all_options(drop_default=True))
    std = options.view_as(StandardOptions)
    if not std.runner:
        std.runner = "DirectRunner"
        direct = options.view_as(DirectOptions)
        if "direct_num_workers" not in given:
            direct.direct_num_workers = 0  # all cores
        if "direct_running_mode" not in given:
            direct.direct_running_mode = "multi_processing"
    if is_dataflow(options):
        setup = options.view_as(SetupOptions)
        if not setup.setup_file and not setup.requirements_file:
            # Workers get this project (and its pinned dependencies) as an sdist.
            setup.setup_file = project_file()
    return options


# Dataflow workers lack Debian's protobuf headers that gcld3's sdist builds against: they get the
# same CLD3 model from wheels (module `gcld3` too).
WORKER_CLD3_REQUIREMENT = "cld3-py==3.1.0"


def add_worker_requirements(options, requirements: list[str], scratch_dir: str) -> str | None:
    """On Dataflow, has workers pip-install `requirements` at start-up (a requirements file
    written to `scratch_dir`; not pre-downloaded on the launcher). Returns the file's path, or
    None when the user gave a requirements file of their own (theirs must then list them)."""
    from apache_beam.options.pipeline_options import SetupOptions

    setup = options.view_as(SetupOptions)
    if not is_dataflow(options) or setup.requirements_file:
        return None
    path = os.path.join(scratch_dir, "worker-requirements.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in requirements))
    setup.requirements_file = path
    if not setup.requirements_cache:
        setup.requirements_cache = "skip"
    return path


def project_file() -> str:
    """The project's pyproject.toml, which Beam builds into the sdist staged for workers."""
    return os.path.join(project_root(), "pyproject.toml")


def is_dry_run(options) -> bool:
    from apache_beam.options.pipeline_options import TestOptions

    return bool(options.view_as(TestOptions).dry_run)


def project_root() -> str:
    """The directory holding this project's pyproject.toml (a source checkout)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def quiet_beam_logging() -> None:
    """Warnings and up only; the local job service relays every worker's start-up warnings."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)
