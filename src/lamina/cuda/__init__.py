"""``lamina.cuda``: there is no GPU backend, so ``is_available()`` is False.

The seeding calls torch scripts make unconditionally (``torch.cuda.manual_seed_all``) are
accepted and do nothing, as in torch on a machine without a GPU; anything that would put a
tensor on a GPU raises ``lamina.device.DeviceError``.
"""

from __future__ import annotations

from ..device import _refuse


def is_available() -> bool:
    """False: lamina runs on the CPU (torch.cuda.is_available)."""
    return False


def device_count() -> int:
    """0 (torch.cuda.device_count)."""
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored, as torch does without a GPU (torch.cuda.manual_seed)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored, as torch does without a GPU (torch.cuda.manual_seed_all)."""


def current_device() -> int:
    """Raises: there is no CUDA device (torch.cuda.current_device)."""
    raise _refuse("cuda")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: there is no CUDA device (torch.cuda.is_bf16_supported without a GPU)."""
    return False


def __getattr__(name: str):
    """``lamina.cuda.amp`` loads on first use (it needs tensors; this module sits below them)."""
    if name == "amp":
        import importlib

        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module 'lamina.cuda' has no attribute {name!r}")
