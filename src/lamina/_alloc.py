"""One-time warm-up of glibc's malloc for the array churn of a backward pass.

glibc serves a block above ``M_MMAP_THRESHOLD`` (128 KiB at start) with its own mmap, and
gives the top of the heap back to the OS once more than ``M_TRIM_THRESHOLD`` is free there.
Both thresholds rise on their own when the program frees an mmapped block (to its size, and
twice that, up to 32 MiB): glibc's documented dynamic adjustment. A training step of NumPy
arrays of 0.1-2 MB frees its temporaries at the end, the heap top is trimmed, and the next
step page-faults them back in: ~3,400 faults and 3-5 ms of system time per step of the GPT
in ``benchmarks/bench_gpt.py`` (about a tenth of the step). Freeing one 30 MiB block once
raises the thresholds as a larger program's own allocations would (torch's import does so
in passing); the process then keeps up to 64 MiB of freed heap for reuse instead of
returning it. Other C libraries and platforms are left alone.
"""

from __future__ import annotations

import platform

import numpy as np

_done = False


def warm_up() -> None:
    """Raise glibc's dynamic mmap/trim thresholds once per process (no-op elsewhere)."""
    global _done
    if _done:
        return
    _done = True
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        block = np.empty(30 << 20, np.uint8)  # mmapped, never touched: no page is faulted
        del block
