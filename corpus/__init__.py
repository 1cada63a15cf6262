"""c4forge.corpus: the C4 rules as pure Python (no Beam, TensorFlow or JAX).

Each module is one stage of the reference build (docs/C4.md): WET parsing, URL normalisation,
`clean_page`, line dedup keys, English language ID, badwords. Rules take explicit thresholds,
never mutate their input, and report what they did through an injected counting callable.
"""
