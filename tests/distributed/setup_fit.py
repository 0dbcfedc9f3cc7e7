"""The data and model of the Trainer-under-MPI test (shared by the script and the test)."""

import numpy as np

import lamina
from lamina import nn, optim
from lamina.train import Trainer


def data():
    """Three noisy blobs in 4-D: 600 training samples, 203 for validation (an odd count,
    so the ranks' validation shards differ in size)."""
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((3, 4)).astype(np.float32) * 2

    def draw(n):
        y = rng.integers(0, 3, n)
        return (centres[y] + rng.standard_normal((n, 4)).astype(np.float32)), y

    return draw(600), draw(203)


def trainer() -> Trainer:
    lamina.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    return Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), ["accuracy"])
