"""Tensor.register_post_accumulate_grad_hook against torch: when, how often, with what."""

import numpy as np
import pytest

import lamina
from tests.oracle import torch

X = np.array([1.0, -2.0, 3.0], np.float32)


def _run(T, build):
    """Register a recording hook on a leaf, run ``build``'s backward; return the record."""
    x = T.tensor(X, requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    build(T, x)
    return seen, handle, x


CASES = {
    "fan-out": lambda T, x: (x * 2 + x * x + x.sin()).sum().backward(),
    "one path cut": lambda T, x: (x * 3 + x.detach() * 5).sum().backward(),
    "twice, retained": lambda T, x: [
        (y := (x * x).sum()).backward(retain_graph=True),
        y.backward(),
    ],
    "leaf itself": lambda T, x: x.backward(T.ones(3)),
    "stack": lambda T, x: T.stack([x, x * 2, x]).sum().backward(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hook_runs_once_per_backward_after_the_whole_gradient(name):
    got, _, _ = _run(lamina, CASES[name])
    want, _, _ = _run(torch, CASES[name])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("T", [lamina, torch], ids=["lamina", "torch"])
def test_hooks_run_in_order_and_remove(T):
    x = T.tensor(X, requires_grad=True)
    calls = []
    h1 = x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    x.register_post_accumulate_grad_hook(lambda t: calls.append(2))
    (x * 2).sum().backward()
    h1.remove()
    (x * 2).sum().backward()
    assert calls == [1, 2, 2]


def test_a_parameter_of_a_module_gets_its_hook():
    lin = lamina.nn.Linear(3, 2)
    names = []
    for n, p in lin.named_parameters():
        p.register_post_accumulate_grad_hook(lambda t, n=n: names.append(n))
    lin(lamina.tensor(X[None])).sum().backward()
    assert sorted(names) == ["bias", "weight"]


@pytest.mark.parametrize(
    "make",
    [lambda T: T.tensor(X), lambda T: T.tensor(X, requires_grad=True) * 2],
    ids=["no grad", "non-leaf"],
)
def test_refused_where_torch_refuses(make):
    with pytest.raises(RuntimeError) as want:
        make(torch).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError) as got:
        make(lamina).register_post_accumulate_grad_hook(lambda t: None)
    assert str(got.value) == str(want.value)
