"""`tasks.seqio_compat`: the seqio internals the feed follows, and the pinned-version check."""

from __future__ import annotations

import functools
import tomllib

import pytest
import seqio

from c4forge.tasks import seqio_compat

import c4_testing


def _task(name, steps):
    source = seqio.FunctionDataSource(lambda split, shuffle_files: None, splits=["train"])
    return seqio.Task(name, source, output_features={}, preprocessors=steps)


def test_the_pin_is_pyprojects():
    with open(c4_testing.ROOT / "pyproject.toml", "rb") as f:
        extra = tomllib.load(f)["project"]["optional-dependencies"]["tasks"]
    assert f"seqio=={seqio_compat.PINNED_SEQIO_VERSION}" in extra
    assert seqio.__version__ == seqio_compat.PINNED_SEQIO_VERSION
    seqio_compat.require_pinned_seqio()


def test_another_seqio_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(seqio, "__version__", "0.0.21")
    message = (
        "c4forge's task feed follows seqio 0.0.20's seeding; seqio 0.0.21 is installed: "
        "pip install seqio==0.0.20"
    )
    for call in (
        seqio_compat.require_pinned_seqio,
        seqio_compat.draw_map_seed,
        functools.partial(seqio_compat.post_cache_seed_offset, _task("compat_t", [])),
    ):
        with pytest.raises(seqio_compat.SeqioVersionError) as raised:
            call()
        assert str(raised.value) == message


def test_post_cache_seed_offset_is_42_per_step_before_the_placeholder():
    def step(dataset):
        return dataset

    placeholder_at_2 = _task("compat_a", [step, step, seqio.CacheDatasetPlaceholder(), step])
    assert seqio_compat.post_cache_seed_offset(placeholder_at_2) == 84
    assert seqio_compat.post_cache_seed_offset(_task("compat_b", [step])) == 0


def test_draw_map_seed_follows_seqios_counter():
    """Two draws under `map_seed_manager(s)` see s and s + 2, as two `map_over_dataset`
    preprocessors with one seed each would."""
    with seqio.utils.map_seed_manager(1000):
        assert [seqio_compat.draw_map_seed(), seqio_compat.draw_map_seed()] == [1000, 1002]
        assert seqio.utils._NEXT_MAP_SEED == 1004
    with seqio.utils.map_seed_manager(None):
        assert seqio_compat.draw_map_seed() != seqio_compat.draw_map_seed()  # fresh seeds
        assert seqio.utils._NEXT_MAP_SEED is None
