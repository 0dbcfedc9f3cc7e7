"""Indexing: getitem with int / slice / None / Ellipsis / bool-mask / int-tensor keys (several
int tensors broadcast together, separated ones move to the front, negative steps raise),
and setitem (``x[key] = v``, ``x[key] += v``) with scalars and tensors of other dtypes.
"""

from __future__ import annotations

from .families_wide import Stmt, literal, other, pick, writable


def _part(rng, n) -> str:
    """One key element for a dim of size ``n``."""
    opts = [":", "1:", "::2", ":-1", "None", "..."]
    if n:
        opts += [str(int(rng.integers(-n, n))), f"T.tensor({int(rng.integers(-n, n))})"]
        opts += [f"[{int(rng.integers(-n, n))}, 0]", literal(rng, (2,), "index", n)]
        opts += [literal(rng, (2, 1), "index", n), f"T.tensor([{n - 1}, -{n}])"]
    if rng.random() < 0.05:
        opts += ["::-1", str(n), "[True, False]"]  # torch refuses these (or n is past the end)
    return pick(rng, opts)


def key(rng, t) -> str:
    """A getitem/setitem key for a tensor like ``t``."""
    nd, shape = t.dim(), tuple(t.shape)
    c = rng.random()
    if c < 0.2 and nd:  # a boolean mask over the leading dims
        m = int(rng.integers(1, nd + 1))
        mask = literal(rng, shape[:m], "bool")
        return mask if rng.random() < 0.7 else f"{mask}, ..."
    if c < 0.25:
        return pick(rng, ["None", "...", "None, ...", "..., None", "True", "False"])
    k = int(rng.integers(1, nd + 1)) if nd else 1
    parts = [_part(rng, shape[i] if i < nd else 0) for i in range(k)]
    if parts.count("...") > 1:
        parts = [p for p in parts if p != "..."]
    return ", ".join(parts)


def expr(rng, names, env):
    """``vN = a[key]``, ``a[key] = v`` or ``a[key] += v``."""
    a = pick(rng, names)
    t = env[a]
    k = key(rng, t)
    if rng.random() < 0.5:
        return f"{a}[{k}]"
    b = other(rng, names, a)
    v = pick(rng, ["1.5", "-2", "True", b, f"{b}.sum()", f"{b}[0]", "T.tensor(2.5)", f"{b}.long()"])
    free = [n for n in names if writable(env[n])]
    if free and rng.random() < 0.85:  # mostly tensors that may be written to
        a = pick(rng, free)
        k = key(rng, env[a])
    op = "+=" if rng.random() < 0.2 else "="
    return Stmt(f"{a}[{k}] {op} {v}")
