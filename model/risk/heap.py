"""A steady heap for the Monte Carlo's chunk after chunk of same-sized arrays (glibc only).

Each chunk allocates the engine's arrays (several MB), then frees them all. glibc returns
the top of its heap to the system once more than its trim threshold lies free there, so
with nothing kept above a chunk's arrays it gives the memory back after every chunk and
takes it again for the next: about 4,000 page faults a chunk, a third of the run's time
spent in the kernel for a million paths. :func:`steady_heap` fixes malloc's thresholds
once per process (``mallopt``): arrays up to 32 MB come from the heap, and the heap is
trimmed only when more than 128 MB lie free at its top. Elsewhere (macOS, musl, Windows)
it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import lru_cache

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Arrays up to this size come from the heap rather than from a fresh mapping.
MMAP_THRESHOLD = 32 << 20
#: Free memory kept at the top of the heap before it is given back.
TRIM_THRESHOLD = 128 << 20


@lru_cache(maxsize=1)
def steady_heap() -> bool:
    """Fix glibc's malloc thresholds for this process (once); whether it was done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
