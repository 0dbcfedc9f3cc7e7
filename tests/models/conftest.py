"""Shared fixtures for the zoo tests: cheap init."""

from __future__ import annotations

import numpy as np
import pytest


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
