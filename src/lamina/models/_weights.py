"""Loading torchvision-style weight files into zoo models (torchvision's ``weights=``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .registry import set_recipe

__all__ = ["state_dict_from", "build"]


def _unwrap(obj: Any, where: str) -> Mapping:
    """The state dict inside ``obj``: itself, or its ``"state_dict"``/``"model"`` entry."""
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                return _unwrap(inner, where)
        if all(isinstance(k, str) for k in obj):
            return obj
    raise TypeError(
        f"{where}: expected a state dict (str -> array) or a checkpoint with a 'state_dict' "
        f"entry, got {type(obj).__name__}"
        + (f" with keys {list(obj)[:5]}" if isinstance(obj, Mapping) else "")
    )


def state_dict_from(weights: str | os.PathLike | Mapping, where: str) -> dict[str, np.ndarray]:
    """Arrays by key from a weights file (.pth/.pt/.safetensors) or an in-memory state dict.

    ``{"state_dict": ...}`` checkpoints are unwrapped, and a ``module.`` prefix on every key
    (``torch.nn.DataParallel``) is removed.

    Args:
        weights: a path readable by ``lamina.io.load`` or a mapping of name -> array.
        where: the builder's name, for error messages.
    """
    if isinstance(weights, (str, os.PathLike)):
        from .. import io

        if not os.path.exists(weights):
            raise ValueError(
                f"{where}: weights file {os.fspath(weights)!r} not found; lamina downloads "
                "nothing, so pass the path of a torchvision .pth/.safetensors file (e.g. "
                "~/.cache/torch/hub/checkpoints/resnet50-0676ba61.pth), not an enum name"
            )
        obj = io.load(weights)
        where = f"{where}(weights={os.fspath(weights)!r})"
    elif isinstance(weights, Mapping):
        obj = weights
    else:
        raise TypeError(
            f"{where}: weights must be None, a file path or a state dict, "
            f"got {type(weights).__name__}"
        )
    from ..io.state_dict import check_acyclic

    check_acyclic(obj, os.fspath(weights) if isinstance(weights, (str, os.PathLike)) else None)
    sd = dict(_unwrap(obj, where))
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    return sd


def build(cls_or_fn, where: str, head_key: str, weights, kwargs: dict, *args):
    """Construct ``cls_or_fn(*args, **kwargs)``; then load ``weights`` strictly if given.

    When weights are given and ``num_classes`` is not, it is read from the checkpoint's
    classifier weight ``head_key`` (torchvision takes it from the weights' metadata).
    """
    kwargs.pop("progress", None)
    sd = None
    if weights is not None:
        sd = state_dict_from(weights, where)
        if "num_classes" not in kwargs and head_key in sd:
            kwargs["num_classes"] = int(np.shape(sd[head_key])[0])
    model = cls_or_fn(*args, **kwargs)
    set_recipe(model, where, kwargs)  # the builder's name and arguments, for save_pretrained
    if sd is not None:
        model.load_state_dict(sd, strict=True)
    return model
