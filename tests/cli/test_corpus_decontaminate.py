"""`c4forge corpus decontaminate` end to end on small builds of real pages (TFRecord, English and
mC4 JSON) with eval examples planted in them: the same split files less exactly the planted
pages, contamination.json and stats.json; catalog tasks on TFDS mock data; and every bad input
as one error line before any work."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from c4forge.cli import corpus_decontaminate as cli
from c4forge.corpus import records
from c4forge.corpus.page import Page
from c4forge.pipelines import outputs
from c4forge.tasks import c4_builds, catalog

from decontam_testing import control_pages, eval_examples, planted_pages
from eval_testing import LONG, hand_as_dataset

PROG = "c4forge corpus decontaminate: error: "
BEAM = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
NAMES = {  # kind -> (split, shard, shards) -> file name (corpus.layout)
    "tfrecord": "c4-{0}.tfrecord-{1:05d}-of-{2:05d}",
    "json": "c4-{0}.{1:05d}-of-{2:05d}.json.gz",
    "json-mc4": "c4-{0}.tfrecord-{1:05d}-of-{2:05d}.json.gz",
}
SPLITS = {"en": {"train": 2, "validation": 1}, "mc4": {"sw": 2, "sw-validation": 1}}


def write_build(directory: Path, kind: str, pages: list[Page]) -> dict[str, list[bytes]]:
    """A build of `pages` dealt round-robin over the splits' shards, with a stats.json;
    returns each file's records (serialized Examples or JSON lines, as bytes)."""
    directory.mkdir(parents=True)
    splits = SPLITS["mc4" if kind == "json-mc4" else "en"]
    shards = [(s, i, n) for s, n in splits.items() for i in range(n)]
    files: dict[str, list[bytes]] = {NAMES[kind].format(*shard): [] for shard in shards}
    for k, page in enumerate(pages):
        name = NAMES[kind].format(*shards[k % len(shards)])
        if kind == "tfrecord":
            files[name].append(outputs.example_bytes(page))
        else:
            files[name].append(outputs.json_line(page).encode("utf-8"))
    for name, rows in files.items():
        if kind == "tfrecord":
            (directory / name).write_bytes(b"".join(records.frame_record(r) for r in rows))
        else:
            (directory / name).write_bytes(gzip.compress(b"".join(r + b"\n" for r in rows)))
    stats = {"config": "multilingual", "languages": ["sw"]} if kind == "json-mc4" else {}
    stats = {"config": "en", "c4_version": "3.1.0", **stats}
    (directory / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return files


def read_build(directory: Path, kind: str) -> dict[str, list[bytes]]:
    out = {}
    for path in sorted(directory.glob("c4-*")):
        if kind == "tfrecord":
            out[path.name] = [r.numpy() for r in tf.data.TFRecordDataset(str(path))]
        else:
            out[path.name] = gzip.decompress(path.read_bytes()).splitlines()
    return out


def url_of(record: bytes, kind: str) -> str:
    if kind == "tfrecord":
        return records.decode_example(record)["url"].decode("utf-8")
    return json.loads(record)["url"]


@pytest.fixture(scope="module")
def pages():
    planted, truth = planted_pages(seed=5)
    rows = planted + [(f"control:{url}", text) for url, text in control_pages(seed=5)]
    date = "2019-07-17T12:00:00Z"
    docs = [Page(url, "", text, date, "text/plain", str(len(text))) for url, text in rows]
    return docs, truth + [set()] * (len(rows) - len(planted))


@pytest.fixture
def eval_file(tmp_path):
    path = tmp_path / "evals.jsonl"
    rows = [{"task": t, "id": i, "text": text} for t, i, text in eval_examples()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["tfrecord", "json", "json-mc4"])
def test_a_build_less_the_planted_pages(tmp_path, pages, eval_file, kind):
    docs, truth = pages
    source = write_build(tmp_path / "c4", kind, docs)
    out = tmp_path / "clean"
    argv = ["--c4", str(tmp_path / "c4"), "--output", str(out)]
    argv += ["--decontaminate-file", str(eval_file), "--rejects", *BEAM]
    report = cli.run(argv)

    planted_urls = {d.url for d, t in zip(docs, truth, strict=True) if t}
    written = read_build(out, kind)
    # The same file names; each split holds its records less the planted pages, byte for byte
    # (the writer deals them over the split's shards anew).
    assert sorted(written) == sorted(source)
    splits = SPLITS["mc4" if kind == "json-mc4" else "en"]
    for split in splits:

        def split_records(files, split=split):
            return sorted(
                r for n, rows in files.items() if n.startswith(f"c4-{split}.") for r in rows
            )

        kept = [r for r in split_records(source) if url_of(r, kind) not in planted_urls]
        assert split_records(written) == kept
    contamination = json.loads((out / "contamination.json").read_text(encoding="utf-8"))
    listed = {(t, i) for t, r in contamination["tasks"].items() for i in r["contaminated"]}
    assert listed == {key for t in truth for key in t}
    assert contamination["pages"] == {"scanned": len(docs), "dropped": len(planted_urls)}
    assert report["contamination"] == contamination

    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    for split in splits:
        n = sum(len(rows) for name, rows in written.items() if name.startswith(f"c4-{split}."))
        assert stats["counters"][split] == {"examples": n}
    assert stats["counters"]["decontamination"] == {
        "passed": len(docs) - len(planted_urls),
        "filtered:contaminated": len(planted_urls),
    }
    build = c4_builds.read_build(stats, set(splits))
    assert build.multilingual == (kind == "json-mc4")
    with gzip.open(next((out / "rejects").glob("*.jsonl.gz")), "rt", encoding="utf-8") as f:
        assert {json.loads(line)["url"] for line in f} == planted_urls
    assert not (out / ".decontamination").exists()  # the index file is gone
    assert "48 dropped" in report["summary_text"]


@pytest.fixture
def catalog_registered():
    yield
    catalog.unregister_all()


def test_catalog_tasks_on_mock_data(tmp_path, pages, catalog_registered):
    docs, _ = pages
    host = docs[-1]  # a control page: nothing of the eval texts in it
    planted = host._replace(url="planted", text=host.text + "\n" + LONG[1].upper())
    write_build(tmp_path / "c4", "tfrecord", [*docs[-10:-1], planted])
    argv = ["--c4", str(tmp_path / "c4"), "--output", str(tmp_path / "clean")]
    argv += ["--tasks", "glue_rte_v002", *BEAM]
    with tfds.testing.mock_data(
        policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=hand_as_dataset
    ):
        report = cli.run(argv)
    # The mock serves the same two examples (idx 41 and 7) as validation and as test.
    assert report["contamination"]["tasks"] == {
        "glue_rte_v002": {
            "examples": 4,
            "detectable_examples": 4,
            "contaminated_examples": 2,
            "clean_examples": 2,
            "contaminated": {"test:7": 1, "validation:7": 1},
        }
    }
    assert report["counters"]["decontamination"]["filtered:contaminated"] == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ngram", "0"], "decontamination ngram must be a positive integer, not 0"),
        (["--c4", "{tmp}/absent"], "--c4 {tmp}/absent holds no C4 shards (c4-<split>"),
        (["--output", "{tmp}/c4"], "--output must be a new directory, not the --c4 build"),
        (["--output", "{tmp}/built"], "--output {tmp}/built already holds a build"),
        (["--decontaminate-file", "{tmp}/absent.jsonl"], "--decontaminate-file: eval file"),
        (["--decontaminate-file", "{tmp}/bad.jsonl"], "--decontaminate-file: eval file"),
        (["--decontaminate-file", "{tmp}/short.jsonl"], "no eval text has 8 words or more"),
        (["--tasks", "nope_.*"], "--tasks: eval task 'nope_.*' matches no registered task"),
    ],
)
def test_bad_input_is_one_line_before_any_work(
    tmp_path, pages, capsys, catalog_registered, extra, message
):
    write_build(tmp_path / "c4", "tfrecord", pages[0][:5])
    write_build(tmp_path / "built", "tfrecord", pages[0][:1])
    rows = [{"task": t, "id": i, "text": x} for t, i, x in eval_examples()]
    (tmp_path / "ok.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    (tmp_path / "bad.jsonl").write_text('{"task": "t", "id": 1, "text": "x"}\n{oops\n', "utf-8")
    (tmp_path / "short.jsonl").write_text('{"task": "t", "id": 1, "text": "a b c"}\n', "utf-8")
    flags = {"--c4": "{tmp}/c4", "--output": "{tmp}/out", "--decontaminate-file": "{tmp}/ok.jsonl"}
    if "--tasks" in extra:
        del flags["--decontaminate-file"]
    flags.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    argv = [part.format(tmp=tmp_path) for item in flags.items() for part in item]
    assert cli.main([*argv, *BEAM]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(PROG + message.format(tmp=tmp_path)), err
    if extra == ["--decontaminate-file", "{tmp}/bad.jsonl"]:
        assert "line 2: not a JSON object" in err[0]
    assert not (tmp_path / "out").exists()


def test_neither_tasks_nor_file_is_one_line(tmp_path, capsys):
    assert cli.main(["--c4", str(tmp_path), "--output", str(tmp_path / "o")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == PROG + "give --tasks NAME... and/or --decontaminate-file FILE"


def test_help_loads_no_heavy_library(tmp_path):
    probe = (
        "import sys\nfrom c4forge.cli.main import main\n"
        "try:\n    main(['corpus', 'decontaminate', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('tensorflow', 'apache_beam', 'seqio', 'jax', 'numpy')\n"
        "print('HEAVY=' + ','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: c4forge corpus decontaminate" in done.stdout
    assert done.stdout.rsplit("HEAVY=", 1)[1].strip() == ""


def test_help_shows_the_defaults(capsys):
    from c4forge.cli import main

    with pytest.raises(SystemExit) as e:
        main.main(["corpus", "decontaminate", "--help"])
    assert e.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--ngram N n-gram size (13)" in out
    assert "shorter ones are skipped (8)" in out


def test_an_unreadable_catalog_split_is_one_line(tmp_path, pages, capsys, catalog_registered):
    def broken(self, split, **kwargs):
        raise RuntimeError("no data\nhere")

    write_build(tmp_path / "c4", "tfrecord", pages[0][:3])
    argv = ["--c4", str(tmp_path / "c4"), "--output", str(tmp_path / "out"), "--tasks"]
    with tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=broken):
        assert cli.main([*argv, "glue_rte_v002", *BEAM]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    expected = "task glue_rte_v002: cannot read its validation split (RuntimeError: no data here)"
    assert line == PROG + expected
    assert not (tmp_path / "out").exists()


def test_flag_defaults_are_the_configs():
    """The parser keeps numpy out of --help, so it spells the defaults; they must be the
    config's."""
    from c4forge.corpus.decontamination import DecontaminationConfig

    args = cli.build_parser().parse_args(["--c4", "x", "--output", "y"])
    assert (args.ngram, args.min_words) == (
        DecontaminationConfig().ngram,
        DecontaminationConfig().min_words,
    )
