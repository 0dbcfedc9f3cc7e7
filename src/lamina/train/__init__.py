"""Keras's training vocabulary over lamina's PyTorch-style modules (keras.Model.fit).

``Trainer(model, loss, optimizer, metrics, scheduler)`` with ``fit`` / ``evaluate`` /
``predict``; callbacks with Keras's hook names; exact batch-accumulated metrics;
``summary``; resumable training checkpoints.
"""

from . import metrics
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    StopAtTarget,
    TargetStopping,
    TerminateOnNaN,
)
from .checkpoint import load_training_checkpoint, save_training_checkpoint
from .gan import GANTrainer
from .metrics import Metric, confusion_matrix
from .summary import summary
from .tensorboard import TensorBoard, feature_map_grid
from .trainer import Trainer

__all__ = [
    "GANTrainer",
    "Trainer",
    "Callback",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "StopAtTarget",
    "TargetStopping",
    "TensorBoard",
    "TerminateOnNaN",
    "feature_map_grid",
    "Metric",
    "confusion_matrix",
    "metrics",
    "summary",
    "save_training_checkpoint",
    "load_training_checkpoint",
]
