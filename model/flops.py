"""Model FLOPs of a T5 training step (any §3.2 architecture) and accelerator peaks, for MFU.

Accounting as docs/MODEL.md §3 (and the MFU figures of nanoT5/t5x derived there): training
FLOPs = 6 x matmul multiply-adds of the forward pass (2 forward + 4 backward), counting every
projection, both attention products (scores and values), cross-attention keys/values over the
whole encoder output, and the logits layer, with no causal halving and nothing for norms,
softmax or embeddings lookups. T5-small at 512/114 is 106.3 GFLOP per sequence, T5.1.1-base
425.9 GFLOP. Padding in a packed row counts (MFU measures the hardware, not the data).

MFU = achieved model FLOP/s / (peak FLOP/s per device x devices). Peaks are dense bf16.
"""

from __future__ import annotations

from c4forge.model.config import T5Config

# Dense bf16 TFLOP/s per device (vendor data sheets; MODEL.md §3 for A100/H100/TPUv3).
PEAK_TFLOPS = {
    "a100": 312.0,
    "h100": 989.0,
    "h200": 989.0,  # same SXM compute as the H100 (MODEL.md: "same 989 peak")
    "tpu v3": 123.0,
    "tpu v4": 275.0,
    "tpu v5 lite": 197.0,  # v5e
    "tpu v5e": 197.0,
    "tpu v5p": 459.0,
}


def forward_macs(config: T5Config, inputs_length: int, targets_length: int) -> int:
    """Matmul multiply-adds of one forward pass over one inputs/targets sequence pair.

    Decoder-only models (Raffel et al. §3.2.1) run one stack of num_decoder_layers over the
    inputs and targets concatenated, with logits at every position; the shared encoder-decoder
    costs what the encoder-decoder costs (same computation, one parameter set). Adapter layers
    (`adapter_dim` > 0) count as the MLPs they are.
    """
    e, t = inputs_length, targets_length
    d, hk, ff = config.d_model, config.num_heads * config.d_kv, config.d_ff
    mlp_in = 2 if config.mlp == "gated-gelu" else 1  # wi_0 and wi_1 for gated-GELU
    # per position: wi (+ wi_1) and wo; with adapters (model/finetune.py), the adapter's own
    # relu MLP of inner size adapter_dim after every MLP block (Table 10's models)
    mlp = (mlp_in + 1) * d * ff + 2 * d * config.adapter_dim
    if config.decoder_only:
        s = e + t  # self-attention as an encoder layer's, over s x s (no causal halving)
        stack = s * (4 * d * hk + mlp) + 2 * s * s * hk
        return config.num_decoder_layers * stack + s * d * config.vocab_size
    # Encoder layer: q, k, v, o projections; scores q.k and weights.v over e x e.
    encoder = e * (4 * d * hk + mlp) + 2 * e * e * hk
    # Decoder layer: self-attention as above over t x t; cross-attention q and o on the
    # targets, k and v on the whole encoder output, products over t x e; the MLP.
    decoder = t * (4 * d * hk + 2 * d * hk + mlp) + 2 * t * t * hk + 2 * e * d * hk + 2 * t * e * hk
    logits = t * d * config.vocab_size
    return config.num_encoder_layers * encoder + config.num_decoder_layers * decoder + logits


def training_flops_per_sequence(config: T5Config, inputs_length: int, targets_length: int) -> int:
    """6 x forward multiply-adds: one packed row's share of a training step."""
    return 6 * forward_macs(config, inputs_length, targets_length)


def peak_flops(device_kind: str) -> float | None:
    """Dense bf16 FLOP/s of one device of `device_kind` (jax.Device.device_kind), or None
    when unknown (CPUs: there is no meaningful single peak, so MFU is not reported)."""
    kind = device_kind.lower()
    for name, tflops in PEAK_TFLOPS.items():
        if name in kind:
            return tflops * 1e12
    return None


def mfu(flops_per_second: float, peak_per_device: float | None, devices: int) -> float | None:
    """Model FLOPs utilisation in [0, 1], or None without a known peak."""
    if not peak_per_device:
        return None
    return flops_per_second / (peak_per_device * devices)
