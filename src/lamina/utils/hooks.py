"""torch.utils.hooks: the handle that ``register_forward_hook`` returns."""

from ..nn.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
