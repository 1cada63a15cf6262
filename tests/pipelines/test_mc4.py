"""Multilingual C4 (mC4) end to end: our Beam build against the reference `c4_utils` of C4 3.1.0
(installed TFDS) and 3.0.1 (TFDS 4.6.0, AllenAI's mC4), on real multilingual pages
(`mc4_reference.mc4_records`); `--languages`, AllenAI's JSON layout, the TFDS fixture, and the
flags' one-line errors.
"""

from __future__ import annotations

import gzip
import json
import math
import re

import pytest

import c4_testing
import mc4_reference

VERSIONS = ["3.1.0", "3.0.1"]
DOCS_PER_SHARD = "7"  # several shards for the bigger languages


@pytest.fixture(scope="module")
def mc4_wet(tmp_path_factory, shared_data):
    return mc4_reference.write_mc4_wet(tmp_path_factory.mktemp("mc4") / "mc4.warc.wet.gz")


def _build(wets, out, version, *extra):
    """`c4forge corpus build --config multilingual` on `wets` (a path or a list of them)."""
    return c4_testing.run_build(
        wets if isinstance(wets, list) else [wets],
        out,
        "--config",
        "multilingual",
        "--c4-version",
        version,
        "--badwords-dir",
        str(mc4_reference.BADWORDS_DIR),
        *extra,
    )


@pytest.fixture(scope="module")
def full_builds(mc4_wet, tmp_path_factory):
    """version -> (output dir, stats) of the full mC4 build."""
    out = {}
    for version in VERSIONS:
        path = tmp_path_factory.mktemp(f"mc4-{version}")
        out[version] = (path, _build(mc4_wet, path, version, "--docs-per-shard", DOCS_PER_SHARD))
    return out


@pytest.mark.reference
@pytest.mark.parametrize("version", VERSIONS)
def test_mc4_equals_reference(version, mc4_wet, full_builds):
    expected, expected_counters = mc4_reference.reference_mc4([mc4_wet], version)
    out, stats = full_builds[version]
    got = mc4_reference.triples(mc4_reference.read_splits(out))
    assert got == expected
    assert stats["counters"] == expected_counters
    # The cases the test data is made of all happened.
    c = stats["counters"]
    assert c["paragraph-filter"]["filtered"] > 0
    assert c["dedupe-lines"]["filtered:empty"] > 0
    assert c["language-filter"]["filtered:no_predictions"] > 0
    assert c["language-filter"]["filtered:low_confidence"] > 0
    assert c["badwords-filter"]["filtered"] > 0
    splits = {split for split, _, _ in got}
    assert {"und", "und-validation", "sw", "sw-validation", "de", "en"} <= splits
    assert any(url.startswith("https://mixed.example/") for _, url, _ in got)
    if version == "3.1.0":
        assert c["badwords-filter"]["soft-passed"] == 1  # the 0.999 rule spared one page
        assert any(url.startswith("https://bad.example/de/spared") for _, url, _ in got)
        assert any(url == "https://bad.example/ja/allow" for _, url, _ in got)  # allowlisted
    else:
        assert "soft-passed" not in c["badwords-filter"]
        assert not any(url.startswith("https://bad.example/") for _, url, _ in got)


def _split_files(out):
    """split -> {file name: bytes} of a build directory."""
    files: dict[str, dict[str, bytes]] = {}
    for path in out.iterdir():
        m = re.match(r"c4-(.+)\.tfrecord-\d{5}-of-\d{5}$", path.name)
        if m:
            files.setdefault(m.group(1), {})[path.name] = path.read_bytes()
    return files


def test_shards_follow_each_languages_size(full_builds):
    out, stats = full_builds["3.1.0"]
    files = _split_files(out)
    for split, names in files.items():
        pages = stats["counters"][split]["examples"]
        count = math.ceil(pages / int(DOCS_PER_SHARD))
        assert sorted(names) == [
            f"c4-{split}.tfrecord-{i:05d}-of-{count:05d}" for i in range(count)
        ], split
    assert max(len(n) for n in files.values()) > 1  # the test exercises several shards


def test_languages_build_equals_the_full_build_file_for_file(mc4_wet, full_builds, tmp_path):
    chosen = ["de", "ja", "sw", "und"]
    subset = ["--languages", "sw,und,ja,de", "--docs-per-shard", DOCS_PER_SHARD]
    stats = _build(mc4_wet, tmp_path, "3.1.0", *subset)
    full = _split_files(full_builds["3.1.0"][0])
    got = _split_files(tmp_path)
    splits = {s for lang in chosen for s in (lang, f"{lang}-validation")}
    assert set(got) == splits & set(full)
    for split in got:
        assert got[split] == full[split], split
    assert stats["languages"] == chosen  # mC4's order
    rows = {row["stage"]: row["pages"] for row in stats["funnel"]}
    assert rows["no badwords"] <= rows["in --languages"] < rows["language ID (CLD3)"]
    kept = sum(stats["counters"][s]["examples"] for s in got)
    assert rows["examples (all splits)"] == kept
    assert "restricted the build to 4" in stats["funnel_text"]
    full_language = full_builds["3.1.0"][1]["counters"]["language-filter"]
    assert stats["counters"]["language-filter"] == full_language  # CLD3 saw every page


