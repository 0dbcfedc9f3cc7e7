"""XOR by backpropagation, the article's way, with lamina's Trainer.

A 2-2-1 network of sigmoid neurons (weights times inputs plus bias), mean squared error,
plain gradient descent with a learning rate, a number of epochs, and a stop as soon as
the error reaches a target.

Usage: python examples/xor.py [--lr 2.0] [--epochs 5000] [--target 0.001] [--seed 0]
"""

import argparse

import numpy as np

import lamina
from lamina import nn, optim
from lamina.train import LambdaCallback, TargetStopping, Trainer

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
p.add_argument("--lr", type=float, default=2.0, help="learning rate of gradient descent")
p.add_argument("--epochs", type=int, default=5000, help="at most this many passes")
p.add_argument("--target", type=float, default=1e-3, help="stop once the MSE is this low")
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()

lamina.manual_seed(args.seed)
x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
y = np.array([[0], [1], [1], [0]], dtype=np.float32)
model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
trainer = Trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=args.lr))

report = LambdaCallback(
    on_epoch_end=lambda epoch, logs: (
        (epoch + 1) % 500 == 0 and print(f"epoch {epoch + 1:5d}  mse {logs['loss']:.5f}")
    )
)
stop = TargetStopping(monitor="loss", target=args.target)
history = trainer.fit(
    x, y, epochs=args.epochs, batch_size=4, shuffle=False, callbacks=[report, stop], verbose=0
)

out = trainer.predict(x)[:, 0]
epochs, mse = len(history.epoch), history.history["loss"][-1]
if stop.stopped_epoch is not None:
    print(f"reached the target mse {args.target} after {epochs} epochs (mse {mse:.5f})")
else:
    print(f"stopped after {epochs} epochs at mse {mse:.5f} (target {args.target} not reached)")
for (a, b), o in zip(x.astype(int), out):
    print(f"  {a} xor {b} -> {o:.3f}")
