"""T5 checkpoints in Hugging Face transformers' layout: import into our parameters, and export.

Users fine-tune released T5 models offline: a directory with `config.json` and the weights
(`model.safetensors`, sharded `model-0000X-of-0000Y.safetensors` + `model.safetensors.index.json`,
or `pytorch_model.bin`, possibly sharded too) becomes a `T5Config` and a nested dict of float32
numpy arrays shaped exactly like `partitioning.init_fn(config, rng)`.

The mapping (HF `modeling_t5.py` names; nn.Linear weights are [out, in], Flax kernels [in, out],
so every projection is transposed):
- `shared.weight` [n, d] -> token_embedder/embedding [n, d];
- `{encoder,decoder}.block.0.layer.0.SelfAttention.relative_attention_bias.weight` [buckets, h]
  -> {encoder,decoder}/relpos_bias/rel_embedding [h, buckets] (HF keeps the one shared table in
  block 0; so do we, per stack);
- encoder block i: layer.0 = layer_norm + SelfAttention.{q,k,v,o}, layer.1 = layer_norm +
  DenseReluDense.{wi | wi_0, wi_1, wo}; decoder block i: layer.0 self-attention, layer.1
  EncDecAttention, layer.2 the MLP; `{encoder,decoder}.final_layer_norm.weight` -> *_norm/scale;
- `lm_head.weight` [n, d] -> decoder/logits_dense/kernel [d, n] when the logits are untied.

Tying. v1.0 ties the logits to the embedding and rescales the decoder output by d_model**-0.5;
T5.1.1 has its own unscaled `lm_head` (its configs say `tie_word_embeddings: false`).
transformers 5.x always ties `lm_head` to `shared` and records the rescale as
`scale_decoder_outputs` (MODEL.md §6; huggingface/transformers#42815), so a T5.1.1 checkpoint
it saves has no `lm_head.weight` and computes `decoder_out @ shared^T`. We read the rescale as
"tied" (ours: `logits = out @ E^T * d_model**-0.5`); without it we build an untied
`logits_dense` from `lm_head.weight`, or from a copy of `shared.weight` when the file has none,
which reproduces that checkpoint's logits exactly and then trains apart from the embedding, as
T5.1.1 does.

Tensors that may be present and carry nothing of their own: the tied copies
`encoder.embed_tokens.weight`, `decoder.embed_tokens.weight` and (tied) `lm_head.weight`, which
must equal `shared.weight`, and `decoder.block.0.layer.1.EncDecAttention.relative_attention_bias
.weight` (old checkpoints; cross-attention has no position bias, HF drops it on load too). Any
other extra tensor is an error, as is a missing or misshaped one; every error is one line naming
the file and the tensor. Weights stored as bf16/fp16 are upcast to float32 (exact).

safetensors are read with `safetensors` (its numpy API; its flax API for bf16, which numpy
lacks), so torch is needed only for `pytorch_model.bin`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from c4forge.model.config import T5Config

CONFIG_FILE = "config.json"
SAFETENSORS_FILE = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
TORCH_FILE = "pytorch_model.bin"
TORCH_INDEX = "pytorch_model.bin.index.json"

# config.json fields with no default: every T5 config.json names them.
_REQUIRED = ("vocab_size", "d_model", "d_ff", "num_layers", "num_heads", "d_kv")
# HF T5Config's defaults for the rest: released configs (t5-small, 2020) omit these fields.
_DEFAULTS = {
    "feed_forward_proj": "relu",
    "dropout_rate": 0.1,
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "layer_norm_epsilon": 1e-6,
}
# HF's "gated-gelu" runs gelu_new (tanh approximation), as flax's nn.gelu(approximate=True).
_MLP_KINDS = {"relu": "relu", "gated-gelu": "gated-gelu", "gated-gelu_new": "gated-gelu"}
_HARMLESS_EXTRA = ("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",)
_TIED_COPIES = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")


def config_from_hf(hf_config: Mapping[str, Any]) -> T5Config:
    """Our T5Config from the fields of an HF T5 `config.json` (as a dict)."""
    model_type = hf_config.get("model_type")
    if model_type != "t5":
        raise ValueError(f"not a T5 config: model_type is {model_type!r}, expected 't5'")
    missing = [key for key in _REQUIRED if hf_config.get(key) is None]
    if missing:
        raise ValueError(f"T5 config.json lacks required field(s): {', '.join(missing)}")
    fields = {**_DEFAULTS, **{k: v for k, v in hf_config.items() if v is not None}}
    proj = fields["feed_forward_proj"]
    if proj not in _MLP_KINDS:
        raise ValueError(
            f"unsupported feed_forward_proj {proj!r}; supported: {', '.join(_MLP_KINDS)}"
        )
    fields.setdefault("num_decoder_layers", fields["num_layers"])  # HF: symmetric by default

    def number(key: str, kind: type = int):
        value = fields[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"T5 config.json field {key} must be a number, got {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"T5 config.json field {key} must be an integer, got {value!r}")
        return kind(value)

    return T5Config(
        d_model=number("d_model"),
        d_ff=number("d_ff"),
        num_encoder_layers=number("num_layers"),
        num_decoder_layers=number("num_decoder_layers"),
        num_heads=number("num_heads"),
        d_kv=number("d_kv"),
        mlp=_MLP_KINDS[proj],
        tied_embeddings=_scales_decoder_output(hf_config),
        dropout_rate=number("dropout_rate", float),
        vocab_size=number("vocab_size"),
        relative_buckets=number("relative_attention_num_buckets"),
        relative_max_distance=number("relative_attention_max_distance"),
        layer_norm_eps=number("layer_norm_epsilon", float),
    )


def _scales_decoder_output(hf_config: Mapping[str, Any]) -> bool:
    # transformers 5.x writes scale_decoder_outputs; older configs only tie_word_embeddings
    # (absent = tied, HF's default), from which 5.x derives the same flag.
    if hf_config.get("scale_decoder_outputs") is not None:
        return bool(hf_config["scale_decoder_outputs"])
    return hf_config.get("tie_word_embeddings") is not False


def config_to_hf(config: T5Config) -> dict[str, Any]:
    """The HF `config.json` fields describing `config` (T5ForConditionalGeneration)."""
    if config.architecture != "encoder_decoder":
        raise ValueError(
            f"HF T5 checkpoints hold encoder-decoders only; architecture "
            f"{config.architecture!r} has no HF T5 layout"
        )
    return {
        "architectures": ["T5ForConditionalGeneration"],
        "model_type": "t5",
        "vocab_size": config.vocab_size,
        "d_model": config.d_model,
        "d_ff": config.d_ff,
        "d_kv": config.d_kv,
        "num_layers": config.num_encoder_layers,
        "num_decoder_layers": config.num_decoder_layers,
        "num_heads": config.num_heads,
        "feed_forward_proj": config.mlp,
        "tie_word_embeddings": config.tied_embeddings,
        "scale_decoder_outputs": config.tied_embeddings,
        "dropout_rate": config.dropout_rate,
        "relative_attention_num_buckets": config.relative_buckets,
        "relative_attention_max_distance": config.relative_max_distance,
        "layer_norm_epsilon": config.layer_norm_eps,
        "is_encoder_decoder": True,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
    }


def is_hf_checkpoint(path: str | os.PathLike) -> bool:
    """True for a directory whose config.json says model_type "t5" or names a T5 architecture."""
    try:
        config = json.loads((Path(path) / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(config, dict):
        return False
    architectures = config.get("architectures") or []
    return config.get("model_type") == "t5" or any("T5" in str(a) for a in architectures)


# ---------------------------------------------------------------------------------------------
# The name mapping: (HF tensor name, our parameter path, transposed?) for one config.

Path_ = tuple[str, ...]


def _attention(hf: str, ours: Path_) -> Iterator[tuple[str, Path_, bool]]:
    for hf_name, our_name in (("q", "query"), ("k", "key"), ("v", "value"), ("o", "out")):
        yield f"{hf}.{hf_name}.weight", (*ours, our_name, "kernel"), True


def _mlp(config: T5Config, hf: str, ours: Path_) -> Iterator[tuple[str, Path_, bool]]:
    names = ("wi", "wo") if config.mlp == "relu" else ("wi_0", "wi_1", "wo")
    for name in names:
        yield f"{hf}.DenseReluDense.{name}.weight", (*ours, "mlp", name, "kernel"), True


def _mapping(config: T5Config) -> Iterator[tuple[str, Path_, bool]]:
    yield "shared.weight", ("token_embedder", "embedding"), False
    for stack in ("encoder", "decoder"):
        rel = f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"
        yield rel, (stack, "relpos_bias", "rel_embedding"), True  # [buckets, h] -> [h, buckets]
        yield f"{stack}.final_layer_norm.weight", (stack, f"{stack}_norm", "scale"), False
    for i in range(config.num_encoder_layers):
        hf, ours = f"encoder.block.{i}.layer", ("encoder", f"layers_{i}")
        yield f"{hf}.0.layer_norm.weight", (*ours, "pre_attention_layer_norm", "scale"), False
        yield from _attention(f"{hf}.0.SelfAttention", (*ours, "attention"))
        yield f"{hf}.1.layer_norm.weight", (*ours, "pre_mlp_layer_norm", "scale"), False
        yield from _mlp(config, f"{hf}.1", ours)
    for i in range(config.num_decoder_layers):
        hf, ours = f"decoder.block.{i}.layer", ("decoder", f"layers_{i}")
        yield f"{hf}.0.layer_norm.weight", (*ours, "pre_self_attention_layer_norm", "scale"), False
        yield from _attention(f"{hf}.0.SelfAttention", (*ours, "self_attention"))
        yield f"{hf}.1.layer_norm.weight", (*ours, "pre_cross_attention_layer_norm", "scale"), False
        yield from _attention(f"{hf}.1.EncDecAttention", (*ours, "encoder_decoder_attention"))
        yield f"{hf}.2.layer_norm.weight", (*ours, "pre_mlp_layer_norm", "scale"), False
        yield from _mlp(config, f"{hf}.2", ours)
    if not config.tied_embeddings:
        yield "lm_head.weight", ("decoder", "logits_dense", "kernel"), True


def _expected_shapes(config: T5Config) -> dict[Path_, tuple[int, ...]]:
    """Our parameter shapes, read off the model's own abstract init (nothing allocated)."""
    import jax
    from flax import linen as nn

    from c4forge.model.t5 import abstract_params

    leaves = jax.tree_util.tree_leaves_with_path(nn.unbox(abstract_params(config)))
    return {tuple(k.key for k in path): tuple(leaf.shape) for path, leaf in leaves}