def test_json_is_allenais_layout_with_the_same_pages(mc4_wet, full_builds, tmp_path):
    _build(mc4_wet, tmp_path, "3.0.1", "--format", "json")
    names = sorted(p.name for p in tmp_path.glob("*.json.gz"))
    assert names
    assert all(re.fullmatch(r"c4-.+\.tfrecord-\d{5}-of-\d{5}\.json\.gz", n) for n in names)
    with gzip.open(tmp_path / names[0], "rt", encoding="utf-8") as f:
        row = json.loads(f.readline())
    assert list(row) == ["url", "text", "timestamp"]
    tf_out = mc4_reference.read_splits(full_builds["3.0.1"][0])
    json_out = mc4_reference.read_splits(tmp_path, "json")
    assert mc4_reference.triples(json_out) == mc4_reference.triples(tf_out)


@pytest.mark.reference
@pytest.mark.parametrize("version", VERSIONS)
def test_tfds_fixture_equals_reference(version, shared_data, tmp_path):
    inputs = [
        c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz",
        c4_testing.FIXTURE_WET / "cc_1.warc.wet.gz",
    ]
    expected, expected_counters = mc4_reference.reference_mc4(inputs, version)
    stats = _build(inputs, tmp_path, version)
    assert mc4_reference.triples(mc4_reference.read_splits(tmp_path)) == expected
    assert stats["counters"] == expected_counters


MC4 = ["--config", "multilingual"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([*MC4, "--c4-version", "2.2.0"], "mC4 did not exist in C4 2.2.0"),
        ([*MC4, "--languages", "sw,xx,qq"], "unknown code(s) xx, qq; valid: af,am,ar"),
        ([*MC4, "--num-shards", "4,1"], "mC4 uses --docs-per-shard"),
        ([*MC4, "--docs-per-shard", "0"], "--docs-per-shard must be at least 1"),
        (["--languages", "sw"], "error: --languages is for --config multilingual"),
        (["--badwords-dir", "x"], "error: --badwords-dir is for --config multilingual"),
    ],
)
def test_flag_errors_are_one_line(extra, message, shared_data, tmp_path):
    code, _, err = c4_testing.run_cli(
        "corpus",
        "build",
        "--input",
        str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"),
        "--output",
        str(tmp_path),
        *extra,
    )
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_build_with_tensorflow_imported_first_in_the_launcher(shared_data, tmp_path):
    """The CLD3 trap: a launcher that imported TensorFlow runs the build in its own process
    (in-memory DirectRunner), so CLD3 is loaded there after TensorFlow."""
    import subprocess
    import sys

    argv = c4_testing.build_args(
        [c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"],
        tmp_path,
        "--config",
        "multilingual",
        "--badwords-dir",
        str(mc4_reference.BADWORDS_DIR),
    )
    code = (
        "import sys, tensorflow\n"
        "from c4forge.cli.main import main\n"
        f"sys.exit(main(['corpus', 'build', *{argv!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["counters"]["language-filter"]["passed"] > 0


def test_mc4_needs_no_punkt(shared_data, tmp_path, monkeypatch):
    """No sentence counting in mC4: nothing is fetched, no --punkt is needed (offline here)."""
    from c4forge.cli import corpus_build
    from c4forge.pipelines import resources

    monkeypatch.setattr(resources, "load_punkt_tables", lambda *a: pytest.fail("Punkt loaded"))
    argv = ["--input", str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz")]
    argv += ["--output", str(tmp_path), *MC4, "--badwords", str(c4_testing.BADWORDS_EN)]
    settings, _, _, _, _ = corpus_build.resolve(
        [*argv, "--badwords-dir", str(mc4_reference.BADWORDS_DIR)]
    )
    assert settings.punkt_tables == {}
    assert settings.languages[-1] == "und"
    assert len(settings.languages) == 108


def test_missing_cld3_is_one_line(shared_data, tmp_path, monkeypatch):
    from c4forge.corpus import cld3

    def missing():
        raise ImportError(cld3.INSTALL_HINT)

    monkeypatch.setattr(cld3, "load_gcld3", missing)
    code, _, err = c4_testing.run_cli(
        "corpus", "build", "--input", str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"),
        "--output", str(tmp_path), *MC4,
    )  # fmt: skip
    assert code == 2
    assert err.strip() == f"c4forge corpus build: error: {cld3.INSTALL_HINT}"
