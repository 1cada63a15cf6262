"""The main job: `c4forge demo` on the bundled sample, through the console entry point."""

from __future__ import annotations

import gzip
import json

from pipelines import cli, sample

import c4_testing


def test_demo_builds_c4_from_the_bundled_sample(shared_data, tmp_path, capsys):
    out = tmp_path / "demo"
    code = cli.main(
        [
            "demo",
            "--output",
            str(out),
            "--punkt",
            str(c4_testing.NLTK_DATA),
            "--badwords",
            str(c4_testing.BADWORDS_EN),
            "--direct_running_mode=in_memory",
            "--direct_num_workers=1",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "C4 funnel" in printed
    docs = c4_testing.read_output(out / "c4")
    urls = {r["url"] for rows in docs.values() for r in rows}
    # By design of the sample (pipelines/sample.py):
    assert [r["url"] for r in docs["validation"]] == ["https://www.example.org/news/118"]
    for article in ("gardening/tomatoes", "cycling/winter", "kitchen/bread", "pets/cats"):
        assert any(u.endswith(article) or u.endswith(article + "/") for u in urls), article
    for dropped in ("de/wetter", "fr/marche", "es/playa", "template", "snippets", "jokes"):
        assert not any(u.endswith(dropped) for u in urls), dropped
    text = "\n".join(r["text"] for rows in docs.values() for r in rows)
    assert "Home" not in text.split("\n")  # navigation lines are gone
    assert sample.NOTICE not in text  # the javascript notice too
    assert text.count(sample.FOOTER[-1]) == 1  # the shared footer survives in one page
    rejects = []
    for path in (out / "c4" / "rejects").glob("*.gz"):
        with gzip.open(path, "rt") as f:
            rejects += [json.loads(line) for line in f]
    reasons = {(r["url"].rsplit("/", 1)[-1], r["reason"]) for r in rejects}
    assert ("template", "filtered:loremipsum") in reasons
    assert ("snippets", "filtered:squigglybracket") in reasons
    assert ("jokes", "filtered") in reasons
    assert ("wetter", "filtered:ignored_language-de") in reasons


def test_cli_help_lists_the_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "corpus" in out
    assert "demo" in out
    assert cli.main(["nonsense"]) == 2
