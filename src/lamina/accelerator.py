"""torch.accelerator: lamina has none, so scripts take their CPU branch.

``is_available()`` is False and ``current_accelerator()`` None, so the usual
``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else
torch.device("cpu")`` picks the CPU unchanged.
"""

from __future__ import annotations

__all__ = ["current_accelerator", "device_count", "is_available", "synchronize"]


def is_available() -> bool:
    """False: lamina runs on the CPU (torch.accelerator.is_available)."""
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: there is no accelerator (torch.accelerator.current_accelerator)."""
    return None


def device_count() -> int:
    """0 accelerators (torch.accelerator.device_count)."""
    return 0


def synchronize(device=None) -> None:
    """Nothing to wait for: NumPy work is done when the call returns."""
    return None
