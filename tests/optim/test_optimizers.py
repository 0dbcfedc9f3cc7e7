"""Optimizers: 20-step trajectories against torch.optim, groups, state dicts, zero_grad."""

from __future__ import annotations

import numpy as np
import pytest

from lamina import optim

from .helpers import (
    B0,
    W0,
    X,
    Y,
    lamina_params,
    lamina_step,
    make_param,
    set_grad,
    torch_params,
    torch_step,
)

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.01, eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, fused=True)),  # torch's fused CPU kernel: the same update
    ("Adam", dict(lr=0.01, foreach=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True)),
    ("RMSprop", dict(lr=0.005, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


def _sign(kwargs):
    # with maximize, feed the negated gradient so the run still converges
    return -1.0 if kwargs.get("maximize") else 1.0


def _run_lamina(name, kwargs, steps=20):
    params = lamina_params()
    opt = getattr(optim, name)(params, **kwargs)
    for _ in range(steps):
        lamina_step(opt, params, _sign(kwargs))
    return opt, params


def _run_torch(torch, name, kwargs, steps=20):
    params = torch_params(torch)
    opt = getattr(torch.optim, name)(params, **kwargs)
    for _ in range(steps):
        torch_step(torch, opt, params, _sign(kwargs))
    return opt, params


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    opt, params = _run_lamina(name, kwargs)
    topt, tparams = _run_torch(torch, name, kwargs)
    for p, tp in zip(params, tparams):
        assert p.detach().numpy().dtype == np.float32
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(params[0].detach().numpy(), W0)  # it moved
    for p, tp in zip(params, tparams):  # same state names and values as torch
        state, tstate = opt.state[p], topt.state[tp]
        assert set(state) == set(tstate)
        for key, value in state.items():
            expected = tstate[key].detach().numpy() if key != "step" else float(tstate[key])
            if key != "step":
                assert value.dtype == np.float32, key
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name,kwargs", CASES[1::3], ids=IDS[1::3])
def test_state_dict_round_trip_resumes_identically(name, kwargs):
    _, full = _run_lamina(name, kwargs, steps=20)
    opt, params = _run_lamina(name, kwargs, steps=10)
    saved = opt.state_dict()
    stateless = name == "SGD" and not kwargs.get("momentum")
    assert sorted(saved["state"]) == ([] if stateless else [0, 1])
    assert saved["param_groups"][0]["params"] == [0, 1]
    # continue in a fresh optimizer over fresh parameter objects holding the same values
    params2 = [make_param(p.detach().numpy()) for p in params]
    opt2 = getattr(optim, name)(params2, lr=123.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for _ in range(10):
        lamina_step(opt2, params2, _sign(kwargs))
    for p, q in zip(full, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_is_a_snapshot():
    params = lamina_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    lamina_step(opt, params)
    saved = opt.state_dict()
    before = saved["state"][0]["momentum_buffer"].copy()
    lamina_step(opt, params)
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], before)


def test_load_torch_state_dict_continues_like_torch():
    torch = pytest.importorskip("torch")
    kwargs = dict(lr=0.01, amsgrad=True)
    topt, tparams = _run_torch(torch, "Adam", kwargs, steps=10)
    tsd = topt.state_dict()
    as_numpy = {
        "state": {
            k: {n: v.detach().numpy().copy() for n, v in s.items()} for k, s in tsd["state"].items()
        },
        "param_groups": tsd["param_groups"],
    }
    params = [make_param(tp.detach().numpy()) for tp in tparams]
    opt = optim.Adam(params, **kwargs)
    opt.load_state_dict(as_numpy)
    assert opt.state[params[0]]["step"] == 10
    for _ in range(10):
        lamina_step(opt, params)
        torch_step(torch, topt, tparams)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_param_groups_with_different_lrs_match_torch():
    torch = pytest.importorskip("torch")
    params, tparams = lamina_params(), torch_params(torch)
    opt = optim.SGD(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01, "momentum": 0.5}],
        lr=0.1,
        momentum=0.9,
    )
    topt = torch.optim.SGD(
        [{"params": [tparams[0]]}, {"params": [tparams[1]], "lr": 0.01, "momentum": 0.5}],
        lr=0.1,
        momentum=0.9,
    )
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5]
    for _ in range(20):
        lamina_step(opt, params)
        torch_step(torch, topt, tparams)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]


