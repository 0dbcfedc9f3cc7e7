"""Promotion with Python scalars and 0-d tensors of other dtypes (in binary and in-place ops),
rounding division (``floor_divide``, ``remainder``, ``fmod``, ``div(rounding_mode=)``),
bitwise and logical ops, ``where``/``lerp``/``addcmul``/``addcdiv``/``clamp`` with tensor
bounds, selection (``topk``, ``kthvalue``, ``median``, ``mode``, ``unique``), ``flip``,
``roll`` and ``cat``/``stack`` of mixed dtypes.
"""

from __future__ import annotations

from .families_core import pick_dim
from .families_wide import other, pick

ZERO_D = ["T.tensor(2.5, dtype=T.float64)", "T.tensor(3)", "T.tensor(True)", "T.tensor(-0.5)"]
SCALARS = ["2.5", "-1", "3", "0.5", "True", "-2", "0"]
ROUND_OPS = ["T.floor_divide({a}, {b})", "{a} // {b}", "T.remainder({a}, {b})", "{a} % {b}"]
ROUND_OPS += ["T.fmod({a}, {b})", "T.div({a}, {b}, rounding_mode='floor')"]
ROUND_OPS += ["T.div({a}, {b}, rounding_mode='trunc')", "{a}.remainder({b})"]
BIT_OPS = ["{a} & {b}", "{a} | {b}", "{a} ^ {b}", "~{a}", "T.bitwise_and({a}, {b})"]
BIT_OPS += ["T.bitwise_or({a}, {b})", "T.bitwise_xor({a}, {b})", "T.bitwise_not({a})"]
BIT_OPS += ["T.logical_and({a}, {b})", "T.logical_or({a}, {b})", "T.logical_xor({a}, {b})"]
BIT_OPS += ["{a} << 1", "{a} >> 1"]
TERNARY = ["T.where({c}, {a}, {b})", "T.where({c}, {a}, {s})", "T.where({c}, {s}, {a})"]
TERNARY += ["{a}.where({c}, {s})", "T.lerp({a}, {b}, 0.3)", "T.lerp({a}, {b}, {b})"]
TERNARY += ["T.addcmul({a}, {b}, {b}, value=0.5)", "T.addcdiv({a}, {b}, {b}.abs() + 1)"]
TERNARY += ["T.addcdiv({a}, {b}, {b}.abs() + 1, value=-2)", "{a}.clamp(min={b}, max={s})"]
TERNARY += ["T.clamp({a}, {b}, {b} + 1)", "{a}.clamp(max={b})"]


def _promote(rng, a, b):
    s = pick(rng, SCALARS + ZERO_D)
    op = pick(rng, ["+", "-", "*", "/", "**", "==", "<", "//", "%"])
    c = rng.random()
    if c < 0.4:
        return f"{a} {op} {s}" if rng.random() < 0.6 else f"{s} {op} {a}"
    if c < 0.55:
        return f"T.add({a}, {s}, alpha={pick(rng, ['2', '0.5', 'True'])})"
    if c < 0.8:  # in place: the result must fit the tensor's dtype
        fn = pick(rng, ["add_", "sub_", "mul_", "div_"])
        return f"{a}.clone().{fn}({pick(rng, [s, b])})"
    return f"{a}.double() {op} {b}" if rng.random() < 0.5 else f"{a}.long() {op} {b}.float()"


def _select(rng, a, t):
    d = pick_dim(rng, t, False)
    n = t.shape[d] if t.dim() else 1
    k = int(rng.integers(0, n + 1)) if n else 0
    opts = [f"{a}.topk({k}, dim={d})[0]", f"{a}.topk({k}, dim={d}, largest=False)[0]"]
    opts += [f"T.topk({a}, {k}, {d})[1]", f"{a}.kthvalue({max(k, 1)}, {d})[0]"]
    opts += [f"{a}.median()", f"{a}.median({d})[0]", f"{a}.median({d}, keepdim=True)[1]"]
    opts += [f"{a}.mode({d})[0]", f"T.unique({a})", f"T.unique({a}, return_counts=True)[1]"]
    opts += [f"T.unique({a}, return_inverse=True)[1]", f"{a}.unique(sorted=True)"]
    opts += [f"{a}.flip({d})", f"T.flip({a}, (0, {d}))", f"{a}.roll(1, {d})"]
    opts += [f"T.roll({a}, -2)", f"T.roll({a}, (1, 2), (0, {d}))"]
    return pick(rng, opts)


def expr(rng, names, env):
    """One line of the maths family."""
    a = pick(rng, names)
    b = other(rng, names, a)
    t = env[a]
    fam = rng.integers(6)
    if fam == 0:
        return _promote(rng, a, b)
    if fam == 1:
        x = pick(rng, [a, f"{a}.long()", f"({a} * 2).long()", f"{a}.double()"])
        y = pick(rng, [b, f"{b}.long()", pick(rng, SCALARS + ZERO_D)])
        return pick(rng, ROUND_OPS).format(a=x, b=y)
    if fam == 2:
        x = pick(rng, [f"{a}.long()", f"({a} > 0)", a])
        y = pick(rng, [f"{b}.long()", f"({b} < 0)", "3", "True"])
        return pick(rng, BIT_OPS).format(a=x, b=y)
    if fam == 3:
        c = pick(rng, [f"{b} > 0", f"{a} < 0.5", "True"])
        s = pick(rng, SCALARS + ZERO_D)
        return pick(rng, TERNARY).format(a=a, b=b, c=c, s=s)
    if fam == 4:
        return _select(rng, a, t)
    fn = pick(rng, ["cat", "stack"])
    y = pick(rng, [f"{b}.double()", f"{b}.long()", f"({b} > 0)", b])
    return f"T.{fn}([{a}, {y}], {pick_dim(rng, t, False)})"
