"""c4forge: C4 exact to TFDS on Apache Beam, a seqio task catalog, and a compact JAX/Flax T5.

Subpackages (each a top-level folder of the repository):
- c4forge.corpus: the C4 rules as pure Python (pages, WET, cleaning, dedup keys, language ID);
- c4forge.pipelines: Apache Beam pipelines over those rules (corpus build, vocab sample, cache);
- c4forge.tasks: seqio tasks, T5's objectives, formats and metrics, mixtures;
- c4forge.model: the JAX/Flax T5, its partitioning, training step and loop, decoding;
- c4forge.cli: the `c4forge` command (argument parsing, the demo's orchestration).

Nothing is imported here: `import c4forge.corpus` loads neither Beam, TensorFlow nor JAX.
"""
