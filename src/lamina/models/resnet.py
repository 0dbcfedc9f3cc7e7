"""ResNet 18/34/50/101/152, module for module and key for key as torchvision.models.resnet."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import nn
from ..tensor import Tensor
from ._weights import build

__all__ = [
    "ResNet",
    "BasicBlock",
    "Bottleneck",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "wide_resnet50_2",
]


def conv3x3(cin: int, cout: int, stride: int = 1, groups: int = 1, dilation: int = 1):
    """3x3 convolution with padding, no bias (torchvision.models.resnet.conv3x3)."""
    return nn.Conv2d(
        cin, cout, 3, stride=stride, padding=dilation, groups=groups, bias=False,
        dilation=dilation,
    )  # fmt: skip


def conv1x1(cin: int, cout: int, stride: int = 1):
    """1x1 convolution, no bias (torchvision.models.resnet.conv1x1)."""
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs with a skip (torchvision.models.resnet.BasicBlock); expansion 1."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None) -> None:  # fmt: skip
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError(
                f"BasicBlock only supports groups=1 and base_width=64, got {groups}, {base_width}"
            )
        if dilation > 1:
            raise NotImplementedError(f"Dilation > 1 not supported in BasicBlock, got {dilation}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)  # (N, planes, H/stride, W/stride)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride here, as torchvision's V1.5) -> 1x1 with a skip; expansion 4."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None) -> None:  # fmt: skip
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)  # (N, 4 * planes, H/stride, W/stride)


class ResNet(nn.Module):
    """ResNet (torchvision.models.ResNet).

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18.
        num_classes: outputs of ``fc``.
        zero_init_residual: zero the last BatchNorm weight of every block, so each block
            starts as the identity.
        groups, width_per_group: ResNeXt / Wide ResNet widths (Bottleneck only).
        replace_stride_with_dilation: three bools, dilate instead of stride in layer2..4.
        norm_layer: normalisation class (default ``nn.BatchNorm2d``).
    """

    def __init__(self, block, layers, num_classes: int = 1000, zero_init_residual: bool = False,
                 groups: int = 1, width_per_group: int = 64, replace_stride_with_dilation=None,
                 norm_layer=None) -> None:  # fmt: skip
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.dilation = 64, 1
        dilate = replace_stride_with_dilation or [False, False, False]
        if len(dilate) != 3:
            raise ValueError(
                f"replace_stride_with_dilation should be None or a 3-element tuple, got {dilate}"
            )
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False) -> nn.Sequential:
        norm_layer, downsample = self._norm_layer, None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                  previous_dilation, norm_layer)
        ]  # fmt: skip
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                      dilation=self.dilation, norm_layer=norm_layer)
            )  # fmt: skip
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 64, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 512*exp, H/32, W/32)
        x = self.avgpool(x).flatten(1)  # (N, 512 * expansion)
        return self.fc(x)  # (N, num_classes)


def _resnet(name, block, layers, weights, kwargs) -> ResNet:
    return build(ResNet, name, "fc.weight", weights, kwargs, block, layers)


_DOC = """{title} (torchvision.models.{name}).

    Args:
        weights: None (random init) or a torchvision state dict as a .pth/.safetensors path
            or a mapping; loaded with ``load_state_dict(strict=True)``. ``num_classes`` is
            taken from the file's ``fc.weight`` unless given.
        progress: ignored (nothing is downloaded); kept for torchvision compatibility.
        **kwargs: passed to ``ResNet`` (``num_classes``, ``zero_init_residual``, ...).
    """

_Weights = str | os.PathLike | Mapping | None


def resnet18(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, kwargs)


def resnet34(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, kwargs)


def resnet50(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, kwargs)


def resnet101(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, kwargs)


def resnet152(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, kwargs)


def resnext50_32x4d(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    kwargs.update(groups=32, width_per_group=4)
    return _resnet("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], weights, kwargs)


def wide_resnet50_2(*, weights: _Weights = None, progress: bool = True, **kwargs) -> ResNet:
    kwargs.update(width_per_group=128)
    return _resnet("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], weights, kwargs)


for _fn, _title in [
    (resnet18, "ResNet-18"),
    (resnet34, "ResNet-34"),
    (resnet50, "ResNet-50"),
    (resnet101, "ResNet-101"),
    (resnet152, "ResNet-152"),
    (resnext50_32x4d, "ResNeXt-50 32x4d"),
    (wide_resnet50_2, "Wide ResNet-50-2"),
]:
    _fn.__doc__ = _DOC.format(title=_title, name=_fn.__name__)
