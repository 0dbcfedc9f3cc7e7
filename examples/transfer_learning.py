"""Transfer learning with the zoo: ResNet-18 on the 8x8 digits, upsampled to 32x32 RGB.

Two runs on the same data, same head, same number of epochs:

  (a) frozen backbone: ``model.requires_grad_(False)``, a new ``model.fc = nn.Linear(512, 10)``
      and only the head trained, the backbone in eval mode (running BatchNorm statistics);
  (b) from scratch: the whole ResNet-18 (``num_classes=10``) trained.

lamina ships no ImageNet weights, so by default (a) uses a *randomly initialised* backbone:
it measures how far random conv features get. Pass torchvision's file to make (a) real
transfer learning::

    python examples/transfer_learning.py --weights resnet18-f37072fd.pth
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lamina
from lamina import models, nn, optim
from lamina.data.datasets import load_digits
from lamina.models.imagenet import IMAGENET_MEAN, IMAGENET_STD


def digits_rgb(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Digits as (N, 3, 32, 32) float32 ImageNet-normalised images and int64 labels."""
    x, y = load_digits(split)  # (N, 1, 8, 8) in [0, 1]
    x = x.repeat(4, axis=2).repeat(4, axis=3).repeat(3, axis=1)  # (N, 3, 32, 32)
    x = (x - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]
    return x.astype(np.float32), y


def accuracy(model, x, y, batch_size: int = 256) -> float:
    model.eval()
    with lamina.no_grad():
        preds = [model(lamina.tensor(x[i : i + batch_size])).numpy().argmax(1)
                 for i in range(0, len(x), batch_size)]  # fmt: skip
    return float((np.concatenate(preds) == y).mean())


def train(model, params, x, y, epochs, batch_size, lr, train_mode, max_batches=None):
    """Adam on ``params``; the model stays in train mode only when ``train_mode``."""
    opt, loss_fn = optim.Adam(params, lr=lr), nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        model.train(train_mode)
        order, losses = rng.permutation(len(x)), []
        for b, i in enumerate(range(0, len(x), batch_size)):
            if max_batches is not None and b >= max_batches:
                break
            idx = order[i : i + batch_size]
            loss = loss_fn(model(lamina.tensor(x[idx])), lamina.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        print(f"  epoch {epoch + 1}: train loss {np.mean(losses):.4f}")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=None, help="torchvision resnet18 .pth/.safetensors")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--smoke", action="store_true", help="two batches, 32 test images")
    args = p.parse_args(argv)
    lamina.manual_seed(0)
    xtr, ytr = digits_rgb("train")
    xte, yte = digits_rgb("test")
    nb, epochs = (2, 1) if args.smoke else (None, args.epochs)
    if args.smoke:
        xte, yte = xte[:32], yte[:32]
    results = {}

    print("(a) frozen ResNet-18 backbone, new linear head")
    t0 = time.perf_counter()
    model = models.resnet18(weights=args.weights)
    model.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, 10)  # a fresh, trainable head
    head = [q for q in model.parameters() if q.requires_grad]
    train(model, head, xtr, ytr, epochs, args.batch_size, 1e-2, train_mode=False, max_batches=nb)
    results["frozen_acc"] = accuracy(model, xte, yte)
    results["frozen_s"] = time.perf_counter() - t0
    print(f"  test accuracy {results['frozen_acc']:.3f} ({results['frozen_s']:.0f}s)")

    print("(b) ResNet-18 trained from scratch")
    t0 = time.perf_counter()
    model = models.resnet18(num_classes=10)
    train(model, list(model.parameters()), xtr, ytr, epochs, args.batch_size, 1e-3,
          train_mode=True, max_batches=nb)  # fmt: skip
    results["scratch_acc"] = accuracy(model, xte, yte)
    results["scratch_s"] = time.perf_counter() - t0
    print(f"  test accuracy {results['scratch_acc']:.3f} ({results['scratch_s']:.0f}s)")
    return results


if __name__ == "__main__":
    main()
