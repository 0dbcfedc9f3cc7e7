"""Suite-wide options: ``--no-fast`` runs every op on its pure-NumPy path even when numba
(the ``fast`` extra) is installed, so CI can test both paths with the same tests."""

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--no-fast",
        action="store_true",
        help="turn lamina's compiled (numba) kernels off for the whole run",
    )


@pytest.fixture(autouse=True)
def _fast_path_switch(request):
    # per test: tests that flip the switch themselves (tests/ops/test_fast.py) end with it on
    if request.config.getoption("--no-fast"):
        import lamina.ops.fast as fast

        fast.set_enabled(False)
    yield
