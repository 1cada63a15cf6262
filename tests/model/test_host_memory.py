"""model/host_memory.py: glibc keeps freed memory mapped; a re-allocation does not fault again."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Allocate, touch and free a 256 MiB block twice (as XLA:CPU does with a step's temporaries)
# and report the minor page faults of the second round.
PROBE = r"""
import ctypes, ctypes.util, json, resource, sys
sys.path.insert(0, sys.argv[1])
from c4forge.model import host_memory
applied = host_memory.keep_freed_memory() if sys.argv[2] == "keep" else False
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
size = 256 << 20
faults = []
for _ in range(2):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps({"applied": applied, "faults": faults}))
"""

glibc_linux = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


def _probe(mode: str, **env) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), mode],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return json.loads(out.stdout)


@glibc_linux
def test_freed_memory_is_reused_without_page_faults():
    pages = (256 << 20) // os.sysconf("SC_PAGE_SIZE")
    default = _probe("default")
    kept = _probe("keep")
    assert kept["applied"] is True
    # glibc's defaults: the block is mmapped and unmapped, so the second round faults it in again.
    assert default["faults"][1] > pages // 2
    # Kept: the second round reuses the first round's pages.
    assert kept["faults"][1] < pages // 20


@glibc_linux
def test_opt_out_leaves_glibc_alone():
    result = _probe("keep", C4FORGE_KEEP_FREED_MEMORY="0")
    assert result["applied"] is False
    assert result["faults"][1] > (256 << 20) // os.sysconf("SC_PAGE_SIZE") // 2
