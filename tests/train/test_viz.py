"""History curves and confusion matrix plots are written as PNG files."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from lamina.train import History  # noqa: E402
from lamina.viz import plot_confusion_matrix, plot_history  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def test_plot_history_writes_png(tmp_path):
    h = History()
    for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.3, 0.6)]):
        h.on_epoch_end(
            epoch,
            {
                "loss": loss,
                "val_loss": val,
                "accuracy": 0.5 + epoch / 10,
                "lr": 0.1 / (epoch + 1),
                "seconds": 0.1,
            },
        )
    path = plot_history(h, tmp_path / "sub" / "curves.png")
    assert open(path, "rb").read(8) == PNG
    assert plot_history(h.history, tmp_path / "loss.png", keys=["loss"]).endswith("loss.png")
    with pytest.raises(ValueError, match="non-empty"):
        plot_history({}, tmp_path / "x.png")


def test_plot_confusion_matrix_writes_png(tmp_path):
    path = plot_confusion_matrix(np.array([[5, 1], [2, 7]]), tmp_path / "cm.png", ["no", "yes"])
    assert open(path, "rb").read(8) == PNG
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "bad.png")
