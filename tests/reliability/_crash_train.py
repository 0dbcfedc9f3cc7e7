"""Training script run (and SIGKILLed) by test_crash_safety.py; not a test module.

usage: python _crash_train.py DIR EPOCHS BALLAST_MB [slow]

Trains a small MLP with dropout and Adam over a shuffled DataLoader, saves a checkpoint
(model, optimizer, RNG state, epoch, plus BALLAST_MB of padding so that writes take long
enough to be interrupted) to DIR/last.safetensors after every epoch, resumes from it when
present, and writes the final weights to DIR/final.safetensors. Prints one line per event
(``saving k``, ``saved k seconds``, ``resumed k``, ``done``) for the parent to time kills.
"""

import os
import sys
import time

import numpy as np

import lamina
import lamina.nn.functional as F
from lamina import nn, optim
from lamina.data import DataLoader, TensorDataset
from lamina.io import load_checkpoint, save_checkpoint, save_file
from lamina.random import get_rng_state, set_rng_state


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


def main(folder: str, epochs: int, ballast_mb: float) -> None:
    ckpt = os.path.join(folder, "last.safetensors")
    lamina.manual_seed(0)
    data = np.random.default_rng(123)  # the data set is fixed, independent of lamina's RNG
    x = data.standard_normal((256, 8)).astype(np.float32)
    y = (x[:, :3].argmax(axis=1)).astype(np.int64)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    ballast = np.zeros(int(ballast_mb * 2**20) // 4, np.float32)
    start = 0
    if os.path.exists(ckpt):
        state = load_checkpoint(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
        start = state["epoch"]
        say("resumed", start)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    for epoch in range(start, epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        state = {"model": model.state_dict(), "optimizer": opt.state_dict()}
        state.update(rng=get_rng_state(), epoch=epoch + 1, ballast=ballast)
        say("saving", epoch + 1)
        t0 = time.perf_counter()
        save_checkpoint(state, ckpt)
        say("saved", epoch + 1, f"{time.perf_counter() - t0:.4f}")
    final = {k: np.asarray(getattr(v, "data", v)) for k, v in model.state_dict().items()}
    save_file(final, os.path.join(folder, "final.safetensors"))
    say("done")


if __name__ == "__main__":
    if sys.argv[4:] == ["slow"]:
        slow_disk()
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
