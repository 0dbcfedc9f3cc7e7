"""torch.einsum: Einstein summation over any number of operands, with its gradient.

The gradient of operand i is another einsum: the output's gradient contracted with the
other operands onto operand i's subscripts. Letters only operand i has are broadcast back,
and a repeated letter (a diagonal, ``"ii->i"``) is written onto the diagonal.
"""

from __future__ import annotations

import string

import numpy as np

from ..autograd.function import Op


def parse(equation: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Input subscripts and output subscript with ``...`` spelled out as letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise RuntimeError(
            f"einsum(): {equation!r} names {len(subs)} operands but {len(shapes)} were given"
        )
    used = set(eq) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(s) - len(sub.replace("...", "")) for sub, s in zip(subs, shapes)), default=0)
    ell = "".join(free[:n_ell])
    full = []
    for sub, shape in zip(subs, shapes):
        k = len(shape) - len(sub.replace("...", ""))
        sub = sub.replace("...", ell[n_ell - k :] if k else "")
        if len(sub) != len(shape):
            raise RuntimeError(
                f"einsum(): subscripts {sub!r} do not match an operand of {len(shape)} dims"
            )
        full.append(sub)
    if not arrow:
        letters = "".join(full)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell) if letters.count(c) == 1))
    else:
        out = out.replace("...", ell)
    return full, out


def _to_operand(gu: np.ndarray, uniq: str, sub: str, shape: tuple) -> np.ndarray:
    """A gradient over the distinct letters ``uniq`` written back onto ``sub``'s layout."""
    if uniq == sub:
        return gu
    gx = np.zeros(shape, dtype=gu.dtype)
    grids = {c: np.arange(gu.shape[i]) for i, c in enumerate(uniq)}
    index = tuple(
        grids[c].reshape([-1 if j == uniq.index(c) else 1 for j in range(len(uniq))]) for c in sub
    )
    gx[index] = gu
    return gx


class Einsum(Op):
    """einsum over the positional operands; ``equation`` as torch.einsum's."""

    ctx_attrs = ("subs", "out")

    @staticmethod
    def forward(ctx, *xs, equation):
        subs, out = parse(equation, [x.shape for x in xs])
        ctx.subs, ctx.out = subs, out
        ctx.save_for_backward(*xs)
        spec = ",".join(subs) + "->" + out
        return np.asarray(np.einsum(spec, *xs, optimize=len(xs) > 2))

    @staticmethod
    def backward(ctx, g):
        xs, grads = ctx.saved, []
        for i, (x, sub) in enumerate(zip(xs, ctx.subs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.subs) if j != i]
            known = set(ctx.out).union(*others)
            uniq = "".join(dict.fromkeys(c for c in sub if c in known))
            spec = ",".join([ctx.out, *others]) + "->" + uniq
            gu = np.einsum(spec, g, *[o for j, o in enumerate(xs) if j != i])
            # letters summed inside operand i alone get a broadcast gradient; uniq keeps
            # full's order, so a reshape puts size-1 axes where they are missing
            full = "".join(dict.fromkeys(sub))
            sizes = {c: x.shape[sub.index(c)] for c in full}
            gu = gu.reshape([sizes[c] if c in uniq else 1 for c in full])
            gu = np.broadcast_to(gu, tuple(sizes[c] for c in full))
            grads.append(_to_operand(np.ascontiguousarray(gu), full, sub, x.shape))
        return tuple(grads)
