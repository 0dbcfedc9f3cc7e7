"""GANTrainer: alternating discriminator and generator steps (Goodfellow et al., 2014).

Per real minibatch the discriminator takes one step on
``BCE(D(x), 1 - smoothing) + BCE(D(G(z)), 0)``; after every ``d_steps`` discriminator steps
the generator takes one step on the non-saturating loss ``BCE(D(G(z)), 1)`` (maximise
log D(G(z)) rather than minimise log(1 - D(G(z))), which saturates early in training).
"""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import default_rng
from ..tensor import Tensor


def _sigmoid_mean(logits: Tensor) -> float:
    z = np.clip(logits._data, -60, 60)
    return float(np.mean(1 / (1 + np.exp(-z))))


class GANTrainer:
    """Train a generator and a discriminator against each other.

    Args:
        generator: maps (N, latent_dim) noise to images.
        discriminator: maps images to (N, 1) logits.
        latent_dim: noise size (default: ``generator.latent_dim``).
        g_optimizer, d_optimizer: default Adam(lr=2e-4, betas=(0.5, 0.999)) as in DCGAN.
        d_steps: discriminator steps per generator step (k in Goodfellow's algorithm).
        label_smoothing: one-sided smoothing of the real labels (0.1 -> targets 0.9).
        n_fixed: size of the fixed noise batch used for progress images.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        g_optimizer=None,
        d_optimizer=None,
        d_steps: int = 1,
        label_smoothing: float = 0.0,
        n_fixed: int = 64,
    ):
        self.G, self.D = generator, discriminator
        self.latent_dim = latent_dim or generator.latent_dim
        self.opt_g = g_optimizer or optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = d_optimizer or optim.Adam(
            discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999)
        )
        if d_steps < 1:
            raise ValueError(f"GANTrainer: d_steps must be >= 1, got {d_steps}")
        if not 0 <= label_smoothing < 1:
            raise ValueError(
                f"GANTrainer: label_smoothing must be in [0, 1), got {label_smoothing}"
            )
        self.d_steps, self.smoothing = d_steps, label_smoothing
        self.bce = nn.BCEWithLogitsLoss()
        self.fixed_noise = self.noise(n_fixed)
        self.history: dict[str, list] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}

    def noise(self, n: int) -> Tensor:
        return Tensor(default_rng().standard_normal((n, self.latent_dim)).astype(np.float32))

    def d_step(self, real: Tensor) -> tuple[float, float, float]:
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
        self.opt_g.zero_grad()
        out = self.D(self.G(self.noise(n)))
        loss = self.bce(out, Tensor(np.ones((n, 1), np.float32)))
        loss.backward()
        self.opt_g.step()  # D's gradients from this step are cleared by its next zero_grad
        return loss.item()

    def fit(
        self, images, epochs: int = 1, batch_size: int = 64, verbose: int = 1, on_epoch_end=None
    ) -> dict:
        """Train on ``images`` (N, C, H, W) in [-1, 1]; ``on_epoch_end(epoch, logs, trainer)``."""
        x = np.asarray(getattr(images, "data", images), dtype=np.float32)
        n = len(x)
        steps = n // batch_size
        if steps == 0:
            raise ValueError(f"GANTrainer.fit: {n} images is fewer than batch_size {batch_size}")
        for epoch in range(1, epochs + 1):
            self.G.train()
            self.D.train()
            order = default_rng().permutation(n)
            sums = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
            g_count = 0
            bar = self._bar(steps, epoch, epochs, verbose)
            for i in range(steps):
                real = Tensor(x[order[i * batch_size : (i + 1) * batch_size]])
                d_loss, d_real, d_fake = self.d_step(real)
                sums["d_loss"] += d_loss
                sums["d_real"] += d_real
                sums["d_fake"] += d_fake
                if (i + 1) % self.d_steps == 0:
                    sums["g_loss"] += self.g_step(batch_size)
                    g_count += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(
                        D=f"{d_loss:.3f}",
                        G=f"{sums['g_loss'] / max(g_count, 1):.3f}",
                        Dx=f"{d_real:.2f}",
                        DGz=f"{d_fake:.2f}",
                        refresh=False,
                    )
            logs = {k: v / (g_count if k == "g_loss" else steps) for k, v in sums.items()}
            for k, v in logs.items():
                self.history[k].append(v)
            if bar is not None:
                bar.close()
            if verbose == 2:
                print(
                    f"epoch {epoch}/{epochs}  " + "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                )
            if on_epoch_end is not None:
                on_epoch_end(epoch, logs, self)
        return self.history

    @staticmethod
    def _bar(steps, epoch, epochs, verbose):
        if verbose != 1:
            return None
        from tqdm.auto import tqdm

        return tqdm(
            total=steps,
            desc=f"epoch {epoch}/{epochs}",
            leave=True,
            mininterval=0.5,
            dynamic_ncols=True,
        )

    def sample(self, n: int = 64, noise: Tensor | None = None) -> np.ndarray:
        """Generated images (eval mode, no graph) as an ndarray."""
        self.G.eval()
        with no_grad():
            out = self.G(noise if noise is not None else self.noise(n))._data
        self.G.train()
        return out
