"""Shared fixtures for the optimizer tests: a least-squares problem and parameter makers."""

from __future__ import annotations

import numpy as np

from lamina.nn import Parameter
from lamina.tensor import Tensor

_rng = np.random.default_rng(0)
X = _rng.standard_normal((16, 4)).astype(np.float32)  # (N, in)
Y = _rng.standard_normal((16, 3)).astype(np.float32)  # (N, out)
W0 = (0.5 * _rng.standard_normal((3, 4))).astype(np.float32)  # (out, in)
B0 = (0.5 * _rng.standard_normal(3)).astype(np.float32)  # (out,)


def make_param(array: np.ndarray) -> Parameter:
    """A float32 lamina Parameter holding a copy of ``array``."""
    return Parameter(np.array(array, dtype=np.float32))


def set_grad(p: Parameter, g: np.ndarray) -> None:
    p.grad = Tensor(np.array(g, dtype=np.float32))


def lsq_grads(w: np.ndarray, b: np.ndarray, sign: float = 1.0):
    """Gradients of 0.5 * mean_n ||x_n W^T + b - y_n||^2 with respect to W and b."""
    r = X @ w.T + b - Y  # (N, out)
    return sign * (r.T @ X) / len(X), sign * r.mean(axis=0)


def lamina_params():
    return [make_param(W0), make_param(B0)]


def torch_params(torch):
    return [torch.nn.Parameter(torch.tensor(W0)), torch.nn.Parameter(torch.tensor(B0))]


def lamina_step(opt, params, sign: float = 1.0) -> None:
    for p, g in zip(
        params, lsq_grads(params[0].detach().numpy(), params[1].detach().numpy(), sign)
    ):
        set_grad(p, g)
    opt.step()


def torch_step(torch, opt, params, sign: float = 1.0) -> None:
    w, b = (p.detach().numpy() for p in params)
    for p, g in zip(params, lsq_grads(w, b, sign)):
        p.grad = torch.from_numpy(np.ascontiguousarray(g, dtype=np.float32))
    opt.step()
