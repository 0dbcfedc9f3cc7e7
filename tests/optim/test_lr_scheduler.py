"""LR schedulers: lr sequences against torch.optim.lr_scheduler, state dicts, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lamina import optim
from lamina.optim import lr_scheduler

from .helpers import lamina_params, torch_params


def _lamina_sgd(**kwargs):
    w, b = lamina_params()
    return optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1, **kwargs)


def _torch_sgd(torch, **kwargs):
    w, b = torch_params(torch)
    return torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1, **kwargs)


def _lrs(opt, sched, steps=30, key=None):
    """(steps + 1, k): every group's lr (and ``key`` option, flattened) after each step."""

    def row():
        extra = [np.ravel(g[key]) for g in opt.param_groups] if key else []
        return np.concatenate([np.asarray(sched.get_last_lr(), dtype=np.float64), *extra])

    seq = [row()]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(row())
    return np.stack(seq)


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=1e-3)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=8)),
    ("LinearLR", dict()),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: math.cos(e / 10)])),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=30, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.3, epochs=3, steps_per_epoch=10, three_phase=True)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=40, pct_start=0.25, cycle_momentum=False)),
]


@pytest.mark.parametrize(
    "name,kwargs", SCHEDULERS, ids=[s[0] + str(i) for i, s in enumerate(SCHEDULERS)]
)
def test_lr_sequence_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    key = "momentum" if name == "OneCycleLR" and kwargs.get("cycle_momentum", True) else None
    opt, topt = _lamina_sgd(momentum=0.9), _torch_sgd(torch, momentum=0.9)
    ours = _lrs(opt, getattr(lr_scheduler, name)(opt, **kwargs), key=key)
    theirs = _lrs(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs), key=key)
    np.testing.assert_array_equal(ours, theirs)  # same recursive float arithmetic
    assert not np.all(ours == ours[0])  # the schedule moved
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in topt.param_groups
    ]


def test_onecycle_cycles_adam_beta1_like_torch():
    torch = pytest.importorskip("torch")
    opt = optim.Adam(lamina_params(), lr=0.1, betas=(0.9, 0.99))
    topt = torch.optim.Adam(torch_params(torch), lr=0.1, betas=(0.9, 0.99))
    kw = dict(max_lr=0.05, total_steps=20, base_momentum=0.8, max_momentum=0.9)
    ours = _lrs(opt, lr_scheduler.OneCycleLR(opt, **kw), steps=20, key="betas")
    theirs = _lrs(topt, torch.optim.lr_scheduler.OneCycleLR(topt, **kw), steps=20, key="betas")
    np.testing.assert_array_equal(ours, theirs)  # columns: lr, beta1, beta2
    assert ours[:, 1].min() == pytest.approx(0.8) and np.all(ours[:, 2] == 0.99)
    assert isinstance(opt.param_groups[0]["betas"], tuple)


def test_onecycle_raises_past_total_steps_and_without_momentum():
    opt = _lamina_sgd()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="3 times"):
        sched.step()
    with pytest.raises(ValueError, match="1.5"):
        lr_scheduler.OneCycleLR(_lamina_sgd(), max_lr=0.1, total_steps=5, pct_start=1.5)
    adagrad = optim.Adagrad(lamina_params())
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=5)


METRICS = [1.0, 0.9, 0.9, 0.91, 0.95, 0.899, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6]
METRICS += [0.6, 0.4, 0.4, 0.4, 0.4, 0.41, 0.4, 0.4, 0.4, 0.4, 0.4]
PLATEAU = [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.02, 0.001]),
    dict(patience=1, threshold_mode="abs", threshold=0.0, min_lr=0.005, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    opt, topt = _lamina_sgd(), _torch_sgd(torch)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    ours, theirs = [], []
    for m in METRICS:
        sched.step(m)
        tsched.step(m)
        ours.append(sched.get_last_lr())
        theirs.append(tsched.get_last_lr())
    assert ours == theirs
    assert ours[-1] != ours[0]
    assert sched.best == tsched.best and sched.num_bad_epochs == tsched.num_bad_epochs


def test_reduce_on_plateau_hand_checked():
    opt = optim.SGD(lamina_params(), lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    lrs = []
    for m in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


@pytest.mark.parametrize(
    "make",
    [
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
        lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=20),
        lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1),
    ],
)
def test_scheduler_state_dict_resumes_identically(make):
    def drive(opt, sched, start, stop):
        for i in range(start, stop):
            opt.step()
            if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
                sched.step(METRICS[i])
            else:
                sched.step()
        return [g["lr"] for g in opt.param_groups]

    opt = _lamina_sgd(momentum=0.9)
    full = drive(opt, make(opt), 0, 20)
    opt = _lamina_sgd(momentum=0.9)
    sched = make(opt)
    drive(opt, sched, 0, 10)
    osd, ssd = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in ssd
    opt2 = _lamina_sgd(momentum=0.9)
    sched2 = make(opt2)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    assert drive(opt2, sched2, 10, 20) == full


def test_initial_lr_set_and_required_on_resume():
    opt = _lamina_sgd()
    lr_scheduler.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_lamina_sgd(), step_size=2, last_epoch=3)


def test_scheduler_errors_name_the_value():
    with pytest.raises(TypeError, match="list"):
        lr_scheduler.StepLR([], step_size=2)
    with pytest.raises(ValueError, match="1.5"):
        lr_scheduler.ReduceLROnPlateau(_lamina_sgd(), factor=1.5)
    with pytest.raises(ValueError, match="'median'"):
        lr_scheduler.ReduceLROnPlateau(_lamina_sgd(), mode="median")
    with pytest.raises(ValueError, match="3 values"):
        lr_scheduler.LambdaLR(_lamina_sgd(), lr_lambda=[np.exp] * 3)
    with pytest.raises(ValueError, match="0.0"):
        lr_scheduler.LinearLR(_lamina_sgd(), start_factor=0.0)
