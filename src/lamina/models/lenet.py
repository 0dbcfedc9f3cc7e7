"""LeNet-5 (LeCun et al., 1998) as commonly used for 1x28x28 digits.

Choices, documented: the 32x32 input of the paper becomes 28x28 with padding 2 on the first
convolution (same feature-map sizes: 28x28 -> 14x14 -> 10x10 -> 5x5); ReLU replaces the
scaled tanh; max pooling replaces the trainable sub-sampling; C3 connects to all six S2
maps; the Gaussian RBF output layer becomes a linear layer whose logits feed softmax
cross-entropy.
"""

from __future__ import annotations

from .. import nn
from .registry import register


@register()
class LeNet5(nn.Module):
    """conv5x5(6)-pool-conv5x5(16)-pool-fc120-fc84-fc(num_classes) for (N, C, 28, 28)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 6x14x14
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 16x5x5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register()
def lenet5(num_classes: int = 10, in_channels: int = 1, weights: str | None = None) -> LeNet5:
    """Build LeNet-5; ``weights`` is an optional .safetensors/.pth state-dict file."""
    model = LeNet5(num_classes, in_channels)
    if weights is not None:
        from ..io import extract_state_dict, load

        model.load_state_dict(extract_state_dict(load(weights)))
    return model
