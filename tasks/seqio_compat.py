"""The seqio internals that c4forge follows, read in this one module, for the pinned seqio only.

The fast feed (`tasks.feed`) must give the examples seqio's `Task.get_dataset(seed=s)` gives, so
it follows two pieces of seqio 0.0.20 that are not public API:

- the post-cache seed shift: `Task.preprocess_postcache` runs the steps after the
  `CacheDatasetPlaceholder` under `map_seed_manager(s + 42 * cache_step_idx)`
  (`seqio/dataset_providers.py`), so the first seeded step after the placeholder sees that seed;
- the map-seed counter `seqio.utils._NEXT_MAP_SEED`, from which `map_over_dataset(num_seeds=n)`
  draws and which it advances by 2n (`_GrainRandomMapFn.__call__`, `seqio/utils.py`); our
  objective preprocessor (`tasks.preprocessors`) draws its seed the same way.

Both are checked against the installed seqio's version (`require_pinned_seqio`): another version
is one clear error, not silently different examples.
"""

from __future__ import annotations

import secrets

import seqio

# The seqio whose internals this module follows (pyproject.toml pins it in the `tasks` extra).
PINNED_SEQIO_VERSION = "0.0.20"
# seqio's `preprocess_postcache`: seed + 42 * (index of the CacheDatasetPlaceholder).
_POST_CACHE_SEED_STRIDE = 42


class SeqioVersionError(RuntimeError):
    """The installed seqio is not the one whose internals c4forge follows."""


def require_pinned_seqio() -> None:
    """Raises SeqioVersionError (one line) unless the installed seqio is the pinned one."""
    installed = getattr(seqio, "__version__", "unknown")
    if installed != PINNED_SEQIO_VERSION:
        raise SeqioVersionError(
            f"c4forge's task feed follows seqio {PINNED_SEQIO_VERSION}'s seeding; seqio "
            f"{installed} is installed: pip install seqio=={PINNED_SEQIO_VERSION}"
        )


def post_cache_seed_offset(task: seqio.Task) -> int:
    """What seqio adds to `get_dataset`'s seed for the steps after the cache placeholder."""
    require_pinned_seqio()
    for index, step in enumerate(task.preprocessors):
        if isinstance(step, seqio.CacheDatasetPlaceholder):
            return _POST_CACHE_SEED_STRIDE * index
    return 0


def draw_map_seed() -> int:
    """The next seed of seqio's map-seed counter, drawn as `map_over_dataset(num_seeds=1)` does.

    Without a seed (`get_dataset(seed=None)`), a fresh random one, as seqio then draws.
    """
    require_pinned_seqio()
    current = seqio.utils._NEXT_MAP_SEED
    if current is None:
        return secrets.randbits(62)
    seqio.utils._NEXT_MAP_SEED = current + 2
    return int(current)
