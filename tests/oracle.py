"""The test oracle: torch when installed, else None, and the marker for tests that need it.

Only a test that compares with torch needs it. Such a test either imports torch inside itself
(``torch = pytest.importorskip("torch")``) or, when a file's helpers use torch, takes
``torch`` from here and carries ``@needs_torch``. Without torch those tests skip with one
reason that tests/conftest.py counts into a single summary line; CI passes
``--require-torch``, which turns a missing oracle into a failed run.
"""

import pytest

try:
    import torch
except ModuleNotFoundError:  # torch is the oracle only: lamina itself never imports it
    torch = None

REASON = "could not import 'torch': parity test needs the oracle"
needs_torch = pytest.mark.skipif(torch is None, reason=REASON)
