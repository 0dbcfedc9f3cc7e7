"""The demos' networks: an MLP and a small BatchNorm CNN for 8x8 digits, a sigmoid MLP.

Registered builders, so a trained one saves with ``model.save_pretrained(dir)`` and comes
back with ``lamina.nn.Module.from_pretrained(dir)`` (and ``lamina predict --model-dir``).
"""

from __future__ import annotations

from .. import nn
from .registry import register

__all__ = ["digits_cnn", "digits_mlp", "sigmoid_mlp"]


@register()
def digits_mlp(
    hidden: tuple[int, ...] = (512, 256), dropout: float = 0.0, n_in: int = 64, n_out: int = 10
) -> nn.Sequential:
    """Linear -> ReLU (-> Dropout) blocks, then a Linear layer giving one logit per class."""
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
        width = h
    return nn.Sequential(*layers, nn.Linear(width, n_out))


@register()
def digits_cnn(num_classes: int = 10) -> nn.Sequential:
    """conv3x3(32)-BN-ReLU-conv3x3(32)-BN-ReLU-pool-conv3x3(64)-BN-ReLU-pool-fc128-fc, 1x8x8."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 4x4
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 2x2
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),
    )


@register()
def sigmoid_mlp(sizes: tuple[int, ...] = (2, 2, 1)) -> nn.Sequential:
    """Linear -> Sigmoid at every layer (the article's XOR network is ``sizes=(2, 2, 1)``)."""
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.Sigmoid()]
    return nn.Sequential(*layers)
