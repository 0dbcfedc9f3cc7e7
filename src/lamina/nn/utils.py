"""Gradient clipping and parameter/vector conversion (torch.nn.utils)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .hooks import RemovableHandle, training_mode  # noqa: F401  (torch.utils.hooks)


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale gradients so their joint norm is at most max_norm; returns the norm before."""
    ps = _grads(parameters)
    if not ps:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == np.inf:
        total = max(float(np.abs(p.grad._data).max()) for p in ps)
    else:
        total = float(
            sum(float(np.sum(np.abs(p.grad._data) ** norm_type)) for p in ps) ** (1.0 / norm_type)
        )
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} is {total}")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in ps:
            p.grad._data = p.grad._data * np.asarray(coef, p.grad._data.dtype)
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    for p in _grads(parameters):
        np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters) -> Tensor:
    return Tensor(np.concatenate([p._data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec, parameters) -> None:
    v = vec._data if isinstance(vec, Tensor) else np.asarray(vec)
    i = 0
    for p in parameters:
        n = p._data.size
        if i + n > v.size:
            raise ValueError(f"vector_to_parameters: vector of {v.size} elements is too short")
        p._data[...] = v[i : i + n].reshape(p.shape)
        i += n
    if i != v.size:
        raise ValueError(f"vector_to_parameters: vector has {v.size} elements, parameters {i}")
