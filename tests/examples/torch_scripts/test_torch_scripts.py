"""PyTorch's example scripts run on lamina with only their import lines changed.

Each file here is the core of a pytorch/examples script, written from memory (see its
header for what stands in for argparse and the data files). The harness runs the same source
twice: as written with the real torch, and with its ``import torch...`` /
``torchvision.utils`` lines rewritten to lamina (``import lamina as torch``). Both runs get
the same generated data, the same initial weights (the script calls ``on_model`` once its
models exist: lamina's weights are recorded and loaded into torch's), the same noise
(``randn``/``randn_like`` draw from one shared NumPy stream after the framework's own call
has checked its arguments) and dropout at p=0 (masks cannot be shared). Every number the
script prints and every trained weight must agree to float32 rounding (float64 for the
LBFGS script).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import lamina

from ...utils.test_grid import tv_make_grid, tv_pixels

torch = pytest.importorskip("torch")  # every test here runs a script under torch too

HERE = Path(__file__).parent


def to_lamina(source: str) -> str:
    """Rewrite only the import lines: torch -> lamina, torchvision.utils -> lamina.utils."""
    out = []
    for line in source.splitlines():
        if re.match(r"\s*(import|from)\s+torch", line):
            line = line.replace("torchvision.utils", "lamina.utils")
            line = re.sub(r"\btorch\b", "lamina", line)
            line = re.sub(r"^(\s*)import lamina$", r"\1import lamina as torch", line)
        out.append(line)
    return "\n".join(out) + "\n"


def _fake_torchvision() -> types.ModuleType:
    """torchvision is not installed: its save_image, transcribed, for the torch runs."""

    def save_image(tensor, fp, **kwargs):
        Image.fromarray(tv_pixels(tv_make_grid(tensor.detach(), **kwargs))).save(fp)

    tv = types.ModuleType("torchvision")
    tv.utils = types.ModuleType("torchvision.utils")
    tv.utils.save_image = save_image
    tv.utils.make_grid = tv_make_grid
    return tv


def _shared_noise(monkeypatch, module, rng, is_torch: bool) -> None:
    """randn / randn_like return the shared stream's numbers after the real call checks args."""
    real_randn, real_like = module.randn, module.randn_like

    def wrap(real_out):
        a = rng.standard_normal(tuple(real_out.shape))
        a = a.astype(np.float64 if "64" in str(real_out.dtype) else np.float32)
        return torch.from_numpy(a) if is_torch else lamina.tensor(a)

    monkeypatch.setattr(module, "randn", lambda *a, **k: wrap(real_randn(*a, **k)))
    monkeypatch.setattr(module, "randn_like", lambda *a, **k: wrap(real_like(*a, **k)))


class _Shared:
    """Initial weights recorded from the lamina run and loaded into the torch run."""

    def __init__(self):
        self.states: list[dict] = []

    def hook(self, is_torch: bool):
        def on_model(*models):
            for i, m in enumerate(models):
                for sub in m.modules():
                    if type(sub).__name__.startswith("Dropout"):
                        sub.p = 0.0
                    if isinstance(getattr(sub, "dropout", None), float):
                        sub.dropout = 0.0  # RNN between-layer dropout
                if is_torch:
                    m.load_state_dict(
                        {k: torch.from_numpy(v.copy()) for k, v in self.states[i].items()}
                    )
                else:
                    self.states.append({k: np.asarray(v).copy() for k, v in m.state_dict().items()})

        return on_model


def run(name: str, framework: str, cfg: dict, shared: _Shared, monkeypatch):
    """Exec the script for ``framework`` and call its main(cfg); returns (result, stdout)."""
    source = (HERE / f"{name}.py").read_text()
    is_torch = framework == "torch"
    if not is_torch:
        source = to_lamina(source)
    with monkeypatch.context() as mp:
        fake = _fake_torchvision()
        mp.setitem(sys.modules, "torchvision", fake)
        mp.setitem(sys.modules, "torchvision.utils", fake.utils)
        _shared_noise(mp, torch if is_torch else lamina, np.random.default_rng(1234), is_torch)
        module = types.ModuleType(f"{framework}_{name}")  # importable, so torch can pickle
        mp.setitem(sys.modules, module.__name__, module)  # the script's classes by name
        ns = module.__dict__
        exec(compile(source, str(HERE / f"{name}.py"), "exec"), ns)
        if is_torch and cfg.get("save_model"):
            cfg = dict(cfg, save_model=cfg["save_model"] + ".torch")  # lamina's file stays
        args = SimpleNamespace(**cfg, on_model=shared.hook(is_torch))
        if is_torch:
            args = _to_torch_data(args)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            result = ns["main"](args)
    return result, buf.getvalue()


