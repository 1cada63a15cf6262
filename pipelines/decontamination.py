"""Eval-set decontamination as a Beam stage, and its report, contamination.json (issue 14, part
2; docs/DEDUP.md §5-§6). The rules are `corpus.decontamination`'s.

`Decontaminate(rules, index, config, with_rejects=False)` over pages gives a dict:

- "pages": the pages kept. A page sharing an eval n-gram is dropped whole (datatrove's and
  dolma's convention, not GPT-3's window excision);
- "rejects": with `with_rejects`, each dropped page (`transforms.reject_record`, reason
  "contaminated") with the first example found and its n-gram, as datatrove records them;
- "matches": ((task, example id), number of pages holding it);
- "tallies": ("scanned" | "dropped", pages).

Pages are batched (`beam.BatchElements`) so that the scan's numpy work is paid once per batch
(`find_contamination_batch`). With `keyed=True` the elements are (key, page) pairs and the key
(the split, when rewriting a build) stays with each kept page. Counters, namespace
"decontamination": `passed`, `filtered:contaminated`.

The index ships by value (an `EvalIndex` pickled with the DoFn: fine for small ones and tests)
or as the path of its file (`write_index`; `index_file` writes it under a job's output for the
job's length), read once per worker process in setup() and shared by the process's DoFn
instances: the index of the GLUE, SuperGLUE and SQuAD eval sets is tens to hundreds of MB, too
big for a Dataflow job graph.

`contamination_report` (pure) makes contamination.json: per task, its eval examples (all,
and those with a text long enough to be found), the examples found and in how many pages, and
the clean count, so that scores can be reported on the clean subset (`tasks.clean_variants`).
`WriteContamination` writes it from a `Decontaminate` output.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping

import apache_beam as beam

from c4forge.corpus import versions
from c4forge.corpus.decontamination import (
    DecontaminationConfig,
    EvalIndex,
    Match,
    find_contamination_batch,
)
from c4forge.corpus.page import Page
from c4forge.pipelines import per_process
from c4forge.pipelines.transforms import REJECTS, _Counters, reject_record

NAMESPACE = versions.DECONTAMINATION
MATCHES = "matches"
TALLIES = "tallies"
REASON = "contaminated"
DEFAULT_MAX_BATCH = 256  # pages scanned together: numpy's per-call cost is paid per batch
REPORT_NAME = "contamination.json"
INDEX_NAME = "eval_index.npz"
SCRATCH = ".decontamination"  # under a job's output: the index file while the job runs


# --- the index as a file -------------------------------------------------------------------------


def write_index(index: EvalIndex, path: str) -> None:
    """The index's file form (`EvalIndex.to_bytes`) at `path` (local, gs://, s3://)."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(index.to_bytes())


def read_index(path: str) -> EvalIndex:
    from apache_beam.io.filesystems import CompressionTypes, FileSystems

    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return EvalIndex.from_bytes(f.read())


@contextlib.contextmanager
def index_file(index: EvalIndex, output: str, write: bool = True) -> Iterator[str]:
    """The index written under `output` (`<output>/.decontamination/eval_index.npz`) for the
    job's workers, its path yielded; removed when the block ends. `write=False` (a dry run)
    only names the path."""
    from apache_beam.io.filesystems import FileSystems

    path = f"{output}/{SCRATCH}/{INDEX_NAME}"
    if not write:
        yield path
        return
    write_index(index, path)
    try:
        yield path
    finally:
        FileSystems.delete([path])
        if "://" not in path:  # a local directory stays behind its last file
            os.rmdir(os.path.dirname(path))


def _shared_index(path: str) -> EvalIndex:
    """The index at `path`, read once per process (DoFn instances of one worker share it)."""
    return per_process.shared("eval_index", path, lambda: read_index(path))


# --- the stage -----------------------------------------------------------------------------------


def contaminated_record(page: Page, matches: list[Match]) -> dict:
    """A dropped page's reject: `reject_record` plus its first match (task, example, n-gram)
    and how many eval examples it holds."""
    record = reject_record(NAMESPACE, REASON, page)
    first = matches[0]
    record.update(
        contaminated_task=first.task,
        contaminated_example=first.example_id,
        contaminated_ngram=first.ngram,
        contaminated_examples=len(matches),
    )
    return record


class _DecontaminateFn(beam.DoFn):
    """A batch of pages (or (key, page) pairs) -> the kept ones; tagged: rejects, per-batch
    counts of the examples found (each page counts an example once) and of pages."""

    def __init__(self, version, index, config, with_rejects: bool, keyed: bool) -> None:
        self.version = version
        self.index_source = index  # an EvalIndex, or the path of its file
        self.config = config
        self.with_rejects = with_rejects
        self.keyed = keyed

    def setup(self) -> None:
        source = self.index_source
        self.index = source if isinstance(source, EvalIndex) else _shared_index(source)
        if self.index.config != self.config:
            raise ValueError(f"the eval index was built for {self.index.config}, not {self.config}")
        self.count = _Counters(NAMESPACE, self.version)

    def finish_bundle(self) -> None:
        self.count.flush()

    def process(self, batch):
        pages = [element[1] for element in batch] if self.keyed else batch
        found = find_contamination_batch([p.text for p in pages], self.index, self.config)
        examples: collections.Counter = collections.Counter()
        dropped = 0
        for element, page, matches in zip(batch, pages, found, strict=True):
            if not matches:
                self.count("passed")
                yield element
                continue
            dropped += 1
            self.count(f"filtered:{REASON}")
            examples.update({(m.task, m.example_id) for m in matches})  # once per page
            if self.with_rejects:
                yield beam.pvalue.TaggedOutput(REJECTS, contaminated_record(page, matches))
        for key, pages_found in examples.items():
            yield beam.pvalue.TaggedOutput(MATCHES, (key, pages_found))
        yield beam.pvalue.TaggedOutput(TALLIES, ("scanned", len(batch)))
        if dropped:
            yield beam.pvalue.TaggedOutput(TALLIES, ("dropped", dropped))


