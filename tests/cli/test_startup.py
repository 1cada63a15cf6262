"""Start-up as a newcomer meets it: every `--help` is quick (imports neither TensorFlow, JAX nor
Beam) and no command prints TensorFlow, absl, XLA or CUDA start-up lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELP_COMMANDS = [
    [],
    ["corpus"],
    ["corpus", "build"],
    ["corpus", "decontaminate"],
    ["vocab"],
    ["vocab", "train"],
    ["tasks"],
    ["tasks", "list"],
    ["tasks", "show"],
    ["tasks", "cache"],
    ["model"],
    ["model", "info"],
    ["train"],
    ["eval"],
    ["infer"],
    ["demo"],
    ["study"],
]
HEAVY = ("tensorflow", "jax", "jaxlib", "apache_beam", "seqio", "torch")
# What TensorFlow, absl, XLA and CUDA print at start-up on a CPU-only machine.
NOISE = re.compile(
    r"oneDNN|cuda|cuInit|absl::InitializeLog|^[IWEF]\d{4} \d\d:\d\d|TF_ENABLE_ONEDNN_OPTS|"
    r"tensorflow/|xla/|Unable to register|computation placer|rebuild TensorFlow",
    re.IGNORECASE | re.MULTILINE,
)
# Runs the command in a fresh interpreter and reports which heavy packages it imported.
PROBE = f"""
import sys
from c4forge.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = 0 if e.code is None else e.code
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def _env() -> dict:
    env = dict(os.environ)
    for name in ("ABSL_MIN_LOG_LEVEL", "JAX_PLATFORMS"):
        env.pop(name, None)  # as a user's shell has them: unset
    # What a parent process that imported tensorflow_datasets passes on (a pytest run does).
    env["TF_CPP_MIN_LOG_LEVEL"] = "1"
    return env


def _run(argv: list[str], cwd) -> subprocess.CompletedProcess:
    """`python ARGV` in a fresh interpreter, as a user's shell starts it."""
    done = subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "c4forge")
def test_help_imports_no_heavy_library_and_prints_no_noise(command, tmp_path):
    done = _run(["-c", PROBE, *command, "--help"], tmp_path)
    heavy = done.stderr.rsplit("HEAVY=", 1)[1].strip()
    assert heavy == "", f"`c4forge {' '.join(command)} --help` imported {heavy}"
    assert "usage" in done.stdout.lower()
    noise = NOISE.findall(done.stdout + done.stderr.rsplit("HEAVY=", 1)[0])
    assert not noise, noise


def test_a_command_that_loads_tensorflow_and_jax_prints_no_startup_lines(tmp_path):
    # `model info` builds the model abstractly (JAX) and `tasks list` loads seqio (TensorFlow).
    for command in (["model", "info", "t5-small"], ["tasks", "list", "--no-sample"]):
        done = _run(["-m", "c4forge", *command], tmp_path)
        assert not NOISE.findall(done.stdout + done.stderr), done.stderr[-2000:]


def test_verbose_keeps_the_libraries_own_logging_settings():
    from c4forge.cli import common

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        common.quiet_startup(verbose=True)
        assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
        common.quiet_startup()
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    finally:
        os.environ.clear()
        os.environ.update(old)
