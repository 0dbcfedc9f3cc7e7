"""The test oracle: torch when installed; without it, a stand-in that skips the test using it.

Only a test that compares with torch needs it. Such a test imports torch inside itself
(``torch = pytest.importorskip("torch")``) or takes ``torch`` from here: without torch the
stand-in skips the test at its first use of ``torch.``, so a test's NumPy and gradcheck
parts before that still run and still fail when wrong. ``@needs_torch`` skips a test
before it starts. Every such skip carries one reason, which tests/conftest.py counts into
a single summary line; CI passes ``--require-torch``, which fails the run without torch.
"""

from typing import Any

import pytest

REASON = "could not import 'torch': parity test needs the oracle"


class _Missing:
    """Stands in for the torch module when it is not installed: any use skips the test."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name.startswith("pytest"):  # probes by pytest, inspect
            raise AttributeError(name)
        pytest.skip(f"{REASON} (torch.{name})")

    def __bool__(self) -> bool:
        return False


try:
    import torch
except ModuleNotFoundError:  # torch is the oracle only: lamina itself never imports it
    torch = _Missing()

HAVE_TORCH = bool(torch)
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason=REASON)
