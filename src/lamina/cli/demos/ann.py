"""An artificial neural network: an MLP learns the 8x8 handwritten digits lamina ships.

Layers of weights times inputs plus biases with ReLU activations, a softmax classifier
trained with cross-entropy (``nn.CrossEntropyLoss`` takes the logits), Adam, mini-batches,
a validation set held out of the training images, early stopping that keeps the best
epoch's weights, then the untouched test set: accuracy and confusion matrix. Saves the
model with its recipe (``lamina predict --model-dir lamina_out/ann`` uses it), the
history (CSV) and, with matplotlib, the curves and the confusion matrix (PNG).
"""

from __future__ import annotations

import os
import time

import numpy as np

import lamina as L
from lamina import nn, optim
from lamina.data.datasets import load_digits
from lamina.data.datasets.digits import stratified_split
from lamina.models import digits_mlp
from lamina.train import CSVLogger, EarlyStopping, Trainer, confusion_matrix, summary

from ._common import have


def pixel_stats(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's mean and std over the training set (std 1 where a pixel is always blank)."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std < 1e-3] = 1.0  # pixels that are always blank stay 0
    return mean.astype(np.float32), std.astype(np.float32)


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale each pixel to zero mean, unit variance with the training set's statistics."""
    mean, std = pixel_stats(train)
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


def format_confusion(cm: np.ndarray) -> str:
    head = "true\\pred " + " ".join(f"{j:>4d}" for j in range(len(cm)))
    rows = [f"{i:>9d} " + " ".join(f"{v:>4d}" for v in row) for i, row in enumerate(cm)]
    return "\n".join([head, *rows])


def digits_splits(seed: int = 0) -> dict:
    """Standardised (x, y) pairs: 90/10 stratified fit/validation of the train split, test.

    ``"stats"`` holds the training pixels' (mean, std), which the saved model's
    preprocessing repeats on a new image.
    """
    x_all, y_all = load_digits("train", flat=True)  # (1438, 64) in [0, 1], (1438,)
    x_test, y_test = load_digits("test", flat=True)  # (359, 64), (359,)
    fit_idx, val_idx = stratified_split(y_all, test_fraction=0.1, seed=seed)
    x_fit, x_val, x_test = standardize(x_all[fit_idx], x_all[val_idx], x_test)
    return {
        "fit": (x_fit, y_all[fit_idx]),
        "val": (x_val, y_all[val_idx]),
        "test": (x_test, y_test),
        "stats": pixel_stats(x_all[fit_idx]),
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
    """Train, test and save the digits MLP; returns the figure, the files and the values."""
    start = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    L.manual_seed(seed)
    data = digits_splits(seed)
    model = digits_mlp(hidden, dropout)
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
    files = _report(trainer, data, out_dir, history, stop, verbose)
    n_test = len(data["test"][1])
    correct = int(round(test["accuracy"] * n_test))
    return {
        "figure": f"{test['accuracy']:.1%} test accuracy ({correct}/{n_test})",
        "files": files,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "epochs": len(history.epoch),
        "best_epoch": stop.best_epoch + 1,
        "val_accuracy": history.history["val_accuracy"][stop.best_epoch],
        "seconds": time.perf_counter() - start,
    }


def _report(trainer, data, out_dir, history, stop, verbose) -> list[str]:
    """Confusion matrix, the saved model, plots; printed when verbose. Returns the files."""
    x_test, y_test = data["test"]
    cm = confusion_matrix(y_test, trainer.predict(x_test), num_classes=10)
    mean, std = data["stats"]
    preprocessing = {"size": [8, 8], "channels": 1, "invert": "auto", "flatten": True}
    trainer.model.save_pretrained(
        out_dir,
        task="image-classification",
        class_names=[str(d) for d in range(10)],
        preprocessing={**preprocessing, "mean": mean.tolist(), "std": std.tolist()},
    )
    files = [os.path.join(out_dir, f) for f in ("model.safetensors", "config.json")]
    files.append(os.path.join(out_dir, "history.csv"))
    if verbose:
        correct = int(np.trace(cm))
        print(
            f"test accuracy {correct / cm.sum():.2%} ({correct}/{cm.sum()}), "
            f"best epoch {stop.best_epoch + 1} of {len(history.epoch)}"
        )
        print(format_confusion(cm))
    files += _plots(history, cm, out_dir)
    return files


def _plots(history, cm: np.ndarray, out_dir: str) -> list[str]:
    """Curves and confusion matrix as PNG when matplotlib is installed, else a note."""
    if not have("matplotlib", "curves.png and confusion.png"):
        return []
    from lamina.viz import plot_confusion_matrix, plot_history

    return [
        plot_history(history, os.path.join(out_dir, "curves.png"), title="MLP on the 8x8 digits"),
        plot_confusion_matrix(
            cm,
            os.path.join(out_dir, "confusion.png"),
            title="MLP on the digits: test confusion matrix",
        ),
    ]
