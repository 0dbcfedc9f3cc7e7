"""Array-level checks for ops: run an Op's forward/backward without Tensor.

``check_op(Fn, *args, **kwargs)`` runs ``Fn.forward`` in float64, draws a random cotangent
for each output, calls ``Fn.backward`` and compares every float-array argument's gradient
with central finite differences. Integer arrays and non-array arguments get no gradient.
"""

from __future__ import annotations

import inspect

import numpy as np


def _split(fn, args, kwargs):
    """Tests may list options positionally after the inputs: name them as forward does."""
    n = len(args) if fn._varargs else len(fn._inputs)
    if len(args) <= n:
        return args, kwargs
    params = inspect.signature(fn.forward).parameters.values()
    names = [p.name for p in params if p.kind == inspect.Parameter.KEYWORD_ONLY]
    assert len(args) - n <= len(names), f"{fn.__name__}: too many arguments {len(args)}"
    return args[:n], {**dict(zip(names, args[n:])), **kwargs}


def run_forward(fn, *args, **kwargs):
    """fn.forward on arrays, with one needs_input_grad flag per tensor input (float arrays).

    Options may follow the inputs positionally, in forward's keyword-only order.
    """
    args, kwargs = _split(fn, args, kwargs)
    n = len(args) if fn._varargs else len(fn._inputs)
    ctx = fn._Ctx(fn)
    needs = tuple(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in args)
    ctx.needs_input_grad = needs + (False,) * (n - len(args))
    out = fn.forward(ctx, *args, **kwargs)
    return ctx, out


def run_backward(fn, ctx, grads):
    """fn.backward; checks the contract of one gradient per tensor input."""
    res = fn.backward(ctx, *grads)
    res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
    assert len(res) == len(ctx.needs_input_grad), f"{fn.__name__}: {len(res)} gradients"
    return res


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def check_op(fn, *args, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0, **kwargs):
    """Assert that fn's analytic gradients match finite differences (float64)."""
    rng = np.random.default_rng(seed)
    args = [
        a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in args
    ]
    ctx, out = run_forward(
        fn, *[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs
    )
    outs = out if isinstance(out, tuple) else (out,)
    cots = [
        rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else None for o in outs
    ]
    grads = run_backward(
        fn, ctx, [c if c is not None else np.zeros(np.shape(o)) for c, o in zip(cots, outs)]
    )

    def scalar(arglist):
        _, o = run_forward(fn, *arglist, **kwargs)
        os_ = o if isinstance(o, tuple) else (o,)
        return sum(float(np.sum(oi * c)) for oi, c in zip(os_, cots) if c is not None)

    for i, a in enumerate(args):
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            continue
        g = grads[i] if i < len(grads) else None
        assert g is not None, f"{fn.__name__}: no gradient for argument {i}"
        g = _unbroadcast(np.asarray(g, dtype=np.float64), a.shape)
        assert g.shape == a.shape, f"{fn.__name__}: grad {i} shape {g.shape} != {a.shape}"
        num = np.zeros_like(a)
        flat = a.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = scalar([x.copy() if isinstance(x, np.ndarray) else x for x in args])
            flat[j] = old - eps
            fm = scalar([x.copy() if isinstance(x, np.ndarray) else x for x in args])
            flat[j] = old
            num.reshape(-1)[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(
            g, num, atol=atol, rtol=rtol, err_msg=f"{fn.__name__}: gradient of argument {i}"
        )
    return True
