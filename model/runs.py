"""A training run's directory, and loading a trained (or released) model from one.

<run>/config.json       the resolved settings: model (T5Config), train (TrainConfig), mixture,
                        catalog (what registered the tasks, replayable), init_from, devices
<run>/checkpoints/N/    orbax checkpoints (model/checkpoint.py), the data state included
<run>/metrics.jsonl     one line per trained step: loss, z_loss, accuracy, grad_norm, lr
<run>/log.jsonl         every log line: means, tokens/s, MFU; and evaluations ("eval": true)
<run>/tensorboard/      the same scalars for TensorBoard

`load_model(path)` accepts a run dir, a checkpoint step dir, or a directory of weights saved by
HF transformers (config.json + safetensors / pytorch_model.bin), and says which vocabulary
goes with it (the run's, or the HF dir's spiece.model).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

CONFIG = "config.json"


def write_config(run_dir: str, resolved: dict) -> None:
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, CONFIG)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(resolved, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def read_config(run_dir: str) -> dict:
    path = os.path.join(run_dir, CONFIG)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {run_dir} a `c4forge train` run?")
    with open(path) as f:
        return json.load(f)


def model_config(saved: dict):
    """T5Config from a saved config.json's "model" section."""
    from c4forge.model.config import T5Config

    known = {f.name for f in dataclasses.fields(T5Config)}
    unknown = sorted(set(saved) - known)
    if unknown:
        raise ValueError(f"unknown model setting {unknown[0]!r} in a saved config")
    return T5Config(**saved)


def run_dir_of(path: str) -> str | None:
    """The run dir holding `path` (a run dir, its checkpoints dir or a step dir), or None."""
    path = os.path.abspath(path)
    for candidate in (path, os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        if os.path.exists(os.path.join(candidate, CONFIG)) and os.path.isdir(
            os.path.join(candidate, "checkpoints")
        ):
            return candidate
    return None


@dataclasses.dataclass
class LoadedModel:
    config: Any  # T5Config
    params: Any  # numpy tree
    vocab: str | None  # SentencePiece model path
    extra_ids: int
    run: dict | None  # the run's config.json, None for HF weights
    source: str


def load_model(path: str) -> LoadedModel:
    """A model to fine-tune, evaluate or decode with; one-line errors for anything else."""
    from c4forge.model import hf

    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist")
    if os.path.isdir(path) and hf.is_hf_checkpoint(path):
        config, params = hf.load(path)
        spiece = os.path.join(path, "spiece.model")
        return LoadedModel(
            config, params, spiece if os.path.exists(spiece) else None, 100, None, "hf"
        )
    run_dir = run_dir_of(path)
    if run_dir is None:
        raise FileNotFoundError(
            f"{path} is neither a `c4forge train` run (config.json + checkpoints/) nor a "
            "directory of HF transformers T5 weights"
        )
    from c4forge.model.checkpoint import load_params

    run = read_config(run_dir)
    config = model_config(run["model"])
    params = load_params(path if os.path.basename(path).isdigit() else run_dir)
    catalog = run.get("catalog", {})
    return LoadedModel(
        config, params, catalog.get("vocab"), catalog.get("extra_ids", 100), run, "run"
    )
