"""torch.amp.GradScaler: loss scaling with inf/NaN checks, step skipping and scale updates."""

from __future__ import annotations

import warnings
from collections import abc, defaultdict
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..functions import full
from ..tensor import Tensor

READY, UNSCALED, STEPPED = "ready", "unscaled", "stepped"  # torch's OptState
_FIX = (
    "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the "
    "iteration."
)


def _fresh_state() -> dict[str, Any]:
    return {"stage": READY, "found_inf": None}


class GradScaler:
    """torch.amp.GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True).

    ``device="cpu"`` scales for real: ``scale(loss)`` multiplies by the scale (a float32
    0-d tensor), ``unscale_`` divides the optimizer's gradients by it and records whether any
    is inf/NaN, ``step`` skips ``optimizer.step()`` when one was, and ``update`` backs the
    scale off after a skipped step or grows it after ``growth_interval`` clean ones, in
    float32 as torch's kernels. ``device="cuda"`` (the default) warns that CUDA is not
    available and disables itself: every method is then a no-op and ``step`` just calls
    ``optimizer.step()``, as torch on a machine without a GPU.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # made on the first scale(), as torch
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: int | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(_fresh_state)

    def _check_started(self, funcname: str) -> Tensor:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + _FIX)
        return self._scale

    def scale(self, outputs):
        """``outputs`` (a Tensor or nested lists/tuples of them) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._lazy_scale()
        if isinstance(outputs, abc.Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _lazy_scale(self) -> Tensor:
        if self._scale is None:
            self._scale = full((), self._init_scale, dtype=np.float32)
            self._growth_tracker = self._init_growth_tracker
        return self._scale

    def _unscale_grads_(self, optimizer, inv_scale: np.float32, allow_fp16: bool) -> bool:
        """Multiply every gradient by ``inv_scale`` in place; True if any was inf/NaN."""
        found_inf = False
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if not allow_fp16 and param.grad.dtype == np.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    found_inf |= not bool(np.isfinite(param.grad.numpy()).all())
                    if inv_scale != 1:
                        param.grad.mul_(full((), inv_scale, dtype=np.float32))
        return found_inf

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale (once per step), noting infs/NaNs."""
        if not self._enabled:
            return
        scale = self._check_started("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] == UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / np.float64(scale.item()))  # torch: double reciprocal
        state["found_inf"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = UNSCALED

    def step(self, optimizer, *args: Any, **kwargs: Any) -> Any:
        """``unscale_`` if not yet done, then ``optimizer.step()`` unless a gradient was
        inf/NaN; returns what ``optimizer.step`` returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_started("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] == STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == READY:
            self.unscale_(optimizer)
        retval = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back the scale off after a skipped step, grow it after ``growth_interval`` clean
        steps, or set it to ``new_scale``; then forget this iteration's optimizers."""
        if not self._enabled:
            return
        scale = self._check_started("update")
        if new_scale is not None:
            self._set_scale(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values()]
            found = [f for f in found if f is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            current = np.float32(scale.item())
            if any(found):
                scale.fill_(current * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = current * np.float32(self._growth_factor)
                if np.isfinite(grown):
                    scale.fill_(grown)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._per_optimizer_states = defaultdict(_fresh_state)

    def _set_scale(self, new_scale: float | Tensor) -> None:
        if isinstance(new_scale, float):
            self._scale.fill_(new_scale)
            return
        reason = (
            "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
            "torch.FloatTensor with requires_grad=False."
        )
        if not isinstance(new_scale, Tensor) or new_scale.numel() != 1:
            raise AssertionError(reason)
        if new_scale.requires_grad or new_scale.device.type != self._device:
            raise AssertionError(reason)
        self._scale.fill_(new_scale.item())

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        tracker = self._growth_tracker
        return self._init_growth_tracker if tracker is None else tracker

    def is_enabled(self) -> bool:
        """Whether this scaler scales (False when disabled, or on "cuda" without a GPU)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """scale, growth_factor, backoff_factor, growth_interval, _growth_tracker (torch's
        keys); an empty dict when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict(); a no-op when disabled."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]
