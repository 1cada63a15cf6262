"""model/hf.py against Hugging Face transformers itself: HF's own T5ForConditionalGeneration,
random weights, saved by HF, loaded by us, must give HF's logits (v1.0) and HF's encoder output
and logits (T5.1.1); the same through pytorch_model.bin, shards and bf16 files; export round
trips; and one-line errors for broken checkpoints.

Padding: HF masks pad keys only ([b, 1, 1, k] from attention_mask), we also mask pad queries
(segment 0), so encoder outputs at pad positions differ between the two and never reach a real
position (pad keys are masked in self- and cross-attention on both sides). Encoder outputs are
therefore compared on real positions only; logits at every decoder position (unpacked decoder:
causal mask only, on both sides).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import jax
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from c4forge.model import hf  # noqa: E402
from c4forge.model.config import preset  # noqa: E402
from c4forge.model.partitioning import init_fn  # noqa: E402
from c4forge.model.t5 import Transformer  # noqa: E402

VOCAB = 256
SMALL = {
    "vocab_size": VOCAB,
    "d_model": 64,
    "d_ff": 128,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 4,
    "d_kv": 16,
    "dropout_rate": 0.0,
    "decoder_start_token_id": 0,
}


def hf_model(feed_forward_proj: str, seed: int = 0, **overrides):
    """A random HF T5 in eval mode. HF initialises every layer norm to ones, which would hide a
    swap of two norms; they get random scales here so each tensor's place shows in the output."""
    config = transformers.T5Config(**{**SMALL, **overrides}, feed_forward_proj=feed_forward_proj)
    torch.manual_seed(seed)
    model = transformers.T5ForConditionalGeneration(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "layer_norm" in name:
                param.uniform_(0.5, 1.5)
    return model


def batch(seed: int = 0):
    """Encoder rows with 0, 5 and 2 trailing pads; decoder rows starting with 0, one padded."""
    rng = np.random.default_rng(seed)
    enc = rng.integers(1, VOCAB, size=(3, 12))
    enc[1, 7:] = 0
    enc[2, 10:] = 0
    dec = rng.integers(1, VOCAB, size=(3, 9))
    dec[:, 0] = 0
    dec[2, 6:] = 0
    return enc, dec


def hf_outputs(model, enc, dec):
    """HF logits [b, q, n] and encoder output [b, k, d] as numpy float32."""
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(enc),
            attention_mask=torch.tensor(enc != 0),
            decoder_input_ids=torch.tensor(dec),
        )
    return out.logits.numpy(), out.encoder_last_hidden_state.numpy()


def our_outputs(config, params, enc, dec):
    model = Transformer(config)
    apply = jax.jit(model.apply, static_argnames="method")
    logits = apply({"params": params}, enc, dec)
    encoded = apply({"params": params}, enc, method=Transformer.encode)
    return np.asarray(logits), np.asarray(encoded)


def assert_same_outputs(config, params, model, seed=0):
    enc, dec = batch(seed)
    hf_logits, hf_encoded = hf_outputs(model, enc, dec)
    logits, encoded = our_outputs(config, params, enc, dec)
    real = enc != 0
    np.testing.assert_allclose(encoded[real], hf_encoded[real], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits, hf_logits, rtol=1e-5, atol=1e-5)


def assert_same_params(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        assert x.dtype == y.dtype == np.float32
        np.testing.assert_array_equal(x, y)


def assert_our_tree(config, params):
    """Exactly the structure, shapes and dtype of the training parameters."""
    ours = init_fn(config, jax.random.key(0))
    assert jax.tree_util.tree_structure(params) == jax.tree_util.tree_structure(ours)
    leaves = zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(ours), strict=True)
    for got, want in leaves:
        assert isinstance(got, np.ndarray)
        assert got.shape == want.shape
        assert got.dtype == np.float32


@pytest.fixture(scope="module")
def v10(tmp_path_factory):
    """A v1.0 (relu, tied, rescaled logits) HF model saved by HF as model.safetensors."""
    model = hf_model("relu")
    path = tmp_path_factory.mktemp("v10")
    model.save_pretrained(path, safe_serialization=True)
    return model, path


