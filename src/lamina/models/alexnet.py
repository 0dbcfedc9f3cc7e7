"""AlexNet, layer for layer and key for key as torchvision.models.alexnet."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import nn
from ..tensor import Tensor
from ._weights import build

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet from "One weird trick..." (torchvision.models.AlexNet).

    ``features`` (5 convs), ``avgpool`` (adaptive 6x6) and ``classifier`` (3 Linear with
    ReLU and Dropout), so Sequential indices and state-dict keys equal torchvision's.
    Initialisation is torch's layer default, as in torchvision.

    Args:
        num_classes: outputs of the last Linear.
        dropout: drop probability of both Dropout layers.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))  # (N, 256, 6, 6)
        return self.classifier(x.flatten(1))  # (N, num_classes)


def alexnet(
    *, weights: str | os.PathLike | Mapping | None = None, progress: bool = True, **kwargs
) -> AlexNet:
    """AlexNet (torchvision.models.alexnet); ``weights`` is a file path or state dict.

    ``progress`` is accepted for torchvision compatibility and ignored (nothing downloads).
    """
    return build(AlexNet, "alexnet", "classifier.6.weight", weights, kwargs)
