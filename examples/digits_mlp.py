"""An MLP on the 8x8 digits lamina ships: ReLU layers, softmax classifier, Adam, early stop.

The short form of ``lamina demo ann`` (src/lamina/cli/demos/ann.py).

Usage: python examples/digits_mlp.py [--epochs 60] [--batch 32] [--lr 1e-3] [--out DIR]
"""

import argparse
import os

import numpy as np

import lamina
from lamina import nn, optim
from lamina.data.datasets import load_digits
from lamina.io import save_file
from lamina.train import EarlyStopping, Trainer, confusion_matrix

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
p.add_argument("--epochs", type=int, default=60)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", default="digits_out", help="folder for the weights")
args = p.parse_args()

lamina.manual_seed(args.seed)
x, y = load_digits("train", flat=True)  # (1438, 64) pixels in [0, 1], labels (1438,)
x_test, y_test = load_digits("test", flat=True)  # (359, 64), (359,)
mean, std = x.mean(0), np.where(x.std(0) > 1e-3, x.std(0), 1.0)
x, x_test = ((x - mean) / std).astype(np.float32), ((x_test - mean) / std).astype(np.float32)

model = nn.Sequential(
    nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
)
trainer = Trainer(
    model,
    nn.CrossEntropyLoss(label_smoothing=0.1),  # softmax + cross-entropy on the logits
    optim.Adam(model.parameters(), lr=args.lr),
    metrics=["accuracy"],
)
trainer.fit(
    x,
    y,
    epochs=args.epochs,
    batch_size=args.batch,
    validation_split=0.1,
    callbacks=[EarlyStopping("val_loss", patience=10, restore_best_weights=True)],
)
result = trainer.evaluate(x_test, y_test)
print(f"test accuracy {result['accuracy']:.2%}")
print(confusion_matrix(y_test, trainer.predict(x_test), num_classes=10))
os.makedirs(args.out, exist_ok=True)
save_file(model.state_dict(), os.path.join(args.out, "digits_mlp.safetensors"))
