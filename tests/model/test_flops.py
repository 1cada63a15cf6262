"""model/flops.py against the per-sequence figures of docs/MODEL.md §3 (computed there by hand)."""

import pytest

from c4forge.model.config import preset
from c4forge.model.flops import mfu, peak_flops, training_flops_per_sequence

# GFLOP per 512/114 and per 512/128 sequence, MODEL.md §3 (given to 4-5 significant figures).
PUBLISHED = {
    "t5-small": (106.3, 109.9),
    "t5.1.1-base": (425.9, 437.5),
    "t5.1.1-large": (1467.8, 1503.8),
    "t5.1.1-xl": (5346, 5472),
    "t5.1.1-xxl": (20900, 21381),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_training_flops_match_the_published_accounting(name):
    at_114, at_128 = PUBLISHED[name]
    config = preset(name)
    assert training_flops_per_sequence(config, 512, 114) / 1e9 == pytest.approx(at_114, rel=5e-4)
    assert training_flops_per_sequence(config, 512, 128) / 1e9 == pytest.approx(at_128, rel=5e-4)


def test_cpu_step_figure_of_model_md():
    # §4: T5-small, batch 8 x 512/114 is 850.0 GFLOP per step.
    assert 8 * training_flops_per_sequence(preset("t5-small"), 512, 114) / 1e9 == pytest.approx(
        850.0, abs=0.1
    )


def test_peaks_and_mfu():
    assert peak_flops("NVIDIA H200") == 989e12
    assert peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert peak_flops("TPU v3") == 123e12
    assert peak_flops("cpu") is None
    # nanoT5's anchor: 97.4 TFLOP/s on one A100 is 31.2 % MFU
    assert mfu(97.4e12, peak_flops("A100"), 1) == pytest.approx(0.312, abs=1e-3)
    assert mfu(1e12, None, 1) is None


@pytest.mark.parametrize("architecture", ["encoder_decoder", "prefix_lm"])
def test_adapters_count_as_the_matmuls_they_add(architecture):
    """Each adapter's matmuls are one multiply-add per weight per position it runs on: the
    adapter weights (from the parameter tree's shapes, not from flops.py) times the positions
    of the stack they sit in, x6 for a training step."""
    import dataclasses

    import jax

    from c4forge.model.config import study_architecture
    from c4forge.model.t5 import abstract_params

    base = study_architecture(preset("t5-tiny"), architecture)
    adapted = dataclasses.replace(base, adapter_dim=24)
    weights = {"encoder": 0, "decoder": 0}
    for path, leaf in jax.tree_util.tree_leaves_with_path(abstract_params(adapted)):
        keys = [getattr(k, "key", None) for k in path]
        if "adapter" in keys and len(leaf.shape) == 2:  # wi [d, 24] and wo [24, d]
            weights["encoder" if "encoder" in keys else "decoder"] += leaf.shape[0] * leaf.shape[1]
    assert weights["decoder"] == base.num_decoder_layers * 2 * base.d_model * 24
    e, t = 64, 16
    positions = {"encoder": e, "decoder": t} if not base.decoder_only else {"decoder": e + t}
    added = sum(weights[stack] * n for stack, n in positions.items())
    assert (
        training_flops_per_sequence(adapted, e, t) - training_flops_per_sequence(base, e, t)
        == 6 * added
    )
