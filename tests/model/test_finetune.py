"""model/finetune.py and the adapters of model/t5.py: the T5 study's fine-tuning strategies
(STUDY.md §5). Adapters against a numpy composition of the layer, zero-init equality, the
trained sets and the unfreezing schedule step by step, frozen parameters bit-identical after
training (in the jitted step and through `c4forge train --init-from`)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn
from flax import traverse_util

from c4forge.model import finetune, train_step
from c4forge.model.config import override, preset
from c4forge.model.partitioning import init_fn
from c4forge.model.t5 import DecoderLayer, EncoderLayer, Transformer
from c4forge.model.training_loop import TrainConfig, check_params

TINY = dataclasses.replace(preset("t5-tiny"), dropout_rate=0.0)  # 2 + 2 blocks, d_model 32
ADAPTED = dataclasses.replace(TINY, adapter_dim=8)


def flat(params) -> dict[tuple[str, ...], np.ndarray]:
    return {k: np.asarray(v) for k, v in traverse_util.flatten_dict(params).items()}


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def changed(before, after) -> set[tuple[str, ...]]:
    a, b = flat(before), flat(after)
    assert a.keys() == b.keys()
    return {k for k in a if not same_bits(a[k], b[k])}


def batch(seed: int, rows: int = 4, inputs: int = 12, targets: int = 6):
    rng = np.random.default_rng(seed)
    tgt = rng.integers(2, TINY.vocab_size, (rows, targets), dtype=np.int32)
    return {
        "encoder_input_tokens": rng.integers(2, TINY.vocab_size, (rows, inputs), dtype=np.int32),
        "decoder_input_tokens": np.concatenate([np.zeros((rows, 1), np.int32), tgt[:, :-1]], 1),
        "decoder_target_tokens": tgt,
        "decoder_loss_weights": np.ones_like(tgt),
    }


def init(config, seed: int):
    """Fresh parameters of `config` as numpy (jitted: eager init of even a tiny T5 is slow)."""
    return jax.device_get(jax.jit(functools.partial(init_fn, config))(jax.random.key(seed)))


def logits(config, params, b):
    inputs = {k: b[k] for k in ("encoder_input_tokens", "decoder_input_tokens")}
    return np.asarray(jax.jit(Transformer(config).apply)({"params": params}, **inputs))


# ---------------------------------------------------------------------------------------------
# Adapter layers.


def rms_norm(x, scale, eps=1e-6):
    return x / np.sqrt(np.mean(x**2, -1, keepdims=True) + eps) * scale


@pytest.mark.parametrize("layer", ["encoder", "decoder"])
def test_adapter_follows_the_mlp_with_its_own_norm_and_residual(layer):
    """layer_with_adapter(x) = y + relu(RMSNorm(y) wi) wo, y = the same layer without it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 32)).astype(np.float32)
    bias = np.zeros((2, 4, 5, 5), np.float32)
    if layer == "encoder":
        module, plain, args = EncoderLayer(ADAPTED), EncoderLayer(TINY), (x, bias, True)
    else:
        encoded = rng.normal(size=(2, 3, 32)).astype(np.float32)
        cross = np.zeros((2, 1, 5, 3), np.float32)
        args = (x, encoded, bias, cross, True)
        module, plain = DecoderLayer(ADAPTED), DecoderLayer(TINY)
    params = nn.unbox(module.init(jax.random.key(1), *args)["params"])
    adapter = params.pop("adapter")
    params.pop("pre_adapter_layer_norm")
    assert adapter["wi"]["kernel"].shape == (32, 8)  # d_model -> adapter_dim -> d_model
    assert adapter["wo"]["kernel"].shape == (8, 32)
    wo = rng.normal(size=(8, 32)).astype(np.float32)  # not zero, so the adapter shows
    scale = rng.uniform(0.5, 1.5, 32).astype(np.float32)
    with_adapter = {
        **params,
        "adapter": {"wi": adapter["wi"], "wo": {"kernel": jnp.asarray(wo)}},
        "pre_adapter_layer_norm": {"scale": jnp.asarray(scale)},
    }
    got = np.asarray(module.apply({"params": with_adapter}, *args), np.float64)
    y = np.asarray(plain.apply({"params": params}, *args), np.float64)
    wi = np.asarray(adapter["wi"]["kernel"], np.float64)
    want = y + np.maximum(rms_norm(y, scale) @ wi, 0) @ wo
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_adapter_parameters_carry_the_mlp_logical_axes():
    from c4forge.model.t5 import abstract_params

    boxed = traverse_util.flatten_dict(
        abstract_params(ADAPTED), is_leaf=lambda _, x: isinstance(x, nn.Partitioned)
    )
    enc = ("encoder", "layers_1")
    assert boxed[(*enc, "adapter", "wi", "kernel")].names == ("embed", "mlp")
    assert boxed[(*enc, "adapter", "wo", "kernel")].names == ("mlp", "embed")
    assert boxed[(*enc, "pre_adapter_layer_norm", "scale")].names == ("embed",)


