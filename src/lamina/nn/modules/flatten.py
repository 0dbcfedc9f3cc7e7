"""torch.nn.modules.flatten: Flatten, Unflatten (defined in linear.py)."""

from .linear import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
