"""``lamina demo cnn``: a small CNN on the embedded 8x8 digits, and pictures of what it learned.

Writes PNGs of the first layer's kernels, the feature maps of one test image at each
convolution (the article: feature maps pick out edges and corners) and the misclassified
test images with their predicted labels.
"""

from __future__ import annotations

import os

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.data.datasets import load_digits
from lamina.viz.images import save_image_grid


def digits_cnn(num_classes: int = 10) -> nn.Sequential:
    """conv3x3(32)-BN-ReLU-conv3x3(32)-BN-ReLU-pool-conv3x3(64)-BN-ReLU-pool-fc128-fc10, 1x8x8."""
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


def shift(x: np.ndarray, rng) -> np.ndarray:
    """Random shifts of up to one pixel (zero fill): cheap augmentation for 8x8 digits."""
    out = np.zeros_like(x)
    dy, dx = rng.integers(-1, 2, 2)
    h, w = x.shape[-2:]
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        ..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def train(epochs: int = 30, seed: int = 0, verbose: bool = True):
    L.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    model = digits_cnn()
    opt = optim.Adam(model.parameters(), lr=2e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    crit = nn.CrossEntropyLoss()
    for epoch in range(1, epochs + 1):
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), 32):
            b = order[i : i + 32]
            opt.zero_grad()
            loss = crit(model(L.tensor(shift(x[b], rng))), L.tensor(y[b]))
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        sched.step()
        if verbose and (epoch % 10 == 0 or epoch == 1):
            acc = accuracy(model, xt, yt)
            print(f"  epoch {epoch:3d}  loss {total / len(x):.4f}  test accuracy {acc:.2%}")
    return model, (xt, yt)


def predict(model, x):
    model.eval()
    with L.no_grad():
        return model(L.tensor(x))._data


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
                maps.append(h._data[0])
    return maps


def save_pictures(model, xt, yt, out_dir: str) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    w = model[0].weight._data  # (32, 1, 3, 3)
    paths.append(
        save_image_grid(
            w,
            os.path.join(out_dir, "kernels_conv1.png"),
            nrow=8,
            scale=16,
            normalize=True,
            scale_each=True,
        )
    )
    for i, fm in enumerate(feature_maps(model, xt[0]), 1):
        paths.append(
            save_image_grid(
                fm[:, None],
                os.path.join(out_dir, f"feature_maps_conv{i}.png"),
                nrow=16,
                scale=12,
                normalize=True,
                scale_each=True,
            )
        )
    pred = predict(model, xt).argmax(1)
    wrong = np.flatnonzero(pred != yt)
    paths.append(_misclassified(xt[wrong], yt[wrong], pred[wrong], out_dir))
    return [p for p in paths if p]


def _misclassified(x, true, pred, out_dir):
    path = os.path.join(out_dir, "misclassified.png")
    if len(x) == 0:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # no labels without matplotlib: a plain grid
        return save_image_grid(x, path, nrow=8, scale=8)
    n = len(x)
    fig, axes = plt.subplots(1, n, figsize=(1.4 * n, 1.8), squeeze=False)
    for ax, img, t, p in zip(axes[0], x, true, pred):
        ax.imshow(img[0], cmap="gray_r")
        ax.set_title(f"true {t}\npred {p}", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(out_dir: str, epochs: int = 30) -> dict:
    print(f"CNN on the 8x8 digits ({epochs} epochs, Adam, cosine schedule)")
    model, (xt, yt) = train(epochs)
    acc = accuracy(model, xt, yt)
    os.makedirs(out_dir, exist_ok=True)
    L.save(model.state_dict(), os.path.join(out_dir, "digits_cnn.safetensors"))
    paths = save_pictures(model, xt, yt, out_dir)
    print(
        f"  test accuracy {acc:.2%} on {len(yt)} images; pictures: "
        + ", ".join(os.path.basename(p) for p in paths)
    )
    return {"test_accuracy": acc, "misclassified": int(round((1 - acc) * len(yt)))}
