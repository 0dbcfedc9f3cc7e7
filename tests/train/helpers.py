"""Tiny data and models shared by the training tests."""

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.train import LambdaCallback, Trainer


def blobs(n=60, seed=0):
    """Three Gaussian blobs in 4-D: (x float32 (n, 4), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    x = centers[y] + rng.normal(scale=0.7, size=(n, 4)).astype(np.float32)
    return x.astype(np.float32), y.astype(np.int64)


def make_trainer(seed=0, lr=0.1, metrics=("accuracy",), **kwargs):
    L.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=lr)
    return Trainer(model, nn.CrossEntropyLoss(), opt, metrics=list(metrics), **kwargs)


def scripted(key, values):
    """A callback writing values[epoch] into logs[key], for steering monitor-based callbacks."""
    return LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


def snapshots():
    """A callback recording the weights at each epoch's end into its .states list."""
    states = []
    # state_dict() shares the parameters' memory, as torch's: keep copies
    cb = LambdaCallback(
        on_epoch_end=lambda epoch, logs: states.append(
            {k: np.asarray(v).copy() for k, v in cb.model.state_dict().items()}
        )
    )
    cb.states = states
    return cb
