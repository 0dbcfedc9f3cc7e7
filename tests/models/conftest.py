"""Shared fixtures for the zoo tests: cheap init and the ``slow`` marker."""

from __future__ import annotations

import os

import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: long zoo runs, deselected unless -m selects them (CI runs -m slow)",
    )


def pytest_collection_modifyitems(config, items):
    """Without ``-m``, the slow zoo runs (~60 s) are deselected, not skipped: CI runs them
    with ``-m slow``, and a plain run reports them as deselected."""
    if config.getoption("-m"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # this hook sees the whole session: only touch tests/models
    slow = [i for i in items if "slow" in i.keywords and str(i.path).startswith(here)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        gone = set(map(id, slow))
        items[:] = [i for i in items if id(i) not in gone]


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
