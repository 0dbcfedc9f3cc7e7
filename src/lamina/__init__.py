"""lamina: a small deep-learning framework on NumPy with PyTorch's API and Keras's fit."""

from . import cuda
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .device import device
from .dtypes import (
    Size,
    bfloat16,
    bool,
    bool_,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .functions import *  # noqa: F403
from .functions import __all__ as _factories
from .functions_linalg import *  # noqa: F403
from .functions_ops import *  # noqa: F403
from .functions_ops import NAMES as _OPS
from .functions_rounding import *  # noqa: F403
from .functions_rounding import NAMES as _ROUNDING_OPS
from .functions_select import *  # noqa: F403
from .functions_select import NAMES as _SELECT_OPS
from .functions_shape import *  # noqa: F403
from .functions_shape import NAMES as _SHAPE_OPS
from .parallel import (
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Tensor

__version__ = "0.1.0"

_SUBMODULES = (
    "nn",
    "optim",
    "data",
    "io",
    "models",
    "train",
    "viz",
    "cli",
    "autograd",
    "utils",
    "backends",
    "accelerator",
    "onnx",
    "serialization",
    "distributed",
    "linalg",
    "special",
    "amp",
)


def __getattr__(name: str):
    """Sub-packages load on first use (``lamina.nn``...), so ``import lamina`` stays quick."""
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):  # torch.save / torch.load without pickle (lamina.io.torch_api)
        return getattr(importlib.import_module(".io.torch_api", __name__), name)
    if name == "autocast":  # torch.autocast is torch.amp.autocast
        return importlib.import_module(".amp", __name__).autocast
    if name == "compile":  # torch.compile's counterpart for inference (lamina.compiled)
        return importlib.import_module(".compiled", __name__).compile
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The names above plus the lazily loaded sub-packages and ``save``/``load``."""
    return sorted(set(globals()) | set(_SUBMODULES) | {"save", "load", "compile", "autocast"})
