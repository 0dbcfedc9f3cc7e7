"""torch.nn.modules.module: Module (defined in lamina.nn.module)."""

from ..module import Module

__all__ = ["Module"]
