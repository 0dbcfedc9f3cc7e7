"""torch.backends.cudnn: flags accepted and without effect (lamina has no cuDNN)."""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: lamina runs on the CPU (torch.backends.cudnn.is_available)."""
    return False


def version() -> None:
    """None: no cuDNN library is loaded (torch.backends.cudnn.version)."""
    return None
