"""``summary``: a Keras-like table of a model's layers, output shapes and parameter counts.

Like ``keras.Model.summary()`` or ``torchinfo.summary(model, input_size)``: the model runs
one forward pass on zeros of ``input_size`` (batch dimension included, as torchinfo) in
eval mode under ``no_grad``; while it runs, a forward pre-hook on each submodule records
the call order and a forward hook the output shape (torch's ``register_forward_hook``); the
hooks are removed and the train/eval modes restored afterwards, even when the forward raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..nn.hooks import training_mode
from ..tensor import Tensor

__all__ = ["summary"]


def _shape_text(out: Any) -> str:
    if isinstance(out, Tensor) or isinstance(out, np.ndarray):
        return str(tuple(int(d) for d in out.shape))
    if isinstance(out, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in out) + "]"
    if isinstance(out, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in out.items()) + "}"
    return type(out).__name__


def _inputs(input_size: Any, dtypes: Sequence[Any] | None) -> list[Tensor]:
    """Zero Tensors for ``input_size`` (one shape or a list of shapes)."""
    sizes = (
        [input_size] if all(isinstance(d, (int, np.integer)) for d in input_size) else input_size
    )
    sizes = [tuple(int(d) for d in s) for s in sizes]
    dtypes = list(dtypes) if dtypes is not None else [np.float32] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(
            f"summary: {len(dtypes)} dtypes for {len(sizes)} inputs {sizes}; expected one each"
        )
    return [Tensor(np.zeros(s, dtype=np.dtype(dt))) for s, dt in zip(sizes, dtypes)]


def _hook_all(model: Any, rows: list[dict]) -> list[Any]:
    """Hooks on every module that record (name, module, output shape); returns the handles."""
    handles = []
    for name, mod in model.named_modules():

        def pre(module, args, _name=name):
            rows.append({"name": _name, "module": module, "shape": None})
            module.__dict__.setdefault("_summary_rows", []).append(rows[-1])

        def post(module, args, out):
            module.__dict__["_summary_rows"].pop()["shape"] = _shape_text(out)

        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    return handles


def _count(params: Any) -> tuple[int, int]:
    """(total, trainable) element counts of distinct parameters."""
    seen, total, trainable = set(), 0, 0
    for p in params:
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p._data.size
        trainable += p._data.size if p.requires_grad else 0
    return total, trainable


def _size_text(n_bytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}" if unit != "B" else f"{n_bytes} B"
        n_bytes /= 1024
    return ""


def _table(model: Any, rows: list[dict]) -> str:
    lines = []
    for row in rows[1:] if rows and rows[0]["module"] is model else rows:
        depth = row["name"].count(".")
        label = "  " * depth + f"{row['name']} ({type(row['module']).__name__})"
        params = _count(row["module"].parameters())[0]
        lines.append((label, row["shape"] or "--", f"{params:,}"))
    out_shape = rows[0]["shape"] if rows else "--"
    lines.insert(0, ("Layer (type)", "Output Shape", "Param #"))
    widths = [max(len(r[i]) for r in lines) + 2 for i in range(3)]
    widths[0] = max(widths[0], 30)
    width = sum(widths)
    fmt = lambda r: f"{r[0]:<{widths[0]}}{r[1]:<{widths[1]}}{r[2]:>{widths[2] - 2}}"  # noqa: E731
    total, trainable = _count(model.parameters())
    nbytes = sum(p._data.nbytes for p in {id(p): p for p in model.parameters()}.values())
    buffers = list(model.buffers()) if hasattr(model, "buffers") else []
    text = [f'Model: "{type(model).__name__}"', "=" * width, fmt(lines[0]), "-" * width]
    text += [fmt(r) for r in lines[1:]] + ["=" * width]
    text += [
        f"Output shape: {out_shape}",
        f"Total params: {total:,} ({_size_text(nbytes)})",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    if buffers:
        text.append(f"Buffers: {sum(b._data.size for b in buffers):,} values")
    return "\n".join(text + ["=" * width])


def summary(
    model: Any,
    input_size: Sequence[int] | Sequence[Sequence[int]],
    dtypes: Sequence[Any] | None = None,
    print_fn: Callable[[str], Any] | None = print,
) -> str:
    """Print and return a table of layers, output shapes and parameter counts.

    Args:
        model: a ``lamina.nn.Module``.
        input_size: the input's full shape including the batch dimension, e.g.
            ``(1, 1, 28, 28)``, or a list of shapes for a model with several inputs.
        dtypes: one dtype per input (default float32; use int64 for token ids).
        print_fn: where the table goes; ``None`` only returns it.

    Returns:
        The table as a string. Rows follow call order; each row's ``Param #`` counts the
        parameters of that module and its children; names are the dotted ``state_dict``
        prefixes, indented by depth. Totals count each shared parameter once.

    Keras: ``model.summary()``; torch: ``torchinfo.summary(model, input_size)``.
    """
    inputs = _inputs(input_size, dtypes)
    rows: list[dict] = []
    handles = _hook_all(model, rows)
    try:
        with training_mode(model, False), no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m in model.modules():
            m.__dict__.pop("_summary_rows", None)
    text = _table(model, rows)
    if print_fn is not None:
        print_fn(text)
    return text
