"""The installed project is one package, `c4forge`: nothing named corpus, tasks, model or
pipelines lands in site-packages, and a user's own `tasks.py` or `model.py` never shadows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_one_top_level_package(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    (wheel,) = tmp_path.glob("c4forge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"c4forge"}
    for package in ("cli", "corpus", "model", "pipelines", "tasks"):
        assert f"c4forge/{package}/__init__.py" in names, package
    assert "c4forge/__main__.py" in names
    # The bundled samples travel as package data; developer tools and tests do not.
    assert any(n.startswith("c4forge/pipelines/sample_data/") for n in names)
    assert any(n.startswith("c4forge/tasks/sample_data/") for n in names)
    assert not any(
        n.startswith(("c4forge/tests/", "c4forge/tools/", "c4forge/bench/")) for n in names
    )
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "c4forge = c4forge.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_bare_top_level_names_are_not_importable(tmp_path):
    # From a directory other than the checkout, as an installed user imports.
    code = textwrap.dedent(
        """
        import importlib
        import c4forge.tasks, c4forge.model, c4forge.corpus, c4forge.pipelines, c4forge.cli
        for name in ("tasks", "model", "corpus", "pipelines", "cli"):
            try:
                importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            raise SystemExit(f"{name} is importable")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_a_users_tasks_and_model_modules_do_not_shadow_c4forge(tmp_path):
    # The usual names for seqio/t5x registrations, next to the user's own task module.
    (tmp_path / "tasks.py").write_text("raise RuntimeError('the user tasks.py was imported')\n")
    (tmp_path / "model.py").write_text("raise RuntimeError('the user model.py was imported')\n")
    (tmp_path / "corpus.py").write_text("")
    (tmp_path / "pipelines.py").write_text("")
    (tmp_path / "my_tasks.py").write_text(
        textwrap.dedent(
            """
            import seqio

            seqio.TaskRegistry.add(
                "my_shadow_test_task",
                source=seqio.FunctionDataSource(lambda split, shuffle_files: None, ["train"]),
                preprocessors=[],
                output_features={},
            )
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "c4forge", "tasks", "list", "--no-sample", "--module", "my_tasks"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "my_shadow_test_task" in done.stdout
    assert "glue_v002_proportional" in done.stdout  # c4forge's own catalog still works


def test_no_code_imports_the_bare_folder_names():
    # From the checkout the folders are importable as `tasks`, `model`, ...: a bare import would
    # work in tests and break for users (two copies of a module, or none when installed).
    bare = re.compile(r"^\s*(from|import) (cli|corpus|model|pipelines|tasks)\b", re.M)
    folders = ("cli", "corpus", "model", "pipelines", "tasks", "tools", "bench", "tests")
    sources = [p for d in folders for p in (ROOT / d).rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in sources if bare.search(p.read_text())]
    readme_code = "\n".join(
        re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    )
    if bare.search(readme_code):
        offenders.append("README.md")
    assert not offenders
