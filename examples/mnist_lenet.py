"""LeNet-5 on MNIST (LeCun et al., 1998 report 0.95% test error), or on the digits.

    python examples/mnist_lenet.py --root ~/data/mnist      # the IDX files, gzipped or not
    python examples/mnist_lenet.py                          # no MNIST here: the 8x8 digits,
                                                            # upsampled to 28x28

The MNIST files (train-images-idx3-ubyte[.gz], ...) are read from --root; lamina never
downloads them unless you pass --download.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.models import lenet5
from lamina.nn import functional as F


def load(root, download):
    if root is None:
        from lamina.data.datasets import load_digits

        out = []
        for split in ("train", "test"):
            x, y = load_digits(split)  # (N, 1, 8, 8) in [0, 1]
            with L.no_grad():
                x = F.interpolate(L.tensor(x), size=(28, 28), mode="bilinear").detach().numpy()
            out += [x, y]
        return out
    from lamina.data.datasets import MNIST

    out = []
    for train in (True, False):
        ds = MNIST(root, train=train, download=download)
        x = (ds.data.astype(np.float32) / 255 - 0.1307) / 0.3081
        out += [x[:, None], ds.targets.astype(np.int64)]
    return out


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with L.no_grad():
        for i in range(0, len(x), batch):
            correct += int(
                (
                    model(L.tensor(x[i : i + batch])).detach().numpy().argmax(1) == y[i : i + batch]
                ).sum()
            )
    return correct / len(x)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", help="folder with the MNIST IDX files (default: use the digits)")
    p.add_argument("--download", action="store_true", help="fetch MNIST into --root")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=0, help="use only this many training images")
    args = p.parse_args(argv)
    L.manual_seed(0)
    x, y, xt, yt = load(args.root, args.download)
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    model = lenet5()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(x))
        for i in range(0, len(x), args.batch_size):
            b = order[i : i + args.batch_size]
            opt.zero_grad()
            crit(model(L.tensor(x[b])), L.tensor(y[b])).backward()
            opt.step()
        acc = evaluate(model, xt, yt)
        print(f"epoch {epoch}: test error {1 - acc:.2%} ({time.perf_counter() - t0:.0f} s)")
    return 1 - acc


if __name__ == "__main__":
    main()
