"""Truncated backpropagation through time: carry the LSTM state across batches, cut its graph.

A long sequence (a noisy sum of two sines, 20,000 steps) is read in consecutive chunks of
``--chunk`` steps. The final (h, c) of one chunk is the initial state of the next, so the
network remembers across chunk borders, but ``detach_state`` cuts the graph there: each
backward runs through one chunk only, so memory and time per step stay bounded however
long the sequence is.

    python examples/truncated_bptt.py [--chunk 50] [--epochs 3]
"""

from __future__ import annotations

import argparse

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.models.rnn import detach_state


class Predictor(nn.Module):
    """Predicts the next value of the signal from the values so far."""

    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


def signal(n=20_000, seed=0):
    t = np.arange(n + 1, dtype=np.float32)
    rng = np.random.default_rng(seed)
    s = np.sin(t * 0.07) + 0.5 * np.sin(t * 0.011) + 0.05 * rng.standard_normal(n + 1)
    return s.astype(np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chunk", type=int, default=50)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--length", type=int, default=20_000)
    args = p.parse_args(argv)
    L.manual_seed(0)
    s = signal(args.length)
    x, y = s[:-1].reshape(1, -1, 1), s[1:].reshape(1, -1, 1)  # one long sequence
    model = Predictor()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    mse = nn.MSELoss()
    for epoch in range(1, args.epochs + 1):
        state, total, n = None, 0.0, 0
        for i in range(0, x.shape[1], args.chunk):
            pred, state = model(L.tensor(x[:, i : i + args.chunk]), state)
            loss = mse(pred, L.tensor(y[:, i : i + args.chunk]))
            opt.zero_grad()
            loss.backward()  # through this chunk only
            opt.step()
            state = detach_state(state)  # keep the values, drop the graph
            total, n = total + loss.item(), n + 1
        print(
            f"epoch {epoch}: mean chunk MSE {total / n:.4f} "
            f"(predicting 0 would give {float(np.mean(y**2)):.4f})"
        )
    return total / n


if __name__ == "__main__":
    main()
