"""The WET file locations of a build as a PCollection, with Common Crawl manifests read on workers.

The reference reads its manifests inside the pipeline: TFDS ``c4.py:630-637`` does
``beam.Create(wet_path_urls) | ReadAllFromText | Reshuffle`` over the ``wet.paths.gz`` of each
dump (docs/C4.md §2, step 1). Listing them on the launcher instead puts every WET path into the
job graph: one dump lists 64k-90k files, so mC4's 86 dumps would be ~6M paths, far over
Dataflow's 10 MB graph limit (tensorflow/datasets#2711, "Dataflow job file too big (38MB >>
10MB)"; docs/C4.md §14). ``WetLocations`` keeps the graph to the plan's explicit files plus one
URL per manifest, whatever the number of WET files the manifests list:

    root ─ WetFiles: Create(plan.files) ─────────────────────────────────────────┐
    root ─ Manifests: Create(plan.manifests) ─ SpreadManifests: Reshuffle ─       ├─ AllWetFiles
           ListWetFiles: ParDo(read one manifest, yield its WET locations) ───────┘

Each manifest is opened with ``downloads.open_input`` (local, gs://, s3://, or downloaded with
retries) and its lines resolved by ``inputs.manifest_locations`` — the same rules as
``inputs.expand_inputs`` on the launcher. Nothing shuffles the (millions of) WET locations here:
the reader, ``transforms.ReadWetFiles``, reshuffles them itself.

Counters, namespace ``c4forge-wet-manifest`` (ours, not the reference's: the report files it
under "measures"): ``manifest-read`` (one per manifest listed), ``wet-files-listed`` (the
locations it listed), ``empty-manifest`` (a manifest listing nothing),
``unreadable-manifest`` (a manifest that could not be downloaded or decoded: logged and skipped
so that one bad dump does not fail a multi-day job; the launcher no longer checks that a crawl
exists, so watch this counter), and the download counters of ``open_input`` (``downloaded``,
``retried``, ``download-failed``, ``bytes``). A WET file named twice (by two manifests, or by a
manifest and ``--input``) is not de-duplicated here; it is read twice and URL dedup keeps one
copy of each page. Common Crawl dumps share no WET file.
"""

from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.metrics import Metrics

from c4forge.pipelines.downloads import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF_S,
    DEFAULT_TIMEOUT_S,
    open_input,
)
from c4forge.pipelines.inputs import CC_BASE_URL, InputPlan, manifest_locations

__all__ = ["MANIFEST_NAMESPACE", "WetLocations"]

MANIFEST_NAMESPACE = "c4forge-wet-manifest"

_LOG = logging.getLogger(__name__)


class _ListManifestFn(beam.DoFn):
    """One manifest location -> the WET file locations it lists (none if it is unreadable)."""

    def __init__(self, cc_base_url: str, download: dict) -> None:
        self.cc_base_url = cc_base_url
        self.download = download

    def count(self, name: str, amount: int = 1) -> None:
        # a handful of manifests per worker: no buffering needed
        Metrics.counter(MANIFEST_NAMESPACE, name).inc(amount)

    def process(self, location: str):
        try:
            with open_input(location, count=self.count, **self.download) as f:
                data = f.read()
            files = manifest_locations(data, self.cc_base_url)
        except Exception as e:  # any failure of one manifest: skip it, never fail the job
            _LOG.warning("skipping the unreadable manifest %s: %s", location, e)
            self.count("unreadable-manifest")
            return
        self.count("manifest-read")
        self.count("wet-files-listed", len(files))
        if not files:
            _LOG.warning("the manifest %s lists no files", location)
            self.count("empty-manifest")
        yield from files


class WetLocations(beam.PTransform):
    """Pipeline root -> the WET file locations of an ``InputPlan`` (strings, unordered).

    ``plan.files`` go into the graph as they are; ``plan.manifests`` are spread over workers
    and read there. The keyword arguments are those of ``downloads.open_input`` for downloading a
    manifest; ``cc_base_url`` resolves its relative lines.
    """

    def __init__(
        self,
        plan: InputPlan,
        cc_base_url: str = CC_BASE_URL,
        scratch_dir: str | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_s: float = DEFAULT_BACKOFF_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__()
        if not isinstance(plan, InputPlan):
            raise TypeError(f"WetLocations wants an InputPlan, got {type(plan).__name__}")
        self._plan = plan
        download = {
            "scratch_dir": scratch_dir,
            "attempts": attempts,
            "backoff_s": backoff_s,
            "timeout_s": timeout_s,
        }
        self._fn = _ListManifestFn(cc_base_url, download)

    def expand(self, root):
        # Both branches always exist (an empty Create yields nothing), so the labels and the
        # graph's shape do not depend on which kinds of input were given.
        files = root | "WetFiles" >> beam.Create(
            list(self._plan.files), reshuffle=False
        ).with_output_types(str)
        listed = (
            root
            | "Manifests"
            >> beam.Create(list(self._plan.manifests), reshuffle=False).with_output_types(str)
            # one manifest per worker: without it the (fused) listing of every dump runs where
            # the Create ran
            | "SpreadManifests" >> beam.Reshuffle()
            | "ListWetFiles" >> beam.ParDo(self._fn).with_output_types(str)
        )
        return (files, listed) | "AllWetFiles" >> beam.Flatten()
