"""Table entries for test_torch_names.py: the rounding, remainder, bitwise/logical,
fused-update, selection and in-place exports (values, dtypes and gradients vs torch 2.13).

Inputs hold exact halves and repeats on purpose: rounding ties, median/mode ties and the
kinks of the piecewise ops are where implementations differ.
"""

from __future__ import annotations

import numpy as np

H = np.array([[-2.5, -1.5, 0.5, 1.5], [2.5, 3.0, -0.25, 0.75], [1.5, -1.5, 1.5, 4.0]], np.float32)
D = np.array([[1.5, -2.0, 0.75, 3.0], [-1.25, 2.0, 0.5, -4.0], [2.0, 2.0, -1.0, 1.0]], np.float32)
N = np.array([[7, -7, 5, -5], [3, -3, 8, 0], [1, 2, -9, 4]], np.int64)
S = np.array([[2, 3, -2, -3], [5, 2, 3, -1], [4, -4, 2, 3]], np.int64)
B = np.array([[True, False, True, False], [False, True, True, False], [True] * 4])
# torch 2.13 returns a src gradient of the wrong shape when src is larger than index
# (ScatterBackward0), so the scatter entries pass a src of the index's shape.
IDX = np.array([[0, 2, 1, 2], [2, 0, 0, 1]])  # int64 indices into dim 0 of a (3, 4)


def _ip(name, *args):
    """An in-place method on a clone of a tensor with history: the result and its grad."""
    return lambda T, x, *o: getattr(x * 1, name)(*args, *o)


