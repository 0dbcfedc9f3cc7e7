"""An artificial neural network: an MLP learns the 8x8 handwritten digits lamina ships.

Layers of weights times inputs plus biases with ReLU activations, a softmax classifier
trained with cross-entropy (``nn.CrossEntropyLoss`` takes the logits), Adam, mini-batches,
a validation set held out of the training images, early stopping that keeps the best
epoch's weights, then the untouched test set: accuracy and confusion matrix. Writes the
weights (safetensors), the history (CSV) and, with matplotlib, the curves (PNG).
"""

from __future__ import annotations

import os
import time

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.data.datasets import load_digits
from lamina.data.datasets.digits import stratified_split
from lamina.io import save_file
from lamina.train import CSVLogger, EarlyStopping, Trainer, confusion_matrix, summary


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale each pixel to zero mean, unit variance with the training set's statistics."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std < 1e-3] = 1.0  # pixels that are always blank stay 0
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


def build_mlp(hidden=(512, 256), dropout=0.0, n_in=64, n_out=10) -> nn.Sequential:
    """Linear -> ReLU (-> Dropout) blocks, then a Linear layer giving one logit per class."""
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
        width = h
    return nn.Sequential(*layers, nn.Linear(width, n_out))


def format_confusion(cm: np.ndarray) -> str:
    head = "true\\pred " + " ".join(f"{j:>4d}" for j in range(len(cm)))
    rows = [f"{i:>9d} " + " ".join(f"{v:>4d}" for v in row) for i, row in enumerate(cm)]
    return "\n".join([head, *rows])


def digits_splits(seed: int = 0) -> dict:
    """Standardised (x, y) pairs: 90/10 stratified fit/validation of the train split, test."""
    x_all, y_all = load_digits("train", flat=True)  # (1438, 64) in [0, 1], (1438,)
    x_test, y_test = load_digits("test", flat=True)  # (359, 64), (359,)
    fit_idx, val_idx = stratified_split(y_all, test_fraction=0.1, seed=seed)
    x_fit, x_val, x_test = standardize(x_all[fit_idx], x_all[val_idx], x_test)
    return {
        "fit": (x_fit, y_all[fit_idx]),
        "val": (x_val, y_all[val_idx]),
        "test": (x_test, y_test),
    }


def main(
    out_dir: str,
    epochs: int = 60,
    seed: int = 0,
    verbose: int = 1,
    hidden: tuple = (512, 256),
    dropout: float = 0.0,
    patience: int = 10,
) -> dict:
    """Train, test and save the digits MLP; returns accuracy, epochs and timings."""
    start = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    L.manual_seed(seed)
    data = digits_splits(seed)
    model = build_mlp(hidden, dropout)
    if verbose:
        summary(model, (1, 64))
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(label_smoothing=0.1),  # softmax + cross-entropy on logits
        optim.Adam(model.parameters(), lr=1e-3),
        metrics=["accuracy"],
    )
    stop = EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
    csv_path = os.path.join(out_dir, "history.csv")
    history = trainer.fit(
        *data["fit"],
        epochs=epochs,
        validation_data=data["val"],
        callbacks=[stop, CSVLogger(csv_path)],
        verbose=verbose,
    )
    test = trainer.evaluate(*data["test"])
    _report(trainer, data["test"], out_dir, history, stop, verbose)
    return {
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "epochs": len(history.epoch),
        "best_epoch": stop.best_epoch + 1,
        "val_accuracy": history.history["val_accuracy"][stop.best_epoch],
        "seconds": time.perf_counter() - start,
    }


def _report(trainer, test, out_dir, history, stop, verbose) -> None:
    """Confusion matrix, weights, plots; printed when verbose."""
    x_test, y_test = test
    cm = confusion_matrix(y_test, trainer.predict(x_test), num_classes=10)
    weights = os.path.join(out_dir, "ann_digits.safetensors")
    save_file(trainer.model.state_dict(), weights)
    files = {"weights": weights, "history": os.path.join(out_dir, "history.csv")}
    files.update(_plots(history, cm, out_dir))
    if verbose:
        correct = int(np.trace(cm))
        print(
            f"test accuracy {correct / cm.sum():.2%} ({correct}/{cm.sum()}), "
            f"best epoch {stop.best_epoch + 1} of {len(history.epoch)}"
        )
        print(format_confusion(cm))
        print("wrote " + ", ".join(files.values()))


def _plots(history, cm: np.ndarray, out_dir: str) -> dict:
    """Curves and confusion matrix as PNG when matplotlib is installed, else nothing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {}
    from lamina.viz import plot_confusion_matrix, plot_history

    return {
        "curves": plot_history(history, os.path.join(out_dir, "curves.png")),
        "confusion": plot_confusion_matrix(cm, os.path.join(out_dir, "confusion.png")),
    }
