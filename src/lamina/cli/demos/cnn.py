"""``lamina demo cnn``: a small CNN on the embedded 8x8 digits, and pictures of what it learned.

Trains with the Trainer (Adam, a cosine schedule, random one-pixel shifts), saves the model
with its recipe (``lamina predict lamina_out/cnn/digit_7.png --model-dir lamina_out/cnn``
classifies the sample digits it writes), and draws the first layer's kernels, the feature
maps of one test digit beside the digit itself (the article: feature maps pick out edges
and corners) and the misclassified test digits with their true and predicted labels.
"""

from __future__ import annotations

import os

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.data import Dataset
from lamina.data.datasets import load_digits
from lamina.models import digits_cnn
from lamina.train import Trainer
from lamina.viz.images import make_grid, save_image_grid, write_png

from ._common import have, pyplot

__all__ = ["digits_cnn", "main", "train"]


def shift(x: np.ndarray, rng) -> np.ndarray:
    """Random shifts of up to one pixel (zero fill): cheap augmentation for 8x8 digits."""
    out = np.zeros_like(x)
    dy, dx = rng.integers(-1, 2, 2)
    h, w = x.shape[-2:]
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        ..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


class ShiftedDigits(Dataset):
    """(image shifted by up to one pixel, label) pairs; a new shift at every access."""

    def __init__(self, x: np.ndarray, y: np.ndarray, seed: int = 0) -> None:
        self.x, self.y, self.rng = x, y, np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return shift(self.x[i], self.rng), self.y[i]


def train(epochs: int = 30, seed: int = 0, verbose: int = 1):
    """Fit the CNN; the test split is the validation data (shown per epoch, never tuned on)."""
    L.manual_seed(seed)
    x, y = load_digits("train")  # (1438, 1, 8, 8) in [0, 1]
    xt, yt = load_digits("test")
    model = digits_cnn()
    opt = optim.Adam(model.parameters(), lr=2e-3)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        opt,
        metrics=["accuracy"],
        scheduler=optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs),
    )
    history = trainer.fit(
        ShiftedDigits(x, y, seed), epochs=epochs, validation_data=(xt, yt), verbose=verbose
    )
    return model, (xt, yt), history


def predict(model, x):
    model.eval()
    with L.no_grad():
        return model(L.tensor(x)).numpy()


def accuracy(model, x, y) -> float:
    return float((predict(model, x).argmax(1) == y).mean())


def feature_maps(model, image):
    """The ReLU outputs after each convolution for one (1, 8, 8) image."""
    maps, h = [], L.tensor(image[None])
    model.eval()
    with L.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU) and h.ndim == 4:
                maps.append(h.numpy()[0])
    return maps


def save_pictures(model, xt, yt, out_dir: str) -> list[str]:
    """Kernels, feature maps beside their input, misclassified digits; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    pred = predict(model, xt).argmax(1)
    wrong = np.flatnonzero(pred != yt)
    if not have("matplotlib", "kernels.png, feature_maps.png and misclassified.png (labelled)"):
        w = model[0].weight.detach().numpy()  # (32, 1, 3, 3)
        path = os.path.join(out_dir, "kernels.png")
        return [save_image_grid(w, path, scale=16, normalize=True, scale_each=True)]
    plt = pyplot()
    return [
        _kernels(plt, model[0].weight.detach().numpy(), os.path.join(out_dir, "kernels.png")),
        _feature_maps(plt, model, xt[0], yt[0], os.path.join(out_dir, "feature_maps.png")),
        _misclassified(plt, xt[wrong], yt[wrong], pred[wrong], len(yt), out_dir),
    ]


def _kernels(plt, w: np.ndarray, path: str) -> str:
    fig = plt.figure(figsize=(6, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    grid = make_grid(w, nrow=8, normalize=True, scale_each=True)  # each kernel to [0, 1]
    ax.imshow(grid[:, :, 0], cmap="gray", interpolation="nearest")
    ax.set_title("conv1: the 32 learned 3x3 kernels (white = positive weight)")
    ax.axis("off")
    return _save(fig, path, plt, suptitle=False)


def _feature_maps(plt, model, image, label, path: str) -> str:
    maps = feature_maps(model, image)
    fig, axes = plt.subplots(1, 1 + len(maps), figsize=(4 + 4 * len(maps), 4.4))
    axes[0].imshow(image[0], cmap="gray", interpolation="nearest")
    axes[0].set_title(f"input: a test digit ({label})")
    for i, (ax, fm) in enumerate(zip(axes[1:], maps), 1):
        side = int(np.ceil(np.sqrt(fm.shape[0])))  # a square grid of maps
        grid = make_grid(fm[:, None], nrow=side, normalize=True, scale_each=True)
        ax.imshow(grid[:, :, 0], cmap="gray")
        ax.set_title(f"conv{i} + ReLU: {fm.shape[0]} maps of {fm.shape[1]}x{fm.shape[2]}")
    for ax in axes:
        ax.axis("off")
    fig.suptitle("What the CNN sees: bright = strong activation")
    return _save(fig, path, plt)


def _misclassified(plt, x, true, pred, n_test: int, out_dir: str) -> str:
    path = os.path.join(out_dir, "misclassified.png")
    cols = min(max(len(x), 1), 10)
    rows = max(1, -(-len(x) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(1.6 * cols, 4.5), 0.4 + 1.9 * rows))
    axes = np.asarray(axes).reshape(-1)
    for ax, img, t, p in zip(axes, x, true, pred):
        ax.imshow(img[0], cmap="gray_r", interpolation="nearest")
        ax.set_title(f"true {t}\npredicted {p}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(f"The {len(x)} misclassified test digits (of {n_test})", fontsize=10)
    return _save(fig, path, plt)


def _save(fig, path: str, plt, suptitle: bool = True) -> str:
    fig.tight_layout(rect=(0, 0, 1, 0.93) if suptitle else None)  # room for the suptitle
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def save_sample_digits(xt, yt, out_dir: str) -> list[str]:
    """The first test image of digits 3 and 7, dark on light, 64x64: inputs for predict."""
    paths = []
    for digit in (3, 7):
        i = int(np.flatnonzero(yt == digit)[0])
        pixels = ((1.0 - xt[i, 0]) * 255 + 0.5).astype(np.uint8)
        paths.append(write_png(os.path.join(out_dir, f"digit_{digit}.png"), pixels, scale=8))
    return paths


def main(out_dir: str, epochs: int = 30, verbose: int = 1) -> dict:
    print(f"CNN on the 8x8 digits ({epochs} epochs, Adam, cosine schedule)")
    model, (xt, yt), _ = train(epochs, verbose=verbose)
    acc = accuracy(model, xt, yt)
    model.save_pretrained(
        out_dir,
        task="image-classification",
        class_names=[str(d) for d in range(10)],
        preprocessing={"size": [8, 8], "channels": 1, "invert": "auto"},
    )
    files = [os.path.join(out_dir, f) for f in ("model.safetensors", "config.json")]
    files += save_sample_digits(xt, yt, out_dir) + save_pictures(model, xt, yt, out_dir)
    wrong = int(round((1 - acc) * len(yt)))
    print(f"  test accuracy {acc:.2%} on {len(yt)} images ({wrong} wrong)")
    return {
        "figure": f"{acc:.1%} test accuracy ({wrong} wrong)",
        "files": files,
        "test_accuracy": acc,
        "misclassified": wrong,
    }
