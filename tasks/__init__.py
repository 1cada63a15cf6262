"""c4forge.tasks: the seqio task and mixture catalog, T5's objectives, formats and metrics."""
