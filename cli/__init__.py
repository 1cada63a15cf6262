"""c4forge.cli: the `c4forge` command line.

One module per command (argument parsing, checks, one-line errors); `common` holds what they
share (usage errors and exit codes, name suggestions, length parsing, quiet start-up). Commands
call into `c4forge.pipelines` (Beam jobs), `c4forge.tasks` and `c4forge.model`; nothing there
imports this package.
"""
