"""pipelines.per_process: a worker builds each model once, for all its DoFns and threads."""

from __future__ import annotations

import threading
import time

from c4forge.corpus.sentences import read_punkt_tables
from c4forge.pipelines import per_process
from c4forge.pipelines.transforms import _CleanFn, _EnglishFn

import c4_testing


def test_one_build_per_kind_and_key():
    builds = []

    def build(tag):
        builds.append(tag)
        return object()

    a = per_process.shared("test-kind", ("k", 1), lambda: build("a"))
    b = per_process.shared("test-kind", ("k", 1), lambda: build("b"))
    c = per_process.shared("test-kind", ("k", 2), lambda: build("c"))
    d = per_process.shared("other-test-kind", ("k", 1), lambda: build("d"))
    assert a is b
    assert len({id(a), id(c), id(d)}) == 3
    assert builds == ["a", "c", "d"]


def test_threads_asking_at_once_share_one_build():
    calls = []

    def slow_build():
        calls.append(1)
        time.sleep(0.05)
        return object()

    got = []
    threads = [
        threading.Thread(target=lambda: got.append(per_process.shared("slow", 0, slow_build)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len({id(x) for x in got}) == 1


def test_dofn_instances_share_the_heavy_models(shared_data):
    from c4forge.corpus import versions

    punkt_tables = read_punkt_tables(str(c4_testing.NLTK_DATA))
    rules = versions.rules_for("3.1.0")
    cleans = [_CleanFn(rules, dict(punkt_tables)) for _ in range(2)]
    englishes = [_EnglishFn(rules) for _ in range(2)]
    for fn in cleans + englishes:
        fn.setup()
    assert cleans[0].sentences is cleans[1].sentences
    assert englishes[0].detector is englishes[1].detector
    # other tables are another model
    other = dict(punkt_tables, **{"sent_starters.txt": "however\n"})
    assert per_process.sentence_counter(other) is not cleans[0].sentences
