"""Differential tests: our Beam build against the reference TFDS 3.1.0 `c4_utils` functions.

On the 697 real CC-MAIN-2019-30 pages (each wrapped as a WET conversion record), the set of
(split, url, text) and every counter must equal the reference's, for en, en.noclean and
en.noblocklist. Also the TFDS fixture's published counts for every version.
"""

from __future__ import annotations

import pytest

import c4_testing


@pytest.mark.reference
@pytest.mark.parametrize("config", ["en", "en.noclean", "en.noblocklist"])
def test_dolma_pages_equal_reference(config, dolma_wet, tmp_path):
    expected, expected_counters = c4_testing.reference_build([dolma_wet], config)
    stats = c4_testing.run_build([dolma_wet], tmp_path, "--config", config)
    got = c4_testing.triples(c4_testing.read_output(tmp_path))
    assert len(expected) > 0
    assert got == expected
    assert stats["counters"] == expected_counters


@pytest.mark.parametrize("version", ["2.2.0", "3.0.1", "3.1.0"])
@pytest.mark.parametrize(("config", "train", "validation"), [("en", 2, 2), ("en.noclean", 4, 2)])
def test_tfds_fixture_counts(version, config, train, validation, shared_data, tmp_path):
    inputs = [
        c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz",
        c4_testing.FIXTURE_WET / "cc_1.warc.wet.gz",
    ]
    stats = c4_testing.run_build(inputs, tmp_path, "--config", config, "--c4-version", version)
    out = c4_testing.read_output(tmp_path)
    assert (len(out["train"]), len(out["validation"])) == (train, validation)
    assert stats["counters"]["train"]["examples"] == train
    assert stats["counters"]["validation"]["examples"] == validation


@pytest.mark.reference
@pytest.mark.parametrize("config", ["en", "en.noclean"])
def test_tfds_fixture_equals_reference(config, shared_data, tmp_path):
    inputs = [
        c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz",
        c4_testing.FIXTURE_WET / "cc_1.warc.wet.gz",
    ]
    expected, expected_counters = c4_testing.reference_build(inputs, config)
    stats = c4_testing.run_build(inputs, tmp_path, "--config", config)
    assert c4_testing.triples(c4_testing.read_output(tmp_path)) == expected
    assert stats["counters"] == expected_counters