def test_zero_initialised_adapters_start_equal_to_the_checkpoint():
    checkpoint = init(TINY, 3)  # no adapters
    adapted = finetune.add_adapters(ADAPTED, checkpoint, jax.random.key(4))
    check_params(ADAPTED, adapted)
    before, after = flat(checkpoint), flat(adapted)
    added = set(after) - set(before)
    assert added == {
        (stack, f"layers_{i}", *leaf)
        for stack in ("encoder", "decoder")
        for i in (0, 1)
        for leaf in (
            ("adapter", "wi", "kernel"),
            ("adapter", "wo", "kernel"),
            ("pre_adapter_layer_norm", "scale"),
        )
    }
    for key, value in before.items():
        assert same_bits(after[key], value), key  # the checkpoint's own values, untouched
    for key in added:
        if key[-2] == "wo":
            assert not after[key].any()
        elif key[-2] == "wi":
            assert after[key].std() > 0
        else:
            assert (after[key] == 1).all()
    b = batch(0)
    np.testing.assert_array_equal(logits(ADAPTED, adapted, b), logits(TINY, checkpoint, b))


def test_add_adapters_fills_only_adapters():
    checkpoint = init(TINY, 3)
    assert finetune.add_adapters(TINY, checkpoint, jax.random.key(0)) is checkpoint
    del checkpoint["encoder"]["encoder_norm"]
    partial = finetune.add_adapters(ADAPTED, checkpoint, jax.random.key(0))
    with pytest.raises(ValueError, match=r"the checkpoint has no parameter .*encoder_norm"):
        check_params(ADAPTED, partial)


# ---------------------------------------------------------------------------------------------
# Trained sets and the schedule.


def trained_at(config, strategy, every, step) -> set[tuple[str, ...]]:
    mask = finetune.trainable_fn(config, strategy, every)(jnp.int32(step))
    return {k for k, v in traverse_util.flatten_dict(mask).items() if bool(v)}


def all_paths(config) -> set[tuple[str, ...]]:
    from c4forge.model.t5 import abstract_params

    return set(traverse_util.flatten_dict(nn.unbox(abstract_params(config))))


def block(stack, i):
    return {p for p in all_paths(DEEP) if p[:2] == (stack, f"layers_{i}")}


# 3 encoder and 2 decoder blocks, untied logits (T5.1.1): both stacks unfreeze from their top.
DEEP = override(preset("t5.1.1-tiny"), {"num_encoder_layers": 3, "num_decoder_layers": 2})
ALWAYS = {
    ("token_embedder", "embedding"),
    ("decoder", "logits_dense", "kernel"),
    ("encoder", "encoder_norm", "scale"),
    ("decoder", "decoder_norm", "scale"),
}
RELPOS_DECODER = ("decoder", "relpos_bias", "rel_embedding")


