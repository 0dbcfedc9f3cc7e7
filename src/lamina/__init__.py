"""lamina: a small deep-learning framework on NumPy with PyTorch's API and Keras's fit."""

from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .functions import *  # noqa: F403
from .functions import _NAMES
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .tensor import Tensor

__version__ = "0.1.0"

_SUBMODULES = {"nn", "optim", "data", "io", "models", "train", "viz", "demos", "autograd", "onnx"}


def __getattr__(name: str):
    """Sub-packages load on first use (``lamina.nn``...), so ``import lamina`` stays quick."""
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".io", __name__), name)
    if name == "compile":  # torch.compile's counterpart for inference (lamina.compiled)
        return importlib.import_module(".compiled", __name__).compile
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")
