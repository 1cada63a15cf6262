"""The README's "Register your own task" screen runs as written (paths pointed at fixtures)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import c4_testing


def _screen() -> str:
    text = (c4_testing.ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (screen,) = [b for b in blocks if "registry.add_task(" in b]
    return screen


@pytest.fixture
def clean_catalog():
    from c4forge.tasks import catalog, registry

    yield
    registry.unregister("my_yes_no", "my_mix")
    catalog.unregister_all()


def test_readme_screen_runs(spm_model, c4_dir, clean_catalog):
    from c4forge.tasks import catalog

    catalog.unregister_all()
    code = (
        _screen().replace('"vocab/"', repr(str(spm_model))).replace('"out/c4"', repr(str(c4_dir)))
    )
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    batch, state = scope["batch"], scope["state"]
    assert batch["encoder_input_tokens"].shape == (8, 512)
    assert batch["decoder_target_tokens"].shape == (8, 114)
    assert batch["encoder_input_tokens"].dtype == np.int32
    # The mixture holds both tasks; the state resumes on the next batch.
    from c4forge.tasks.feed import Feed

    expected = next(scope["batches"])
    resumed = next(
        Feed("my_mix", {"inputs": 512, "targets": 114}, batch_size=8, seed=0, state=state)
    )
    for key, value in expected.items():
        np.testing.assert_array_equal(resumed[key], value)