# ---------------------------------------------------------------------------------------------
# Reading the weight files.


def _weight_files(directory: Path) -> tuple[list[Path], str]:
    """The weight files of `directory` and how to describe them in errors."""
    for single, index in ((SAFETENSORS_FILE, SAFETENSORS_INDEX), (TORCH_FILE, TORCH_INDEX)):
        if (directory / single).is_file():
            return [directory / single], str(directory / single)
        if (directory / index).is_file():
            try:
                weight_map = json.loads((directory / index).read_text())["weight_map"]
                names = sorted(set(weight_map.values()))
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise ValueError(f"{directory / index}: unreadable shard index ({err})") from None
            return [directory / name for name in names], str(directory / index)
    raise ValueError(
        f"{directory}: no weights found (looked for {SAFETENSORS_FILE}, {SAFETENSORS_INDEX}, "
        f"{TORCH_FILE}, {TORCH_INDEX})"
    )


def _read_safetensors(file: Path) -> dict[str, np.ndarray]:
    from safetensors import safe_open

    if not file.is_file():
        raise ValueError(f"{file}: shard listed in the index is missing")
    tensors = {}
    try:
        with safe_open(str(file), framework="numpy") as f:
            names = list(f.keys())  # a safe_open handle is not iterable
            bf16 = [name for name in names if f.get_slice(name).get_dtype() == "BF16"]
            for name in names:
                if name not in bf16:
                    tensors[name] = f.get_tensor(name)
        if bf16:  # numpy has no bfloat16; the flax API returns jax arrays of it
            with safe_open(str(file), framework="flax") as f:
                for name in bf16:
                    tensors[name] = np.asarray(f.get_tensor(name), np.float32)
    except (OSError, ValueError, TypeError) as err:
        raise ValueError(f"{file}: cannot read safetensors ({_first_line(err)})") from None
    return tensors


