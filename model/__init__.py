"""c4forge.model: a compact JAX/Flax T5 and its trainer (issue #4).

- config.py: T5Config, presets, strict overrides, parameter counts from shapes;
- layers.py: Linen building blocks with logical axis names;
- t5.py: Encoder, Decoder, Transformer, with a key/value cache for decoding;
- decoding.py: greedy, temperature sampling, beam search;
- partitioning.py: the (data, model) mesh and the logical axis rules;
- losses.py: cross-entropy with z-loss; train.py: the pure training step.

Nothing is imported here, so `import model.config` stays free of JAX.
"""
