"""``lamina demo gan``: a DCGAN learns to draw the embedded 8x8 digits, with measured quality.

Quality is measured, not eyeballed: a digits classifier trained in lamina on the real
training digits scores 1,000 generated samples; we report the share it classifies with
confidence >= 0.9 and how many of the 10 classes appear, beside the same figures for the
real test digits.
"""

from __future__ import annotations

import os

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.data.datasets import load_digits
from lamina.models.gan import dcgan
from lamina.train import LambdaCallback
from lamina.train.gan import GANTrainer
from lamina.viz.images import make_grid, save_gif, save_image_grid


def train_classifier(epochs: int = 60, seed: int = 0) -> nn.Module:
    """A small MLP digits classifier (about 97% test accuracy) used as the quality judge."""
    L.manual_seed(seed)
    x, y = load_digits("train", flat=True)
    clf = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(clf.parameters(), lr=3e-3)
    crit = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            b = order[i : i + 64]
            opt.zero_grad()
            crit(clf(L.tensor(x[b])), L.tensor(y[b])).backward()
            opt.step()
    return clf.eval()


def judge(clf: nn.Module, images01: np.ndarray) -> dict:
    """Share of images classified with confidence >= 0.9 and the classes covered."""
    with L.no_grad():
        p = clf(L.tensor(images01.reshape(len(images01), 64))).softmax(-1)._data
    conf, pred = p.max(1), p.argmax(1)
    confident = conf >= 0.9
    return {
        "confident_share": float(confident.mean()),
        "classes_covered": int(len(np.unique(pred))),
        "classes_confident": int(len(np.unique(pred[confident]))),
        "class_counts": np.bincount(pred, minlength=10).tolist(),
    }


def train_gan(epochs: int = 60, seed: int = 0, out_dir: str | None = None, verbose: int = 1):
    L.manual_seed(seed)
    x, _ = load_digits("train")
    x = x * 2 - 1  # [0, 1] -> [-1, 1], the range of Tanh
    G, D = dcgan(latent_dim=32, channels=1, image_size=8, width=64)
    trainer = GANTrainer(G, D, label_smoothing=0.1)
    frames = []

    def snapshot(epoch, logs):
        imgs = trainer.sample(noise=trainer.fixed_noise)
        frames.append(make_grid(imgs, nrow=8, normalize=True, value_range=(-1, 1)))
        done = epoch + 1  # epochs are 0-based in callbacks, 1-based in file names
        if out_dir and (done % 10 == 0 or done == epochs):
            path = os.path.join(out_dir, f"samples_epoch{done:03d}.png")
            save_image_grid(imgs, path, scale=6, normalize=True, value_range=(-1, 1))

    callbacks = [LambdaCallback(on_epoch_end=snapshot)]
    trainer.fit(x, epochs=epochs, batch_size=64, verbose=verbose, callbacks=callbacks)
    return trainer, frames


def plot_losses(history: dict, path: str):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.plot(history["d_loss"], label="D loss")
    a.plot(history["g_loss"], label="G loss")
    a.set_xlabel("epoch")
    a.legend()
    b.plot(history["d_real"], label="mean D(x)")
    b.plot(history["d_fake"], label="mean D(G(z))")
    b.set_xlabel("epoch")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(out_dir: str, epochs: int = 60) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    print(f"DCGAN on the 8x8 digits, {epochs} epochs; pictures in {out_dir}")
    trainer, frames = train_gan(epochs, out_dir=out_dir, verbose=2)
    save_gif(frames, os.path.join(out_dir, "progress.gif"))
    plot_losses(trainer.history.history, os.path.join(out_dir, "losses.png"))
    clf = train_classifier()
    fake = (trainer.sample(1000) + 1) / 2
    real, _ = load_digits("test")
    q_fake, q_real = judge(clf, fake), judge(clf, real)
    print(
        f"  generated: {q_fake['confident_share']:.1%} classified with confidence >= 0.9, "
        f"{q_fake['classes_covered']} classes; per class {q_fake['class_counts']}"
    )
    print(
        f"  real test: {q_real['confident_share']:.1%} classified with confidence >= 0.9, "
        f"{q_real['classes_covered']} classes"
    )
    return {
        "fake_confident": q_fake["confident_share"],
        "fake_classes": q_fake["classes_covered"],
        "real_confident": q_real["confident_share"],
        "real_classes": q_real["classes_covered"],
    }
