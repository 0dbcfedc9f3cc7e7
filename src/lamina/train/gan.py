"""GANTrainer: the Trainer with a GAN's ``train_step`` (Goodfellow et al., 2014; Keras 3).

Per real minibatch the discriminator takes one step on
``BCE(D(x), 1 - smoothing) + BCE(D(G(z)), 0)``; after every ``d_steps`` discriminator steps
the generator takes one step on the non-saturating loss ``BCE(D(G(z)), 1)`` (maximise
log D(G(z)) rather than minimise log(1 - D(G(z))), which saturates early in training).
Everything else is the :class:`~lamina.train.Trainer`'s loop: callbacks, ``History``,
the progress bar (with the D and G losses), 0-based epochs, checkpoints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import default_rng
from ..tensor import Tensor
from .batches import split_batch
from .trainer import Trainer

__all__ = ["GAN", "GANTrainer"]


def _sigmoid_mean(logits: Tensor) -> float:
    z = np.clip(logits.detach().numpy(), -60, 60)
    return float(np.mean(1 / (1 + np.exp(-z))))


class GAN(nn.Module):
    """The pair as one module: ``generator`` and ``discriminator``; ``forward(z)`` generates.

    One module gives the Trainer's callbacks, checkpoints and train/eval switches both
    networks (state-dict keys ``generator.*`` and ``discriminator.*``).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module) -> None:
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)


class _Pair:
    """Both optimizers as one for the Trainer's checkpoints: state dict ``{"d": ..., "g": ...}``."""

    def __init__(self, d: Any, g: Any) -> None:
        self.d, self.g = d, g

    @property
    def param_groups(self) -> list[dict]:
        return self.d.param_groups + self.g.param_groups

    @property
    def parts(self) -> dict[str, Any]:
        """The optimizers by state-dict key, for the checkpoint's all-or-nothing check."""
        return {"d": self.d, "g": self.g}

    def state_dict(self) -> dict[str, Any]:
        return {"d": self.d.state_dict(), "g": self.g.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.d.load_state_dict(state["d"])
        self.g.load_state_dict(state["g"])


class GANTrainer(Trainer):
    """Train a generator and a discriminator against each other with ``fit(images)``.

    Args:
        generator: maps (N, latent_dim) noise to images.
        discriminator: maps images to (N, 1) logits.
        latent_dim: noise size (default: ``generator.latent_dim``).
        g_optimizer, d_optimizer: default Adam(lr=2e-4, betas=(0.5, 0.999)) as in DCGAN.
        d_steps: discriminator steps per generator step (k in Goodfellow's algorithm),
            counted across epochs, so an epoch with fewer batches than ``d_steps`` is fine.
        label_smoothing: one-sided smoothing of the real labels (0.1 -> targets 0.9).
        n_fixed: size of the fixed noise batch used for progress images.

    ``fit(images, epochs, batch_size, callbacks=..., verbose=...)`` takes images (N, C, H, W)
    in [-1, 1] (or a Dataset/DataLoader of them) and logs per epoch ``d_loss``, ``g_loss``
    (NaN in an epoch without a generator step), ``d_real`` and ``d_fake`` (mean D(x) and
    D(G(z))) and the two learning rates ``d_lr``, ``g_lr``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        latent_dim: int | None = None,
        g_optimizer: Any = None,
        d_optimizer: Any = None,
        d_steps: int = 1,
        label_smoothing: float = 0.0,
        n_fixed: int = 64,
    ) -> None:
        if d_steps < 1:
            raise ValueError(f"GANTrainer: d_steps must be >= 1, got {d_steps}")
        if not 0 <= label_smoothing < 1:
            raise ValueError(
                f"GANTrainer: label_smoothing must be in [0, 1), got {label_smoothing}"
            )
        self.G, self.D = generator, discriminator
        self.opt_g = g_optimizer or optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = d_optimizer or optim.Adam(
            discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999)
        )
        self.bce = nn.BCEWithLogitsLoss()
        super().__init__(GAN(generator, discriminator), self.bce, _Pair(self.opt_d, self.opt_g))
        self.latent_dim = latent_dim or generator.latent_dim
        self.d_steps, self.smoothing = d_steps, label_smoothing
        self.fixed_noise = self.noise(n_fixed)
        self._d_count = 0

    def noise(self, n: int) -> Tensor:
        return Tensor(default_rng().standard_normal((n, self.latent_dim)).astype(np.float32))

    def d_step(self, real: Tensor) -> tuple[float, float, float]:
        """One discriminator update; returns (loss, mean D(x), mean D(G(z)))."""
        n = real.shape[0]
        self.opt_d.zero_grad()
        with no_grad():
            fake = self.G(self.noise(n))
        out_real, out_fake = self.D(real), self.D(fake)
        real_t = Tensor(np.full((n, 1), 1.0 - self.smoothing, np.float32))
        loss = self.bce(out_real, real_t) + self.bce(out_fake, Tensor(np.zeros((n, 1), np.float32)))
        loss.backward()
        self.opt_d.step()
        return loss.item(), _sigmoid_mean(out_real), _sigmoid_mean(out_fake)

    def g_step(self, n: int) -> float:
        """One generator update on ``n`` noise samples; returns its loss."""
        self.opt_g.zero_grad()
        out = self.D(self.G(self.noise(n)))
        loss = self.bce(out, Tensor(np.ones((n, 1), np.float32)))
        loss.backward()
        self.opt_g.step()  # D's gradients from this step are cleared by its next zero_grad
        return loss.item()

    def train_step(self, batch: Any) -> dict[str, float | None]:
        """A discriminator step, and a generator step after every ``d_steps`` of them."""
        (real, *_), _ = split_batch(batch)
        real = real if isinstance(real, Tensor) else Tensor(np.asarray(real, np.float32))
        d_loss, d_real, d_fake = self.d_step(real)
        self._d_count += 1
        g_loss = self.g_step(real.shape[0]) if self._d_count % self.d_steps == 0 else None
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}

    def _begin_fit(self) -> None:
        self._d_count = 0

    def _distribute(self, wrap: Any) -> list[Any]:
        # G and D apart: a step's d_step backward reaches D only, its g_step backward G
        return [wrap(self.G), wrap(self.D)]

    def _lr_logs(self) -> dict[str, float]:
        return {
            "d_lr": float(self.opt_d.param_groups[0]["lr"]),
            "g_lr": float(self.opt_g.param_groups[0]["lr"]),
        }

    def sample(self, n: int = 64, noise: Tensor | None = None) -> np.ndarray:
        """Generated images (eval mode, no graph) as an ndarray."""
        mode = self.G.training
        self.G.eval()
        with no_grad():
            out = self.G(noise if noise is not None else self.noise(n)).numpy()
        self.G.train(mode)
        return out