@pytest.fixture(scope="module")
def v11(tmp_path_factory):
    """A T5.1.1 (gated-gelu, unscaled logits) HF model saved by HF 5.x: no lm_head in the file."""
    model = hf_model("gated-gelu", seed=1, tie_word_embeddings=False)
    path = tmp_path_factory.mktemp("v11")
    model.save_pretrained(path, safe_serialization=True)
    return model, path


# ---------------------------------------------------------------------------------------------
# Config.


def test_released_configs_give_our_presets():
    # The fields of the released config.json files (t5-small from 2020 omits feed_forward_proj,
    # num_decoder_layers, relative_attention_max_distance and tie_word_embeddings).
    t5_small = {
        "architectures": ["T5WithLMHeadModel"],
        "model_type": "t5",
        "d_ff": 2048,
        "d_kv": 64,
        "d_model": 512,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-06,
        "n_positions": 512,
        "num_heads": 8,
        "num_layers": 6,
        "relative_attention_num_buckets": 32,
        "vocab_size": 32128,
    }
    assert hf.config_from_hf(t5_small) == preset("t5-small")
    v1_1_small = {
        **t5_small,
        "architectures": ["T5ForConditionalGeneration"],
        "d_ff": 1024,
        "feed_forward_proj": "gated-gelu",
        "num_decoder_layers": 8,
        "num_heads": 6,
        "num_layers": 8,
        "tie_word_embeddings": False,
    }
    assert hf.config_from_hf(v1_1_small) == dataclasses.replace(
        preset("t5.1.1-small"), dropout_rate=0.1
    )


@pytest.mark.parametrize("name", ["t5-small", "t5.1.1-small", "t5-3b", "t5.1.1-tiny"])
def test_config_round_trips_through_hf_t5config(name):
    # HF's own T5Config interprets our fields (5.x turns tie_word_embeddings into
    # scale_decoder_outputs); reading its to_dict() back must give the same config.
    config = preset(name)
    fields = {k: v for k, v in hf.config_to_hf(config).items() if k != "scale_decoder_outputs"}
    assert hf.config_from_hf(transformers.T5Config(**fields).to_dict()) == config
    assert hf.config_from_hf(hf.config_to_hf(config)) == config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"feed_forward_proj": "gated-relu"}, "unsupported feed_forward_proj 'gated-relu'"),
        ({"feed_forward_proj": "gelu"}, "unsupported feed_forward_proj 'gelu'"),
        ({"model_type": "bert"}, "not a T5 config: model_type is 'bert', expected 't5'"),
        ({"d_kv": None}, "T5 config.json lacks required field(s): d_kv"),
        ({"d_model": "512"}, "T5 config.json field d_model must be a number, got '512'"),
    ],
)
def test_config_errors(change, message):
    fields = {**hf.config_to_hf(preset("t5-tiny")), **change}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        hf.config_from_hf(fields)


# ---------------------------------------------------------------------------------------------
# Parity with HF.


def test_v10_safetensors_matches_hf_logits(v10):
    model, path = v10
    config, params = hf.load(path)
    assert config.mlp == "relu"
    assert config.tied_embeddings
    assert_our_tree(config, params)
    assert_same_outputs(config, params, model)
    # Spot checks of the layout: embedding as is, projections and the bias table transposed.
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    np.testing.assert_array_equal(params["token_embedder"]["embedding"], state["shared.weight"])
    np.testing.assert_array_equal(
        params["decoder"]["layers_1"]["encoder_decoder_attention"]["value"]["kernel"],
        state["decoder.block.1.layer.1.EncDecAttention.v.weight"].T,
    )
    np.testing.assert_array_equal(
        params["encoder"]["relpos_bias"]["rel_embedding"],
        state["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"].T,
    )


def test_pytorch_bin_loads_the_same(v10, tmp_path):
    # A plain state dict carries the tied copies (encoder/decoder embed_tokens, lm_head).
    model, path = v10
    model.config.save_pretrained(tmp_path)
    state = model.state_dict()
    assert {"lm_head.weight", "encoder.embed_tokens.weight"} <= set(state)
    torch.save(state, tmp_path / "pytorch_model.bin")
    config, params = hf.load(tmp_path)
    want_config, want_params = hf.load(path)
    assert config == want_config
    assert_same_params(params, want_params)
    assert_same_outputs(config, params, model, seed=1)


