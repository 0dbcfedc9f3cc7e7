"""lamina's process-wide switches, in one place.

- grad mode: per thread, as torch's (``no_grad`` in one thread leaves the others recording);
  read by ``tensor.apply`` on every op, so it is a plain attribute of a ``threading.local``.
- anomaly mode (``autograd.detect_anomaly``): process-wide, as torch's.
- the global random generator (``manual_seed``): created on first use from a fresh seed per
  process unless ``manual_seed`` was called, as torch.
- the compiled-kernel switch (``ops.fast.set_enabled``).
- the thread counts (``set_num_threads``, ``set_num_interop_threads``) and lamina's own
  worker pool (``ops._parallel``).

Everything here is data; the functions that change it live with their public API
(``autograd.grad_mode``, ``autograd.anomaly``, ``random``, ``ops.fast``, ``parallel``).
"""

from __future__ import annotations

import threading


class _GradState(threading.local):
    """Each thread starts with grad mode on (torch.is_grad_enabled)."""

    enabled = True


grad = _GradState()
anomaly = {"enabled": False}
rng = {"generator": None, "seed": None}
fast = {"enabled": True, "available": None, "kernels": None}
threads = {
    "intra": None,  # None until first asked: the default (ops._parallel.default_threads)
    "interop": None,
    "interop_locked": False,  # torch: set_num_interop_threads only once, before use
    "blas_applied": None,  # the count last given to the BLAS (threadpoolctl)
    "pool": None,
    "pool_size": 0,
    "pool_pid": None,
    "groups": {},  # ops._parallel: per call size, [average score, back-off, calls inline]
}
