"""``lamina.amp``: torch.amp's ``autocast`` and ``GradScaler`` for a CPU-only library.

``GradScaler("cpu")`` scales, unscales and skips steps exactly as torch's does.
``GradScaler()`` (device "cuda", torch's default) and ``autocast("cuda")`` warn and disable
themselves, as torch does on a machine without a GPU. Autocast on the CPU (casting matmuls
to bfloat16/float16) is not implemented and raises NotImplementedError when enabled.
"""

from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available"]