def _read_torch(file: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise ValueError(
            f"{file}: reading PyTorch weights needs torch; install the `hf` extra "
            "(pip install -e '.[hf]') or convert the checkpoint to safetensors"
        ) from None
    if not file.is_file():
        raise ValueError(f"{file}: shard listed in the index is missing")
    try:
        state = torch.load(file, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises many kinds (UnpicklingError, RuntimeError, ...)
        raise ValueError(f"{file}: cannot read PyTorch weights ({_first_line(err)})") from None
    if not isinstance(state, Mapping):
        raise ValueError(f"{file}: expected a state dict, found {type(state).__name__}")
    out = {}
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ValueError(f"{file}: entry {name!r} is a {type(tensor).__name__}, not a tensor")
        # bf16 has no numpy dtype: upcast in torch first (exact for bf16 and fp16).
        out[name] = tensor.detach().to(torch.float32).numpy()
    return out


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _read_tensors(files: list[Path]) -> dict[str, tuple[np.ndarray, Path]]:
    """Every tensor of `files` as (array, the file it came from)."""
    tensors: dict[str, tuple[np.ndarray, Path]] = {}
    for file in files:
        read = _read_safetensors if file.name.endswith(".safetensors") else _read_torch
        for name, array in read(file).items():
            if name in tensors:
                raise ValueError(f"{file}: tensor {name!r} also appears in {tensors[name][1]}")
            tensors[name] = (array, file)
    return tensors


# ---------------------------------------------------------------------------------------------
# Load and export.


def load(path: str | os.PathLike) -> tuple[T5Config, dict[str, Any]]:
    """(config, params) from an HF T5 checkpoint directory; params are float32 numpy arrays."""
    directory = Path(path)
    if not (directory / CONFIG_FILE).is_file():
        raise ValueError(f"{directory}: not an HF checkpoint directory (no {CONFIG_FILE})")
    try:
        hf_config = json.loads((directory / CONFIG_FILE).read_text())
    except ValueError as err:
        raise ValueError(f"{directory / CONFIG_FILE}: invalid JSON ({err})") from None
    if not isinstance(hf_config, dict):
        raise ValueError(f"{directory / CONFIG_FILE}: expected a JSON object")
    try:
        config = config_from_hf(hf_config)
    except ValueError as err:
        raise ValueError(f"{directory / CONFIG_FILE}: {err}") from None
    files, where = _weight_files(directory)
    tensors = _read_tensors(files)
    if "shared.weight" not in tensors and "encoder.embed_tokens.weight" in tensors:
        tensors["shared.weight"] = tensors.pop("encoder.embed_tokens.weight")
    untied_without_head = not config.tied_embeddings and "lm_head.weight" not in tensors
    if untied_without_head and "shared.weight" in tensors:
        # transformers 5.x files: the untied head is the embedding (see the module docstring).
        embedding, file = tensors["shared.weight"]
        tensors["lm_head.weight"] = (embedding.copy(), file)

    shapes = _expected_shapes(config)
    params: dict[str, Any] = {}
    for hf_name, ours, transpose in _mapping(config):
        if hf_name not in tensors:
            raise ValueError(f"{where}: missing tensor {hf_name!r} (for {'/'.join(ours)})")
        array, file = tensors.pop(hf_name)
        want = shapes.pop(ours)
        got = array.shape[::-1] if transpose else array.shape
        if got != want:
            hf_want = want[::-1] if transpose else want
            raise ValueError(
                f"{file}: tensor {hf_name!r} has shape {tuple(array.shape)}, expected {hf_want} "
                f"for {'/'.join(ours)}"
            )
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{file}: tensor {hf_name!r} has dtype {array.dtype}, not float")
        value = np.ascontiguousarray(array.T if transpose else array, dtype=np.float32)
        node = params
        for key in ours[:-1]:
            node = node.setdefault(key, {})
        node[ours[-1]] = value
    if shapes:  # a parameter the mapping never produced: a bug here, not in the checkpoint
        raise AssertionError(f"mapping misses parameters: {sorted('/'.join(p) for p in shapes)}")
    _check_leftovers(tensors, params["token_embedder"]["embedding"], config, where)
    return config, params


def _check_leftovers(tensors, embedding: np.ndarray, config: T5Config, where: str) -> None:
    """Allow tied copies of the embedding and the dropped cross-attention bias; refuse the rest."""
    copies = _TIED_COPIES + (("lm_head.weight",) if config.tied_embeddings else ())
    for name in copies:
        if name in tensors:
            array, file = tensors.pop(name)
            if array.shape != embedding.shape or not np.array_equal(array, embedding):
                raise ValueError(
                    f"{file}: tensor {name!r} differs from shared.weight, but the config ties "
                    "them (tie_word_embeddings / scale_decoder_outputs)"
                )
    for name in _HARMLESS_EXTRA:
        tensors.pop(name, None)
    if tensors:
        names = sorted(tensors)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise ValueError(f"{where}: unexpected tensor(s) for this config: {shown}")


def export(config: T5Config, params: Mapping[str, Any], directory: str | os.PathLike) -> Path:
    """Write `config.json` and `model.safetensors` in HF's layout; `load` reads them back.

    transformers 5.x loads the result with `T5ForConditionalGeneration.from_pretrained`; for an
    untied (T5.1.1) config it ties `lm_head` to `shared` regardless (see the module docstring),
    so only v1.0 exports give the same logits there.
    """
    from safetensors.numpy import save_file

    config_to_hf(config)  # refuses the architectures HF's T5 cannot hold, before any write
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for hf_name, ours, transpose in _mapping(config):
        node = params
        for key in ours:
            node = node[key]
        array = np.asarray(node, np.float32)
        tensors[hf_name] = np.ascontiguousarray(array.T if transpose else array)
    save_file(tensors, str(out / SAFETENSORS_FILE), metadata={"format": "pt"})
    (out / CONFIG_FILE).write_text(json.dumps(config_to_hf(config), indent=2) + "\n")
    return out


__all__ = ["config_from_hf", "config_to_hf", "export", "is_hf_checkpoint", "load"]
