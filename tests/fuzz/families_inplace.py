"""In-place ops through views: aliasing, version counters and autograd's in-place errors.

A line takes a tensor, maybe a view of it (``view``, ``transpose``, ``narrow``, ``select``,
``unsqueeze``, ``expand``, ``detach``, slices...), and applies an in-place op to it
(``add_``, ``mul_``, ``clamp_``, ``copy_``, ``zero_``, ``fill_``, ``masked_fill_``,
``index_add_``, ``scatter_``, ``scatter_add_``, ``+=`` ...). Every variable is compared at
the end, so a view that does not alias its base, or a base that does not see the write,
shows; torch's errors (a leaf that requires grad, overlapping expanded memory, a saved
tensor modified before backward) must be raised on the same line.
"""

from __future__ import annotations

from .families_wide import Stmt, literal, other, pick, writable

SCALARS = ["2", "-1.5", "0.5", "True", "3"]


def _view(rng, t) -> str:
    """A view suffix for a tensor like ``t`` ('' for the tensor itself)."""
    nd, shape = t.dim(), tuple(t.shape)
    d = int(rng.integers(nd)) if nd else 0
    opts = ["", "", ".detach()", ".unsqueeze(0)", "[...]", ".view(-1)", ".data"]
    if nd:
        opts += [f".narrow({d}, 0, 1)" if shape[d] else "[:0]", "[1:]", ".unbind(0)[0]"]
        opts += [f".select({d}, -1)" if shape[d] else "[...]", f".split(1, {d})[0]"]
        opts += [f".expand(2, {', '.join(['-1'] * nd)})", "[0]" if shape[0] else "[:, None]"]
        opts += [f".chunk(2, {d})[-1]"]
    if nd >= 2:
        opts += [".transpose(0, -1)", "[:, 1:]", ".t()" if nd == 2 else ".mT", "[::2, :]"]
        opts += [".diagonal()", f".permute({', '.join(map(str, range(nd - 1, -1, -1)))})"]
    return pick(rng, opts)


def _shape_of(env, src):
    try:
        return eval(src, env)  # torch's tensor, for the shapes of index/scatter operands
    except Exception:  # noqa: BLE001 - a view torch refuses: the op line will raise too
        return None


def _op(rng, names, env, target, vt) -> str:
    """An in-place method call on ``target`` (whose torch value is ``vt``)."""
    b = other(rng, names)
    s = pick(rng, SCALARS)
    nd = vt.dim()
    opts = [f"add_({b})", f"add_({b}, alpha=2)", f"sub_({s})", f"mul_({b})", f"mul_({s})"]
    opts += [f"div_({pick(rng, [b, s])})", f"clamp_({pick(rng, ['-0.5', 'None'])}, 1)"]
    opts += [f"clamp_(min={b})", f"copy_({b})", "zero_()", f"fill_({s})"]
    opts += ["fill_(T.tensor(1.5))", f"masked_fill_({b} > 0, {s})", "neg_()", "exp_()"]
    opts += ["abs_()", "relu_()", "sigmoid_()", "tanh_()", "sqrt_()", "pow_(2)", "floor_()"]
    opts += [f"addcmul_({b}, {b}, value=0.5)", f"lerp_({b}, 0.25)", f"sub_({b}, alpha=0.5)"]
    if nd:
        d = int(rng.integers(nd))
        n = vt.shape[d]
        kind = str(vt.dtype).replace("torch.", "")
        if n:
            idx = f"T.tensor({[int(i) for i in rng.integers(0, n, 2)]})"
            src_shape = tuple(vt.shape[:d]) + (2,) + tuple(vt.shape[d + 1 :])
            src = f"({b}.sum() * T.ones({src_shape}, dtype=T.{kind}))"
            opts += [f"index_add_({d}, {idx}, {src})", f"index_add_({d}, {idx}, {src}, alpha=2)"]
            ind = literal(rng, tuple(vt.shape), "index", n)
            full = f"({b}.sum() * T.ones({tuple(vt.shape)}, dtype=T.{kind}))"
            opts += [f"scatter_({d}, {ind}, {full})", f"scatter_({d}, {ind}, {s})"]
            opts += [f"scatter_add_({d}, {ind}, {full})"]
    return f"{target}.{pick(rng, opts)}"


def expr(rng, names, env):
    """An in-place line: ``vN = base<view>.op_(...)``, an augmented assignment, or the
    same under ``no_grad``."""
    import torch

    free = [n for n in names if writable(env[n])]
    a = pick(rng, free) if free and rng.random() < 0.85 else pick(rng, names)
    target = f"{a}{_view(rng, env[a])}"
    vt = _shape_of(env, target)
    if not isinstance(vt, torch.Tensor):
        target, vt = a, env[a]
    c = rng.random()
    if c < 0.15:
        op = pick(rng, ["+=", "-=", "*=", "/="])
        rhs = pick(rng, [other(rng, names), pick(rng, SCALARS)])
        if not target.endswith(("]", ".data")):
            target = a  # x.view(-1)[0] += 1 is Python, x.view(-1) += 1 is not
        return Stmt(f"{target} {op} {rhs}")
    line = _op(rng, names, env, target, vt)
    if c < 0.25:
        return Stmt(f"with T.no_grad(): {line}")
    return line
