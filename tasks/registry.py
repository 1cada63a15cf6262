"""The one door into seqio's registries: tasks and mixtures enter here, checked.

seqio keeps process-global registries (`seqio.TaskRegistry`, `seqio.MixtureRegistry`) and
raises "Attempting to register duplicate provider" deep inside; a Mixture compares only the
*names* of its tasks' output features. Here every problem is one clear `RegistrationError`
raised when the task or mixture is added, never mid-training:

- a malformed or duplicate name (with the way out: `unregister(name)`);
- an unknown task in a mixture (with the nearest registered names);
- tasks in a mixture whose output features differ (keys, vocabulary, EOS);
- a vocabulary without the sentinel ids an objective needs (see `require_extra_ids`).

A name that is not registered gets one message everywhere (`unknown_provider_message`, with
the nearest registered names, as seqio's `get_mixture_or_task` logs them); `get_provider` raises
it. Tasks that the training feed (`tasks.feed`) can read straight from TFRecords, without
tf.data, carry a `RecordFeedSource` (C4 tasks derive it from their declaration, `tasks.c4_tasks`).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import seqio

# seqio's own rule for provider names (`dataset_providers._VALID_TASK_NAME_REGEX`).
_NAME = re.compile(r"^[\w\d\.\:_#]+$")

# How the feed reads registered tasks without tf.data, by task name (see tasks.feed).
_FEED_SOURCES: dict[str, RecordFeedSource] = {}


class RegistrationError(ValueError):
    """A task or mixture cannot be registered; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class RecordFeedSource:
    """What `tasks.feed` needs to make a task's examples from its TFRecords, without tf.data.

    `files` maps split -> sorted list of TFRecord files of tf.train.Example; `text_key` is the
    bytes feature holding the document; `objective` is one of `tasks.objectives`, applied to the
    tokenized documents as the task's seqio chain applies it after its cache placeholder (the
    feed takes the seed shift from the registered task, `seqio_compat.post_cache_seed_offset`).
    """

    files: Mapping[str, Sequence[str]]
    text_key: str
    objective: Any


def output_features(vocabulary: seqio.Vocabulary) -> dict[str, seqio.Feature]:
    """T5's output features: optional `inputs` and required `targets`, both with EOS."""
    return {
        "inputs": seqio.Feature(vocabulary, add_eos=True, required=False),
        "targets": seqio.Feature(vocabulary, add_eos=True),
    }


def check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistrationError(
            f"invalid task/mixture name {name!r}: use letters, digits and . : _ # only"
        )
    if name in seqio.TaskRegistry.names() or name in seqio.MixtureRegistry.names():
        raise RegistrationError(
            f"{name!r} is already registered; call "
            f"c4forge.tasks.registry.unregister({name!r}) first to replace it"
        )


def require_extra_ids(vocabulary: seqio.Vocabulary, needed: int, what: str) -> None:
    """Objectives that write sentinels need them as extra ids, or they overwrite real pieces."""
    have = getattr(vocabulary, "extra_ids", 0) or 0
    if have < needed:
        raise RegistrationError(
            f"{what} needs a vocabulary with at least {needed} extra ids (sentinels); "
            f"this one has {have}: load it with extra_ids=100"
        )


def add_task(
    name: str,
    source: seqio.DataSource,
    preprocessors: Sequence[Callable[..., Any]],
    *,
    output_features: Mapping[str, seqio.Feature],
    postprocess_fn: Callable[..., Any] | None = None,
    metric_fns: Sequence[Callable[..., Any]] = (),
    shuffle_buffer_size: int | None = 1000,
    feed_source: RecordFeedSource | None = None,
) -> seqio.Task:
    """Register one seqio Task (refusing duplicates and bad names with a clear error)."""
    check_name(name)
    task = seqio.Task(
        name,
        source=source,
        output_features=dict(output_features),
        preprocessors=list(preprocessors),
        postprocess_fn=postprocess_fn,
        metric_fns=list(metric_fns),
        shuffle_buffer_size=shuffle_buffer_size,
    )
    seqio.TaskRegistry.add_provider(name, task)
    if feed_source is not None:
        _FEED_SOURCES[name] = feed_source
    return task


