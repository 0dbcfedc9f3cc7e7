"""Rounding division, remainders, bitwise/logical ops, promotion of in-place ops and the
selection ops, against torch 2.13: values, dtypes, gradients and the error types."""

from __future__ import annotations

import numpy as np
import pytest

from tests.torchboth import same

F = np.array([1.5, -2.25, 3.75, -0.5], np.float32)
D = np.array([0.75, 1.5, -2.0, 0.5], np.float32)
N = np.array([7, -7, 5, 0])


@pytest.mark.parametrize(
    "expr",
    [
        "T.remainder(f, d)",
        "T.fmod(f, d)",
        "f % 1.25",
        "2.5 % d",
        "T.div(f, d, rounding_mode='floor')",
        "T.div(f, d, rounding_mode='trunc')",
        "T.floor(f * 3)",
        "T.round(f * 2)",
        "f.frac()",
        "T.lerp(f, d, 0.75)",
        "T.lerp(f, d, d)",
        "T.addcmul(f, d, d, value=0.5)",
        "T.addcdiv(f, d, d.abs() + 1, value=-2)",
        "f.kthvalue(2)[0]",
        "f.median()",
        "f.topk(2)[0]",
        "T.flip(f, (0,))",
        "T.roll(f, 1)",
    ],
)
def test_values_dtypes_and_gradients(expr):
    def prog(T):
        f, d = T.tensor(F, requires_grad=True), T.tensor(D, requires_grad=True)
        y = eval(expr, {"T": T, "f": f, "d": d})
        y.sum().backward()
        return {"y": y, "grad:f": f.grad, "grad:d": d.grad}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "(f // d).sum().backward()",  # floor_divide has no derivative in torch
        "T.unique(f).sum().backward()",  # nor unique (NotImplementedError)
        "n // 0",
        "n % 0",
        "T.fmod(n, 0)",
        "n[:0] // 0",  # nothing divided: no error
        "f & 1",
        "~f",
        "f << 1",
        "T.logical_and(n, 0)",
        "T.add(n, 2, alpha=0.5)",
        "T.add(f, 2, alpha=True)",
        "n.clone().add_(1.5)",  # the result type does not fit int64
        "n.clone().div_(2)",
        "n.clone().mul_(d)",
        "n.clone().floor_divide_(2)",
        "T.lerp(n, n, 0.5)",
        "T.lerp(f, d.double(), 0.5)",
        "T.addcdiv(n, n, n)",
        "f.frac_() if False else n.frac()",
        "n.kthvalue(9)",
        "T.flip(f, (0, 0))",
        "T.roll(f, (1, 2), (0,))",
        "f.select(0, 4)",
    ],
)
def test_errors_match_torch(expr):
    def prog(T):
        f, d = T.tensor(F, requires_grad=True), T.tensor(D)
        n = T.tensor(N)
        y = eval(expr, {"T": T, "f": f, "d": d, "n": n})
        return {"y": y if hasattr(y, "shape") else None, "grad:f": f.grad}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "(n > 0) & 3",
        "(n > 0) | (n < 0)",
        "n ^ True",
        "~(n > 0)",
        "(n > 0) << 1",
        "n >> 1",
        "T.bitwise_not(n)",
        "T.logical_xor(n, f)",
        "n.remainder(3)",
        "-7 // T.tensor([2, -2, 3])",
        "T.div(n, 3, rounding_mode='trunc')",
        "T.div(n, -3, rounding_mode='floor')",
        "T.mode(T.tensor([3.0, 1.0, 1.0, 3.0]))[1]",
        "T.unique(n, return_inverse=True, return_counts=True)[2]",
    ],
)
def test_integer_and_bool_results(expr):
    def prog(T):
        n, f = T.tensor(N), T.tensor(F)
        return {"y": eval(expr, {"T": T, "n": n, "f": f})}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "T.where(True, f, d)",  # a Python bool condition: TypeError
        "T.nn.functional.pad(f, (1, 1, 1, 1))",  # more pads than dims: RuntimeError
        "f[0].topk(0)[0]",  # a 0-d tensor is its own top element
        "f[0].topk(1)[1]",
        "y = f * 1; z = y ** 2; y.add_(1); z.sum().backward()",  # pow keeps x, not x ** 2
    ],
)
def test_more_errors_and_edges(expr):
    def prog(T):
        f, d = T.tensor(F, requires_grad=True), T.tensor(D)
        env = {"T": T, "f": f, "d": d}
        if expr.startswith("y ="):
            exec(expr, env)
            return {"grad:f": f.grad}
        return {"y": eval(expr, env)}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "(f > 0).floor()",  # bool: torch's kernels refuse
        "(f > 0).round()",
        "(f > 0).median()",
        "(f > 0).kthvalue(1)",
        "(f > 0).topk(1)",
        "f.clamp(min=d, max=1.0)",  # a tensor and a number: TypeError
        "T.flip(f[0], (0, -1))",  # a 0-d tensor's dims 0 and -1 are one
        "T.nn.functional.mse_loss(n, n)",
        "T.nn.functional.l1_loss(n, n)",
        "T.nn.functional.smooth_l1_loss(n, n)",
        "T.nn.functional.binary_cross_entropy_with_logits(n, f)",
        "T.nn.functional.threshold(f > 0, 0.5, 2.0)",
        "(f * 1).scatter_add_(0, T.tensor([0, 1]), d.double()[:2])",  # src of another dtype
    ],
)
def test_dtype_refusals_match_torch(expr):
    def prog(T):
        f, d, n = T.tensor(F), T.tensor(D), T.tensor(N)
        y = eval(expr, {"T": T, "f": f, "d": d, "n": n})
        return {"y": y if hasattr(y, "shape") else None}

    same(prog)