@pytest.mark.parametrize(
    ("step", "encoder_blocks", "decoder_blocks"),
    [
        (0, [2], [1]),
        (3, [2], [1]),  # still episode 0
        (4, [1, 2], [0, 1]),  # N: one more block each; the decoder is all unfrozen
        (7, [1, 2], [0, 1]),
        (8, [0, 1, 2], [0, 1]),  # 2N: the encoder too
        (1000, [0, 1, 2], [0, 1]),
    ],
)
def test_gradual_unfreezing_schedule(step, encoder_blocks, decoder_blocks):
    want = set(ALWAYS)
    for i in encoder_blocks:
        want |= block("encoder", i)
    for i in decoder_blocks:
        want |= block("decoder", i)
    # A stack's relative-position table is block 0's (Mesh-TF keeps it in block_000).
    if 0 in encoder_blocks:
        want.add(("encoder", "relpos_bias", "rel_embedding"))
    if 0 in decoder_blocks:
        want.add(("decoder", "relpos_bias", "rel_embedding"))
    assert trained_at(DEEP, "gradual_unfreezing", 4, step) == want
    assert trained_at(DEEP, "gradual_unfreezing", 4, step) == {
        p
        for p, start in finetune.unfreeze_steps(DEEP, "gradual_unfreezing", 4).items()
        if start <= step
    }


def test_adapters_train_only_adapters_and_layer_norms():
    adapted = dataclasses.replace(DEEP, adapter_dim=4)
    norms_and_adapters = {
        ("encoder", "encoder_norm", "scale"),
        ("decoder", "decoder_norm", "scale"),
    }
    layer_norms = {
        "encoder": ("pre_attention_layer_norm", "pre_mlp_layer_norm"),
        "decoder": (
            "pre_self_attention_layer_norm",
            "pre_cross_attention_layer_norm",
            "pre_mlp_layer_norm",
        ),
    }
    for stack, depth in (("encoder", 3), ("decoder", 2)):
        for i in range(depth):
            layer = (stack, f"layers_{i}")
            for norm in (*layer_norms[stack], "pre_adapter_layer_norm"):
                norms_and_adapters.add((*layer, norm, "scale"))
            for dense in ("wi", "wo"):
                norms_and_adapters.add((*layer, "adapter", dense, "kernel"))
    for step in (0, 10**6):
        assert trained_at(adapted, "adapters", 0, step) == norms_and_adapters
    trained, total = finetune.trained_fraction(adapted, "adapters")
    shapes = _shapes(adapted)
    assert total == sum(np.prod(s) for s in shapes.values())
    assert trained == sum(np.prod(shapes[p]) for p in norms_and_adapters)


def _shapes(config):
    from c4forge.model.t5 import abstract_params

    return {
        k: v.shape for k, v in traverse_util.flatten_dict(nn.unbox(abstract_params(config))).items()
    }


def test_all_trains_everything_without_a_mask():
    assert finetune.trainable_fn(DEEP, "all") is None
    assert set(finetune.unfreeze_steps(DEEP, "all").values()) == {0}
    assert set(finetune.unfreeze_steps(DEEP, "all")) == all_paths(DEEP)


def test_default_episode_is_steps_over_blocks():
    # The paper: 2^18 fine-tuning steps in 12 episodes for 12 + 12 blocks.
    assert finetune.default_unfreeze_every(2**18, preset("t5-base")) == 2**18 // 12
    assert finetune.default_unfreeze_every(5, DEEP) == 1
    assert finetune.default_unfreeze_every(30, DEEP) == 10  # the deeper stack counts


