"""Global switches: thread-local grad mode, one grad-mode implementation, fresh seeds, dir()."""

import inspect
import subprocess
import sys
import threading

import lamina as L
from lamina import _state


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["enabled"] = L.is_grad_enabled()
        x = L.ones(2, requires_grad=True)
        seen["recorded"] = (x * 2).grad_fn is not None

    with L.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not L.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}


def test_set_grad_enabled_acts_at_once_and_restores_in_a_block():
    assert L.is_grad_enabled()
    L.set_grad_enabled(False)
    assert not _state.grad.enabled
    L.set_grad_enabled(True)
    with L.set_grad_enabled(False):
        assert not L.is_grad_enabled()
        with L.enable_grad():
            assert L.is_grad_enabled()
    assert L.is_grad_enabled()

    @L.set_grad_enabled(False)
    def f():
        return L.is_grad_enabled()

    assert f() is False and L.is_grad_enabled()


def test_unseeded_processes_draw_different_numbers_and_manual_seed_repeats():
    code = "import lamina as L; print(L.rand(3).tolist(), L.initial_seed())"
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] != runs[1]
    L.manual_seed(5)
    a = L.rand(3).tolist()
    L.manual_seed(5)
    assert L.rand(3).tolist() == a and L.initial_seed() == 5


def test_methods_are_functions_with_names_signatures_and_docs():
    for name in ("exp", "sum", "reshape", "add_", "to", "new_zeros", "__add__", "float"):
        fn = getattr(L.Tensor, name)
        assert fn.__name__ == name and fn.__doc__ or name.startswith("__"), name
        inspect.signature(fn)
    assert list(inspect.signature(L.exp).parameters) == ["input"]
    assert list(inspect.signature(L.sum).parameters) == ["input", "dim", "keepdim", "dtype"]


def test_dir_lists_lazily_loaded_subpackages():
    names = dir(L)
    for sub in ("nn", "optim", "data", "io", "autograd", "save", "load"):
        assert sub in names
    assert L.nn.Linear is not None
