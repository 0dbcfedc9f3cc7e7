"""The fuzzer's first op families: elementwise maths, reductions, shapes, getitem, sort/scan
and a few structured ops (clamp with tensor bounds, gather, norms, small linalg).

Each function takes the seeded generator, the names of the tensors defined so far and the
torch environment (for shapes), and returns one expression's source. The order of the
random draws is fixed: a seed gives the same program as before this file was split out.
"""

from __future__ import annotations

import numpy as np

SHAPES = [(), (0,), (1,), (3,), (2, 3), (3, 1), (1, 3), (2, 0, 3), (2, 3, 4), (4, 1, 3), (3, 3)]
SCALARS = ["2.5", "-1", "3", "0.5", "True", "np.float64(1.5)", "np.float32(0.5)", "np.int64(2)"]

UNARY_METHODS = (
    "exp log sqrt abs neg sin cos tanh sigmoid relu sign square clone log1p rsqrt "
    "float double long bool t"
).split()
UNARY_FUNCS = "exp log sqrt abs sin cos tanh sigmoid relu sign square neg isnan isfinite".split()
BINARY_OPS = ["+", "-", "*", "/", "**", "==", "<", ">=", "@"]
BINARY_FUNCS = ["maximum", "minimum", "matmul", "add", "mul", "sub"]
REDUCTIONS = "sum mean var std amax amin prod logsumexp norm max min argmax argmin all any".split()
NEW_OPS = "cumsum cumprod softmax log_softmax sort argsort".split()
MORE_OPS = (
    "clamp clamp_t permute repeat chunk tril triu masked_fill amax_t nan_to_num mm gather "
    "index_select maximum_t normalize cosine einsum_t vnorm mnorm square_linalg"
).split()
VECTOR_ORDS = ["2", "1", "0", "3", "0.5", "-1", "float('inf')", "-float('inf')"]
MATRIX_ORDS = ["'fro'", "'nuc'", "1", "-1", "2", "-2", "float('inf')", "-float('inf')"]


def leaf_source(rng, name):
    shape = SHAPES[rng.integers(len(SHAPES))]
    kind = str(rng.choice(["float32"] * 6 + ["float64"] * 2 + ["int64"] * 2 + ["bool"]))
    n = int(np.prod(shape))
    if kind == "bool":
        vals = (rng.random(n) < 0.5).tolist()
    elif kind == "int64":
        vals = rng.integers(-3, 4, n).tolist()
    elif rng.random() < 0.3:  # halves: ties for max/min/sort and exact zeros
        vals = (np.round(rng.standard_normal(n) * 2) / 2).astype(kind).tolist()
    else:
        vals = rng.standard_normal(n).astype(kind).tolist()
    grad = kind.startswith("float") and rng.random() < 0.75
    arr = f"np.array({vals!r}, dtype={kind!r}).reshape({shape!r})"
    return f"{name} = T.tensor({arr}{', requires_grad=True' if grad else ''})"


def pick_dim(rng, t, allow_none=True):
    nd = t.dim()
    choices = list(range(-max(nd, 1), max(nd, 1)))
    if allow_none:
        choices.append(None)
    return choices[rng.integers(len(choices))]


def operand(rng, names, env):
    if rng.random() < 0.3:
        return SCALARS[rng.integers(len(SCALARS))]
    return names[rng.integers(len(names))]


