"""model/config.py and `c4forge model`: presets, strict overrides, parameter counts from shapes."""

from __future__ import annotations

import dataclasses
import re

import pytest

from c4forge.cli import main as cli
from c4forge.model.config import (
    PRESETS,
    T5Config,
    override,
    parameter_count,
    parameter_counts,
    parse_assignments,
    preset,
)

# MODEL.md §1 table: d_model, d_ff, layers, heads, d_kv, and the published parameter counts.
PUBLISHED = {
    "t5-small": (512, 2048, 6, 8, 64, 60_506_624),
    "t5-base": (768, 3072, 12, 12, 64, 222_903_552),
    "t5-large": (1024, 4096, 24, 16, 64, 737_668_096),
    "t5-3b": (1024, 16384, 24, 32, 128, 2_851_598_336),
    "t5-11b": (1024, 65536, 24, 128, 128, 11_307_321_344),
    "t5.1.1-small": (512, 1024, 8, 6, 64, 76_961_152),
    "t5.1.1-base": (768, 2048, 12, 12, 64, 247_577_856),
    "t5.1.1-large": (1024, 2816, 24, 16, 64, 783_150_080),
    "t5.1.1-xl": (2048, 5120, 24, 32, 64, 2_849_757_184),
    "t5.1.1-xxl": (4096, 10240, 24, 64, 64, 11_135_332_352),
}
NAMES = ", ".join(PRESETS)
KEYS = (
    "d_model, d_ff, num_encoder_layers, num_decoder_layers, num_heads, d_kv, mlp, "
    "tied_embeddings, dropout_rate, vocab_size, relative_buckets, relative_max_distance, dtype, "
    "layer_norm_eps, adapter_dim, architecture"
)


def exactly(message: str) -> str:
    """A `match` pattern for the whole error text, nothing more."""
    return f"^{re.escape(message)}$"


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_presets_match_the_published_table(name):
    d_model, d_ff, layers, heads, d_kv, count = PUBLISHED[name]
    cfg = preset(name)
    assert (cfg.d_model, cfg.d_ff, cfg.num_heads, cfg.d_kv) == (d_model, d_ff, heads, d_kv)
    assert cfg.num_encoder_layers == cfg.num_decoder_layers == layers
    assert (cfg.vocab_size, cfg.relative_buckets, cfg.relative_max_distance) == (32128, 32, 128)
    assert (cfg.layer_norm_eps, cfg.dtype) == (1e-6, "float32")
    if name.startswith("t5.1.1"):
        assert (cfg.mlp, cfg.tied_embeddings, cfg.dropout_rate) == ("gated-gelu", False, 0.0)
    else:
        assert (cfg.mlp, cfg.tied_embeddings, cfg.dropout_rate) == ("relu", True, 0.1)
    assert parameter_count(cfg) == count


def test_parameter_counts_per_component_by_hand():
    # t5-small: embedding 32128*512; encoder 6*(4*512*512 + 2*512*2048 + 2*512) + 8*32 + 512;
    # decoder 6*(8*512*512 + 2*512*2048 + 3*512) + 8*32 + 512; logits tied.
    assert parameter_counts(preset("t5-small")) == {
        "embedding": 16_449_536,
        "encoder": 18_881_280,
        "decoder": 25_175_808,
        "logits": 0,
    }
    # t5.1.1-small: heads*d_kv = 384; 3 MLP matrices of 512x1024; an untied 512x32128 head.
    assert parameter_counts(preset("t5.1.1-small")) == {
        "embedding": 16_449_536,
        "encoder": 8 * (4 * 512 * 384 + 3 * 512 * 1024 + 2 * 512) + 6 * 32 + 512,
        "decoder": 8 * (8 * 512 * 384 + 3 * 512 * 1024 + 3 * 512) + 6 * 32 + 512,
        "logits": 16_449_536,
    }


def test_tiny_presets_exist_and_are_small():
    for name in ("t5-tiny", "t5.1.1-tiny"):
        cfg = preset(name)
        assert cfg.d_model <= 64
        assert cfg.num_encoder_layers == cfg.num_decoder_layers == 2
        assert parameter_count(cfg) < 100_000


def test_unknown_preset_is_one_line_listing_the_names():
    message = f"unknown model preset 't5-huge'; known: {NAMES}"
    with pytest.raises(ValueError, match=exactly(message)):
        preset("t5-huge")


