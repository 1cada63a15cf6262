"""Host-side settings for training on CPU.

XLA:CPU allocates a step's temporaries (gigabytes for T5-small at 8 x 512/114) with malloc each
step and frees them at its end. glibc's defaults serve blocks that large with mmap and hand them
back to the kernel on free (or trim the heap top), so the next step page-faults the same
gigabytes in again, in kernel time (BENCHMARKS.md, "Model step time on CPU", has the
measurements). `keep_freed_memory` sets glibc, through mallopt(3), to serve them from one heap
that it never trims, so freed memory stays mapped and is reused; the process keeps its peak
footprint (the step's working set) for its lifetime.

Call it before JAX or TensorFlow start their threads: glibc gives each thread that mallocs its
own arena, and threads holding arenas from before the call keep glibc's defaults there.
`c4forge train/eval/infer/demo` call it first thing (cli/main.py); the Trainer calls it again
on CPU for library users.

It is the in-process form of `MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0
MALLOC_TRIM_THRESHOLD_=<huge> MALLOC_TOP_PAD_=1GiB`. Only glibc has mallopt with these
parameters; elsewhere it does nothing. Opt out with C4FORGE_KEEP_FREED_MEMORY=0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

# glibc's <malloc.h> parameter numbers.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_MAX, M_ARENA_MAX = -1, -2, -4, -8
TOP_PAD = 1 << 30  # grow the heap a GiB at a time
OPT_OUT = "C4FORGE_KEEP_FREED_MEMORY"

_applied: bool | None = None


def _settings() -> list[tuple[int, int]]:
    # M_TRIM_THRESHOLD takes an int and glibc stores it as size_t: -1 means "never trim".
    return [(M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, -1), (M_TOP_PAD, TOP_PAD)]


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory mapped for reuse (see the module doc). Idempotent.

    Returns True when the settings are in effect; False on a non-glibc system, when
    C4FORGE_KEEP_FREED_MEMORY=0, or when mallopt refused one of them.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get(OPT_OUT, "1").strip() in ("0", "false", "no"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = all(mallopt(param, value) == 1 for param, value in _settings())
    return _applied


def on_cpu(devices) -> bool:
    """True when every device is a CPU (the only backend whose temporaries live in malloc)."""
    return all(device.platform == "cpu" for device in devices)
