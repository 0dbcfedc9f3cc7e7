"""TensorBoard: write training logs as TensorBoard event files (keras.callbacks.TensorBoard).

The events are written by tensorboardX (the ``tensorboard`` extra:
``pip install -e ".[tensorboard]"``), a small, maintained writer that needs neither
TensorFlow nor torch. As in Keras, each fit writes two runs under ``log_dir``: ``train``
and ``validation``, with the tags ``epoch_loss``, ``epoch_<metric>`` (the validation run
holds the ``val_`` values under the same tags, so TensorBoard overlays the two curves),
``epoch_learning_rate`` and, with ``update_freq``, ``batch_<name>``.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .base import Callback

__all__ = ["TensorBoard", "feature_map_grid"]

_HPARAM_TYPES = (bool, str, int, float)


def _writer_class() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ImportError(
            "TensorBoard needs the tensorboardX writer: pip install -e '.[tensorboard]' "
            f"(or pip install tensorboardX); import failed: {e}"
        ) from None
    return SummaryWriter


def _as_array(x: Any) -> np.ndarray:
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def feature_map_grid(activations: Any, nrow: int = 8, padding: int = 1) -> np.ndarray:
    """One (H', W', 1) uint8 grid of a layer's feature maps, each scaled to its own range.

    Args:
        activations: ``(C, H, W)`` or ``(1, C, H, W)`` outputs of a convolution (the first
            sample of a batch is shown when N > 1).
        nrow: maps per row; ``padding``: pixels between maps.

    Each map is stretched to [0, 255] separately (a constant map becomes 0), as
    Keras-era feature-map viewers do, so weak channels stay visible.
    """
    from ..viz.images import make_grid

    a = _as_array(activations).astype(np.float32)
    if a.ndim == 4:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(
            f"feature_map_grid: expected (C, H, W) or (N, C, H, W) activations, got {a.shape}"
        )
    lo = a.min(axis=(1, 2), keepdims=True)
    span = a.max(axis=(1, 2), keepdims=True) - lo
    a = np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0)
    return make_grid(a[:, None], nrow=nrow, padding=padding)  # values already in [0, 1]


def _image_hwc(name: str, image: Any) -> np.ndarray:
    """An image callback's result as an (H, W, C) uint8 array."""
    from ..viz.images import make_grid

    a = _as_array(image)
    if a.ndim == 4 or (a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3)):
        # (N, C, H, W) or (C, H, W) floats in [-1, 1] as a generator's tanh gives
        return make_grid(
            a if a.ndim == 4 else a[None], padding=1, normalize=True, value_range=(-1, 1)
        )
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3) or a.dtype != np.uint8:
        raise ValueError(
            f"TensorBoard: image {name!r} must be (N, C, H, W) or (C, H, W) floats in [-1, 1], "
            f"or an (H, W[, 1|3]) uint8 array; got {a.dtype} of shape {a.shape}"
        )
    return a


