"""lamina.amp (GradScaler, autocast) and torch.cuda.amp against torch 2.13 on a CPU machine."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina.amp import GradScaler, autocast

torch = pytest.importorskip("torch")  # every test here compares with torch


def _setup(T, w0):
    w = T.nn.Parameter(T.tensor(w0))
    return w, T.optim.SGD([w], lr=0.5)


@pytest.mark.parametrize("kwargs", [dict(), dict(growth_interval=2, init_scale=4.0)])
def test_scaler_trajectory_matches_torch(kwargs):
    """Scaling, unscaling, step skipping on inf/NaN, back-off and growth, step by step."""
    grads = [[1.0, 2.0], [np.inf, 0.0], [3.0, -1.0], [0.5, 0.5], [np.nan, 1.0], [1.0, 1.0]]
    grads += [[2.0, 2.0]] * 3
    w0 = np.array([1.0, -2.0], np.float32)
    runs = {}
    for T, make in ((torch, torch.amp.GradScaler), (lamina, GradScaler)):
        w, opt = _setup(T, w0)
        scaler = make("cpu", **kwargs)
        seen = []
        for g in grads:
            loss = (w * T.tensor(np.array(g, np.float32))).sum()
            scaled = scaler.scale(loss)
            seen.append((scaled.item(), str(scaled.dtype).split(".")[-1]))
            scaled.backward()
            scaler.unscale_(opt)
            seen.append(w.grad.detach().numpy().copy())
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            seen.append((scaler.get_scale(), scaler._get_growth_tracker()))
            seen.append(w.detach().numpy().copy())
        runs[T.__name__] = seen + [scaler.state_dict()]
    assert len(runs["lamina"]) == len(runs["torch"])
    np.testing.assert_equal(runs["lamina"], runs["torch"])  # NaN equals NaN here


def test_scaler_order_errors_match_torch():
    for T, make in ((torch, torch.amp.GradScaler), (lamina, GradScaler)):
        w, opt = _setup(T, np.ones(2, np.float32))
        scaler = make("cpu")
        with pytest.raises(AssertionError, match="_scale is None"):
            scaler.unscale_(opt)
        scaler.scale((w * 2).sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="already been called on this optimizer"):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(opt, closure=lambda: None)
        scaler.update()
        with pytest.raises(AssertionError, match="No inf checks were recorded"):
            scaler.update()
        with pytest.raises(ValueError, match="outputs must be a Tensor"):
            scaler.scale([w, 3])
        with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
            make("cpu", growth_factor=1.0)
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            scaler.load_state_dict({})


def test_scaler_lists_new_scale_and_state_dict_round_trip():
    out = {}
    for T, make in ((torch, torch.amp.GradScaler), (lamina, GradScaler)):
        scaler = make("cpu", init_scale=8.0)
        a, b = T.ones(2), T.tensor(3.0, dtype=T.float64)
        scaled = scaler.scale([a, (b, a)])
        assert isinstance(scaled, list) and isinstance(scaled[1], tuple)
        w, opt = _setup(T, np.ones(2, np.float32))
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update(new_scale=2.0)
        other = make("cpu")
        other.load_state_dict(scaler.state_dict())
        out[T.__name__] = (
            [scaled[0].tolist(), scaled[1][0].item(), str(scaled[1][0].dtype)[-7:]],
            scaler.get_scale(),
            other.state_dict(),
        )
    assert out["lamina"] == out["torch"]


def test_cuda_scaler_and_autocast_disable_themselves_as_torch_does():
    for T in (torch, lamina):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
            scaler = T.amp.GradScaler()
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0
        w, opt = _setup(T, np.ones(2, np.float32))
        loss = (w * 3).sum()
        assert scaler.scale(loss) is loss
        loss.backward()
        scaler.unscale_(opt)  # no-op
        assert scaler.step(opt) is None and scaler.state_dict() == {}
        scaler.update()
        np.testing.assert_array_equal(w.detach().numpy(), [-0.5, -0.5])
        with pytest.warns(FutureWarning, match="torch.cuda.amp.GradScaler\\(args...\\)"):
            T.cuda.amp.GradScaler(enabled=False)
        with pytest.warns(FutureWarning, match="torch.cuda.amp.autocast\\(args...\\)"):
            T.cuda.amp.autocast(enabled=False)
        for make in (T.autocast, T.amp.autocast):
            with pytest.warns(UserWarning, match="CUDA is not available"):
                ctx = make(device_type="cuda")
            with ctx:
                assert (T.ones(2, 2) @ T.ones(2, 2)).dtype == T.float32


def test_autocast_arguments_checked_as_torch():
    for T in (torch, lamina):
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            T.autocast(3)
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            T.autocast("xyz")
        with pytest.warns(UserWarning, match="target dtype is not supported"):
            T.autocast("cpu", dtype=T.float64)
        with T.autocast("cpu", enabled=False):
            pass

        @T.autocast("cpu", enabled=False)
        def f(x):
            return x * 2

        assert f(T.ones(1)).item() == 2.0
        assert T.amp.autocast is T.autocast


def test_cpu_autocast_is_refused_not_ignored():
    """torch casts matmuls to bfloat16/float16 here; lamina does not, and says so."""
    for dtype in (None, lamina.bfloat16, lamina.float16):
        with pytest.raises(NotImplementedError, match="autocast\\(device_type='cpu'"):
            autocast("cpu", dtype=dtype)
    assert lamina.amp.is_autocast_available("cpu") is False


def test_bfloat16_is_named_and_refused():
    """torch.bfloat16 exists in lamina so scripts' dtype tables import; any use raises."""
    assert repr(lamina.bfloat16) == "lamina.bfloat16"
    assert lamina.cuda.is_bf16_supported() is torch.cuda.is_bf16_supported() is False
    uses = [
        lambda: lamina.zeros(2, dtype=lamina.bfloat16),
        lambda: lamina.ones(2).to(lamina.bfloat16),
        lambda: lamina.tensor([1.0], dtype=lamina.bfloat16),
        lambda: lamina.nn.Linear(2, 2, dtype=lamina.bfloat16),
        lambda: np.dtype(lamina.bfloat16),
    ]
    for use in uses:
        with pytest.raises(TypeError, match="lamina.bfloat16 is not supported"):
            use()