def test_add_param_group_and_duplicates():
    w, b = lamina_params()
    opt = optim.Adam([w], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["lr"] == 0.2
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([w, w], lr=0.1)


def test_params_without_grad_are_skipped():
    w, b = lamina_params()
    opt = optim.Adam([w, b], lr=0.1)
    set_grad(w, np.ones_like(w.detach().numpy()))
    opt.step()
    assert not np.array_equal(w.detach().numpy(), W0)
    np.testing.assert_array_equal(b.detach().numpy(), B0)
    assert b not in opt.state


def test_step_updates_data_in_place_and_keeps_float32():
    w, _ = lamina_params()
    data = w.detach().numpy()
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad):
        opt = cls([w], lr=0.1, weight_decay=0.1)
        set_grad(w, np.ones_like(w.detach().numpy()))
        opt.step()
        assert w.detach().numpy() is data and w.detach().numpy().dtype == np.float32


def test_zero_grad():
    w, b = lamina_params()
    opt = optim.SGD([w, b], lr=0.1)
    set_grad(w, np.ones_like(w.detach().numpy()))
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not grad.numpy().any() and b.grad is None
    opt.zero_grad()
    assert w.grad is None


def test_plain_sgd_keeps_no_state():
    params = lamina_params()
    opt = optim.SGD(params, lr=0.1)
    lamina_step(opt, params)
    assert opt.state_dict()["state"] == {}


def test_step_closure_returns_loss():
    w, b = lamina_params()
    opt = optim.SGD([w, b], lr=0.1)
    assert opt.step(lambda: 3.5) == 3.5


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "-0.1"),
        (lambda p: optim.SGD(p, momentum=-1.0), "-1.0"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "index 0: 1.0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.5)), "index 1: -0.5"),
        (lambda p: optim.AdamW(p, eps=-1e-8), "-1e-08"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), "-0.5"),
        (lambda p: optim.Adagrad(p, lr_decay=-2.0), "-2.0"),
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_options_raise_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make(lamina_params())


def test_bad_params_raise_type_error():
    with pytest.raises(TypeError, match="float"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(make_param(W0), lr=0.1)


def test_load_state_dict_checks_groups():
    params = lamina_params()
    opt = optim.SGD(params, lr=0.1)
    sd = opt.state_dict()
    other = optim.SGD([make_param(W0)], lr=0.1)
    with pytest.raises(ValueError, match="has 2 parameters"):
        other.load_state_dict(sd)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_kernel_flags_as_torch(name):
    """torch's foreach/fused/capturable/differentiable keywords: kept in the groups in
    torch's order; fused with foreach (or differentiable) raises as torch does."""
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)(lamina_params(), fused=False)
    theirs = getattr(torch.optim, name)(torch_params(torch), fused=False)
    assert list(ours.param_groups[0]) == list(theirs.param_groups[0])
    for bad in (dict(fused=True, foreach=True), dict(fused=True, differentiable=True)):
        for make in (getattr(optim, name), getattr(torch.optim, name)):
            with pytest.raises(RuntimeError, match="`fused`"):
                make(
                    lamina_params() if make is getattr(optim, name) else torch_params(torch), **bad
                )
    with pytest.raises(ValueError, match="capturable/differentiable are not supported"):
        getattr(optim, name)(lamina_params(), differentiable=True)


def test_repr_lists_groups():
    text = repr(optim.Adam(lamina_params(), lr=0.5))
    assert text.startswith("Adam (") and "lr: 0.5" in text


@pytest.mark.parametrize(
    "name,kwargs",
    [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("AdamW", dict(lr=0.01, amsgrad=True))],
)
def test_training_an_mlp_with_autograd_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    import lamina
    from lamina import nn

    lamina.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 3))
    tmodel.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in model.state_dict().items()})
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    x, y = X, Y
    for _ in range(20):
        opt.zero_grad()
        loss = ((model[1](model[0](lamina.tensor(x)).tanh()) - lamina.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tx, ty = torch.tensor(x), torch.tensor(y)
        tloss = ((tmodel[1](tmodel[0](tx).tanh()) - ty) ** 2).mean()
        tloss.backward()
        topt.step()
    assert float(loss.detach().numpy()) == pytest.approx(tloss.item(), rel=1e-4)
    for k, v in model.state_dict().items():
        tv = tmodel.state_dict()[k].numpy()
        np.testing.assert_allclose(np.asarray(v), tv, rtol=1e-5, atol=1e-6, err_msg=k)


def test_closure_runs_with_grad_enabled_under_no_grad():
    import lamina

    w = make_param(W0)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with lamina.no_grad():
        loss = opt.step(closure)
    assert float(loss.detach().numpy()) == pytest.approx(float((W0 * W0).sum()), rel=1e-6)
    np.testing.assert_allclose(w.detach().numpy(), W0 * (1 - 0.2), rtol=1e-6)