class Decontaminate(beam.PTransform):
    """Pages (or (key, page) pairs with `keyed`) -> {"pages", "rejects", "matches",
    "tallies"} (module docstring). `index`: an `EvalIndex`, or the path of its file."""

    def __init__(
        self,
        rules: versions.VersionRules,
        index: EvalIndex | str,
        config: DecontaminationConfig,
        with_rejects: bool = False,
        keyed: bool = False,
        max_batch_size: int = DEFAULT_MAX_BATCH,
    ) -> None:
        super().__init__()
        if isinstance(index, EvalIndex) and index.config != config:
            raise ValueError(f"the eval index was built for {index.config}, not {config}")
        self._fn = _DecontaminateFn(rules.version, index, config, with_rejects, keyed)
        self._max_batch_size = max_batch_size

    def expand(self, pages):
        scanned = (
            pages
            # Fixed-size batches (the last of a bundle smaller): Beam's adaptive sizing starts
            # at 1 and grows, paying numpy's per-call cost on small batches (measured: fixed 256
            # made the stage 8% cheaper on the benchmark's pages).
            | "Batch"
            >> beam.BatchElements(
                min_batch_size=self._max_batch_size, max_batch_size=self._max_batch_size
            )
            | "Scan" >> beam.ParDo(self._fn).with_outputs(REJECTS, MATCHES, TALLIES, main="pages")
        )
        return {
            "pages": scanned.pages,
            REJECTS: scanned[REJECTS],
            MATCHES: scanned[MATCHES] | "SumMatches" >> beam.CombinePerKey(sum),
            TALLIES: scanned[TALLIES] | "SumTallies" >> beam.CombinePerKey(sum),
        }


# --- contamination.json --------------------------------------------------------------------------


def _id_order(example_id: str) -> tuple:
    """`validation:9` before `validation:10`: split, then the number (or the text)."""
    split, _, rest = example_id.rpartition(":")
    return (split, 0, int(rest), "") if rest.isdigit() else (split, 1, 0, rest)


def contamination_report(
    summary: Mapping[str, Mapping[str, int]],
    matches: Iterable[tuple[tuple[str, str], int]],
    config: DecontaminationConfig,
    tallies: Mapping[str, int] | None = None,
) -> dict:
    """contamination.json's content. `summary`: `EvalIndex.task_summary()` (every task indexed,
    found or not); `matches`: ((task, example id), pages); `tallies`: pages scanned, dropped."""
    found: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for (task, example_id), pages in matches:
        found[task][example_id] = int(pages)
    tallies = dict(tallies or {})
    tasks = {}
    for task in sorted(summary):
        counts = summary[task]
        contaminated = {i: found[task][i] for i in sorted(found.get(task, {}), key=_id_order)}
        tasks[task] = {
            "examples": int(counts["examples"]),
            "detectable_examples": int(counts["detectable_examples"]),
            "contaminated_examples": len(contaminated),
            "clean_examples": int(counts["examples"]) - len(contaminated),
            "contaminated": contaminated,
        }
    return {
        "removal": "whole page",
        "ngram": config.ngram,
        "min_words": config.min_words,
        "pages": {
            "scanned": int(tallies.get("scanned", 0)),
            "dropped": int(tallies.get("dropped", 0)),
        },
        "tasks": tasks,
    }


class WriteContamination(beam.PTransform):
    """A `Decontaminate` output ({"matches", "tallies"} at least) -> the file `path`."""

    def __init__(self, path: str, summary: Mapping, config: DecontaminationConfig) -> None:
        super().__init__()
        self._path = path
        self._summary = {task: dict(counts) for task, counts in summary.items()}
        self._config = config

    def expand(self, outputs):
        summary, config = self._summary, self._config
        matches = outputs[MATCHES] | "MatchList" >> beam.combiners.ToList()
        tallies = outputs[TALLIES] | "TallyList" >> beam.combiners.ToList()
        return (
            outputs[MATCHES].pipeline
            | "Once" >> beam.Create([None])
            | "Report"
            >> beam.Map(
                lambda _, m, t: json.dumps(
                    contamination_report(summary, m, config, dict(t)), indent=2
                ),
                m=beam.pvalue.AsSingleton(matches),
                t=beam.pvalue.AsSingleton(tallies),
            )
            | "Write" >> beam.io.WriteToText(self._path, shard_name_template="", num_shards=1)
        )
