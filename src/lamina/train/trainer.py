"""Trainer: Keras's ``fit`` / ``evaluate`` / ``predict`` over a lamina (PyTorch-style) module.

One straight loop: for each epoch, for each batch: forward, loss, backward, optimizer
step, metrics; then validation under ``no_grad`` in eval mode, the scheduler step and
the callbacks. The module stays an ordinary ``lamina.nn.Module``; the Trainer holds what
Keras's ``compile`` would (loss, optimizer, metrics, scheduler).

Example:
    >>> trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
    ...                   metrics=["accuracy"])
    >>> history = trainer.fit(X, y, epochs=10, validation_split=0.1)
    >>> trainer.evaluate(X_test, y_test)
    {'loss': 0.08, 'accuracy': 0.97}
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..data import DataLoader, Subset, TensorDataset
from ..nn.hooks import training_mode
from . import checkpoint as ckpt
from . import split
from .batches import Means, array, batch_size_of, is_array, is_dataset, split_batch
from .callbacks import Callback, CallbackList, History
from .distributed import Sharding, rank
from .losses import resolve_loss, steps_on_a_metric
from .metrics import Metric, get_metric
from .progress import EpochProgress

__all__ = ["Trainer"]


class Trainer:
    """Fit a module with a loss, an optimizer and metrics (keras.Model.compile + fit).

    Args:
        model: a ``lamina.nn.Module`` (any callable with ``parameters()``, ``train()``,
            ``eval()``, ``state_dict()`` works).
        loss: ``loss(output, target) -> scalar Tensor`` such as ``nn.CrossEntropyLoss()``,
            or a name: ``"cross_entropy"``, ``"mse"``, ``"mae"``, ``"bce"`` ...
        optimizer: a ``lamina.optim`` optimizer over the model's parameters (only
            ``evaluate``/``predict`` work without one).
        metrics: names (``"accuracy"``, ``"top5"``, ``"mae"``, ``"f1"`` ...), Metric objects
            or functions ``fn(y_true, y_pred) -> float``; see :mod:`lamina.train.metrics`.
        scheduler: a ``lamina.optim.lr_scheduler`` stepped after every epoch. One whose
            ``step`` requires an argument (``ReduceLROnPlateau.step(metrics)``, torch's as
            well) is stepped with ``logs[scheduler_monitor]``; others with ``step()``.
        scheduler_monitor: the logs key for a metric-driven scheduler; default
            ``"val_loss"`` when there is validation data, else ``"loss"``.

    Under MPI (``lamina.distributed.init_process_group()`` in an ``mpiexec`` job) ``fit`` and
    ``evaluate`` shard the data over the ranks and average the gradients; see
    :mod:`lamina.train.distributed` and docs/distributed.md.

    Attributes:
        history: the :class:`History` of the last ``fit``.
        stop_training: set by a callback to end ``fit`` after the current batch.
    """

    def __init__(
        self,
        model: Any,
        loss: Any,
        optimizer: Any = None,
        metrics: Iterable[Any] = (),
        scheduler: Any = None,
        scheduler_monitor: str | None = None,
    ) -> None:
        if isinstance(metrics, (str, Metric)) or callable(metrics):
            metrics = [metrics]
        self.model, self.loss_fn, self.optimizer = model, resolve_loss(loss), optimizer
        self.metrics = [get_metric(m) for m in metrics]
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names) or "loss" in names:
            raise ValueError(f"Trainer: metric names must be distinct and not 'loss', got {names}")
        self._val_metrics = copy.deepcopy(self.metrics)
        self.scheduler, self.scheduler_monitor = scheduler, scheduler_monitor
        self.history = History()
        self.stop_training = False
        self._shard = Sharding.alone()  # set per fit (see .distributed)

    # ---- data -------------------------------------------------------------------------
    def _loader(self, x: Any, y: Any, batch_size: int, shuffle: bool, where: str) -> Any:
        """A DataLoader over arrays (x, y), a Dataset, or a DataLoader given as is."""
        if isinstance(x, DataLoader) or (
            hasattr(x, "__iter__") and not is_dataset(x) and not is_array(x)
        ):
            if y is not None:
                raise TypeError(f"{where}: y must be None when x is a DataLoader (got y={y!r})")
            return x
        if is_dataset(x):
            if y is not None:
                raise TypeError(f"{where}: y must be None when x is a Dataset (got y={y!r})")
            return self._new_loader(x, batch_size, shuffle, where)
        arrays = [array(x)] + ([] if y is None else [array(y)])
        if len(arrays) == 2 and len(arrays[0]) != len(arrays[1]):
            raise ValueError(
                f"{where}: x has {len(arrays[0])} samples but y has {len(arrays[1])}; "
                "expected the same number"
            )
        return self._new_loader(TensorDataset(*arrays), batch_size, shuffle, where)

    def _new_loader(self, dataset: Any, batch_size: int, shuffle: bool, where: str) -> Any:
        """A DataLoader; under MPI each rank's shard of the data (see .distributed)."""
        sharded = self._shard.loader(dataset, batch_size, shuffle, where)
        return sharded or DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)

    def _fit_data(self, x, y, batch_size, shuffle, validation_data, validation_split):
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split={validation_split!r}, expected 0 <= s < 1")
        if validation_split and validation_data is None:
            if isinstance(x, DataLoader) or not (is_array(x) or is_dataset(x)):
                raise ValueError("fit: validation_split needs arrays or a Dataset, not a loader")
            labels = split.class_labels(x, None if y is None else array(y))
            keep, held = split.split_indices(len(x), validation_split, labels)
            if is_array(x):
                xa, ya = array(x), None if y is None else array(y)
                validation_data = (xa[held], None if ya is None else ya[held])
                x, y = xa[keep], None if ya is None else ya[keep]
            else:
                x, validation_data = Subset(x, keep), Subset(x, held)
        train = self._loader(x, y, batch_size, shuffle, "fit")
        if validation_data is None:
            return train, None
        if isinstance(validation_data, tuple):
            vx, vy = validation_data if len(validation_data) == 2 else (validation_data[0], None)
            val = self._loader(vx, vy, batch_size, False, "fit validation_data")
        else:
            vx, vy = validation_data, None
            val = self._loader(validation_data, None, batch_size, False, "fit validation_data")
        split.warn_missing_classes(
            split.class_labels(x, None if y is None else array(y)),
            split.class_labels(vx, None if vy is None else array(vy)),
        )
        return train, val

    # ---- steps ------------------------------------------------------------------------
    def train_step(self, batch: Any) -> dict[str, float | None]:
        """One update on one batch (keras.Model.train_step); returns the batch's values.

        Forward, loss, backward, optimizer step, metrics update; returns ``{"loss": mean
        loss of the batch}``. Override it for special training (``GANTrainer`` does): ``fit``
        averages each returned value over the epoch, weighted by batch size; ``None`` means
        "not measured on this batch" (an epoch that never measures a key logs NaN).
        """
        inputs, target = split_batch(batch)
        if target is None:
            raise ValueError("fit: batches must hold (inputs, target); got inputs only")
        self.optimizer.zero_grad()
        output = self.model(*inputs)
        loss = self.loss_fn(output, target)
        loss.backward()
        self.optimizer.step()
        for m in self.metrics:
            m.update(array(target), array(output))
        return {"loss": float(loss.item())}

    def test_step(self, batch: Any, metrics: list[Metric]) -> tuple[float, int]:
        """Loss and metrics on one batch, no update (call under no_grad)."""
        inputs, target = split_batch(batch)
        if target is None:
            raise ValueError("evaluate: batches must hold (inputs, target); got inputs only")
        output = self.model(*inputs)
        for m in metrics:
            m.update(array(target), array(output))
        return float(self.loss_fn(output, target).item()), len(array(target))

    # ---- fit --------------------------------------------------------------------------
    def fit(
        self,
        x: Any,
        y: Any = None,
        epochs: int = 1,
        batch_size: int = 32,
        validation_data: Any = None,
        validation_split: float = 0.0,
        shuffle: bool = True,
        callbacks: Iterable[Callback] = (),
        verbose: int = 1,
        initial_epoch: int = 0,
        resume_from: str | os.PathLike | None = None,
    ) -> History:
        """Train for ``epochs`` epochs (keras.Model.fit); returns the :class:`History`.

        Args:
            x: inputs as an array/Tensor (with ``y``), a Dataset yielding (input, target),
                or a DataLoader (then ``batch_size`` and ``shuffle`` are its own).
            y: targets when ``x`` is an array.
            epochs: the index of the last epoch (with ``initial_epoch``), as Keras.
            batch_size: samples per update.
            validation_data: ``(x_val, y_val)``, a Dataset or a DataLoader.
            validation_split: share of ``x`` held out for validation, drawn at random with
                a fixed seed; stratified (that share of every class) when the targets are
                integer class labels (1-D ``y``, a Dataset's ``targets``, a TensorDataset's
                last tensor). Keras holds out the last samples instead, which validates on
                the last classes only when the data is sorted by class.
            shuffle: reshuffle every epoch, drawing from lamina's global RNG.
            callbacks: Callback objects; a History is always added first.

        Warns (UserWarning) when the validation data lacks classes the training data has.
            verbose: 0 silent, 1 progress bar (one line per epoch when not a terminal),
                2 one line per epoch.
            initial_epoch: epoch to start at (0-based).
            resume_from: a training checkpoint (see :meth:`save_checkpoint`); restores
                model, optimizer, scheduler, RNG and history and continues after its epoch.
        """
        if self.optimizer is None:
            raise ValueError("fit: the Trainer has no optimizer; pass optimizer=...")
        self._begin_fit()
        self._shard = Sharding()
        verbose = verbose if rank() == 0 else 0  # under MPI only rank 0 prints
        train, val = self._fit_data(x, y, batch_size, shuffle, validation_data, validation_split)
        callbacks = list(callbacks)
        cbs = CallbackList(callbacks, self)  # checks the callbacks, binds them to the trainer
        restore = None
        if resume_from is not None:  # every part checked before anything changes
            restore = ckpt.read_training_checkpoint(resume_from, self, callbacks)
            self._shard.check_resume(restore.state, resume_from)
        self.history = History()
        if restore is not None:
            restore.apply_core()
            initial_epoch = restore.epoch
        self._shard.distribute(self)
        cbs = CallbackList([self.history, *callbacks], self)
        self._callbacks = callbacks
        self.stop_training = False
        self.model.__dict__["stop_training"] = False
        logs: dict[str, Any] = {}
        cbs.call("on_train_begin", logs)
        if restore is not None:
            restore.apply_callbacks()
            self.stop_training = restore.stopped  # the checkpointed run had ended
        for epoch in range(initial_epoch, epochs):
            if self._shard.any_rank(self._stopping()):
                break
            logs = self._fit_epoch(epoch, epochs, train, val, cbs, verbose)
        cbs.call("on_train_end", logs)
        return self.history

    def _distribute(self, wrap: Callable[[Any], Any]) -> list[Any]:
        """Under MPI, ``wrap`` each module whose gradients a step averages (the model; a
        subclass whose steps run several modules apart, as GANTrainer, wraps each)."""
        return [wrap(self.model)]

    def _begin_fit(self) -> None:
        """Reset per-fit state before the first epoch (a subclass's step counters)."""

    def _lr_logs(self) -> dict[str, float]:
        """The learning rate(s) this epoch trains with, for the logs."""
        return {"lr": float(self.optimizer.param_groups[0]["lr"])}

    def _stopping(self) -> bool:
        return self.stop_training or bool(self.model.__dict__.get("stop_training", False))

    def _fit_epoch(self, epoch, epochs, train, val, cbs, verbose) -> dict[str, Any]:
        start = time.perf_counter()
        cbs.call("on_epoch_begin", epoch, {})
        self._shard.begin_epoch(train, epoch)
        lrs = self._lr_logs()  # read before the scheduler steps: the lr this epoch used
        total = len(train) if hasattr(train, "__len__") else None
        bar = EpochProgress(verbose, epoch, epochs, total)
        logs = self._train_epoch(train, cbs, bar)
        if val is not None:
            val_logs = self._evaluate_loader(val)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        logs = self._shard.agree({**logs, **lrs})  # rank 0's, so every rank decides alike
        self._step_scheduler(logs)
        logs["seconds"] = time.perf_counter() - start
        cbs.call("on_epoch_end", epoch, logs)
        bar.close(logs)
        return logs

    def _train_epoch(self, loader: Any, cbs: CallbackList, bar: EpochProgress) -> dict[str, Any]:
        self.model.train()
        for m in self.metrics:
            m.reset()
        means, logs = Means(), {}
        for b, batch in enumerate(loader):
            cbs.call("on_train_batch_begin", b, {})
            self._shard.before_step()
            means.add(self.train_step(batch), batch_size_of(batch))
            logs = {**means.result(), **{m.name: m.result() for m in self.metrics}}
            cbs.call("on_train_batch_end", b, logs)
            bar.update(logs)
            if self._shard.any_rank(self._stopping()):
                self.stop_training = True
                break
        if not means.batches:
            raise ValueError("fit: the training data gave no batches")
        self._shard.reduce_means(means)
        self._shard.reduce_metrics(self.metrics)
        return {**means.result(), **{m.name: m.result() for m in self.metrics}}

    def _step_scheduler(self, logs: dict[str, Any]) -> None:
        if self.scheduler is None:
            return
        if steps_on_a_metric(self.scheduler):
            key = self.scheduler_monitor or ("val_loss" if "val_loss" in logs else "loss")
            if key not in logs:
                raise ValueError(f"fit: scheduler_monitor {key!r} is not in logs {sorted(logs)}")
            if math.isfinite(logs[key]):
                self.scheduler.step(logs[key])
        else:
            self.scheduler.step()

    # ---- evaluate / predict -----------------------------------------------------------
    def _evaluate_loader(self, loader: Any) -> dict[str, float]:
        for m in self._val_metrics:
            m.reset()
        loss_sum, count = 0.0, 0
        with training_mode(self.model, False), no_grad():
            for batch in loader:
                loss, n = self.test_step(batch, self._val_metrics)
                loss_sum, count = loss_sum + loss * n, count + n
        loss_sum, count = self._shard.reduce_eval(loss_sum, count)  # over the ranks' shards
        self._shard.reduce_metrics(self._val_metrics)
        if count == 0:
            raise ValueError("evaluate: the data gave no batches")
        return {"loss": loss_sum / count, **{m.name: m.result() for m in self._val_metrics}}

    def evaluate(self, x: Any, y: Any = None, batch_size: int = 32, verbose: int = 0) -> dict:
        """Loss and metrics over a whole data set (keras.Model.evaluate, return_dict=True).

        Runs in eval mode under ``no_grad``; the model's modes are restored afterwards.
        Returns ``{"loss": ..., <metric name>: ...}``, exact over all samples.
        """
        self._shard = Sharding()
        logs = self._evaluate_loader(self._loader(x, y, batch_size, False, "evaluate"))
        if verbose and rank() == 0:
            from .progress import format_logs

            print(f"evaluate - {format_logs(logs)}")
        return logs

    def predict(self, x: Any, batch_size: int = 32) -> np.ndarray | tuple[np.ndarray, ...]:
        """The model's outputs for ``x`` as NumPy (keras.Model.predict), in eval mode, no_grad.

        A Dataset or DataLoader yielding (input, target) pairs is accepted; targets are
        ignored. A model returning a tuple gives a tuple of arrays.
        """
        loader = self._loader(x, None, batch_size, False, "predict")
        outputs = []
        with training_mode(self.model, False), no_grad():
            for batch in loader:
                inputs, _ = split_batch(batch)
                outputs.append(self.model(*inputs))
        if not outputs:
            raise ValueError("predict: the data gave no batches")
        if isinstance(outputs[0], tuple):
            return tuple(
                np.concatenate([array(o[i]) for o in outputs]) for i in range(len(outputs[0]))
            )
        return np.concatenate([array(o) for o in outputs])

    # ---- checkpoints ------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike, epoch: int | None = None) -> None:
        """Write a training checkpoint after ``epoch`` finished epochs (default: as recorded)."""
        done = (
            epoch
            if epoch is not None
            else (self.history.epoch[-1] + 1 if self.history.epoch else 0)
        )
        if rank() == 0:  # under MPI the ranks hold the same state: rank 0 writes it
            ckpt.save_training_checkpoint(path, self, done)

    def load_checkpoint(self, path: str | os.PathLike) -> int:
        """Restore a training checkpoint; returns the epoch to continue from."""
        return ckpt.load_training_checkpoint(path, self)