def core_expr(rng, names, env):
    """One random expression over the existing tensor variables."""
    a = names[rng.integers(len(names))]
    t = env[a]
    kinds = ["unary", "func", "binary", "bfunc", "reduce", "shape", "index", "new", "more"]
    kind = str(rng.choice(kinds))
    if kind == "more":
        return _more(rng, names, a, t)
    if kind == "unary":
        return f"{a}.{rng.choice(UNARY_METHODS)}()"
    if kind == "func":
        return f"T.{rng.choice(UNARY_FUNCS)}({a})"
    if kind in ("binary", "bfunc"):
        b = operand(rng, names, env)
        if kind == "bfunc":
            return f"T.{rng.choice(BINARY_FUNCS)}({a}, {b})"
        op = rng.choice(BINARY_OPS)
        if op == "@" and b in SCALARS:
            b = names[rng.integers(len(names))]
        return f"{b} {op} {a}" if rng.random() < 0.3 else f"{a} {op} {b}"
    if kind == "reduce":
        r = rng.choice(REDUCTIONS)
        d = pick_dim(rng, t)
        keep = bool(rng.random() < 0.3)
        if r in ("var", "std") and rng.random() < 0.3:
            return f"{a}.{r}(dim={d}, unbiased=False)"
        if r in ("logsumexp",):
            return f"{a}.{r}({d if d is not None else 0}, keepdim={keep})"
        if r == "norm":
            p = rng.choice(["1", "2", "0", "3", "float('inf')"])
            return f"{a}.norm(p={p}, dim={d})"
        if d is None:
            return f"{a}.{r}()"
        if r in ("max", "min"):
            return f"{a}.{r}(dim={d}, keepdim={keep})[{rng.integers(2)}]"
        return f"{a}.{r}(dim={d}, keepdim={keep})"
    if kind == "shape":
        nd = t.dim()
        c = rng.integers(8)
        if c == 0:
            return f"{a}.reshape(-1)"
        if c == 1 and nd >= 2:
            return f"{a}.transpose({rng.integers(nd)}, {-1 - rng.integers(nd)})"
        if c == 2:
            return f"{a}.unsqueeze({rng.integers(-nd - 1, nd + 1)})"
        if c == 3:
            return f"{a}.squeeze({pick_dim(rng, t, False)})" if nd else f"{a}.squeeze()"
        if c == 4:
            return f"{a}.flatten()"
        if c == 5:
            b = names[rng.integers(len(names))]
            return f"T.cat([{a}, {b}], dim={pick_dim(rng, t, False)})"
        if c == 6:
            b = names[rng.integers(len(names))]
            return f"T.stack([{a}, {b}])"
        return f"{a}.expand({', '.join(['2'] + ['-1'] * nd)})"
    if kind == "index":
        nd = t.dim()
        c = rng.integers(5)
        if c == 0 or nd == 0:
            return f"{a}[...]" if nd == 0 else f"{a}[{rng.integers(-1, 2)}]"
        if c == 1:
            return f"{a}[:, ::2]" if nd >= 2 else f"{a}[::2]"
        if c == 2:
            return f"{a}[{a} > 0]"
        if c == 3:
            return f"{a}[[0, 0]]"
        return f"T.where({a} > 0, {a}, {operand(rng, names, env)})"
    op = rng.choice(NEW_OPS)
    d = pick_dim(rng, t, False)
    # torch's default sort is unstable past 16 elements (ties in any order): ask for stable
    stable = ", stable=True" if t.dim() and t.shape[d] > 16 else ""
    if op in ("sort",):
        return f"{a}.sort(dim={d}{stable})[{rng.integers(2)}]"
    if op == "argsort":
        return f"{a}.argsort(dim={d}{stable})" if stable else f"{a}.argsort({d})"
    return f"{a}.{op}({d})"


def _more(rng, names, a, t):
    """Ops with more structure: tensor bounds, index tensors, functional helpers."""
    op = str(rng.choice(MORE_OPS))
    b = names[rng.integers(len(names))]
    nd = t.dim()
    if op == "clamp":
        return f"{a}.clamp({rng.choice(['-0.5', 'None'])}, {rng.choice(['0.5', '1'])})"
    if op == "clamp_t":
        return f"T.clamp({a}, min={b}, max={rng.choice(['None', b + ' + 1'])})"
    if op == "permute":
        return f"{a}.permute({', '.join(map(str, rng.permutation(nd)))})" if nd else f"{a}.t()"
    if op == "repeat":
        return f"{a}.repeat({', '.join(['2'] + ['1'] * nd)})"
    if op == "chunk":
        return f"{a}.chunk({rng.integers(1, 4)}, {pick_dim(rng, t, False)})[0]"
    if op in ("tril", "triu"):
        return f"{a}.{op}({rng.integers(-1, 2)})"
    if op == "masked_fill":
        return f"{a}.masked_fill({b} > 0, {rng.choice(['0.0', '-1.5', '2'])})"
    if op == "amax_t":
        dims = tuple(int(d) for d in rng.permutation(nd)[: rng.integers(0, nd + 1)])
        return f"{a}.{rng.choice(['amax', 'amin'])}({dims}, keepdim={bool(rng.random() < 0.5)})"
    if op == "nan_to_num":
        return f"T.nan_to_num(T.log({a}), nan=0.5, neginf=-2.0)"
    if op == "mm":
        return f"T.mm({a}, {b})" if rng.random() < 0.5 else f"T.matmul({a}, {b}.t())"
    if op == "gather":
        return f"{a}.gather({pick_dim(rng, t, False)}, ({b} > 0).long())"
    if op == "index_select":
        return f"{a}.index_select({pick_dim(rng, t, False)}, T.tensor([0, 0]))"
    if op == "maximum_t":
        return f"T.{rng.choice(['max', 'min'])}({a}, {b})"
    if op == "normalize":
        return f"T.nn.functional.normalize({a}, dim={pick_dim(rng, t, False)})"
    if op == "vnorm" or (op == "mnorm" and nd < 2):
        d = pick_dim(rng, t)
        return f"T.linalg.vector_norm({a}, {rng.choice(VECTOR_ORDS)}, dim={d})"
    if op == "mnorm":
        return f"T.linalg.matrix_norm({a}, {rng.choice(MATRIX_ORDS)})"
    if op == "square_linalg":
        fn = rng.choice(["det", "inv", "slogdet(X).logabsdet", "matrix_exp", "eigvalsh"])
        call = fn.replace("X", a) if "(X)" in fn else f"{fn}({a})"
        return f"T.linalg.{call}"
    if op == "cosine":
        return f"T.nn.functional.cosine_similarity({a}, {b}, dim={pick_dim(rng, t, False)})"
    return f"T.einsum('{'ij->ji' if nd == 2 else '...->...'}', {a})"
