"""VGG 11/13/16/19 with and without batch norm, key for key as torchvision.models.vgg."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import nn
from ..tensor import Tensor
from ._weights import build

__all__ = [
    "VGG",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# channel counts; "M" is a 2x2 max pool (torchvision's cfgs "A", "B", "D", "E")
CFGS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"]
    + [512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """VGG (torchvision.models.VGG): ``features``, ``avgpool`` (adaptive 7x7), ``classifier``.

    Args:
        features: the convolutional trunk (see ``make_layers``).
        num_classes: outputs of the last Linear.
        init_weights: torchvision's initialisation: convs kaiming_normal (fan_out, relu) with
            zero bias, BatchNorm weight 1 bias 0, Linear normal(0, 0.01) with zero bias.
        dropout: drop probability of both Dropout layers.
    """

    def __init__(
        self,
        features: nn.Module,
        num_classes: int = 1000,
        init_weights: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(x.flatten(1))  # (N, num_classes)


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """The VGG trunk: 3x3 convs (padding 1) [+ BatchNorm2d] + ReLU, "M" = MaxPool2d(2, 2)."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


def _vgg(name: str, cfg: str, batch_norm: bool, weights, kwargs: dict) -> VGG:
    if weights is not None:
        kwargs.setdefault("init_weights", False)  # overwritten by the file anyway

    def make(**kw) -> VGG:
        return VGG(make_layers(CFGS[cfg], batch_norm=batch_norm), **kw)

    return build(make, name, "classifier.6.weight", weights, kwargs)


_DOC = """{title} (torchvision.models.{name}).

    Args:
        weights: None (random init) or a torchvision state dict as a .pth/.safetensors path
            or a mapping; loaded with ``load_state_dict(strict=True)``.
        progress: ignored (nothing is downloaded); kept for torchvision compatibility.
        **kwargs: passed to ``VGG`` (``num_classes``, ``dropout``, ``init_weights``).
    """


def vgg11(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights: str | os.PathLike | Mapping | None = None, progress=True, **kwargs) -> VGG:
    return _vgg("vgg19_bn", "E", True, weights, kwargs)


for _fn in (vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn):
    _depth = _fn.__name__[3:5]
    _bn = " with batch normalisation" if _fn.__name__.endswith("_bn") else ""
    _fn.__doc__ = _DOC.format(title=f"VGG-{_depth}{_bn}", name=_fn.__name__)
