"""The fuzzer's long run is selected with ``-m slow``; otherwise it is deselected (not
skipped), so a plain run reports no skips for it."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long runs, selected with -m slow")


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("-m") or ""):
        return
    keep, drop = [], []
    for item in items:  # this hook sees the whole session: only touch tests/fuzz
        here = "slow" in item.keywords and "tests/fuzz/" in str(item.path).replace("\\", "/")
        (drop if here else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