def _to_torch_data(args):
    for key, value in vars(args).items():
        if isinstance(value, lamina.utils.data.TensorDataset):
            setattr(
                args,
                key,
                torch.utils.data.TensorDataset(
                    *(torch.from_numpy(np.asarray(t).copy()) for t in value.tensors)
                ),
            )
    return args


NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?|[-+]?\d+")


def _numbers(text: str):
    """Every number printed, with the tolerance its printed precision allows."""
    vals, tols = [], []
    for m in NUMBER.finditer(text):
        s = m.group()
        vals.append(float(s))
        decimals = len(s.split(".")[1].split("e")[0]) if "." in s else 0
        tols.append(1.01 * 10.0**-decimals if decimals and "e" not in s else 0.0)
    return np.array(vals), np.array(tols)


def _weights(model):
    return {
        k: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v).copy()
        for k, v in model.state_dict().items()
    }


def compare(name, cfg, monkeypatch, rtol=2e-4, atol=2e-5):
    shared = _Shared()
    ours, out_l = run(name, "lamina", cfg, shared, monkeypatch)
    theirs, out_t = run(name, "torch", cfg, shared, monkeypatch)
    assert shared.states, "the script never called on_model"
    vl, tol = _numbers(out_l)
    vt, _ = _numbers(out_t)
    assert len(vl) == len(vt) > 0, (out_l, out_t)
    bad = np.abs(vl - vt) > np.maximum(tol, atol + rtol * np.abs(vt))
    assert not bad.any(), f"printed numbers differ:\n--- lamina\n{out_l}\n--- torch\n{out_t}"
    models_l = ours if isinstance(ours, tuple) else (ours,)
    models_t = theirs if isinstance(theirs, tuple) else (theirs,)
    models = [(ml, mt) for ml, mt in zip(models_l, models_t) if hasattr(ml, "state_dict")]
    for ml, mt in zip(models_l, models_t):
        if not hasattr(ml, "state_dict"):  # an array result (predictions)
            np.testing.assert_allclose(np.asarray(ml), np.asarray(mt), rtol=rtol, atol=atol)
    for (ml, mt), start in zip(models, shared.states):
        wl, wt = _weights(ml), _weights(mt)
        assert list(wl) == list(wt)
        for k in wl:
            np.testing.assert_allclose(wl[k], wt[k], rtol=rtol, atol=atol, err_msg=k)
        assert any(not np.allclose(wl[k], start[k]) for k in wl), "training changed no weight"
    return out_l, ours


def _images(rng, n, shape, low=0.0):
    x = rng.random((n, *shape)).astype(np.float32)
    return x * (1 - low) + low if low == 0.0 else x * 2 - 1


