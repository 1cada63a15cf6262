"""c4forge.tasks: the seqio task and mixture catalog (issue #3)."""
