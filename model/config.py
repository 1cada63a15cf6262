"""T5 architecture hyperparameters, the published presets, and strict overrides.

The presets are the rows of Raffel et al. 2020 (JMLR, table 14: t5-small ... t5-11b) and of the
T5.1.1 release notes (`docs/models.md` of text-to-text-transfer-transformer: t5.1.1-small ... xxl),
as t5x's `t5_1_0/*.gin` and `t5_1_1/*.gin` configure them. `parameter_count` reads shapes off an
abstract `init` (`jax.eval_shape`), so it counts what the network actually builds, and it equals
the published totals at vocab 32128 (t5-small 60,506,624; t5.1.1-small 76,961,152).

`architecture` picks one of the variants of Raffel et al. §3.2 (Table 2, STUDY.md §2), all built
from the same layers (model/t5.py):
- "encoder_decoder": the baseline, a fully visible encoder and a causal decoder;
- "shared_encoder_decoder": one parameter set: the encoder runs the decoder's layers (their
  self-attention and MLP with its norms, its position table and final norm) fully visible and
  without cross-attention, as gin `bi_v1_shared.gin` (`make_bitransformer.encoder_name =
  "decoder"`); needs num_encoder_layers == num_decoder_layers;
- "decoder_only": a language model, one causal stack of num_decoder_layers layers, no encoder
  and no cross-attention (gin `lm_v1.gin`); needs num_encoder_layers == 0;
- "prefix_lm": the same stack, fully visible over the inputs (gin `lm_v1_ifa.gin`).
Decoder-only models read inputs and targets concatenated (§3.2.1; `feature_kind` says which
seqio feature converter makes their batches). The half-depth encoder-decoder is
num_encoder_layers = num_decoder_layers = L/2; `study_architecture` builds each of Table 2's
rows from an L+L baseline.

This module imports no JAX at module level: `c4forge model list` and config handling stay cheap.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

MLP_KINDS = ("relu", "gated-gelu")
DTYPES = ("float32", "bfloat16")
ARCHITECTURES = ("encoder_decoder", "shared_encoder_decoder", "decoder_only", "prefix_lm")
DECODER_ONLY = ("decoder_only", "prefix_lm")
# The model features each architecture reads, by the seqio feature converter that makes them:
# EncDecFeatureConverter, PrefixLMFeatureConverter without its prefix (loss on every token, as
# the paper's LM is trained), PrefixLMFeatureConverter (loss on the targets only).
FEATURE_KINDS = {
    "encoder_decoder": "encdec",
    "shared_encoder_decoder": "encdec",
    "decoder_only": "lm",
    "prefix_lm": "prefix_lm",
}


@dataclasses.dataclass(frozen=True)
class T5Config:
    """One T5 (encoder-decoder or a §3.2 variant). Parameters are always float32; `dtype` is for
    activations."""

    d_model: int
    d_ff: int
    num_encoder_layers: int
    num_decoder_layers: int
    num_heads: int
    d_kv: int  # per head; num_heads * d_kv need not equal d_model (t5-3b, t5.1.1-small)
    mlp: str  # "relu" (v1.0) or "gated-gelu" (T5.1.1: gelu(wi_0 x) * wi_1 x)
    tied_embeddings: bool  # v1.0: logits = out @ E^T * d_model**-0.5; T5.1.1: own logits_dense
    dropout_rate: float
    vocab_size: int = 32128  # 32000 SentencePiece + 100 sentinels, rounded up to 128
    relative_buckets: int = 32
    relative_max_distance: int = 128
    dtype: str = "float32"  # activations: "float32" or "bfloat16"
    layer_norm_eps: float = 1e-6
    adapter_dim: int = 0  # > 0: an adapter block after each MLP (model/finetune.py); 0: none
    architecture: str = "encoder_decoder"  # Raffel et al. §3.2, see the module docstring

    def __post_init__(self):
        if self.mlp not in MLP_KINDS:
            raise ValueError(_choice_error("mlp", self.mlp, MLP_KINDS))
        if self.dtype not in DTYPES:
            raise ValueError(_choice_error("dtype", self.dtype, DTYPES))
        if self.architecture not in ARCHITECTURES:
            raise ValueError(_choice_error("architecture", self.architecture, ARCHITECTURES))
        for field in ("vocab_size", "d_model", "d_ff", "num_heads", "d_kv", "relative_buckets"):
            if getattr(self, field) < 1:
                raise ValueError(f"T5Config.{field} must be positive, got {getattr(self, field)}")
        for field in ("num_encoder_layers", "num_decoder_layers", "adapter_dim"):
            if getattr(self, field) < 0:
                raise ValueError(f"T5Config.{field} must be >= 0, got {getattr(self, field)}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"T5Config.dropout_rate must be in [0, 1), got {self.dropout_rate}")
        self._check_layers_fit_the_architecture()

    def _check_layers_fit_the_architecture(self) -> None:
        enc, dec, arch = self.num_encoder_layers, self.num_decoder_layers, self.architecture
        if arch == "shared_encoder_decoder" and enc != dec:
            raise ValueError(
                f"T5Config.num_encoder_layers must equal num_decoder_layers for architecture "
                f"'shared_encoder_decoder' (encoder layer i runs decoder layer i); got {enc} "
                f"and {dec}"
            )
        if arch in DECODER_ONLY and enc != 0:
            raise ValueError(
                f"T5Config.num_encoder_layers must be 0 for architecture {arch!r} (one stack "
                f"of num_decoder_layers layers); got {enc}: set num_encoder_layers=0"
            )

    @property
    def decoder_only(self) -> bool:
        """True for the one-stack models (decoder_only, prefix_lm): no encoder at all."""
        return self.architecture in DECODER_ONLY

    @property
    def feature_kind(self) -> str:
        """The batches this model reads: "encdec", "lm" or "prefix_lm" (FEATURE_KINDS)."""
        return FEATURE_KINDS[self.architecture]


def _choice_error(field: str, value: Any, choices: tuple[str, ...]) -> str:
    return f"T5Config.{field} must be one of {', '.join(choices)}; got {value!r}"


# ---------------------------------------------------------------------------------------------
# Presets. v1.0: ReLU MLP, tied embeddings, dropout 0.1 (pretraining and fine-tuning).
# T5.1.1: gated-GELU, untied logits, dropout 0.0 for pretraining (set 0.1 to fine-tune).


def _t5(version: str, d_model: int, d_ff: int, layers: int, heads: int, d_kv: int) -> T5Config:
    v1_0 = version == "1.0"
    return T5Config(
        d_model=d_model,
        d_ff=d_ff,
        num_encoder_layers=layers,
        num_decoder_layers=layers,
        num_heads=heads,
        d_kv=d_kv,
        mlp="relu" if v1_0 else "gated-gelu",
        tied_embeddings=v1_0,
        dropout_rate=0.1 if v1_0 else 0.0,
    )


PRESETS: dict[str, Callable[[], T5Config]] = {
    "t5-small": lambda: _t5("1.0", 512, 2048, 6, 8, 64),
    "t5-base": lambda: _t5("1.0", 768, 3072, 12, 12, 64),
    "t5-large": lambda: _t5("1.0", 1024, 4096, 24, 16, 64),
    "t5-3b": lambda: _t5("1.0", 1024, 16384, 24, 32, 128),
    "t5-11b": lambda: _t5("1.0", 1024, 65536, 24, 128, 128),
    "t5.1.1-small": lambda: _t5("1.1", 512, 1024, 8, 6, 64),
    "t5.1.1-base": lambda: _t5("1.1", 768, 2048, 12, 12, 64),
    "t5.1.1-large": lambda: _t5("1.1", 1024, 2816, 24, 16, 64),
    "t5.1.1-xl": lambda: _t5("1.1", 2048, 5120, 24, 32, 64),
    "t5.1.1-xxl": lambda: _t5("1.1", 4096, 10240, 24, 64, 64),
    # Tiny shapes for tests and smoke runs; heads * d_kv != d_model on purpose in the v1.1 one.
    "t5-tiny": lambda: dataclasses.replace(_t5("1.0", 32, 64, 2, 4, 8), vocab_size=128),
    "t5.1.1-tiny": lambda: dataclasses.replace(_t5("1.1", 32, 48, 2, 3, 8), vocab_size=128),
    # The demo's model: small enough to learn the bundled tasks in minutes on 2 CPU cores.
    "t5.1.1-mini": lambda: _t5("1.1", 128, 384, 3, 4, 32),
}


def preset(name: str) -> T5Config:
    """The named preset; an unknown name raises one line listing the known ones."""
    try:
        make = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset {name!r}; known: {', '.join(PRESETS)}") from None
    return make()


# ---------------------------------------------------------------------------------------------
# The architectures of Raffel et al. §3.2 (Table 2) from one L+L encoder-decoder baseline.

# Row name -> (parameters, cost) as the paper accounts them (§3.2.2): P and L are one stack's
# parameters and layers, M the FLOPs of an L+L encoder-decoder (or an L-layer LM) on one
# (input, target) pair; encoder-decoder attention (~10% of the parameters) is ignored.
STUDY_ARCHITECTURES = {
    "encoder_decoder": ("2P", "M"),
    "shared_encoder_decoder": ("P", "M"),
    "half_depth": ("P", "M/2"),
    "decoder_only": ("P", "M"),
    "prefix_lm": ("P", "M"),
}


def study_architecture(baseline: T5Config, name: str) -> T5Config:
    """Row `name` of Table 2 built from `baseline`, an encoder-decoder of L + L layers.

    shared: L + L layers, one parameter set; half_depth: L/2 + L/2; decoder_only and prefix_lm:
    one stack of L layers. Everything else (widths, vocabulary, dtype, dropout) is the baseline's.
    """
    if name not in STUDY_ARCHITECTURES:
        raise ValueError(
            f"unknown study architecture {name!r}; known: {', '.join(STUDY_ARCHITECTURES)}"
        )
    layers = baseline.num_decoder_layers
    if baseline.architecture != "encoder_decoder" or baseline.num_encoder_layers != layers:
        raise ValueError(
            "the study's architectures derive from an L+L encoder-decoder; got architecture "
            f"{baseline.architecture!r} with {baseline.num_encoder_layers}+{layers} layers"
        )
    if name == "half_depth":
        if layers % 2:
            raise ValueError(f"half_depth needs an even number of layers per stack, got {layers}")
        return dataclasses.replace(
            baseline, num_encoder_layers=layers // 2, num_decoder_layers=layers // 2
        )
    if name in DECODER_ONLY:
        return dataclasses.replace(baseline, architecture=name, num_encoder_layers=0)
    return dataclasses.replace(baseline, architecture=name)


# ---------------------------------------------------------------------------------------------
# Strict overrides: `--set d_model=256` style strings, coerced to each field's type.

_TYPES = {"int": int, "float": float, "bool": bool, "str": str}
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def field_types(cls: type) -> dict[str, type]:
    """{field: int | float | bool | str} of a config dataclass (annotations are strings here)."""
    return {f.name: _TYPES[f.type] for f in dataclasses.fields(cls)}


def _coerce(owner: str, key: str, kind: type, value: Any) -> Any:
    bad = ValueError(f"{owner}.{key} wants {kind.__name__}, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if kind is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise bad
        if kind is str:
            return text
        try:
            return kind(text)
        except ValueError:
            raise bad from None
    # Already typed values: bool is an int in Python, so check it first.
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if isinstance(value, bool):
        raise bad
    if kind is float and isinstance(value, int | float):
        return float(value)
    if isinstance(value, kind):
        return value
    raise bad


def override(config: Any, changes: Mapping[str, Any]) -> Any:
    """`config` (a frozen config dataclass) with `changes` applied; unknown keys and values of
    the wrong type are errors. Strings are coerced to the field's type ("3" -> 3, "on" -> True).
    """
    owner = type(config).__name__
    types = field_types(type(config))
    unknown = [key for key in changes if key not in types]
    if unknown:
        raise ValueError(f"unknown {owner} key {unknown[0]!r}; valid keys: {', '.join(types)}")
    return dataclasses.replace(
        config, **{k: _coerce(owner, k, types[k], v) for k, v in changes.items()}
    )


def parse_assignments(items: list[str]) -> dict[str, str]:
    """`["d_model=256", "dtype=bfloat16"]` -> {"d_model": "256", "dtype": "bfloat16"}."""
    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"an override is KEY=VALUE, got {item!r}")
        changes[key.strip()] = value
    return changes


# ---------------------------------------------------------------------------------------------
# Parameter counts from shapes only.


def parameter_counts(config: T5Config) -> dict[str, int]:
    """Parameters per component: embedding, encoder, decoder, logits (0 when tied)."""
    return dict(_parameter_counts(config))


@functools.cache  # configs are frozen, hence hashable; tracing a 24-layer init takes ~1 s
def _parameter_counts(config: T5Config) -> dict[str, int]:
    import math

    import jax

    from c4forge.model.t5 import abstract_params

    counts = {"embedding": 0, "encoder": 0, "decoder": 0, "logits": 0}
    for path, leaf in jax.tree_util.tree_leaves_with_path(abstract_params(config)):
        keys = [getattr(k, "key", None) for k in path]
        if "token_embedder" in keys:
            part = "embedding"
        elif "logits_dense" in keys:
            part = "logits"
        elif "encoder" in keys:
            part = "encoder"
        elif "decoder" in keys:
            part = "decoder"
        else:
            raise AssertionError(f"parameter outside the known components: {keys}")
        counts[part] += math.prod(leaf.shape)
    return counts


def parameter_count(config: T5Config) -> int:
    """All trainable parameters, read off `jax.eval_shape` of the model's init (no allocation)."""
    return sum(parameter_counts(config).values())