def test_override_coerces_strings_to_field_types():
    cfg = override(
        preset("t5-small"),
        {"d_model": "256", "dropout_rate": "0", "tied_embeddings": "false", "dtype": "bfloat16"},
    )
    assert (cfg.d_model, cfg.dropout_rate, cfg.tied_embeddings, cfg.dtype) == (
        256,
        0.0,
        False,
        "bfloat16",
    )
    assert isinstance(cfg.dropout_rate, float)
    assert override(cfg, {"num_heads": 4, "layer_norm_eps": 1}).layer_norm_eps == 1.0
    assert preset("t5-small").d_model == 512  # presets are fresh, configs frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 1  # type: ignore[misc]


def test_override_unknown_key_names_the_valid_keys():
    message = f"unknown T5Config key 'hidden_size'; valid keys: {KEYS}"
    with pytest.raises(ValueError, match=exactly(message)):
        override(preset("t5-small"), {"hidden_size": "512"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("d_model", "wide", "T5Config.d_model wants int, got 'wide'"),
        ("d_model", "1.5", "T5Config.d_model wants int, got '1.5'"),
        ("d_model", True, "T5Config.d_model wants int, got True"),
        ("dropout_rate", "lots", "T5Config.dropout_rate wants float, got 'lots'"),
        ("tied_embeddings", "maybe", "T5Config.tied_embeddings wants bool, got 'maybe'"),
        ("tied_embeddings", 1, "T5Config.tied_embeddings wants bool, got 1"),
        ("mlp", "swiglu", "T5Config.mlp must be one of relu, gated-gelu; got 'swiglu'"),
        ("dtype", "float16", "T5Config.dtype must be one of float32, bfloat16; got 'float16'"),
        ("d_kv", "0", "T5Config.d_kv must be positive, got 0"),
        ("dropout_rate", "1.0", "T5Config.dropout_rate must be in [0, 1), got 1.0"),
    ],
)
def test_override_bad_values(key, value, message):
    with pytest.raises(ValueError, match=exactly(message)):
        override(preset("t5-small"), {key: value})


def test_parse_assignments():
    # Keys are stripped here, values when coerced.
    assert parse_assignments(["d_model=256", "dtype = bfloat16"]) == {
        "d_model": "256",
        "dtype": " bfloat16",
    }
    assert override(preset("t5-tiny"), {"dtype": " bfloat16"}).dtype == "bfloat16"
    assert parse_assignments(["a=b=c"]) == {"a": "b=c"}
    with pytest.raises(ValueError, match=exactly("an override is KEY=VALUE, got 'd_model'")):
        parse_assignments(["d_model"])


def test_config_is_hashable_for_flax():
    assert hash(preset("t5-small")) == hash(preset("t5-small"))
    assert isinstance(preset("t5-small"), T5Config)


# ---------------------------------------------------------------------------------------------
# The command line.


def test_cli_info_prints_the_count(capsys):
    assert cli.main(["model", "info", "t5-small"]) == 0
    out = capsys.readouterr().out
    assert "60,506,624" in out
    assert "  d_model                512\n" in out
    assert "  mlp                    relu\n" in out
    assert "  embedding         16,449,536\n" in out
    assert "tied to the embedding" in out


def test_cli_info_applies_overrides(capsys):
    # t5-small with d_ff 1024: 12 MLPs each lose 2*512*1024 = 1,048,576 -> 47,923,712.
    assert cli.main(["model", "info", "t5-small", "--set", "d_ff=1024"]) == 0
    out = capsys.readouterr().out
    assert "47,923,712" in out
    assert "  d_ff                   1024\n" in out


def test_cli_list(capsys):
    assert cli.main(["model", "list"]) == 0
    assert capsys.readouterr().out.split() == list(PRESETS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["info", "t5-huge"], f"unknown model preset 't5-huge'; known: {NAMES}"),
        (
            ["info", "t5-small", "--set", "heads=4"],
            f"unknown T5Config key 'heads'; valid keys: {KEYS}",
        ),
        (["info", "t5-small", "--set", "d_ff=big"], "T5Config.d_ff wants int, got 'big'"),
        (["info", "t5-small", "--set", "d_ff"], "an override is KEY=VALUE, got 'd_ff'"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(capsys, argv, message):
    assert cli.main(["model", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"c4forge model: error: {message}\n"
