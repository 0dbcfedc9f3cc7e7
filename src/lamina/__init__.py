"""lamina: a small deep-learning framework on NumPy with PyTorch's API and Keras's fit."""

from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .functions import *  # noqa: F403
from .functions import _NAMES
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .tensor import Tensor

__version__ = "0.1.0"
