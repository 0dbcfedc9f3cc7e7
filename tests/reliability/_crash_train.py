"""Training script run (and SIGKILLed) by test_crash_safety.py; not a test module.

usage: python _crash_train.py DIR EPOCHS BALLAST_MB [slow]

Trains a small MLP with dropout and Adam on shuffled batches, saves a checkpoint (model
with a BALLAST_MB buffer so that writes take long enough to be interrupted, optimizer, RNG
state, epoch) to DIR/last.safetensors after every epoch, resumes from it when present, and
writes the final weights to DIR/final.safetensors, through lamina.train's
``fit(resume_from=...)`` with ``ModelCheckpoint(save_weights_only=False)``. Prints one line
per event (``saving k``, ``saved k seconds``, ``resumed k``, ``done``) for the parent to
time kills.
"""

import os
import sys
import time

import numpy as np

import lamina
from lamina import nn, optim
from lamina.io import load_checkpoint, save_file


def say(*words) -> None:
    print(*words, flush=True)


def slow_disk(chunk: int = 1 << 18, pause: float = 0.002) -> None:
    """Fault injection: safetensors writes land 256 KiB at a time, 2 ms apart, as on a slow
    disk, so a kill can fall between the first and last byte of a checkpoint write.

    lamina's own path (temp file, fsync, rename) is unchanged; only the byte writer is.
    """
    import safetensors.numpy as stn

    def save_file(arrays, filename, metadata=None):
        data = stn.save(arrays, metadata=metadata)
        with open(filename, "wb") as f:
            for i in range(0, len(data), chunk):
                f.write(data[i : i + chunk])
                f.flush()
                time.sleep(pause)

    stn.save_file = save_file


def setup(ballast_mb: float):
    """Data, model (with a ballast buffer so checkpoints take a while to write), optimizer."""
    lamina.manual_seed(0)
    data = np.random.default_rng(123)  # the data set is fixed, independent of lamina's RNG
    x = data.standard_normal((256, 8)).astype(np.float32)
    y = (x[:, :3].argmax(axis=1)).astype(np.int64)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
    model.register_buffer("ballast", lamina.zeros(int(ballast_mb * 2**20) // 4))
    return x, y, model, optim.Adam(model.parameters(), lr=1e-2)


def trainer_loop(ckpt: str, epochs: int, x, y, model, opt) -> None:
    """lamina.train: fit with ModelCheckpoint(save_weights_only=False) and resume_from."""
    from lamina.train import Callback, ModelCheckpoint, Trainer

    class Announce(Callback):
        """Brackets ModelCheckpoint's write, which happens once every callback has seen
        the epoch (the after-epoch step runs in list order: before, save, after)."""

        def __init__(self, before: bool) -> None:
            self.before, self.t0, self.epoch = before, [0.0], 0

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.epoch = epoch

        def _after_epoch_end(self) -> None:
            if self.before:
                say("saving", self.epoch + 1)
                self.t0[0] = time.perf_counter()
            else:
                say("saved", self.epoch + 1, f"{time.perf_counter() - self.t0[0]:.4f}")

    before = Announce(True)
    after = Announce(False)
    after.t0 = before.t0
    save = ModelCheckpoint(ckpt, save_weights_only=False)
    resume = ckpt if os.path.exists(ckpt) else None
    if resume:
        say("resumed", load_checkpoint(ckpt)["epoch"])
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer=opt)
    trainer.fit(
        x,
        y,
        epochs=epochs,
        batch_size=32,
        callbacks=[before, save, after],
        verbose=0,
        resume_from=resume,
    )


def main(folder: str, epochs: int, ballast_mb: float) -> None:
    ckpt = os.path.join(folder, "last.safetensors")
    x, y, model, opt = setup(ballast_mb)
    trainer_loop(ckpt, epochs, x, y, model, opt)
    final = {k: np.asarray(getattr(v, "data", v)) for k, v in model.state_dict().items()}
    save_file(final, os.path.join(folder, "final.safetensors"))
    say("done")


if __name__ == "__main__":
    if "slow" in sys.argv[4:]:
        slow_disk()
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
