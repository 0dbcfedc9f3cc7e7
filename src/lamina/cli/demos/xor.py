"""The article's neurons: a 2-2-1 sigmoid network learns XOR by plain gradient descent.

Weights times inputs plus bias, a sigmoid activation, mean squared error, backpropagation
by lamina's autograd, a learning rate and a number of epochs, and a stop once the error
reaches a target. One "epoch" here is 250 full-batch steps over the four patterns, so the
Trainer prints a line every 250 updates.
"""

from __future__ import annotations

import os

import numpy as np

import lamina
from lamina import nn, optim
from lamina.data import TensorDataset
from lamina.models import sigmoid_mlp
from lamina.train import TargetStopping, Trainer

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
STEPS_PER_EPOCH = 250


def train_xor(lr: float = 2.0, epochs: int = 20, target: float = 1e-3, seed: int = 0, verbose=1):
    """Fit the 2-2-1 network; returns (trainer, history, stopper)."""
    lamina.manual_seed(seed)
    model = sigmoid_mlp((2, 2, 1))  # Linear(2, 2) -> Sigmoid -> Linear(2, 1) -> Sigmoid
    trainer = Trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr))
    steps = TensorDataset(np.tile(X, (STEPS_PER_EPOCH, 1)), np.tile(Y, (STEPS_PER_EPOCH, 1)))
    stop = TargetStopping(monitor="loss", target=target)
    history = trainer.fit(
        steps, epochs=epochs, batch_size=4, shuffle=False, callbacks=[stop], verbose=verbose
    )
    return trainer, history, stop


def main(out_dir: str, verbose: int = 1) -> dict:
    print("XOR with a 2-2-1 sigmoid network, MSE, gradient descent (lr 2.0), target mse 0.001")
    trainer, history, stop = train_xor(verbose=verbose)
    out = trainer.predict(X)[:, 0]
    print(
        "  inputs -> outputs: "
        + ", ".join(f"{a}{b}->{o:.3f}" for (a, b), o in zip(X.astype(int), out))
    )
    correct = int(np.sum((out > 0.5) == Y[:, 0].astype(bool)))
    steps = len(history.epoch) * STEPS_PER_EPOCH
    reached = "reached" if stop.stopped_epoch is not None else "did not reach"
    os.makedirs(out_dir, exist_ok=True)
    trainer.model.save_pretrained(os.path.join(out_dir, "model.safetensors"), task="other")
    return {
        "figure": f"{correct}/4 correct, mse {history.history['loss'][-1]:.2g} after {steps} "
        f"steps ({reached} 0.001)",
        "files": [os.path.join(out_dir, "model.safetensors")],
        "final_mse": history.history["loss"][-1],
        "steps": steps,
        "correct": correct,
    }
