"""lamina.models: ready-made networks; the zoo has torchvision's architectures and keys.

Every builder takes ``weights=None | path | state dict`` and loads a torchvision ``.pth``
or ``.safetensors`` file without torch (see docs/models.md). Every model lamina ships
saves with its recipe (``model.save_pretrained(dir)``, ``nn.Module.from_pretrained(dir)``;
see :mod:`lamina.models.pretrained`).
"""

from . import registry
from .alexnet import AlexNet, alexnet
from .digits import digits_cnn, digits_mlp, sigmoid_mlp
from .gan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, dcgan, mlp_gan
from .generation import complete, generate, sample_next
from .lenet import LeNet5, lenet5
from .pretrained import from_pretrained, save_pretrained
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    wide_resnet50_2,
)
from .rnn import RNNForecaster, RNNLanguageModel
from .sequential import sequential_recipe
from .vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

for _zoo in (
    alexnet, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn, resnet18,
    resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, wide_resnet50_2,
):  # fmt: skip
    registry.register_builder(_zoo)  # their models record the recipe in _weights.build
del _zoo
