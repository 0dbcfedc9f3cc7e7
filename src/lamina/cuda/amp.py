"""``torch.cuda.amp``'s deprecated spellings of torch.amp's GradScaler and autocast.

As in torch they warn (FutureWarning) and forward to device "cuda", which on lamina, as on
torch without a GPU, warns once more and disables itself.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..amp import autocast_mode, grad_scaler


class GradScaler(grad_scaler.GradScaler):
    """torch.cuda.amp.GradScaler: torch.amp.GradScaler("cuda", ...), disabled here."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`torch.cuda.amp.GradScaler(args...)` is deprecated. "
            "Please use `torch.amp.GradScaler('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )


class autocast(autocast_mode.autocast):  # noqa: N801 - torch's name
    """torch.cuda.amp.autocast: torch.amp.autocast("cuda", ...), disabled here."""

    def __init__(self, enabled: bool = True, dtype: Any = None, cache_enabled: bool = True):
        warnings.warn(
            "`torch.cuda.amp.autocast(args...)` is deprecated. "
            "Please use `torch.amp.autocast('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
