"""What every `c4forge` command shares: the usage error and exit codes, quiet start-up, the
one-line error report, and the parsers of values several commands take.

A command's checks raise `UsageError`; `report_usage_errors` turns it into one
`c4forge <command>: error: ...` line on stderr and exit code 2, before any work starts (as
argparse itself does for a malformed flag).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

USAGE_EXIT = 2  # a bad flag or input, reported before any work (argparse's own code)
FAILED_EXIT = 1  # the job ran and failed (e.g. training diverged)


class UsageError(ValueError):
    """A bad flag or input, reported in one line before any work starts."""


def quiet_startup(verbose: bool = False) -> None:
    """Keeps TensorFlow, absl, XLA and CUDA start-up lines off the terminal.

    Must run before those libraries are imported: TensorFlow reads TF_CPP_MIN_LOG_LEVEL once
    at load, XLA reads TF_CPP_MIN_LOG_LEVEL too, and absl's C++ logging goes to stderr unless
    told otherwise. `verbose` (`c4forge --verbose COMMAND`) leaves the environment as it is.
    """
    if verbose:
        return
    # 3: errors only from TensorFlow's and XLA's C++ logging ("oneDNN custom operations are
    # on", "Could not find cuda drivers", "failed call to cuInit" are info/warning/error lines
    # of a CPU-only machine, not failures).
    # Set, not defaulted: a value inherited from a parent process is often a library's, not the
    # user's (importing tensorflow_datasets sets TF_CPP_MIN_LOG_LEVEL=1 for its children).
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    # absl C++ logging (used by XLA and TF 2.16+): nothing below FATAL on stderr.
    os.environ["ABSL_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    # Without a GPU, JAX would try CUDA plugins first and warn that it fell back to the CPU.
    if not os.environ.get("JAX_PLATFORMS") and not _has_accelerator():
        os.environ["JAX_PLATFORMS"] = "cpu"
    # TensorFlow 2.21 logs through absl from C++ while it loads ("oneDNN custom operations",
    # "Could not find cuda drivers", absl's "before InitializeLog" warning), whatever
    # TF_CPP_MIN_LOG_LEVEL says: its import runs with the process's stderr on /dev/null.
    if not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport({"tensorflow"}))


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """File descriptor 2 on /dev/null (C and C++ writes too); Python's sys.stderr flushed."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietImport:
    """A meta-path finder that loads the named top-level modules with stderr silenced; every
    other import, and a failing one's exception, is untouched. A spec asked for without being
    loaded (`importlib.util.find_spec` probes) leaves the name armed for the real import."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                load = spec.loader.exec_module

                def exec_module(module, load=load):
                    with stderr_silenced():
                        load(module)
                    self.names.discard(fullname)

                spec.loader.exec_module = exec_module
                return spec
        return None


def _has_accelerator() -> bool:
    """A cheap check (no import): an NVIDIA device node or a TPU device file."""
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/accel0")


def report_usage_errors(prog: str, run: Callable[[], int]) -> int:
    """`run()`'s exit code; a UsageError is printed as `<prog>: error: <message>` -> 2."""
    try:
        return run()
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return USAGE_EXIT


def parse_pair(text: str, flag: str, names: str) -> tuple[int, int]:
    """`"512,114"` -> (512, 114); anything else is a UsageError naming the flag."""
    try:
        first, second = (int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"{flag} wants {names}, got {text!r}") from None
    return first, second


def parse_lengths(text: str) -> tuple[int, int]:
    """`--lengths INPUTS,TARGETS`, as train, eval, the demo and `tasks show` take it."""
    inputs, targets = parse_pair(text, "--lengths", "INPUTS,TARGETS")
    if inputs < 1 or targets < 1:
        raise UsageError(f"--lengths must be positive, got {text!r}")
    return inputs, targets


def parse_or_help(parser, argv: list[str]):
    """The parsed flags; None, after printing the command's help, when there are none."""
    if not argv:
        parser.print_help()
        return None
    return parser.parse_args(argv)


def add_settings_flag(parser, help_text: str) -> None:
    """`--set KEY=VALUE` (repeatable) into `args.overrides`, parsed later by the model's or
    trainer's strict `parse_assignments`."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help_text
    )


def beam_options(flags: list[str]):
    """Beam's PipelineOptions from the flags a command did not parse; unknown -> UsageError."""
    from c4forge.pipelines.launch import strict_beam_options

    try:
        return strict_beam_options(flags)
    except ValueError as e:
        raise UsageError(str(e)) from None
