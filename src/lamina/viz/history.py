"""Training curves and confusion matrices as PNG files (matplotlib, Agg, no pyplot).

matplotlib is the ``plot`` extra (``pip install lamina[plot]``) and is imported only here,
when a plot is drawn. Figures are drawn on the Agg canvas directly, so nothing touches
pyplot's global state or needs a display. Keras users plot ``history.history`` by hand.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["plot_history", "plot_confusion_matrix"]

_SKIP = ("seconds", "lr")


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            "lamina.viz needs matplotlib: pip install 'lamina[plot]' (or matplotlib)"
        ) from e
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike) -> str:
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def plot_history(
    history: Any,
    path: str | os.PathLike,
    keys: list[str] | None = None,
    title: str | None = None,
) -> str:
    """One panel per metric with its training and ``val_`` curves; the lr on a log scale.

    Epochs are numbered as the console prints them (``Epoch 1/20`` is epoch 1).

    Args:
        history: a :class:`lamina.train.History` or its ``.history`` dict.
        path: the PNG file to write (folders are created).
        keys: the metrics to draw (default: every key without the ``val_`` prefix).
        title: a title over the panels.

    Returns:
        The path written.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history: expected a History or a non-empty dict, got {history!r}")
    names = keys or [k for k in logs if not k.startswith("val_") and k not in _SKIP]
    if keys is None and len(set(logs.get("lr", []))) > 1:
        names = [*names, "lr"]  # only a schedule that changes is worth a panel
    fig = _figure(4.0 * len(names), 3.4 if title else 3.2)
    epochs = getattr(history, "epoch", None)
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in logs:
                values = np.asarray(logs[key], dtype=np.float64)
                x = np.arange(1, len(values) + 1)
                if epochs is not None and len(epochs) == len(values):
                    x = np.asarray(epochs) + 1  # History's epochs are 0-based
                ax.plot(x, values, marker=".", label=label)
        if name == "lr":
            ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if name != "lr":
            ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion_matrix(
    cm: Any,
    path: str | os.PathLike,
    class_names: list[str] | None = None,
    title: str = "Confusion matrix",
) -> str:
    """Draw a confusion matrix (rows: true class, columns: predicted) with its counts.

    Args:
        cm: square array of counts, e.g. from :func:`lamina.train.confusion_matrix`.
        path: the PNG file to write.
        class_names: tick labels (default 0..C-1).
        title: the figure title.

    Returns:
        The path written.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square matrix, got shape {cm.shape}")
    n = cm.shape[0]
    names = class_names or [str(i) for i in range(n)]
    fig = _figure(1.0 + 0.5 * n, 1.0 + 0.45 * n)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(n), labels=names)
    ax.set_yticks(range(n), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    high = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            color = "white" if cm[i, j] > high else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=color, fontsize=8)
    return _save(fig, path)
