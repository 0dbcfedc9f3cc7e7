"""torch's and torchvision's utility module paths that scripts import from.

``lamina.utils.data`` is ``torch.utils.data`` (datasets, DataLoader, samplers);
``lamina.utils.hooks`` holds ``RemovableHandle``; ``make_grid`` and ``save_image`` are
``torchvision.utils``' (values in [0, 1]; ``normalize=``, ``value_range=``).
"""

from . import data, hooks
from .grid import make_grid, save_image

__all__ = ["data", "hooks", "make_grid", "save_image"]
