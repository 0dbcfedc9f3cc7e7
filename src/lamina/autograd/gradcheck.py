"""gradcheck: compare analytic gradients with float64 central finite differences."""

from __future__ import annotations

import numpy as np


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check ``fn``'s gradients w.r.t. every input that requires grad (torch.autograd.gradcheck).

    ``fn`` maps the input Tensors to a Tensor (or a tuple; all outputs are checked via a
    random projection). Inputs should be float64. Returns True, or raises ``GradcheckError``
    naming the input and the element that disagree most.
    """
    from ..tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = np.random.default_rng(0)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise GradcheckError(f"gradcheck: input {i} is {x.dtype}; use float64 inputs")

    def outputs():
        out = fn(*inputs)
        return out if isinstance(out, (tuple, list)) else (out,)

    outs = outputs()
    cots = [rng.standard_normal(o.shape) for o in outs]

    def project():
        return sum(float(np.sum(o._data * c)) for o, c in zip(outputs(), cots))

    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    total = sum((o * Tensor(c)).sum() for o, c in zip(outs, cots))
    total.backward()
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytic = np.zeros(x.shape) if x.grad is None else x.grad._data
        numeric = np.zeros(x.shape)
        flat = x._data.reshape(-1)  # a view: perturb in place
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = project()
            flat[j] = old - eps
            fm = project()
            flat[j] = old
            numeric.reshape(-1)[j] = (fp - fm) / (2 * eps)
        err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and err.max() > 0:
            k = np.unravel_index(int(np.argmax(err)), x.shape)
            raise GradcheckError(
                f"gradcheck: input {i} (shape {tuple(x.shape)}) element {tuple(int(v) for v in k)}:"
                f" analytic {analytic[k]:.6g} vs numerical {numeric[k]:.6g}"
            )
    return True


class GradcheckError(RuntimeError):
    """Raised when analytic and numerical gradients disagree."""
