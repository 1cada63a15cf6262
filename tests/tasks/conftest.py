"""Fixtures shared by the task catalog tests."""

from __future__ import annotations

import pytest

from c4forge.tasks import glue, registry


@pytest.fixture
def registered(vocab):
    """GLUE and SuperGLUE registered for one test, then removed (no registry state leaks)."""
    names = glue.register_glue(vocab) + glue.register_super_glue(vocab)
    yield names
    registry.unregister(*names)
