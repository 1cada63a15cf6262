"""model/training_loop.py and model/checkpoint.py without tasks: synthetic batches, a tiny T5."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest

from c4forge.model.checkpoint import Checkpointer, load_params, step_directory
from c4forge.model.config import override, preset
from c4forge.model.training_loop import Reporter, TrainConfig, Trainer, check_params

MODEL = dataclasses.replace(preset("t5-tiny"), dropout_rate=0.0)


class Batches:
    """Random packed-shaped batches, reproducible from a position (a stand-in for a Feed)."""

    def __init__(self, rows: int = 4, position: int = 0):
        self.rows, self.position = rows, position

    def __next__(self):
        rng = np.random.default_rng(self.position)
        self.position += 1
        inputs = rng.integers(2, 128, (self.rows, 16), dtype=np.int32)
        targets = rng.integers(2, 128, (self.rows, 8), dtype=np.int32)
        decoder_inputs = np.concatenate([np.zeros((self.rows, 1), np.int32), targets[:, :-1]], 1)
        return {
            "encoder_input_tokens": inputs,
            "decoder_input_tokens": decoder_inputs,
            "decoder_target_tokens": targets,
            "decoder_loss_weights": np.ones_like(targets),
        }

    def state(self):
        return {"position": self.position}


class Recorder(Reporter):
    def __init__(self):
        self.steps, self.logs, self.evals, self.checkpoints = {}, [], [], []

    def step(self, step, metrics):
        self.steps[step] = metrics

    def log(self, step, scalars):
        self.logs.append((step, scalars))

    def eval(self, step, scalars):
        self.evals.append((step, scalars))

    def checkpoint(self, step, seconds):
        self.checkpoints.append(step)


def _config(**changes) -> TrainConfig:
    base = {"steps": 6, "batch_size": 4, "inputs_length": 16, "targets_length": 8}
    base.update(log_every=2, checkpoint_every=3)
    return TrainConfig(**{**base, **changes})


def test_run_reports_checkpoints_and_resumes_exactly(tmp_path):
    trainer = Trainer(MODEL, _config(), str(tmp_path / "a"))
    batches, recorder = Batches(), Recorder()
    evaluations = []

    def evaluate(params, step):
        evaluations.append(step)
        return {"probe": float(step)}

    trainer.run(trainer.init_state(), batches, batches.state, evaluate=evaluate, reporter=recorder)
    trainer.close()
    assert sorted(recorder.steps) == [1, 2, 3, 4, 5, 6]
    # fetched at 1 (the compiling step), every log_every=2, and at checkpoint 3
    assert [step for step, _ in recorder.logs] == [1, 2, 3, 4, 6]
    assert recorder.checkpoints == [3, 6]
    assert evaluations == [6]  # eval_every 0: once, at the end
    assert recorder.evals == [(6, {"probe": 6.0})]
    last = recorder.logs[-1][1]
    assert last["tokens_per_second"] == pytest.approx(last["rows_per_second"] * 24)
    assert "mfu" not in last  # no known peak for a CPU
    assert last["loss_per_token"] == pytest.approx(
        np.mean([recorder.steps[s]["loss"] / recorder.steps[s]["weight_sum"] for s in (5, 6)])
    )

    # Resume from step 3 in a new Trainer: the same losses for steps 4..6, bit for bit.
    checkpointer = Checkpointer(str(tmp_path / "a"))
    assert list(checkpointer.steps()) == [3, 6]
    resumed = Trainer(MODEL, _config(), str(tmp_path / "b"))
    state, data = checkpointer.restore(resumed.abstract_state(), step=3)
    assert int(state.step) == 3
    assert data == {"data": [{"position": 3}]}
    again = Recorder()
    batches = Batches(position=data["data"][0]["position"])
    resumed.run(state, batches, batches.state, reporter=again)
    resumed.close()
    checkpointer.close()
    assert {s: again.steps[s]["loss"] for s in (4, 5, 6)} == {
        s: recorder.steps[s]["loss"] for s in (4, 5, 6)
    }


def test_non_finite_loss_raises_before_the_next_checkpoint(tmp_path):
    config = _config(steps=20, checkpoint_every=1, log_every=5, learning_rate=1e30)
    trainer = Trainer(MODEL, config, str(tmp_path))
    batches = Batches()
    with pytest.raises(FloatingPointError, match=r"non-finite training metrics at step (\d+)"):
        trainer.run(trainer.init_state(), batches, batches.state)
    last = trainer.checkpointer.latest_step()
    trainer.close()
    params = load_params(str(tmp_path))
    assert all(np.isfinite(np.asarray(x)).all() for x in jax.tree_util.tree_leaves(params))
    assert last is not None


def test_accumulation_and_batch_checks(tmp_path):
    with pytest.raises(ValueError, match=r"batch_size 4 must be a multiple of .* \(3\)"):
        Trainer(MODEL, _config(accumulation_steps=3), str(tmp_path))
    with pytest.raises(ValueError, match="mesh_model=2 does not divide the 1 devices"):
        Trainer(MODEL, _config(mesh_model=2), str(tmp_path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": 0}, "TrainConfig.steps must be >= 1, got 0"),
        ({"decode": "topk"}, "TrainConfig.decode must be one of greedy, beam, sample"),
        ({"loss_normalization": "mean"}, "loss_normalization must be sum, per_token or a"),
        ({"loss_normalization": "-3"}, "loss_normalization must be sum, per_token or a"),
        ({"partitioning": "2d"}, "TrainConfig.partitioning must be one of data, tensor, fsdp"),
    ],
)
def test_train_config_rejects(change, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**change)


def test_train_config_overrides_are_strict_and_typed():
    config = override(TrainConfig(), {"steps": "20", "loss_normalization": "233472"})
    assert config.steps == 20
    assert config.loss_normalization == "233472"
    with pytest.raises(ValueError, match="unknown TrainConfig key 'stepz'"):
        override(TrainConfig(), {"stepz": "1"})


def test_init_from_params_checks_shapes(tmp_path):
    trainer = Trainer(MODEL, _config(), str(tmp_path))
    params = jax.device_get(trainer.init_state().params)
    check_params(MODEL, params)  # its own shapes pass
    wider = override(MODEL, {"d_model": 64})
    wants = r"parameter \['decoder'\]\['decoder_norm'\]\['scale'\] is \(32,\) in the checkpoint "
    with pytest.raises(ValueError, match=wants + r"but the model wants \(64,\)"):
        check_params(wider, params)
    del params["decoder"]["decoder_norm"]
    with pytest.raises(ValueError, match="the checkpoint has no parameter"):
        check_params(MODEL, params)
    trainer.close()


def test_step_directory_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no finished checkpoint under"):
        step_directory(str(tmp_path))