def record_feed_source(name: str) -> RecordFeedSource | None:
    """How the feed reads task `name` without tf.data; None: through `Task.get_dataset`."""
    return _FEED_SOURCES.get(name)


def nearest_provider_names(name: str) -> list[str]:
    """Up to three registered task or mixture names closest to `name`, best first."""
    known = list(seqio.TaskRegistry.names()) + list(seqio.MixtureRegistry.names())
    return difflib.get_close_matches(name, known, n=3)


def unknown_provider_message(name: str) -> str:
    """`unknown task or mixture 'x'; did you mean a, b?` (no suggestion when none is close)."""
    near = nearest_provider_names(name)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return f"unknown task or mixture {name!r}{hint}"


def selected_tasks(selector: str) -> tuple[list[str], bool]:
    """The registered task names a selector names, and whether it named a provider exactly.

    A selector is a task name, a mixture name (its tasks, sub-mixtures included; a mixture
    wins over a task of the same name, as in seqio's lookup), or else a regex matching whole
    task names (an empty list when it matches none). ValueError when it is no name and no
    valid regex."""
    if selector in seqio.MixtureRegistry.names():
        return [task.name for task in seqio.MixtureRegistry.get(selector).tasks], True
    tasks = sorted(seqio.TaskRegistry.names())
    if selector in tasks:
        return [selector], True
    try:
        regex = re.compile(selector)
    except re.error as e:
        raise ValueError(f"{selector!r} is neither a registered name nor a regex ({e})") from None
    return [name for name in tasks if regex.fullmatch(name)], False


def get_provider(name: str) -> seqio.Task | seqio.Mixture:
    """The registered mixture or task `name` (a mixture first, as seqio's lookup prefers it);
    RegistrationError with `unknown_provider_message` when there is none."""
    if name in seqio.MixtureRegistry.names():
        return seqio.MixtureRegistry.get(name)
    if name in seqio.TaskRegistry.names():
        return seqio.TaskRegistry.get(name)
    raise RegistrationError(unknown_provider_message(name))


def _describe(features: Mapping[str, seqio.Feature]) -> str:
    return ", ".join(
        f"{key}({type(f.vocabulary).__name__} size {f.vocabulary.vocab_size}, "
        f"eos={f.add_eos}, {f.dtype.name})"
        for key, f in sorted(features.items())
    )


def _same_features(a: Mapping[str, seqio.Feature], b: Mapping[str, seqio.Feature]) -> bool:
    if set(a) != set(b):
        return False
    return all(
        a[k].vocabulary == b[k].vocabulary
        and a[k].add_eos == b[k].add_eos
        and a[k].dtype == b[k].dtype
        and a[k].rank == b[k].rank
        for k in a
    )


def add_mixture(
    name: str,
    tasks: Iterable[str | tuple[str, float | Callable[[seqio.Task], float]]],
    *,
    default_rate: float | Callable[[seqio.Task], float] | None = None,
) -> seqio.Mixture:
    """Register a seqio Mixture after checking its members exist and agree on features."""
    check_name(name)
    entries = list(tasks)
    if not entries:
        raise RegistrationError(f"mixture {name!r} has no tasks")
    try:
        members = [get_provider(e if isinstance(e, str) else e[0]) for e in entries]
    except RegistrationError as e:
        raise RegistrationError(f"mixture {name!r}: {e}") from None
    if default_rate is None:
        missing = [m.name for e, m in zip(entries, members, strict=True) if isinstance(e, str)]
        if missing:
            raise RegistrationError(
                f"mixture {name!r}: no rate for {', '.join(missing)} and no default_rate"
            )
    first = members[0]
    for member in members[1:]:
        if not _same_features(first.output_features, member.output_features):
            raise RegistrationError(
                f"mixture {name!r}: output features differ between {first.name!r} "
                f"[{_describe(first.output_features)}] and {member.name!r} "
                f"[{_describe(member.output_features)}]"
            )
    mixture = seqio.Mixture(name, entries, default_rate=default_rate)
    seqio.MixtureRegistry.add_provider(name, mixture)
    return mixture


def unregister(*names: str) -> None:
    """Remove tasks or mixtures (no error for names that are not registered)."""
    for name in names:
        seqio.TaskRegistry.remove(name)
        seqio.MixtureRegistry.remove(name)
        _FEED_SOURCES.pop(name, None)
