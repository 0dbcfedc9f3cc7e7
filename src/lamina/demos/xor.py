"""The article's neurons: a 2-2-1 sigmoid network learns XOR by plain gradient descent.

Weights times inputs plus bias, a sigmoid activation, mean squared error, backpropagation
by lamina's autograd, a learning rate and a number of epochs, and a stop once the error
reaches a target.
"""

from __future__ import annotations

import numpy as np

import lamina as L


def sigmoid(z):
    return 1 / (1 + (-z).exp())


def train_xor(lr=2.0, epochs=5000, target=1e-3, seed=0, log=print):
    L.manual_seed(seed)
    x = L.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = L.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = L.randn(2, 2, requires_grad=True)
    b1 = L.zeros(2, requires_grad=True)
    w2 = L.randn(2, 1, requires_grad=True)
    b2 = L.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    history = []
    for epoch in range(1, epochs + 1):
        out = sigmoid(sigmoid(x @ w1 + b1) @ w2 + b2)
        loss = ((out - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with L.no_grad():
            for p in params:
                p._data -= lr * p.grad._data
        history.append(loss.item())
        if epoch == 1 or epoch % 500 == 0:
            log(f"  epoch {epoch:5d}  mse {loss.item():.5f}")
        if loss.item() < target:
            log(f"  epoch {epoch:5d}  mse {loss.item():.5f}  reached the target {target}")
            break
    return out._data, history


def main(out_dir: str) -> dict:
    print("XOR with a 2-2-1 sigmoid network, MSE, gradient descent (lr 2.0)")
    out, history = train_xor()
    print(
        "  inputs -> outputs:",
        ", ".join(
            f"{a}{b}->{o:.3f}" for (a, b), o in zip([(0, 0), (0, 1), (1, 0), (1, 1)], out[:, 0])
        ),
    )
    correct = int(np.sum((out[:, 0] > 0.5) == np.array([0, 1, 1, 0])))
    return {"final_mse": history[-1], "epochs": len(history), "correct": correct}
