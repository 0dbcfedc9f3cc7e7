"""A worker's short busy-wait for its next job, without the GIL (lamina's thread pool).

On a virtual machine a vCPU left idle halts, and waking it for the next split call took
~150-250 us here (a GEMM half of ~300 us), so a split product gained little or nothing.
OpenBLAS's and OpenMP's workers spin between calls for the same reason. A Python loop
cannot spin without the GIL, so this compiled loop does: it reads the pool's job counter
with an atomic acquire load (a plain load could be hoisted out of the loop) until the
counter moves or the iteration budget runs out.
"""

from __future__ import annotations

import numba as nb
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def _load_acquire(typingctx, arr):
    """``arr[0]`` of an int64 array by an atomic acquire load."""
    sig = types.int64(arr)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.load_atomic(ary.data, "acquire", 8)

    return sig, codegen


@nb.njit(cache=True, nogil=True)
def spin_until(counter, seen, limit):
    """Busy-wait until ``counter[0] != seen`` or ``limit`` reads have passed; returns
    ``counter[0]``."""
    for _ in range(limit):
        v = _load_acquire(counter)
        if v != seen:
            return v
    return _load_acquire(counter)
