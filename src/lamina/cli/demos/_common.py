"""What the demos share: picture helpers that say when an extra is missing."""

from __future__ import annotations

import importlib.util

PLOT_INSTALL = "pip install 'lamina[plot]'"


def have(module: str, picture: str) -> bool:
    """Whether ``module`` imports; if not, say in one line which picture is skipped."""
    if importlib.util.find_spec(module) is not None:
        return True
    package = {"PIL": "Pillow"}.get(module, module)
    print(f"  {picture} not written: it needs {package} ({PLOT_INSTALL})")
    return False


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
