"""Adam/AdamW's elementwise update as one compiled loop (optim.adam.adam_update's NumPy path
makes about twelve passes over each parameter and its state).

Every element goes through the NumPy path's operations in the same order and precision:
the Python-float coefficients are rounded to the parameter's dtype first, as NumPy does
with a Python scalar, and numba contracts no multiply-add, so the results are bit for bit
the NumPy path's (tests/ops/test_fast.py). A GPT step's AdamW over 0.8M parameters: about
6 ms of NumPy passes, ~1 ms here.
"""

from __future__ import annotations

import math

import numba as nb


@nb.njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def adam_step(p, g, m, v, vmax, negate, decay_mode, decay, c1, beta2, c2, bc2, eps, size):
    """In place over flat arrays. ``decay_mode``: 0 none, 1 decoupled (``p *= decay``), 2 L2
    (``g += decay * p``); ``c1 = 1 - beta1``, ``c2 = 1 - beta2``, ``bc2`` = sqrt of the second
    bias correction, ``size`` = lr / first bias correction; ``vmax`` empty without amsgrad."""
    ams = vmax.size == p.size
    for i in range(p.size):
        gi = -g[i] if negate else g[i]
        pi = p[i]
        if decay_mode == 1:
            pi = pi * decay
        elif decay_mode == 2:
            gi = gi + decay * pi
        mi = m[i] + (gi - m[i]) * c1
        vi = v[i] * beta2 + (gi * gi) * c2
        m[i] = mi
        v[i] = vi
        if ams:
            old = vmax[i]
            vi = vi if (vi > old or vi != vi) else old  # np.maximum, NaN included
            vmax[i] = vi
        d = math.sqrt(vi) / bc2 + eps
        p[i] = pi - (mi / d) * size