def test_median_of_empty_keeps_grad():
    def prog(T):
        x = T.zeros(2, 0, requires_grad=True)
        y = x.median()
        y.backward()
        return {"y": y, "grad:x": x.grad}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "T.addcmul(f > 0, f > 0, f > 0)",  # bool: torch's kernel refuses
        "T.zeros(0, dtype=T.bool).median(0)",  # the empty dim is checked first
        "T.nn.functional.l1_loss(f, f > 0)",  # bool subtraction
        "T.nn.functional.smooth_l1_loss(f, f > 0)",  # allowed
    ],
)
def test_bool_operands_match_torch(expr):
    def prog(T):
        f = T.tensor(F)
        y = eval(expr, {"T": T, "f": f})
        return {"y": y[0] if isinstance(y, tuple) else y}

    same(prog)


@pytest.mark.parametrize(
    "expr",
    [
        "T.tensor([7.3, -1.1, 2.0], dtype=T.float64) % 2.5",  # torch's a - b * floor(a / b)
        "T.unique(T.tensor([float('nan'), 1.0, float('nan')]))",  # each NaN is distinct
        "T.nn.functional.threshold(T.tensor([float('nan'), 0.0, 2.0]), 0.1, 20.0)",
        "T.nn.functional.mse_loss(T.ones(3), T.tensor(2.0, dtype=T.float64))",  # broadcast
    ],
)
def test_nan_rounding_and_promotion_match_torch(expr):
    same(lambda T: {"y": eval(expr, {"T": T})}, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "expr",
    [
        "f.clamp(min=d[0], max=2.5)",  # a 0-d tensor passes as a number
        "True ** n",  # bool base, integer exponents (negative ones included)
        "(n > 0) ** 2",
        "n ** (n > 0)",  # integer base, bool exponents
        "T.tensor(3) ** (n > 0)",
    ],
)
def test_scalar_like_operands_match_torch(expr):
    same(
        lambda T: {"y": eval(expr, {"T": T, "f": T.tensor(F), "d": T.tensor(D), "n": T.tensor(N)})}
    )