class TensorBoard(Callback):
    """Log scalars, histograms, images and hyperparameters for TensorBoard.

    Keras's ``keras.callbacks.TensorBoard`` names where they carry over.

    Args:
        log_dir: the folder; runs ``train`` and ``validation`` are written below it.
        histogram_freq: every this many epochs, write a histogram of every parameter
            (tag ``weights/<name>``) and, with ``write_grads``, of its last gradient
            (tag ``gradients/<name>``); 0 writes none.
        write_grads: also write gradient histograms (Keras 2's argument).
        update_freq: ``"epoch"``; ``"batch"`` to also write ``batch_<name>`` scalars after
            every training batch; or an int N to write them every N batches.
        images: name -> zero-argument callable returning an image to log, e.g. a GAN's
            samples ``lambda: G(z_fixed)`` ((N, C, H, W) in [-1, 1], shown as a grid) or a
            CNN's feature maps ``lambda: feature_map_grid(model.features[:2](x))``.
        image_freq: write ``images`` every this many epochs.
        hparams: hyperparameters (name -> bool, str, int or float) for the HParams
            dashboard; the final epoch's logs are written beside them as its metrics.
    """

    rank_zero_only = True  # under MPI only rank 0 writes

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_grads: bool = True,
        update_freq: str | int = "epoch",
        images: Mapping[str, Callable[[], Any]] | None = None,
        image_freq: int = 1,
        hparams: Mapping[str, Any] | None = None,
    ) -> None:
        self._writer_cls = _writer_class()
        self.log_dir = os.fspath(log_dir)
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(
                f"TensorBoard: histogram_freq must be an int >= 0, got {histogram_freq!r}"
            )
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and update_freq >= 1
        ):
            raise ValueError(
                f"TensorBoard: update_freq={update_freq!r}, expected 'epoch', 'batch' "
                "or an int >= 1"
            )
        if not isinstance(image_freq, int) or image_freq < 1:
            raise ValueError(f"TensorBoard: image_freq must be an int >= 1, got {image_freq!r}")
        self.histogram_freq, self.write_grads = histogram_freq, write_grads
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.images = dict(images or {})
        for name, fn in self.images.items():
            if not callable(fn):
                raise TypeError(f"TensorBoard: images[{name!r}] must be callable, got {fn!r}")
        self.image_freq = image_freq
        self.hparams = _check_hparams(hparams or {})
        self._writers: dict[str, Any] = {}
        self._step = 0

    # ---- writers ----------------------------------------------------------------------
    def _writer(self, run: str) -> Any:
        if run not in self._writers:
            self._writers[run] = self._writer_cls(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs: dict | None = None) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        self._step = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step += 1
        if self.update_freq == "epoch" or self._step % self.update_freq:
            return
        for key, value in _scalars(logs):
            self._writer("train").add_scalar(f"batch_{key}", value, self._step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in _scalars(logs):
            run, key = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            key = "learning_rate" if key == "lr" else key
            self._writer(run).add_scalar(f"epoch_{key}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._histograms(epoch)
        if self.images and epoch % self.image_freq == 0:
            for name, fn in self.images.items():
                image = _image_hwc(name, fn())
                self._writer("train").add_image(name, image, epoch, dataformats="HWC")
        for w in self._writers.values():
            w.flush()

    def _histograms(self, epoch: int) -> None:
        writer = self._writer("train")
        for name, p in self.model.named_parameters():
            writer.add_histogram(f"weights/{name}", _as_array(p).astype(np.float64), epoch)
            if self.write_grads and p.grad is not None:
                grad = _as_array(p.grad).astype(np.float64)
                writer.add_histogram(f"gradients/{name}", grad, epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.hparams:
            self._write_hparams(dict(_scalars(logs)))
        for w in self._writers.values():
            w.close()
        self._writers = {}

    def _write_hparams(self, final: dict[str, float]) -> None:
        from tensorboardX.summary import hparams

        # tensorboardX's convention: the metrics live under hparam/<name> in the same run,
        # apart from the epoch_ curves, so the HParams table shows the final values.
        metrics = {f"hparam/{k}": v for k, v in final.items()}
        writer = self._writer("train")
        for summary in hparams(self.hparams, metrics):
            writer.file_writer.add_summary(summary)
        for key, value in metrics.items():
            writer.add_scalar(key, value, 0)


def _scalars(logs: dict | None) -> list[tuple[str, float]]:
    """The real-number values of a logs dict, as floats (other values are not scalars)."""
    out = []
    for key, value in (logs or {}).items():
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out.append((key, float(value)))
        elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
            out.append((key, float(value)))
    return out


def _check_hparams(hparams: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in hparams.items():
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(key, str) or not isinstance(value, _HPARAM_TYPES):
            raise TypeError(
                f"TensorBoard: hparams[{key!r}] = {value!r}; expected str keys and bool, str, "
                "int or float values"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"TensorBoard: hparams[{key!r}] = {value!r} is not finite")
        out[key] = value
    return out
