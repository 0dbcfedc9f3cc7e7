"""The record-time check behind ``lamina.compile``'s bit-for-bit promise.

A replay kernel (``lamina.compiled_kernels``) makes the same NumPy/BLAS calls as its op's
``forward``; whether they round the same also depends on the BLAS build (a matrix-vector
product split into row blocks) and on numba's code generation. So before a plan uses a
kernel it runs it, twice (kernels that alternate between two orders take both), on random
inputs of the recorded shapes and compares with the op's ``forward`` on the same inputs:
a kernel whose result differs in any element is dropped and the plan calls the op instead.
The order of float operations does not depend on the values, so agreement on random data
is agreement on all data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["kernel_agrees"]


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, tuple):  # (values, indices): kernels give the values only
        want, got = want[0], got[0]
    return (
        isinstance(got, np.ndarray)
        and want.shape == got.shape
        and want.dtype == got.dtype
        and np.array_equal(want, got, equal_nan=True)
    )


def kernel_agrees(step: Any, rng: np.random.Generator, new_ctx: Any) -> bool:
    """Whether ``step.fast`` equals the op's forward (and its fused ReLU's) on random data.

    ``new_ctx(cls)``: a throwaway context for a forward (what it saves is dropped after).
    """
    op = step.op
    by_slot = {
        slot: rng.standard_normal(op.args[name].shape).astype(op.args[name].dtype)
        for name, slot in step.traced
    }
    fresh = {name: by_slot[slot].copy() for name, slot in step.traced}
    want = step.fn(new_ctx(step.cls), **{**op.args, **fresh})
    if step.fused is not None:
        want = step.fused.fn(new_ctx(step.fused.cls), want)
    for _ in range(2):
        got = step.fast(*[by_slot[slot].copy() for _, slot in step.traced])
        if not _same(want, got):
            return False
    return True