FUNCS_MORE = {
    **{n: (lambda T, x, n=n: getattr(T, n)(x), [H]) for n in "floor ceil trunc fix frac".split()},
    "round": (lambda T, x: (T.round(x), T.round(x * 3.7, decimals=1)), [H]),
    "reciprocal": (lambda T, x, n: (T.reciprocal(x), T.reciprocal(n)), [D, S]),
    "remainder": (lambda T, x, y, n, s: (T.remainder(x, y), T.remainder(n, s)), [H, D, N, S]),
    "fmod": (lambda T, x, y, n, s: (T.fmod(x, y), T.fmod(n, s), T.fmod(x, -1.5)), [H, D, N, S]),
    "floor_divide": (lambda T, n, s: (T.floor_divide(n, s), n // 2, -7 // s), [N, S]),
    "bitwise_and": (lambda T, n, b: (T.bitwise_and(n, 6), T.bitwise_and(b, n)), [N, B]),
    "bitwise_or": (lambda T, n, b: (T.bitwise_or(n, 6), n | b, b | b), [N, B]),
    "bitwise_xor": (lambda T, n, b: (T.bitwise_xor(n, 6), b ^ True), [N, B]),
    "bitwise_not": (lambda T, n, b: (T.bitwise_not(n), ~b), [N, B]),
    "bitwise_left_shift": (lambda T, n, b: (T.bitwise_left_shift(n, 2), b << 1), [N, B]),
    "bitwise_right_shift": (lambda T, n: (T.bitwise_right_shift(n, 1), n >> 3), [N]),
    "logical_and": (lambda T, x, n: T.logical_and(x, n), [H, N]),
    "logical_or": (lambda T, x, b: T.logical_or(x, b), [H, B]),
    "logical_xor": (lambda T, x, n: T.logical_xor(x, n), [H, N]),
    "lerp": (lambda T, x, y: (T.lerp(x, y, 0.3), T.lerp(x, y, 0.75), T.lerp(x, y, y)), [H, D]),
    "addcmul": (lambda T, x, y, n: (T.addcmul(x, y, x, value=0.5), T.addcmul(n, n, n)), [H, D, N]),
    "addcdiv": (lambda T, x, y: T.addcdiv(x, x, y, value=-2), [H, D]),
    "clamp_min": (lambda T, x: T.clamp_min(x, 0.5), [H]),
    "clamp_max": (lambda T, x, y: T.clamp_max(x, y), [H, D]),
    "flip": (lambda T, x: (T.flip(x, (0, 1)), T.flip(x, [-1])), [H]),
    "roll": (lambda T, x: (T.roll(x, 1), T.roll(x, (1, -1), (0, 1))), [H]),
    "kthvalue": (lambda T, x: (tuple(T.kthvalue(x, 2)), tuple(T.kthvalue(x, 3, 0, True))), [H]),
    "median": (lambda T, x: (T.median(x), tuple(T.median(x, 1)), tuple(T.median(x, 0))), [H]),
    "mode": (lambda T, x: (tuple(T.mode(x, 0)), tuple(T.mode(x))), [H]),
    "unique": (lambda T, n: T.unique(n, return_inverse=True, return_counts=True), [N]),
    "select": (lambda T, x: (T.select(x, 1, -1), T.select(x, 0, 2)), [H]),
    "index_add": (lambda T, x, y: T.index_add(x, 0, T.tensor([2, 0]), y[:2], alpha=2), [H, D]),
    "scatter": (
        lambda T, x, i, y: (T.scatter(x, 0, i, y[:2]), T.scatter(x, 1, i, 2.5)),
        [H, IDX, D],
    ),
}
# lamina's functions above call the Tensor method of the same name, so each entry checks the
# method too (torch's function and method are one op)
METHODS_MORE = {n: (lambda T, *t, f=f: f(T, *t), ins) for n, (f, ins) in FUNCS_MORE.items()}
METHODS_MORE.update(
    {
        "where": (lambda T, x, y: x.where(x > 0, y), [H, D]),
        "scatter": (lambda T, x, i, y: (x.scatter(0, i, y[:2]), x.scatter(1, i, 2.5)), [H, IDX, D]),
        **{
            n + "_": (_ip(n), [H])
            for n in "neg exp abs relu sigmoid tanh floor ceil round trunc frac square".split()
        },
        **{n + "_": (_ip(n), [np.abs(H) + 0.5]) for n in "sqrt rsqrt log log1p".split()},
        **{n + "_": (_ip(n), [H]) for n in "sin cos sign reciprocal nan_to_num tril triu".split()},
        "clamp_min_": (_ip("clamp_min", 0.5), [H]),
        "clamp_max_": (_ip("clamp_max", 0.5), [H]),
        "clip_": (_ip("clip", -1, 1), [H]),
        "pow_": (_ip("pow_", 2), [H]),
        "remainder_": (_ip("remainder"), [H, D]),
        "fmod_": (_ip("fmod"), [H, D]),
        "floor_divide_": (lambda T, n, s: n.clone().floor_divide_(s), [N, S]),
        "lerp_": (_ip("lerp"), [H, D, D]),
        "addcmul_": (_ip("addcmul"), [H, D, D]),
        "addcdiv_": (_ip("addcdiv"), [H, D, D]),
        "masked_fill_": (lambda T, x, b: (x * 1).masked_fill_(b, -1.0), [H, B]),
        "index_add_": (lambda T, x, y: (x * 1).index_add_(1, T.tensor([3, 3]), y[:, :2]), [H, D]),
        "scatter_": (lambda T, x, i, y: (x * 1).scatter_(0, i, y[:2]), [H, IDX, D]),
        "scatter_add_": (lambda T, x, i, y: (x * 1).scatter_add_(0, i, y[:2]), [H, IDX, D]),
        **{
            n + "_": (lambda T, n1, s, n=n: getattr(n1.clone(), n + "_")(s), [N, S])
            for n in "bitwise_and bitwise_or bitwise_xor".split()
        },
        "bitwise_not_": (lambda T, n: n.clone().bitwise_not_(), [N]),
        **{
            n + "_": (lambda T, b, n=n: getattr(b.clone(), n + "_")(b.flip(0)), [B])
            for n in "logical_and logical_or logical_xor".split()
        },
        "logical_not_": (lambda T, b: b.clone().logical_not_(), [B]),
    }
)
