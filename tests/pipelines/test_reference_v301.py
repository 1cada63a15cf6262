"""C4 3.0.1 (AllenAI's released C4) for the English configs and webtextlike, against TFDS
4.6.0's own `c4_utils` (which `make setup` keeps as a wheel) on the 697 real pages: the same
(split, url, text) set and every counter."""

from __future__ import annotations

import pytest

import c4_testing
import mc4_reference


@pytest.mark.reference
@pytest.mark.parametrize("config", ["en", "en.noclean", "en.noblocklist"])
def test_english_configs_equal_reference_v301(config, dolma_wet, tmp_path):
    with mc4_reference.ReferenceEnglishV301(config) as ref:
        expected, expected_counters = ref.run([dolma_wet])
    stats = c4_testing.run_build([dolma_wet], tmp_path, "--config", config, "--c4-version", "3.0.1")
    assert len(expected) > 0
    assert c4_testing.triples(c4_testing.read_output(tmp_path)) == expected
    assert stats["counters"] == expected_counters


@pytest.mark.reference
def test_webtextlike_equals_reference_v301(dolma_wet, tmp_path):
    urls = [url for url, _, _ in c4_testing.dolma_records()][::3]
    lines = [*urls, "", "https://not-crawled.example/x", urls[0].replace("://", "://www.", 1)]
    (tmp_path / "urls.txt").write_text("\n".join(lines) + "\n")
    with mc4_reference.ReferenceEnglishV301("webtextlike", webtext_urls=lines) as ref:
        expected, expected_counters = ref.run([dolma_wet])
    out = tmp_path / "out"
    stats = c4_testing.run_build(
        [dolma_wet], out, "--config", "webtextlike", "--c4-version", "3.0.1",
        "--openwebtext-urls", str(tmp_path / "urls.txt"),
    )  # fmt: skip
    assert c4_testing.triples(c4_testing.read_output(out)) == expected
    assert stats["counters"] == expected_counters
    assert stats["counters"]["webtextlike-filter"]["missing-page"] >= 2
