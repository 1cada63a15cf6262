"""One CLI: every command's --help shows its defaults; misuse is one line and exit code 2."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from c4forge.cli import corpus_build, corpus_decontaminate, demo, study, tasks_cache, vocab_train
from c4forge.cli import infer as infer_cli
from c4forge.cli import main as cli
from c4forge.cli import train as train_cli

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["corpus", "build"],
    ["corpus", "decontaminate"],
    ["vocab", "train"],
    ["tasks", "list"],
    ["tasks", "show"],
    ["tasks", "cache"],
    ["model", "info"],
    ["train"],
    ["eval"],
    ["infer"],
    ["demo"],
    ["study"],
]
PARSERS = {
    "corpus build": corpus_build.build_parser,
    "corpus decontaminate": corpus_decontaminate.build_parser,
    "vocab train": vocab_train.build_parser,
    "tasks cache": tasks_cache.build_parser,
    "train": train_cli.build_parser,
    "eval": lambda: infer_cli.build_parser("eval"),
    "infer": lambda: infer_cli.build_parser("infer"),
    "demo": demo.build_parser,
    "study": study.build_parser,
}


def _call(argv: list[str]) -> int:
    """cli.main's exit code, whether a command returns it or argparse raises SystemExit."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return 0 if e.code is None else e.code


def _shown(default) -> list[str]:
    if isinstance(default, tuple | list):
        return [",".join(map(str, default)), str(default)]
    return [str(default)]


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_flag_with_a_default_shows_it_in_help(name):
    parser = PARSERS[name]()
    missing = []
    for action in parser._actions:
        default = action.default
        if (
            not action.option_strings
            or action.help == argparse.SUPPRESS
            or isinstance(
                action,
                argparse._HelpAction | argparse._StoreTrueAction | argparse._StoreFalseAction,
            )
            or default in (None, False, [], argparse.SUPPRESS)
        ):
            continue
        formatter = parser._get_formatter()
        formatter.add_argument(action)
        text = formatter.format_help()
        if not any(shown in text for shown in _shown(default)):
            missing.append(f"{action.option_strings[0]} (default {default!r})")
    assert not missing, f"c4forge {name} --help hides defaults: {missing}"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_exits_0(command, capsys):
    assert _call([*command, "--help"]) == 0
    assert "usage" in capsys.readouterr().out.lower()


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != ["model", "info"]], ids=" ".join)
def test_unknown_flag_is_one_line_and_exit_2(command, capsys):
    # Commands with required flags name those first; either way one line, exit 2.
    assert _call([*command, "--no-such-flag-anywhere", "x"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 1, err
    assert err[0].startswith(f"c4forge {command[0]}"), err
    assert "no-such-flag-anywhere" in err[0] or "required" in err[0], err


def test_top_level_help_names_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("corpus", "vocab", "tasks", "model", "train", "eval", "infer", "demo", "study"):
        assert f"    {command}" in out, command
    assert cli.main(["nonsense"]) == 2


def test_readme_configuration_reference_lists_every_setting():
    from c4forge.model.config import T5Config
    from c4forge.model.training_loop import TrainConfig

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration reference") :]
    section = section[: section.index("\n## ", 3)]
    for cls in (T5Config, TrainConfig):
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in section, f"README lacks {cls.__name__}.{field.name}"


@pytest.mark.parametrize(
    "command",
    [["tasks", "show", "c4_en_v310_span_corruption"], ["train", "--mixture", "m", "--out", "o"]],
    ids=" ".join,
)
def test_bad_lengths_are_one_line_and_exit_2(command, capsys):
    assert _call([*command, "--lengths", "512"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"c4forge {command[0]}: error: --lengths wants INPUTS,TARGETS, got '512'"]
