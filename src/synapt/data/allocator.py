"""Keep freed clip buffers in the heap (glibc), instead of handing them back to the kernel.

A decoded and transformed clip is a handful of 0.2-3 MB tensors. glibc serves blocks of that size
with fresh ``mmap`` pages and unmaps them on free, so every clip pays page faults and zeroing
for all of them again: measured about half the CPU time of the fast path on 16x112 clips.
Raising the mmap and trim thresholds lets freed blocks be reused. Data-loading workers call
:func:`keep_freed_buffers` at start; a main process may call it too.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Largest mmap threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): 32 MiB.
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_buffers() -> bool:
    """Tune glibc malloc for clip-sized buffers; returns False where that is not possible (not glibc)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
