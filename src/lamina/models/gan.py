"""GAN models: an MLP GAN and a DCGAN (Radford et al., 2015) sized for small images.

DCGAN's recipe: the generator upsamples with ConvTranspose2d + BatchNorm + ReLU and ends in
Tanh; the discriminator downsamples with strided Conv2d + LeakyReLU(0.2), BatchNorm on every
layer after the first; all weights N(0, 0.02) (BatchNorm weights N(1, 0.02), biases 0).
Images are in [-1, 1].
"""

from __future__ import annotations

import math

from .. import nn
from .registry import register


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN's initialisation, for ``model.apply(dcgan_init_)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@register()
class MLPGenerator(nn.Module):
    """z (N, latent) -> image (N, C, H, W) in [-1, 1] through ReLU hidden layers."""

    def __init__(self, latent_dim=64, image_shape=(1, 28, 28), hidden=(256, 512)):
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        layers, width = [], latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, math.prod(image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z).reshape(-1, *self.image_shape)


@register()
class MLPDiscriminator(nn.Module):
    """image -> one logit per image through LeakyReLU(0.2) hidden layers."""

    def __init__(self, image_shape=(1, 28, 28), hidden=(512, 256)):
        super().__init__()
        layers, width = [nn.Flatten()], math.prod(image_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


@register()
class DCGANGenerator(nn.Module):
    """z (N, latent) -> (N, C, S, S) with S = 4 * 2**k; k upsampling stages after a 4x4 seed."""

    def __init__(self, latent_dim=32, channels=1, image_size=8, width=64):
        super().__init__()
        stages = int(math.log2(image_size // 4))
        if 4 * 2**stages != image_size:
            raise ValueError(f"DCGANGenerator: image_size must be 4 * 2**k, got {image_size}")
        self.latent_dim = latent_dim
        c = width * 2 ** max(stages - 1, 0)
        layers = [
            nn.Unflatten(1, (latent_dim, 1, 1)),
            nn.ConvTranspose2d(latent_dim, c, 4, 1, 0, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
        ]  # (N, c, 4, 4)
        for i in range(stages):
            last = i == stages - 1
            out = channels if last else c // 2
            layers.append(nn.ConvTranspose2d(c, out, 4, 2, 1, bias=last))
            layers += [nn.Tanh()] if last else [nn.BatchNorm2d(out), nn.ReLU()]
            c = out
        if stages == 0:
            layers += [nn.Conv2d(c, channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, z):
        return self.net(z)


@register()
class DCGANDiscriminator(nn.Module):
    """(N, C, S, S) -> (N, 1) logits: strided convs halve S down to 4, then a 4x4 conv."""

    def __init__(self, channels=1, image_size=8, width=64):
        super().__init__()
        stages = int(math.log2(image_size // 4))
        if 4 * 2**stages != image_size:
            raise ValueError(f"DCGANDiscriminator: image_size must be 4 * 2**k, got {image_size}")
        layers, c = [], channels
        for i in range(stages):
            out = width * 2**i
            layers.append(nn.Conv2d(c, out, 4, 2, 1, bias=i == 0))
            if i > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2))
            c = out
        layers += [nn.Conv2d(c, 1, 4, 1, 0), nn.Flatten()]  # (N, 1)
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, x):
        return self.net(x)


def mlp_gan(latent_dim=64, image_shape=(1, 28, 28)):
    """The MLP GAN pair: G latent-256-512-pixels, D pixels-512-256-1."""
    return MLPGenerator(latent_dim, image_shape), MLPDiscriminator(image_shape)


def dcgan(latent_dim=32, channels=1, image_size=8, width=64):
    """The DCGAN pair with DCGAN's initialisation."""
    return (
        DCGANGenerator(latent_dim, channels, image_size, width),
        DCGANDiscriminator(channels, image_size, width),
    )
