"""``torch.nn.functional``: activations with their options, ``log_softmax(dtype=)``,
``one_hot``, ``pad`` in every mode, ``normalize``, and the losses with their options
(``cross_entropy`` with ``label_smoothing`` / ``ignore_index`` / ``weight``, ``nll_loss``,
regression losses, ``binary_cross_entropy(_with_logits)`` with ``pos_weight``).
"""

from __future__ import annotations

from .families_core import pick_dim
from .families_wide import literal, other, pick

F = "T.nn.functional"
ACTS = ["softplus({a})", "softplus({a}, beta=2, threshold=1)", "elu({a})", "elu({a}, 0.5)"]
ACTS += ["gelu({a})", "gelu({a}, approximate='tanh')", "silu({a})", "hardtanh({a})"]
ACTS += ["hardtanh({a}, -0.5, 0.25)", "leaky_relu({a})", "leaky_relu({a}, 0.2)", "relu6({a})"]
ACTS += ["log_softmax({a}, {d}, dtype=T.float64)", "softmax({a}, {d}, dtype=T.float64)"]
ACTS += ["normalize({a}, p=1, dim={d})", "normalize({a}, dim={d}, eps=0.5)", "selu({a})"]
ACTS += ["logsigmoid({a})", "mish({a})", "hardswish({a})", "softsign({a})", "celu({a})"]
ACTS += ["glu({a}, {d})", "softmin({a}, {d})", "threshold({a}, 0.1, 20)", "tanhshrink({a})"]
REG = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]
REDUCTIONS = ["'mean'", "'sum'", "'none'"]


def _pad(rng, a, t):
    nd = t.dim()
    k = int(rng.integers(1, min(nd, 3) + 1)) if nd else 1
    pads = [int(p) for p in rng.integers(-1, 3, 2 * k)]
    mode = pick(rng, ["'constant'", "'reflect'", "'replicate'", "'circular'"])
    value = ", value=1.5" if mode == "'constant'" and rng.random() < 0.5 else ""
    return f"{F}.pad({a}, {tuple(pads)}, mode={mode}{value})"


def _classify(rng, a, t):
    """cross_entropy / nll_loss on (N, C), (C,) or (N, C, d) logits."""
    shape = tuple(t.shape)
    if len(shape) not in (1, 2, 3) or 0 in shape[-1:]:
        return f"{F}.cross_entropy({a}, {a}.softmax(-1))"  # probabilities as targets
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    tgt = literal(rng, tshape, "index", c)
    if rng.random() < 0.3:
        tgt = f"{tgt}.masked_fill({literal(rng, tshape, 'bool')}, -100)"
    opts = [f"reduction={pick(rng, REDUCTIONS)}", "label_smoothing=0.1", "ignore_index=1"]
    opts += [f"weight=T.tensor({[round(float(w), 2) for w in rng.random(c) + 0.1]})"]
    kw = ", ".join(o for o in opts if rng.random() < 0.4)
    fn = "cross_entropy" if rng.random() < 0.7 else "nll_loss"
    if fn == "nll_loss":
        kw = kw.replace("label_smoothing=0.1", "").strip(", ").replace(", , ", ", ")
        a = f"{a}.log_softmax({1 if len(shape) > 1 else 0})"
    return f"{F}.{fn}({a}, {tgt}{', ' + kw if kw else ''})"


def _binary(rng, a, b, t):
    red = f"reduction={pick(rng, REDUCTIONS)}"
    tgt = pick(rng, [f"({b} > 0).float()", f"{b}.sigmoid()", "0.5 * T.ones_like(" + a + ")"])
    if rng.random() < 0.5:
        pw = pick(rng, ["T.tensor(2.0)", f"T.full(({t.shape[-1] if t.dim() else 1},), 0.5)"])
        return f"{F}.binary_cross_entropy_with_logits({a}, {tgt}, pos_weight={pw}, {red})"
    w = pick(rng, ["", f", weight={b}.abs()"])
    return f"{F}.binary_cross_entropy({a}.sigmoid(), {tgt}{w}, {red})"


def expr(rng, names, env):
    """One line of the nn.functional family."""
    a = pick(rng, names)
    b = other(rng, names, a)
    t = env[a]
    c = rng.random()
    if c < 0.4:
        return f"{F}." + pick(rng, ACTS).format(a=a, d=pick_dim(rng, t, False))
    if c < 0.5:
        return _pad(rng, a, t)
    if c < 0.55:
        n = pick(rng, ["-1", "4"])
        return f"{F}.one_hot(({a} > 0).long() + ({a} > 1).long(), {n})"
    if c < 0.75:
        return _classify(rng, a, t)
    if c < 0.9:
        fn = pick(rng, REG)
        opt = {"smooth_l1_loss": ", beta=0.5", "huber_loss": ", delta=0.5"}.get(fn, "")
        return f"{F}.{fn}({a}, {b}{opt}, reduction={pick(rng, REDUCTIONS)})"
    return _binary(rng, a, b, t)