def test_mnist(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    x = ((rng.random((24, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    y = rng.integers(0, 10, 24)
    TD = lamina.utils.data.TensorDataset
    cfg = dict(
        batch_size=8,
        test_batch_size=8,
        epochs=2,
        lr=1.0,
        gamma=0.7,
        no_accel=False,
        seed=1,
        log_interval=1,
        dry_run=False,
        save_model=str(tmp_path / "mnist_cnn.pt"),
        train_set=TD(x[:16], y[:16]),
        test_set=TD(x[16:], y[16:]),
    )
    out, model = compare("mnist", cfg, monkeypatch)
    assert out.count("Train Epoch") == 4 and "Test set" in out
    saved = lamina.load(str(tmp_path / "mnist_cnn.pt"))  # torch.save(model.state_dict(), ...)
    trained = _weights(model)
    assert sorted(saved) == sorted(trained)  # (safetensors files list keys sorted)
    for k, v in saved.items():
        np.testing.assert_array_equal(np.asarray(v), trained[k])


def test_dcgan(monkeypatch, tmp_path):
    rng = np.random.default_rng(1)
    x = (rng.random((8, 3, 64, 64)) * 2 - 1).astype(np.float32)
    cfg = dict(
        manualSeed=1,
        cuda=False,
        batchSize=4,
        workers=2,
        ngpu=1,
        nz=16,
        ngf=8,
        ndf=8,
        lr=0.0002,
        beta1=0.5,
        niter=1,
        outf=str(tmp_path),
        dataset=lamina.utils.data.TensorDataset(x, np.zeros(8)),
    )
    _ = compare("dcgan", cfg, monkeypatch)
    assert (tmp_path / "real_samples.png").exists() and (
        tmp_path / "fake_samples_epoch_000.png"
    ).exists()


def test_word_language_model(monkeypatch, tmp_path):
    ids = np.random.default_rng(2).integers(0, 20, 44)
    cfg = dict(
        seed=1,
        cuda=False,
        corpus_ids=ids.tolist(),
        ntokens=20,
        batch_size=4,
        bptt=5,
        model="LSTM",
        emsize=8,
        nhid=8,
        nlayers=2,
        dropout=0.2,
        tied=False,
        lr=20.0,
        clip=0.25,
        save_model=str(tmp_path / "model.pt"),
    )
    out, model = compare("word_language_model", cfg, monkeypatch)
    assert out.count("| epoch") == 2 and "| End of training | test loss" in out
    assert type(model).__name__ == "RNNModel" and not model.training  # the loaded one


def test_time_sequence_prediction(monkeypatch):
    cfg = dict(length=30, n=6, steps=2, max_iter=5, future=5)
    out, _ = compare("time_sequence_prediction", cfg, monkeypatch, rtol=1e-8, atol=1e-10)
    assert out.count("STEP") == 2


def test_vae(monkeypatch, tmp_path):
    rng = np.random.default_rng(3)
    x = rng.random((24, 1, 28, 28)).astype(np.float32)
    TD = lamina.utils.data.TensorDataset
    cfg = dict(
        seed=1,
        cuda=False,
        batch_size=8,
        epochs=1,
        log_interval=1,
        out=str(tmp_path),
        train_set=TD(x[:16], np.zeros(16)),
        test_set=TD(x[16:], np.zeros(8)),
    )
    _ = compare("vae", cfg, monkeypatch)
    assert (tmp_path / "reconstruction_1.png").exists() and (tmp_path / "sample_1.png").exists()


def test_regression(monkeypatch):
    out, _ = compare("regression", dict(max_batches=30), monkeypatch)
    assert "after 30 batches" in out


def test_super_resolution(monkeypatch, tmp_path):
    rng = np.random.default_rng(4)
    TD = lamina.utils.data.TensorDataset
    lr_img, hr_img = rng.random((6, 1, 8, 8)), rng.random((6, 1, 24, 24))
    cfg = dict(
        cuda=False,
        mps=False,
        seed=1,
        threads=2,
        batchSize=4,
        testBatchSize=2,
        upscale_factor=3,
        lr=0.01,
        nEpochs=2,
        train_set=TD(lr_img[:4].astype(np.float32), hr_img[:4].astype(np.float32)),
        test_set=TD(lr_img[4:].astype(np.float32), hr_img[4:].astype(np.float32)),
        save_model=str(tmp_path / "model_epoch_2.pth"),
    )
    out, _ = compare("super_resolution", cfg, monkeypatch)
    assert out.count("Avg. PSNR") == 2 and "super-resolved (1, 1, 24, 24) sum" in out


def test_import_rewrite_changes_only_import_lines():
    src = (HERE / "dcgan.py").read_text()
    new = to_lamina(src)
    changed = [(a, b) for a, b in zip(src.splitlines(), new.splitlines()) if a != b]
    assert changed == [
        ("import torch", "import lamina as torch"),
        ("import torch.nn as nn", "import lamina.nn as nn"),
        ("import torch.optim as optim", "import lamina.optim as optim"),
        ("import torch.utils.data", "import lamina.utils.data"),
        ("import torchvision.utils as vutils", "import lamina.utils as vutils"),
    ]