def test_v11_matches_hf_encoder_and_logits(v11):
    # HF 5.x ties lm_head to shared but does not rescale (scale_decoder_outputs false); we load
    # an untied logits_dense initialised from the embedding, which gives the same logits.
    model, path = v11
    assert model.lm_head.weight is model.shared.weight
    config, params = hf.load(path)
    assert config.mlp == "gated-gelu"
    assert not config.tied_embeddings
    assert_our_tree(config, params)
    np.testing.assert_array_equal(
        params["decoder"]["logits_dense"]["kernel"], params["token_embedder"]["embedding"].T
    )
    assert_same_outputs(config, params, model)


def test_v11_with_its_own_lm_head(v11, tmp_path):
    # A released T5.1.1 file: tie_word_embeddings false and a separate lm_head.weight. HF 5.x
    # would tie it away, so the reference is HF's decoder output times that head, in torch.
    model, path = v11
    state = safetensors_numpy.load_file(path / "model.safetensors")
    head = np.random.default_rng(5).normal(0, 0.1, (VOCAB, SMALL["d_model"])).astype(np.float32)
    safetensors_numpy.save_file({**state, "lm_head.weight": head}, tmp_path / "model.safetensors")
    config_json = json.loads((path / "config.json").read_text())
    config_json.pop("scale_decoder_outputs")
    config_json["tie_word_embeddings"] = False
    (tmp_path / "config.json").write_text(json.dumps(config_json))

    config, params = hf.load(tmp_path)
    np.testing.assert_array_equal(params["decoder"]["logits_dense"]["kernel"], head.T)
    enc, dec = batch(2)
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(enc),
            attention_mask=torch.tensor(enc != 0),
            decoder_input_ids=torch.tensor(dec),
            output_hidden_states=True,
        )
    # The last decoder hidden state is the stack output after its final norm; no rescale.
    want = out.decoder_hidden_states[-1].numpy() @ head.T
    logits, _ = our_outputs(config, params, enc, dec)
    np.testing.assert_allclose(logits, want, rtol=1e-5, atol=1e-5)


