"""lamina._alloc: glibc keeps freed heap for reuse after the one-time warm-up."""

import os
import platform
import subprocess
import sys

import pytest

_SCRIPT = """
import resource, sys
import numpy as np
from lamina import _alloc
if sys.argv[1] == "warm":
    _alloc.warm_up()
def step():  # a training step's pattern: temporaries of 1.5 MB, all freed at the end
    arrays = [np.ones(3 << 19, np.uint8) for _ in range(6)]
    del arrays
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    import lamina  # the child imports this lamina, not another installed one

    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(lamina.__file__))}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True, env=env
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the warm-up only acts on glibc; elsewhere it is a no-op",
)
def test_warm_up_stops_page_faults_of_repeated_arrays():
    cold, warm = _faults("cold"), _faults("warm")
    assert cold >= 5 * 1000  # the heap top is trimmed and faulted back in every step
    assert warm < 100


def test_backward_warms_up_once():
    import lamina
    from lamina import _alloc

    x = lamina.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    assert _alloc._done
    _alloc.warm_up()  # idempotent
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
