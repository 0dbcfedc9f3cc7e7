"""Recipes for ``nn.Sequential`` stacks of standard layers, read off the layers themselves.

A model you write as ``nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), ...)``
carries no builder, so ``save_pretrained`` describes it layer by layer: each layer's type
(from the allow-list below) and its constructor arguments, taken from the attributes the
layer keeps (``in_features``, ``kernel_size`` ...), as torch's ``extra_repr`` shows them.
``from_pretrained`` rebuilds the stack from that JSON. A layer outside the list (your own
Module) cannot be described this way: register a builder for the model instead.
"""

from __future__ import annotations

from typing import Any

from .. import nn
from .registry import recipe_of, register

__all__ = ["sequential_recipe", "Sequential"]


def _conv(m: Any) -> dict[str, Any]:
    args = {
        "in_channels": m.in_channels,
        "out_channels": m.out_channels,
        "kernel_size": m.kernel_size,
        "stride": m.stride,
        "padding": m.padding,
        "dilation": m.dilation,
        "groups": m.groups,
        "bias": m.bias is not None,
        "padding_mode": m.padding_mode,
    }
    if isinstance(m, nn.ConvTranspose2d):
        args["output_padding"] = m.output_padding
    return args


def _attrs(*names: str):
    return lambda m: {n: getattr(m, n) for n in names}


_POOL = _attrs("kernel_size", "stride", "padding", "dilation", "ceil_mode")
_NORM = _attrs("num_features", "eps", "momentum", "affine", "track_running_stats")
LAYERS = {
    "Linear": lambda m: {
        "in_features": m.in_features,
        "out_features": m.out_features,
        "bias": m.bias is not None,
    },
    "Conv1d": _conv,
    "Conv2d": _conv,
    "ConvTranspose2d": _conv,
    "MaxPool1d": _POOL,
    "MaxPool2d": _POOL,
    "AvgPool2d": _attrs("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "AdaptiveAvgPool2d": _attrs("output_size"),
    "BatchNorm1d": _NORM,
    "BatchNorm2d": _NORM,
    "LayerNorm": _attrs("normalized_shape", "eps", "elementwise_affine"),
    "Dropout": _attrs("p"),
    "Dropout2d": _attrs("p"),
    "Flatten": _attrs("start_dim", "end_dim"),
    "Unflatten": _attrs("dim", "unflattened_size"),
    "Embedding": _attrs("num_embeddings", "embedding_dim", "padding_idx"),
    "ReLU": lambda m: {},
    "Sigmoid": lambda m: {},
    "Tanh": lambda m: {},
    "LeakyReLU": _attrs("negative_slope"),
    "ELU": _attrs("alpha"),
    "GELU": _attrs("approximate"),
    "SiLU": lambda m: {},
    "Softmax": _attrs("dim"),
    "LogSoftmax": _attrs("dim"),
    "Identity": lambda m: {},
}


def _layer(name: str):
    cls = getattr(nn, name)
    return lambda **args: cls(**args)


for _name in LAYERS:
    register(_name)(_layer(_name))


@register("Sequential")
def Sequential(layers: list[dict[str, Any]]) -> nn.Sequential:  # noqa: N802 - torch's name
    """Rebuild ``nn.Sequential`` from layer recipes (each an allow-listed builder + args)."""
    from .registry import builder

    if not isinstance(layers, list) or not all(isinstance(r, dict) for r in layers):
        raise ValueError("Sequential: 'layers' must be a list of {builder, args} objects")
    built = []
    for r in layers:
        if not isinstance(r.get("builder"), str) or not isinstance(r.get("args"), dict):
            raise ValueError(f"Sequential: a layer recipe needs 'builder' and 'args': {r!r:.80}")
        try:
            built.append(builder(r["builder"])(**r["args"]))
        except KeyError as e:
            raise ValueError(str(e)) from None
    return nn.Sequential(*built)


def sequential_recipe(model: Any, where: str = "model") -> dict[str, Any]:
    """The recipe of a module: its recorded one, or one read off a Sequential's layers."""
    recipe = recipe_of(model)
    if recipe is not None:
        return recipe
    name = type(model).__name__
    if type(model) is nn.Sequential:
        if list(model._modules) != [str(i) for i in range(len(model._modules))]:
            raise ValueError(f"save_pretrained: {where} is a Sequential with named layers")
        layers = [sequential_recipe(m, f"{where}.{k}") for k, m in model._modules.items()]
        return {"builder": "Sequential", "args": {"layers": layers}}
    if name in LAYERS and type(model) is getattr(nn, name):
        args = {k: list(v) if isinstance(v, tuple) else v for k, v in LAYERS[name](model).items()}
        return {"builder": name, "args": args}
    raise ValueError(
        f"save_pretrained: {where} ({name}) carries no recipe and is not a standard layer; "
        "build the model with a registered builder or register yours with "
        "lamina.models.registry.register"
    )
