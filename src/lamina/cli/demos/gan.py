"""``lamina demo gan``: a DCGAN learns to draw the embedded 8x8 digits, with measured quality.

Progress: the Trainer's bar (one line per epoch off a terminal) with the D/G losses. The generator
is saved with its recipe (``lamina generate --model-dir lamina_out/gan -n 64 grid.png``).
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
from lamina.viz.images import make_grid, save_image_grid

from ._common import have, pyplot

LATENT = 32  # the generator's noise size, saved in its config for `lamina generate`
TANH_RANGE = {"normalize": True, "value_range": (-1, 1)}  # images in [-1, 1] -> pixels


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
        p = clf(L.tensor(images01.reshape(len(images01), 64))).softmax(-1).numpy()
    conf, pred = p.max(1), p.argmax(1)
    confident = conf >= 0.9
    return {
        "confident_share": float(confident.mean()),
        "classes_covered": int(len(np.unique(pred))),
        "classes_confident": int(len(np.unique(pred[confident]))),
        "class_counts": np.bincount(pred, minlength=10).tolist(),
    }


def train_gan(epochs: int = 60, seed: int = 0, verbose: int = 1):
    """Fit the DCGAN; returns (trainer, frames, history) with one (epoch, grid) per epoch."""
    L.manual_seed(seed)
    x, _ = load_digits("train")
    x = x * 2 - 1  # [0, 1] -> [-1, 1], the range of Tanh
    G, D = dcgan(latent_dim=LATENT, channels=1, image_size=8, width=64)
    trainer = GANTrainer(G, D, label_smoothing=0.1)
    frames = []

    def snapshot(epoch, logs):  # epochs are 0-based in callbacks; the console counts from 1
        frames.append((epoch + 1, trainer.sample(noise=trainer.fixed_noise)))

    callbacks = [LambdaCallback(on_epoch_end=snapshot)]
    history = trainer.fit(x, epochs=epochs, batch_size=64, verbose=verbose, callbacks=callbacks)
    return trainer, frames, {"epoch": [e + 1 for e in history.epoch], **history.history}


def save_pictures(frames, history, out_dir: str) -> list[str]:
    """Sample grids every 10 epochs, the progress GIF and the loss curves; returns paths."""
    files = []
    if have("matplotlib", "samples.png and losses.png"):
        plt = pyplot()
        files.append(_samples(plt, frames, os.path.join(out_dir, "samples.png")))
        files.append(_losses(plt, history, os.path.join(out_dir, "losses.png")))
    else:
        epoch, imgs = frames[-1]
        path = os.path.join(out_dir, f"samples_epoch{epoch:03d}.png")
        files.append(save_image_grid(imgs, path, **TANH_RANGE))
    if have("PIL", "progress.gif"):
        files.append(_gif(frames, os.path.join(out_dir, "progress.gif")))
    return files


def _samples(plt, frames, path: str) -> str:
    shown = [f for f in frames if f[0] % 10 == 0 or f[0] == frames[-1][0]]
    cols = min(len(shown), 3)
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.4 * cols, 0.6 + 3.6 * rows), squeeze=False, layout="constrained"
    )
    for ax in axes.reshape(-1):
        ax.axis("off")
    for ax, (epoch, imgs) in zip(axes.reshape(-1), shown):
        ax.imshow(
            make_grid(imgs, nrow=8, **TANH_RANGE)[:, :, 0], cmap="gray", interpolation="nearest"
        )
        ax.set_title(f"epoch {epoch}")
    fig.suptitle("DCGAN samples from the same 64 noise vectors as training goes on")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _gif(frames, path: str, scale: int = 6) -> str:
    """Each epoch's grid, 6x larger, with its epoch written on it."""
    from PIL import Image, ImageDraw

    images = []
    for epoch, imgs in frames:
        grid = make_grid(imgs, nrow=8, **TANH_RANGE)[:, :, 0].repeat(scale, 0).repeat(scale, 1)
        canvas = Image.new("L", (grid.shape[1], grid.shape[0] + 22), 0)
        canvas.paste(Image.fromarray(grid), (0, 22))
        ImageDraw.Draw(canvas).text((6, 5), f"epoch {epoch}/{frames[-1][0]}", fill=255)
        images.append(canvas)
    images[0].save(path, save_all=True, append_images=images[1:], duration=200, loop=0)
    return path


def _losses(plt, history: dict, path: str) -> str:
    epochs = history["epoch"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(epochs, history["d_loss"], label="D loss")
    a.plot(epochs, history["g_loss"], label="G loss")
    a.set(title="losses per epoch", xlabel="epoch", ylabel="binary cross-entropy")
    a.legend()
    b.plot(epochs, history["d_real"], label="mean D(x), real")
    b.plot(epochs, history["d_fake"], label="mean D(G(z)), generated")
    b.set(title="discriminator outputs", xlabel="epoch", ylabel="probability 'real'")
    b.legend()
    fig.suptitle("DCGAN on the 8x8 digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(out_dir: str, epochs: int = 60, verbose: int = 1) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    print(f"DCGAN on the 8x8 digits, {epochs} epochs; pictures in {out_dir}")
    trainer, frames, history = train_gan(epochs, verbose=verbose)
    trainer.G.save_pretrained(
        out_dir, task="image-generation", extra={"latent_dim": LATENT, "value_range": [-1, 1]}
    )
    files = [os.path.join(out_dir, f) for f in ("model.safetensors", "config.json")]
    files += save_pictures(frames, history, out_dir)
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
        "figure": f"{q_fake['confident_share']:.0%} confidently classified, "
        f"{q_fake['classes_covered']}/10 classes (real: {q_real['confident_share']:.0%})",
        "files": files,
        "fake_confident": q_fake["confident_share"],
        "fake_classes": q_fake["classes_covered"],
        "real_confident": q_real["confident_share"],
        "real_classes": q_real["classes_covered"],
    }
