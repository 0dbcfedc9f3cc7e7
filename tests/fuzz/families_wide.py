"""The wide fuzzer's dispatcher: one expression (or statement) from any op family.

A family returns an expression's source, assigned to a fresh name by the generator, or a
``Stmt``: a whole line that names nothing new (``v1[0] = 2.5``, ``v0 += x1``).
"""

from __future__ import annotations

import numpy as np


class Stmt(str):
    """A generated line that is a statement, not an expression to assign."""


def pick(rng, seq):
    """One element of ``seq``, drawn with ``rng`` (the element itself, never a NumPy scalar)."""
    return seq[int(rng.integers(len(seq)))]


def other(rng, names, exclude=None):
    """A tensor name, preferring one that is not ``exclude``."""
    rest = [n for n in names if n != exclude] or names
    return pick(rng, rest)


def writable(t) -> bool:
    """Whether an in-place op on ``t`` can pass torch's leaf check (torch may refuse even
    to answer, for a view whose base was changed: then no)."""
    try:
        return not (t.requires_grad and t.is_leaf)
    except RuntimeError:
        return False


def literal(rng, shape, kind: str, high: int = 0) -> str:
    """Source of a small constant tensor of ``shape``: ints in [-3, 3] (in [0, high) for
    kind "index"), floats or bools."""
    n = int(np.prod(shape))
    if kind == "index":
        vals, kind = rng.integers(0, max(high, 1), n).tolist(), "int64"
    elif kind == "bool":
        vals = (rng.random(n) < 0.5).tolist()
    elif kind == "int64":
        vals = rng.integers(-3, 4, n).tolist()
    else:
        vals = np.round(rng.standard_normal(n), 3).tolist()
    return f"T.tensor(np.array({vals!r}, dtype={kind!r}).reshape({tuple(shape)!r}))"


def wide_expr(rng, names, env):
    """One line from a family drawn at random: core, in-place, index, math or nn."""
    from . import families_index, families_inplace, families_math, families_nn
    from .families_core import core_expr

    fams = [core_expr] * 2 + [families_inplace.expr] * 3 + [families_index.expr] * 2
    fams += [families_math.expr] * 3 + [families_nn.expr] * 2
    return pick(rng, fams)(rng, names, env)
