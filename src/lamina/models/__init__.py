"""lamina.models: ready-made networks; the zoo has torchvision's architectures and keys.

Every builder takes ``weights=None | path | state dict`` and loads a torchvision ``.pth``
or ``.safetensors`` file without torch (see docs/models.md).
"""

from .alexnet import AlexNet, alexnet
from .gan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, dcgan, mlp_gan
from .lenet import LeNet5, lenet5
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