@pytest.mark.parametrize(
    ("config", "strategy", "every", "message"),
    [
        (TINY, "adapters", 0, "finetune=adapters needs adapter_dim > 0"),
        (TINY, "gradual_unfreezing", 0, "needs unfreeze_every_steps >= 1, got 0"),
        (TINY, "lora", 0, "finetune must be one of all, adapters, gradual_unfreezing; got 'lora'"),
    ],
)
def test_bad_strategies(config, strategy, every, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        finetune.trainable_fn(config, strategy, every)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"finetune": "lora"}, "TrainConfig.finetune must be one of all, adapters, gradual_"),
        ({"unfreeze_every_steps": -1}, "TrainConfig.unfreeze_every_steps must be >= 0, got -1"),
        ({"data_tokens": -1}, "TrainConfig.data_tokens must be >= 0, got -1"),
    ],
)
def test_train_config_checks_the_new_settings(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainConfig(**change)


# ---------------------------------------------------------------------------------------------
# Training: frozen parameters bit-identical, the trained set exactly the specified one.


def run_steps(config, params, strategy, every, steps):
    """States after each of `steps` jitted train steps (learning rate large enough to move
    every trained leaf in float32)."""
    optimizer = train_step.make_optimizer("constant", 1e-2)
    step_fn = train_step.make_train_step(
        config,
        optimizer,
        donate=False,
        trainable=finetune.trainable_fn(config, strategy, every),
    )
    state = train_step.TrainState(jnp.int32(0), params, optimizer.init(params))
    out = [jax.device_get(state.params)]
    for s in range(steps):
        state, metrics = step_fn(state, batch(s))
        assert int(metrics["step"]) == s
        out.append(jax.device_get(state.params))
    return out


def test_adapter_training_moves_exactly_adapters_and_norms():
    checkpoint = init(TINY, 5)
    params = finetune.add_adapters(ADAPTED, checkpoint, jax.random.key(6))
    states = run_steps(ADAPTED, params, "adapters", 0, 3)
    want = {p for p, start in finetune.unfreeze_steps(ADAPTED, "adapters").items() if start == 0}
    assert want == {p for p in all_paths(ADAPTED) if "adapter" in p or p[-2].endswith("norm")}
    assert changed(states[0], states[-1]) == want
    # wo starts at zero, so wi's first gradient is zero: only wo and the norms move at step 0.
    first = changed(states[0], states[1])
    assert {p for p in first if p[-2] == "wi"} == set()
    assert {p for p in first if p[-2] == "wo"} == {p for p in want if p[-2] == "wo"}


def test_gradual_unfreezing_moves_one_more_block_per_episode():
    params = init(DEEP, 7)
    states = run_steps(DEEP, params, "gradual_unfreezing", 2, 6)
    top = ALWAYS | block("encoder", 2) | block("decoder", 1)
    second = top | block("encoder", 1) | block("decoder", 0) | {RELPOS_DECODER}
    everything = all_paths(DEEP)
    expected = [top, top, second, second, everything, everything]
    for step, want in enumerate(expected):
        assert changed(states[step], states[step + 1]) == want, step


def test_frozen_parameters_survive_non_finite_updates():
    # jnp.where, not update * 0: a NaN update of a frozen parameter leaves it as it was.
    old = {"a": jnp.array([1.0, -0.0]), "b": jnp.array([2.0])}
    new = {"a": jnp.array([jnp.nan, jnp.inf]), "b": jnp.array([jnp.nan])}
    kept = finetune.keep_frozen(new, old, {"a": jnp.bool_(False), "b": False})
    assert same_bits(kept["a"], old["a"])
    assert same_bits(kept["b"], old["b"])


# ---------------------------------------------------------------------------------------------
# `c4forge train --init-from ... --set finetune=...`, one tiny run per strategy.


@pytest.fixture
def fresh_catalog():
    from c4forge.tasks import catalog

    catalog.unregister_all()
    yield
    catalog.unregister_all()


def _args(c4_dir, spm_model):
    return [
        "--mixture", "c4_en_v310_span_corruption",
        "--batch", "4",
        "--lengths", "32,8",
        "--c4", str(c4_dir),
        "--vocab", str(spm_model),
        "--set", "log_every=1",
        "--set", "eval_batches=0",
        "--set", "eval_examples=0",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, c4_dir, spm_model):
    """A t5-tiny run of 2 steps: the checkpoint every strategy starts from."""
    from c4forge.cli import train as train_cli
    from c4forge.tasks import catalog

    catalog.unregister_all()
    out = tmp_path_factory.mktemp("finetune") / "pre"
    argv = [*_args(c4_dir, spm_model), "--model", "t5-tiny", "--set", "vocab_size=1152"]
    assert train_cli.main([*argv, "--out", str(out), "--steps", "2"]) == 0
    catalog.unregister_all()
    return out


@pytest.mark.parametrize(
    ("settings", "frozen", "note"),
    [
        # adapters: everything but the adapters and the layer norms; trained: 4 blocks x
        # (32 x 4 + 4 x 32 + a norm of 32) + 12 norms of 32 = 1,536
        (
            ["finetune=adapters", "adapter_dim=4"],
            lambda p: "adapter" not in p and not p[-2].endswith("norm"),
            "finetune=adapters trains 1,536 of ",
        ),
        # 3 steps of episodes of 5: the bottom blocks and the relative-position tables wait
        (
            ["finetune=gradual_unfreezing", "unfreeze_every_steps=5"],
            lambda p: "layers_0" in p or "relpos_bias" in p,
            "finetune=gradual_unfreezing: one more block per stack every 5 steps, all from step 5",
        ),
        (["finetune=all"], lambda p: False, None),
    ],
)
def test_fine_tune_from_a_checkpoint(
    pretrained, tmp_path, c4_dir, spm_model, fresh_catalog, capsys, settings, frozen, note
):
    from c4forge.cli import train as train_cli
    from c4forge.model.checkpoint import load_params

    out = tmp_path / "fine"
    argv = [*_args(c4_dir, spm_model), "--init-from", str(pretrained), "--out", str(out)]
    argv += ["--steps", "3", "--set", "checkpoint_every=3", "--set", "dropout_rate=0.0"]
    for setting in settings:
        argv += ["--set", setting]
    assert train_cli.main(argv) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "finetune=" in line]
    assert [note in line for line in notes] == ([] if note is None else [True])
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["finetune"] == settings[0].split("=")[1]
    before, after = flat(load_params(str(pretrained))), flat(load_params(str(out)))
    new = set(after) - set(before)
    adapters = {p for p in after if any("adapter" in key for key in p)}
    assert new == (adapters if "adapter_dim=4" in settings else set())
    want_frozen = {p for p in before if frozen(p)}
    assert {p for p in before if same_bits(before[p], after[p])} == want_frozen
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [1, 2, 3]


