"""The catalog's `--contamination FILE` flag registers the `<task>_clean` variants
(tasks.clean_variants) next to the downstream tasks."""

from __future__ import annotations

import argparse
import json

import seqio

REPORT = {
    "tasks": {
        "glue_rte_v002": {"contaminated": {"validation:7": 2}},
        "super_glue_record_v102": {"contaminated": {"test:1": 1}},
        "my_file_task": {"contaminated": {"x:1": 1}},  # not a registered task: left out
    }
}


def test_the_catalog_registers_them_from_its_contamination_flag(spm_model, tmp_path):
    """`--contamination FILE` (every command that reads the catalog) adds the _clean tasks."""
    from c4forge.tasks import catalog, catalog_flags

    path = tmp_path / "contamination.json"
    path.write_text(json.dumps(REPORT), encoding="utf-8")
    parser = argparse.ArgumentParser()
    catalog_flags.add_catalog_args(parser)
    args = parser.parse_args(["--vocab", str(spm_model), "--contamination", str(path)])
    try:
        names = catalog.register(**catalog_flags.catalog_settings(args))
        assert {"glue_rte_v002_clean", "super_glue_record_v102_clean"} <= set(names)
        assert "glue_rte_v002_clean" in seqio.TaskRegistry.names()
    finally:
        catalog.unregister_all()
    assert "glue_rte_v002_clean" not in seqio.TaskRegistry.names()
