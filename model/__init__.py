"""c4forge.model: a compact JAX/Flax T5 and its trainer (issue #4)."""
