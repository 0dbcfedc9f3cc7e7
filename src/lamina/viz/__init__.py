"""Plots (matplotlib, the ``plot`` extra, imported only when a plot is drawn)."""

from .history import plot_confusion_matrix, plot_history

__all__ = ["plot_history", "plot_confusion_matrix"]
