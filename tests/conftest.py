"""Suite-wide options and the torch summary.

``--no-fast`` runs every op on its pure-NumPy path even when numba (the ``fast`` extra) is
installed, so CI can test both paths with the same tests. ``--require-torch`` (CI) makes a
missing torch fail the run at once instead of skipping every parity test. Without torch a
plain run prints one line saying how many parity tests were skipped and why. Tests marked
``slow`` (the big zoo models, the demos' full runs behind the README's figures) are
deselected unless ``-m`` selects them; CI runs ``-m slow`` as a second pass.
"""

import pytest

TORCH_SKIP = "could not import 'torch'"  # importorskip's reason; tests/oracle.py uses it too


def pytest_addoption(parser):
    parser.addoption(
        "--no-fast",
        action="store_true",
        help="turn lamina's compiled (numba) kernels off for the whole run",
    )
    parser.addoption(
        "--require-torch",
        action="store_true",
        help="fail the run when torch (the parity tests' oracle) cannot be imported",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a run of a minute or more, deselected unless -m selects it (CI: -m slow)"
    )
    if not config.getoption("--require-torch"):
        return
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise pytest.UsageError(
            f"--require-torch: torch, the parity tests' oracle, cannot be imported ({e}); "
            'install it with `pip install "torch==2.13.0"`'
        ) from e


def pytest_collection_modifyitems(config, items):
    if config.getoption("-m"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def _torch_skip(report) -> bool:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return False
    return TORCH_SKIP in str(report.longrepr[2])


def pytest_report_teststatus(report, config):
    # a torch skip is counted in the summary line below, not listed one by one
    if _torch_skip(report) and report.when in ("setup", "call"):
        return "skipped (no torch)", "s", "SKIPPED"
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # files skipped whole at collection (every test in them runs torch) join the count too;
    # this runs before the reporter's short summary, so they are not listed one by one
    stats = terminalreporter.stats
    files = [r for r in stats.get("skipped", []) if _torch_skip(r)]
    if files:
        stats["skipped"] = [r for r in stats["skipped"] if not _torch_skip(r)]
        stats.setdefault("skipped (no torch)", []).extend(files)
    n = len(stats.get("skipped (no torch)", []))
    if n:
        terminalreporter.write_line(
            f"{n} parity tests skipped: torch (the test oracle) is not installed; "
            'install it with `pip install "torch==2.13.0"` (CI runs with --require-torch)',
            yellow=True,
        )


@pytest.fixture(autouse=True)
def _fast_path_switch(request):
    # per test: tests that flip the switch themselves (tests/ops/test_fast.py) end with it on
    if request.config.getoption("--no-fast"):
        import lamina.ops.fast as fast

        fast.set_enabled(False)
    yield
