"""The Optimizer base class: parameter groups, per-parameter state, state dicts.

Mirrors ``torch.optim.Optimizer``. A parameter is a lamina Tensor (``lamina.nn.Parameter``):
the update functions work on its array (``_data``) and its gradient's, in place.
Per-parameter state lives in
``optimizer.state[param]`` under torch's names (``step``, ``exp_avg``, ``momentum_buffer``...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "required"]


class _Required:
    """Sentinel for an option without a default (torch.optim.optimizer.required)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _check_param(p: Any, where: str) -> None:
    if not (hasattr(p, "data") and hasattr(p, "grad")):
        raise TypeError(
            f"{where}: optimizer can only optimize parameters (objects with .data and .grad), "
            f"but got {type(p).__name__}"
        )
    if not isinstance(p._data, np.ndarray):
        raise TypeError(f"{where}: parameter's array must be a numpy.ndarray, got {type(p._data)}")


def array_of(t: Any) -> np.ndarray:
    """The ndarray a parameter or gradient holds, updated in place by the optimizers."""
    arr = getattr(t, "_data", None)  # the storage slot, where ``.data`` is torch's Tensor view
    return arr if isinstance(arr, np.ndarray) else t.data


def check_nonneg(name: str, value: float, where: str) -> None:
    """Raise ValueError naming ``value`` unless ``0 <= value`` (torch's "Invalid ..." checks)."""
    if not 0.0 <= value:
        raise ValueError(f"{where}: invalid {name} value: {value!r} (expected >= 0)")


def check_betas(betas: tuple[float, float], where: str) -> tuple[float, float]:
    """Validate Adam-style ``betas``: two floats each in [0, 1)."""
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, b in enumerate((b1, b2)):
        if not 0.0 <= b < 1.0:
            raise ValueError(
                f"{where}: invalid beta parameter at index {i}: {b!r} (expected 0 <= beta < 1)"
            )
    return float(b1), float(b2)


def check_kernel_flags(foreach, capturable, differentiable, fused, where: str) -> None:
    """torch's kernel options: ``foreach``/``fused`` choose how torch runs the same update
    (lamina has one way, so both are accepted); CUDA-graph capture and differentiating
    through the step are not supported and raise."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if capturable or differentiable:
        raise ValueError(f"{where}: capturable/differentiable are not supported by lamina")


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer).

    Args:
        params: an iterable of parameters, or of dicts (parameter groups) each with a
            ``"params"`` entry and optional per-group options overriding ``defaults``.
        defaults: the default options of every group (``lr``, ``momentum`` ...).

    Subclasses implement ``step`` by looping over ``self.param_groups`` and calling a pure
    array function per parameter that has a gradient.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, np.ndarray) or hasattr(params, "data"):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of parameters or dicts, "
                f"but got {type(params).__name__}"
            )
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (torch add_param_group)."""
        where = f"{type(self).__name__}.add_param_group"
        if not isinstance(param_group, dict):
            raise TypeError(f"{where}: param_group must be a dict, got {type(param_group)}")
        params = param_group["params"]
        if hasattr(params, "data"):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{where}: params must be an ordered collection (a list), not a set")
        param_group["params"] = list(params)
        for p in param_group["params"]:
            _check_param(p, where)
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"{where}: parameter group didn't specify a value of {name!r}")
            param_group.setdefault(name, default)
        if len({id(p) for p in param_group["params"]}) != len(param_group["params"]):
            raise ValueError(f"{where}: a parameter group lists the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError(f"{where}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: set them to None, or zero their arrays in place (torch zero_grad)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():  # as torch: the closure runs backward even under no_grad
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """The optimizer state as torch lays it out (torch.optim.Optimizer.state_dict).

        Returns ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]}``
        where indices number the parameters in group order. Arrays are copied NumPy arrays;
        ``step`` is a 0-d float32 array as torch's ``step`` tensor.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            state[index[id(p)]] = {k: _export(k, v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from :meth:`state_dict` (torch.optim.Optimizer.load_state_dict).

        Arrays are copied and cast to their parameter's dtype; group options are replaced.
        """
        where = f"{type(self).__name__}.load_state_dict"
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: loaded state dict has {len(saved_groups)} parameter groups, "
                f"expected {len(self.param_groups)}"
            )
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"{where}: loaded param_groups[{i}] has {len(sg['params'])} parameters, "
                    f"the optimizer's group has {len(g['params'])}"
                )
        id_map = {}
        for g, sg in zip(self.param_groups, saved_groups):
            id_map.update(zip(sg["params"], g["params"]))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, s in state_dict["state"].items():
            k = int(k)
            if k not in id_map:
                raise ValueError(
                    f"{where}: state key {k} names no parameter (0..{len(id_map) - 1})"
                )
            p = id_map[k]
            state[p] = {name: _import(name, v, p) for name, v in s.items()}
        for g, sg in zip(self.param_groups, saved_groups):
            sg["params"] = g["params"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


def _export(name: str, value: Any) -> Any:
    if name == "step":
        return np.array(value, dtype=np.float32)
    if isinstance(value, np.ndarray):
        return value.copy()
    return deepcopy(value)


def _import(name: str, value: Any, p: Any) -> Any:
    if name == "step":
        return int(np.asarray(value).item())
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        arr = np.array(value, dtype=p._data.dtype, copy=True)
        if arr.shape != p._data.shape:
            raise ValueError(
                f"load_state_dict: state {name!r} has shape {arr.shape}, "
                f"parameter has {p._data.shape}"
            )
        return arr
    return deepcopy(value)
