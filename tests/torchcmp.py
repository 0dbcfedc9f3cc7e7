"""Run the same function on lamina and torch tensors; compare values, dtypes and gradients."""

from __future__ import annotations

import numpy as np

import lamina
from tests.oracle import torch  # None without torch: only tests marked needs_torch call in


def _np(t):
    return np.array(t.detach().numpy(), copy=True)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def same_as_torch(fn, *arrays, grad=True, rtol=None, atol=None, seed=0):
    """``fn(module, *tensors)`` agrees under lamina and torch: every output's shape, dtype
    and value, and (float inputs, ``grad``) the gradient of a random projection.
    Tolerances default to float32 rounding when any input is float32, else to 1e-6."""
    f32 = any(np.asarray(a).dtype == np.float32 for a in arrays)
    rtol = rtol if rtol is not None else (2e-5 if f32 else 1e-6)
    atol = atol if atol is not None else (1e-6 if f32 else 1e-8)
    lt = [lamina.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    tt = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    lo, to = _flat(fn(lamina, *lt)), _flat(fn(torch, *tt))
    assert len(lo) == len(to)
    rng = np.random.default_rng(seed)
    lsum, tsum = None, None
    for a, b in zip(lo, to):
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        assert str(a.dtype).split(".")[-1].replace("bool_", "bool") == str(b.dtype)[6:]
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)
        if b.requires_grad:
            w = rng.standard_normal(tuple(b.shape)).astype(_np(b).dtype)
            lsum = (a * lamina.tensor(w)).sum() + (0 if lsum is None else lsum)
            tsum = (b * torch.tensor(w)).sum() + (0 if tsum is None else tsum)
    if tsum is not None:
        lsum.backward()
        tsum.backward()
        for a, b in zip(lt, tt):
            if b.grad is not None:
                np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=rtol, atol=atol)
    return lo
