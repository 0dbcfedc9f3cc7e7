"""Shared fixtures for the zoo tests: layer availability, cheap init, the ``slow`` marker."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lamina import nn

LAYERS = ("Conv2d", "BatchNorm2d", "ReLU", "Dropout", "MaxPool2d", "AdaptiveAvgPool2d")
MISSING = [n for n in LAYERS if not hasattr(nn, n)]
needs_layers = pytest.mark.skipif(bool(MISSING), reason=f"lamina.nn lacks {MISSING}")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long zoo runs, selected with -m slow")


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:  # this hook sees the whole session: only touch tests/models
        if "slow" in item.keywords and str(item.path).startswith(here):
            item.add_marker(skip)


class _ZeroRng:
    """Stands in for the init generator: every draw is 0 (shapes only, no 100M-float draws)."""

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.float32(0)

    normal = uniform

    def random(self, size=None, dtype=None):
        return np.float32(0)

    standard_normal = random


@pytest.fixture
def cheap_init(monkeypatch):
    """Build models without drawing or writing initial weights (tests overwrite or ignore them).

    Parameters stay ``np.empty`` memory: VGG's 138M floats cost no page faults.
    """
    from lamina.nn import init

    monkeypatch.setattr(init, "default_rng", lambda: _ZeroRng())
    monkeypatch.setattr(init, "_fill", lambda t, arr: t)
