"""LBFGS (both line-search modes) and Adadelta: trajectories against torch.optim."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina import optim
from tests.oracle import torch

from .helpers import B0, W0, X, Y, lamina_params, lamina_step, torch_params, torch_step


def _loss_fns(dtype=np.float32):
    """The same smooth non-convex loss written for lamina and for torch."""
    x_l, y_l = lamina.tensor(X.astype(dtype)), lamina.tensor(Y.astype(dtype))
    x_t, y_t = torch.tensor(X.astype(dtype)), torch.tensor(Y.astype(dtype))

    def lam(w, b):
        return ((lamina.tanh(x_l @ w.T + b) - y_l) ** 2).mean()

    def tor(w, b):
        return ((torch.tanh(x_t @ w.T + b) - y_t) ** 2).mean()

    return lam, tor


def _run(make_opt_l, make_opt_t, steps, dtype=np.float32):
    lam, tor = _loss_fns(dtype)
    pl = [lamina.nn.Parameter(a.astype(dtype)) for a in (W0, B0)]
    pt = [torch.nn.Parameter(torch.tensor(a.astype(dtype))) for a in (W0, B0)]
    ol, ot = make_opt_l(pl), make_opt_t(pt)
    losses_l, losses_t = [], []

    def closure_l():
        ol.zero_grad()
        loss = lam(*pl)
        loss.backward()
        return loss

    def closure_t():
        ot.zero_grad()
        loss = tor(*pt)
        loss.backward()
        return loss.detach()

    for _ in range(steps):
        losses_l.append(float(ol.step(closure_l)))
        losses_t.append(float(ot.step(closure_t)))
    return pl, pt, losses_l, losses_t, ol, ot


# float32 runs agree to float32 rounding; the float64 runs, to 1e-9, show the same algorithm
# (steps, line-search trials, history updates) also on settings where float32 rounding
# grows chaotically (lr=0.5 with a short history).
LBFGS_CASES = [
    (dict(), np.float32, 1e-5),
    (dict(line_search_fn="strong_wolfe"), np.float32, 1e-5),
    (dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2, lr=0.8), np.float32, 1e-5),
    (dict(lr=0.5, max_iter=5, history_size=3), np.float64, 1e-9),
    (dict(line_search_fn="strong_wolfe", max_iter=7, history_size=3), np.float64, 1e-9),
    (dict(max_iter=30, max_eval=12, tolerance_change=1e-4), np.float64, 1e-9),
]


@pytest.mark.parametrize(
    "kwargs,dtype,rtol", LBFGS_CASES, ids=[f"{k}-{d.__name__}" for k, d, _ in LBFGS_CASES]
)
def test_lbfgs_trajectory_matches_torch(kwargs, dtype, rtol):
    pl, pt, ll, lt, ol, ot = _run(
        lambda p: optim.LBFGS(p, **kwargs),
        lambda p: torch.optim.LBFGS(p, **kwargs),
        steps=4,
        dtype=dtype,
    )
    np.testing.assert_allclose(ll, lt, rtol=rtol, atol=rtol / 10)
    for p, tp in zip(pl, pt):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=20 * rtol, atol=2 * rtol)
    assert not np.allclose(pl[0].detach().numpy(), W0) and ll[-1] < ll[0]
    sl, st = ol.state[pl[0]], ot.state[pt[0]]
    assert sl["func_evals"] == st["func_evals"] and sl["n_iter"] == st["n_iter"]


def test_lbfgs_needs_closure_and_one_group():
    p = lamina_params()
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS(p).step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.1}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS(p, line_search_fn="armijo")


ADADELTA_CASES = [dict(), dict(lr=0.5, rho=0.8, weight_decay=0.1), dict(eps=1e-4, maximize=True)]


@pytest.mark.parametrize(
    "kwargs", ADADELTA_CASES, ids=[str(k) or "default" for k in ADADELTA_CASES]
)
def test_adadelta_trajectory_matches_torch(kwargs):
    sign = -1.0 if kwargs.get("maximize") else 1.0
    pl, pt = lamina_params(), torch_params(torch)
    ol, ot = optim.Adadelta(pl, **kwargs), torch.optim.Adadelta(pt, **kwargs)
    for _ in range(20):
        lamina_step(ol, pl, sign)
        torch_step(torch, ot, pt, sign)
    for p, tp in zip(pl, pt):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
        for key in ("square_avg", "acc_delta"):
            np.testing.assert_allclose(
                ol.state[p][key], ot.state[tp][key].numpy(), rtol=1e-5, atol=1e-8
            )
    assert not np.allclose(pl[1].detach().numpy(), B0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_step_with_closure_everywhere(name):
    """step(closure) evaluates the closure with grad enabled and returns its loss, as torch."""
    lam, tor = _loss_fns()
    pl, pt = lamina_params(), torch_params(torch)
    ol, ot = getattr(optim, name)(pl, lr=0.01), getattr(torch.optim, name)(pt, lr=0.01)
    for _ in range(3):

        def closure_l():
            ol.zero_grad()
            loss = lam(*pl)
            loss.backward()
            return loss

        def closure_t():
            ot.zero_grad()
            loss = tor(*pt)
            loss.backward()
            return loss

        with lamina.no_grad():
            loss_l = ol.step(closure_l)
        with torch.no_grad():
            loss_t = ot.step(closure_t)
        assert float(loss_l) == pytest.approx(float(loss_t.detach()), rel=1e-5)
    np.testing.assert_allclose(pl[0].detach().numpy(), pt[0].detach().numpy(), rtol=1e-5, atol=1e-6)
