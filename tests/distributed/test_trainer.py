"""Trainer.fit under mpiexec -n 2: sharded data, whole-set validation metrics, rank-0 output
and files, callbacks that agree across ranks, resume; and a failing rank ends the job."""

import csv
import json
import time

import numpy as np
import pytest

import lamina
from tests.distributed import setup_fit as S
from tests.distributed.mpi import check, run_mpi


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit")
    stdout = check(run_mpi("trainer_fit.py", str(out)))
    return out, stdout


def test_ranks_agree_and_only_rank_zero_prints_and_writes(fitted):
    out, stdout = fitted
    h0, h1 = (json.loads((out / f"history_{r}.json").read_text()) for r in (0, 1))
    for run in ("first", "resumed", "loader"):  # each rank times its own epochs
        h0[run].pop("seconds"), h1[run].pop("seconds")
    assert h0 == h1  # the same logs on every rank: the same callback decisions
    epochs = len(h0["first"]["loss"])
    assert epochs == 2  # EarlyStopping stopped every rank after the same epoch
    lines = [ln for ln in stdout.splitlines() if ln.startswith("Epoch")]
    assert len(lines) == epochs  # rank 0's lines only (rank 1 is silent)
    rows = list(csv.reader((out / "run.csv").open()))
    assert len(rows) == 1 + epochs  # one writer: a header and a row per epoch


def test_resume_under_the_same_world_size_continues_as_never_stopped(fitted):
    out, _ = fitted
    h = json.loads((out / "history_0.json").read_text())
    assert h["epochs"] == [0, 1]
    for key, values in h["first"].items():
        if key != "seconds":
            assert h["resumed"][key] == pytest.approx(values, rel=1e-6), key


def test_validation_metrics_cover_the_whole_set(fitted):
    """val_loss / val_accuracy of the last epoch equal one process's evaluate() of the
    final weights on all 203 validation samples."""
    out, _ = fitted
    hist = json.loads((out / "history_0.json").read_text())["first"]
    t = S.trainer()
    t.model.load_state_dict({k: lamina.tensor(v) for k, v in np.load(out / "weights.npz").items()})
    _, (vx, vy) = S.data()
    want = t.evaluate(vx, vy, batch_size=16)
    assert hist["val_accuracy"][-1] == pytest.approx(want["accuracy"], abs=1e-12)
    assert hist["val_loss"][-1] == pytest.approx(want["loss"], rel=1e-5)


def test_resume_with_another_world_size_says_so(fitted, tmp_path):
    from lamina.train import CSVLogger, EarlyStopping, ModelCheckpoint

    out, _ = fitted
    (x, y), (vx, vy) = S.data()
    cbs = [
        EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1),
        ModelCheckpoint(str(tmp_path / "c-{epoch}.safetensors"), save_weights_only=False),
        CSVLogger(str(tmp_path / "log.csv")),
    ]
    with pytest.warns(UserWarning, match=r"written by a run of 2 rank\(s\), this run has 1"):
        S.trainer().fit(
            x, y, epochs=3, validation_data=(vx, vy), callbacks=cbs, verbose=0,
            resume_from=out / "run-1.safetensors",
        )  # fmt: skip


def test_an_exception_on_one_rank_ends_every_rank():
    start = time.monotonic()
    proc = run_mpi("fault.py", timeout=120)  # a hang would raise TimeoutExpired here
    assert proc.returncode != 0
    assert "[rank 1] uncaught exception" in proc.stderr
    assert "boom on rank 1 at batch 5" in proc.stderr
    assert "unreachable" not in proc.stdout
    assert time.monotonic() - start < 120


def test_a_non_zero_exit_on_one_rank_ends_every_rank():
    proc = run_mpi("fault.py", "exit", timeout=120)
    assert proc.returncode == 3
    assert "[rank 1] sys.exit(3): aborting the MPI job" in proc.stderr
    assert "unreachable" not in proc.stdout


def test_trainer_subclasses_average_their_steps():
    """scripts/subclasses.py: a train_step calling the bare model, and the GANTrainer."""
    out = check(run_mpi("subclasses.py"))
    assert "rank 0: ok" in out and "rank 1: ok" in out