def test_default_unfreezing_episode_is_resolved_into_the_settings(pretrained, c4_dir, spm_model):
    from c4forge.cli import train as train_cli

    argv = [*_args(c4_dir, spm_model), "--init-from", str(pretrained), "--out", "unused"]
    argv += ["--steps", "30", "--set", "finetune=gradual_unfreezing"]
    settings = train_cli.resolve(train_cli.build_parser().parse_args(argv))
    assert settings["train"]["unfreeze_every_steps"] == 15  # 30 steps / 2 blocks per stack
    argv += ["--set", "unfreeze_every_steps=7"]
    settings = train_cli.resolve(train_cli.build_parser().parse_args(argv))
    assert settings["train"]["unfreeze_every_steps"] == 7


@pytest.mark.parametrize(
    ("settings", "init", "message"),
    [
        (
            ["finetune=adapters", "adapter_dim=8"],
            False,
            "finetune=adapters fine-tunes a checkpoint: add --init-from PATH",
        ),
        (
            ["finetune=gradual_unfreezing"],
            False,
            "finetune=gradual_unfreezing fine-tunes a checkpoint: add --init-from PATH",
        ),
        (["finetune=adapters"], True, "finetune=adapters needs adapter_dim > 0"),
        (["finetune=bitfit"], True, "TrainConfig.finetune must be one of all, adapters"),
        (["adapter_dim=-1"], True, "T5Config.adapter_dim must be >= 0, got -1"),
    ],
)
def test_bad_strategy_is_one_line(
    pretrained, tmp_path, c4_dir, spm_model, fresh_catalog, capsys, settings, init, message
):
    from c4forge.cli import train as train_cli

    argv = [*_args(c4_dir, spm_model), "--out", str(tmp_path / "bad"), "--steps", "2"]
    argv += ["--init-from", str(pretrained)] if init else ["--model", "t5-tiny"]
    for setting in settings:
        argv += ["--set", setting]
    assert train_cli.main(argv) == train_cli.USAGE_EXIT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("c4forge train: error: ")
    assert message in err[0]
    assert not Path(tmp_path / "bad" / "checkpoints").exists()


def test_settings_lists_the_strategy_keys(capsys):
    from c4forge.cli import train as train_cli

    assert train_cli.main(["--settings"]) == 0
    listing = capsys.readouterr().out
    for key in ("adapter_dim", "finetune", "unfreeze_every_steps", "data_tokens"):
        assert f"  {key} " in listing
