"""c4forge.model: a compact JAX/Flax T5 (Raffel et al. 2020; T5.1.1) and its trainer.

- config.py: T5Config (and the §3.2 architectures: shared, decoder-only, prefix LM), presets,
  strict overrides, parameter counts from shapes;
- layers.py: Linen building blocks with logical axis names;
- t5.py: Encoder, Decoder, Transformer, with a key/value cache for decoding;
- decoding.py: greedy, temperature sampling, beam search;
- partitioning.py: the (data, model) mesh and the logical axis rules;
- losses.py: cross-entropy with z-loss; train_step.py: Adafactor, schedules, the pure step;
- training_loop.py: the Trainer (mesh, jitted steps, checkpoints, reports); checkpoint.py;
- runs.py: loading a trained run (its config, checkpoint and vocabulary); hf.py: HF weights;
- flops.py: FLOPs and MFU; host_memory.py: glibc's keep-freed-memory setting for CPU training.

Nothing is imported here, so `import c4forge.model.config` stays free of JAX.
"""
