"""Fixtures of the pipelines tests: no proxy for the local test servers, a served directory
of real WET files, a scratch directory for downloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from input_testing import WET_GZ, WET_PLAIN


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def served(tmp_path) -> Path:
    """A directory holding copies of the shared WET files, to serve over HTTP."""
    root = tmp_path / "served"
    root.mkdir()
    for src in [*WET_GZ, WET_PLAIN]:
        shutil.copyfile(src, root / src.name)
    return root


@pytest.fixture
def scratch(tmp_path) -> Path:
    d = tmp_path / "scratch"
    d.mkdir()
    return d
