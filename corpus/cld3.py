"""mC4's language ID exactly as the reference `detect_languages` (docs/C4.md §6).

CLD3 (`gcld3.NNetLanguageIdentifier(min_num_bytes=100, max_num_bytes=10000)`) on the cleaned,
deduplicated text. An unreliable prediction, or one below the version's minimum probability
(0.95 in 3.1.0, 0.7 in 3.0.x), keeps the page as "und" (counted "filtered:no_predictions" or
"filtered:low_confidence", then "passed"); a reliable language outside the build's list drops the
page ("filtered:ignored_language").

CLD3 is the `gcld3` module: the reference's `gcld3==3.0.13` (built from source against Debian's
protobuf) or `cld3-py`, which ships wheels of the same model under the same name.

The TensorFlow trap: TensorFlow loads its own protobuf with global symbol binding, and a CLD3
extension loaded after it binds to that protobuf and crashes (SIGSEGV) when the identifier is
built. `load_gcld3` loads the extension with RTLD_DEEPBIND, so it binds to the protobuf it was
built against whatever the process loaded before. The corpus workers never import TensorFlow.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection

from c4forge.corpus.mc4 import UNKNOWN_LANGUAGE
from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

MIN_NUM_BYTES = 100  # "CLD3 is not expected to work well on very short documents."
MAX_NUM_BYTES = 10_000

INSTALL_HINT = (
    "CLD3 is not installed: pip install 'c4forge[multilingual]' (gcld3==3.0.13 builds against "
    "Debian's protobuf-compiler and libprotobuf-dev), or pip install cld3-py (wheels)"
)


def load_gcld3():
    """The `gcld3` module, loaded so that it works after TensorFlow (see the module docstring).

    Raises ImportError with `INSTALL_HINT` when neither package is installed."""
    module = sys.modules.get("gcld3")
    if module is not None:
        return module
    flags = sys.getdlopenflags()
    deepbind = getattr(os, "RTLD_DEEPBIND", 0)  # Linux/glibc; elsewhere the flag is absent
    sys.setdlopenflags(flags | deepbind)
    try:
        import gcld3
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    finally:
        sys.setdlopenflags(flags)
    return gcld3


class LanguageIdentifier:
    """`verdict(page)`: the page kept with its `language` set, or dropped (see module docstring).

    Build once per worker (the model loads in milliseconds). Not safe to share between threads:
    CLD3's identifier keeps state per call."""

    def __init__(self, valid_languages: Collection[str], min_probability: float) -> None:
        self._detector = load_gcld3().NNetLanguageIdentifier(
            min_num_bytes=MIN_NUM_BYTES, max_num_bytes=MAX_NUM_BYTES
        )
        self._valid = frozenset(valid_languages)
        self._min_probability = min_probability

    def verdict(self, page: Page) -> Verdict:
        result = self._detector.FindLanguage(page.text)
        if not result.is_reliable:
            return self._unsure(page, Reason.NO_PREDICTIONS)
        if result.probability < self._min_probability:
            return self._unsure(page, Reason.LOW_CONFIDENCE)
        lang = result.language
        if lang not in self._valid:
            return drop(Reason.IGNORED_LANGUAGE, language=lang)
        return keep(page._replace(language=lang), language=lang)

    @staticmethod
    def _unsure(page: Page, why: Reason) -> Verdict:
        return keep(page._replace(language=UNKNOWN_LANGUAGE), why.value, UNKNOWN_LANGUAGE)
