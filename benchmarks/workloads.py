"""The benchmark workloads: for each, a builder of one lamina step and of one torch step.

A builder returns a zero-argument callable that runs one step; data are synthetic float32.
"""

from __future__ import annotations

import numpy as np

WORKLOADS: dict[str, dict] = {}


def workload(name: str, what: str):
    def register(cls):
        WORKLOADS[name] = {
            "what": what,
            "lamina": getattr(cls, "lamina", None),
            "torch": getattr(cls, "torch", None),
        }
        return cls

    return register


@workload("tiny_op", "forward+backward of y = (a * b + a).sum() on 4 floats")
class TinyOp:
    @staticmethod
    def lamina():
        import lamina as L

        a = L.tensor(np.ones(4, np.float32), requires_grad=True)
        b = L.tensor(np.full(4, 2.0, np.float32))

        def step():
            a.grad = None
            (a * b + a).sum().backward()

        return step

    @staticmethod
    def torch():
        import torch

        a = torch.ones(4, requires_grad=True)
        b = torch.full((4,), 2.0)

        def step():
            a.grad = None
            (a * b + a).sum().backward()

        return step


def _mlp_data(batch=128):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return x, y


@workload("mlp_fwd_bwd", "784-512-256-10 ReLU MLP forward+backward, batch 128")
class MLPForwardBackward:
    @staticmethod
    def lamina():
        import lamina as L
        from lamina import nn

        x, _ = _mlp_data()
        xt = L.tensor(x)
        m = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
        )

        def step():
            m.zero_grad()
            m(xt).sum().backward()

        return step

    @staticmethod
    def torch():
        import torch
        from torch import nn

        x, _ = _mlp_data()
        xt = torch.from_numpy(x)
        m = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
        )

        def step():
            m.zero_grad()
            m(xt).sum().backward()

        return step