def test_sharded_and_bf16_files(v10, tmp_path):
    model, path = v10
    _, want = hf.load(path)
    sharded = tmp_path / "sharded"
    model.save_pretrained(sharded, max_shard_size="40KB")
    assert (sharded / "model.safetensors.index.json").is_file()
    assert len(list(sharded.glob("model-*-of-*.safetensors"))) > 1
    assert_same_params(hf.load(sharded)[1], want)

    # bf16 on disk (numpy has no bf16): upcast exactly, equal to torch's own upcast.
    half = tmp_path / "bf16"
    model.config.save_pretrained(half)
    state = {k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    del state["lm_head.weight"], state["encoder.embed_tokens.weight"]
    del state["decoder.embed_tokens.weight"]
    from safetensors.torch import save_file

    save_file(state, half / "model.safetensors", metadata={"format": "pt"})
    _, params = hf.load(half)
    np.testing.assert_array_equal(
        params["encoder"]["layers_0"]["mlp"]["wi"]["kernel"],
        state["encoder.block.0.layer.1.DenseReluDense.wi.weight"].float().numpy().T,
    )
    wi = params["encoder"]["layers_0"]["mlp"]["wi"]["kernel"]
    assert not np.array_equal(wi, want["encoder"]["layers_0"]["mlp"]["wi"]["kernel"])  # rounded


# ---------------------------------------------------------------------------------------------
# Export.


@pytest.mark.parametrize("name", ["t5-tiny", "t5.1.1-tiny"])
def test_export_round_trip(name, tmp_path):
    config = preset(name)
    params = jax.tree_util.tree_map(np.asarray, init_fn(config, jax.random.key(3)))
    hf.export(config, params, tmp_path)
    assert hf.is_hf_checkpoint(tmp_path)
    loaded_config, loaded = hf.load(tmp_path)
    assert loaded_config == config
    assert_same_params(loaded, params)


def test_export_loads_in_hf_with_our_logits(tmp_path):
    config = dataclasses.replace(preset("t5-tiny"), dropout_rate=0.0)
    params = jax.tree_util.tree_map(np.asarray, init_fn(config, jax.random.key(4)))
    hf.export(config, params, tmp_path)
    model = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path).eval()
    enc, dec = batch(3)
    enc, dec = enc % config.vocab_size, dec % config.vocab_size
    enc[0, :] = np.maximum(enc[0, :], 1)  # keep a row without padding
    hf_logits, _ = hf_outputs(model, enc, dec)
    logits, _ = our_outputs(config, params, enc, dec)
    np.testing.assert_allclose(logits, hf_logits, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Errors.


def rewrite(source, target, change):
    """Copy the checkpoint at `source` to `target` with `change(tensors)` applied to its tensors."""
    tensors = safetensors_numpy.load_file(source / "model.safetensors")
    change(tensors)
    target.mkdir(exist_ok=True)
    safetensors_numpy.save_file(tensors, target / "model.safetensors")
    (target / "config.json").write_text((source / "config.json").read_text())
    return target


def test_missing_tensor(v10, tmp_path):
    name = "decoder.block.1.layer.2.DenseReluDense.wo.weight"
    path = rewrite(v10[1], tmp_path, lambda t: t.pop(name))
    message = (
        f"{path / 'model.safetensors'}: missing tensor '{name}' "
        "(for decoder/layers_1/mlp/wo/kernel)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        hf.load(path)


def test_wrong_shape(v10, tmp_path):
    name = "encoder.block.0.layer.0.SelfAttention.q.weight"
    path = rewrite(v10[1], tmp_path, lambda t: t.update({name: t[name][:, :32].copy()}))
    message = (
        f"{path / 'model.safetensors'}: tensor '{name}' has shape (64, 32), expected (64, 64) "
        "for encoder/layers_0/attention/query/kernel"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        hf.load(path)


def test_unexpected_and_conflicting_tensors(v10, tmp_path):
    extra = "encoder.block.2.layer.0.layer_norm.weight"  # a third layer the config lacks
    path = rewrite(v10[1], tmp_path / "extra", lambda t: t.update({extra: np.ones(64, "f4")}))
    with pytest.raises(ValueError, match=f"unexpected tensor\\(s\\) for this config: {extra}$"):
        hf.load(path)

    def different_head(t):
        t["lm_head.weight"] = t["shared.weight"] + 1

    path = rewrite(v10[1], tmp_path / "head", different_head)
    with pytest.raises(ValueError, match=re.escape("'lm_head.weight' differs from shared.weight")):
        hf.load(path)

    # The cross-attention bias of old checkpoints and an equal tied copy are harmless.
    def harmless(t):
        t["decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"] = np.ones(
            (32, 4), "f4"
        )
        t["decoder.embed_tokens.weight"] = t["shared.weight"].copy()

    assert_same_params(hf.load(rewrite(v10[1], tmp_path / "ok", harmless))[1], hf.load(v10[1])[1])


def test_not_a_t5_directory(v10, tmp_path):
    assert not hf.is_hf_checkpoint(tmp_path)
    with pytest.raises(
        ValueError, match=re.escape("not an HF checkpoint directory (no config.json)")
    ):
        hf.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "d_model": 8}))
    assert not hf.is_hf_checkpoint(tmp_path)
    with pytest.raises(
        ValueError, match=re.escape("config.json: not a T5 config: model_type is 'bert'")
    ):
        hf.load(tmp_path)
    (tmp_path / "config.json").write_text((v10[1] / "config.json").read_text())
    assert hf.is_hf_checkpoint(tmp_path)
    with pytest.raises(
        ValueError, match=re.escape("no weights found (looked for model.safetensors")
    ):
        hf.load(tmp_path)


def test_pytorch_bin_without_torch(v10, tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text((v10[1] / "config.json").read_text())
    (tmp_path / "pytorch_model.bin").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ValueError, match="needs torch; install the `hf` extra") as error:
        hf.load(tmp_path)
    assert "\n" not in str(error.value)
