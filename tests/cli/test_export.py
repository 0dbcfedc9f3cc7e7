"""``lamina export``: saved models become ONNX files that onnxruntime runs as lamina does."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import lamina as L
from lamina.cli import main
from lamina.models import RNNLanguageModel, dcgan, digits_cnn, digits_mlp

from .test_cli import one_line, run


def rel_err(got, ref):
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))


def randomize_bn(model, seed=0):
    """Non-trivial running statistics, so the file's eval-mode BatchNorm is exercised."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, L.nn.BatchNorm2d):
            c = m.running_mean.shape[0]
            m.running_mean.detach().numpy()[...] = rng.normal(0, 0.1, c)
            m.running_var.detach().numpy()[...] = rng.uniform(0.5, 1.5, c)
    return model


def onnx_vs_lamina(path, model, x):
    """rel. err of onnxruntime's output against lamina's on the input x."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    model.eval()
    with L.no_grad():
        ref = model(L.tensor(x))
    ref = (ref[0] if isinstance(ref, tuple) else ref).numpy()
    assert got.shape == ref.shape
    return rel_err(got, ref)


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_export_digits_models_matches_lamina_at_another_batch(capsys, tmp_path, kind):
    L.manual_seed(0)
    pre = {"size": [8, 8], "channels": 1, "invert": "auto", "flatten": kind == "mlp"}
    model = randomize_bn(digits_cnn()) if kind == "cnn" else digits_mlp(hidden=(32, 16))
    model.save_pretrained(tmp_path / kind, task="image-classification", preprocessing=pre)
    out = tmp_path / f"{kind}.onnx"
    rc, printed, err = run(capsys, "export", "--model-dir", str(tmp_path / kind), "--out", str(out))
    assert rc == 0, err
    shape = "batch, 1, 8, 8" if kind == "cnn" else "batch, 64"
    assert printed.startswith(f"wrote {out} (digits_{kind}, input ({shape}) float32, opset 17")
    onnx.checker.check_model(onnx.load(out), full_check=True)
    x = np.random.default_rng(1).standard_normal((5, 1, 8, 8)).astype(np.float32)
    x = x.reshape(5, 64) if kind == "mlp" else x  # exported at batch 1, run at 5
    assert onnx_vs_lamina(out, model, x) <= 1e-5


def test_export_language_model_generator_file_and_options(capsys, tmp_path):
    from lamina.data.text import WordTokenizer

    L.manual_seed(0)
    tok = WordTokenizer.fit("to be or not to be that is the question")
    lm = RNNLanguageModel(len(tok), embed_dim=8, hidden_size=16)
    lm.save_pretrained(tmp_path / "rnn", task="language-model", tokenizer=tok)
    G, _ = dcgan(latent_dim=8, width=8)
    G.save_pretrained(tmp_path / "gan.safetensors", task="image-generation",
                      extra={"latent_dim": 8})  # fmt: skip
    rc, _, err = run(capsys, "export", "--model-dir", str(tmp_path / "rnn"),
                     "--out", str(tmp_path / "rnn.onnx"), "--opset", "18")  # fmt: skip
    assert rc == 0, err
    assert onnx.load(tmp_path / "rnn.onnx").opset_import[0].version == 18
    ids = np.random.default_rng(2).integers(0, len(tok), (3, 8))
    assert onnx_vs_lamina(tmp_path / "rnn.onnx", lm, ids) <= 1e-5
    rc, _, err = run(capsys, "export", "--model-dir", str(tmp_path / "gan.safetensors"),
                     "--out", str(tmp_path / "gan.onnx"))  # fmt: skip
    assert rc == 0, err
    z = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32)
    assert onnx_vs_lamina(tmp_path / "gan.onnx", G, z) <= 1e-5


def test_input_shape_overrides_the_config_and_other_models_need_it(capsys, tmp_path):
    L.manual_seed(0)
    model = digits_mlp(hidden=(8,), n_in=5, n_out=2)
    model.save_pretrained(tmp_path / "m", task="regression")
    argv = ["export", "--model-dir", str(tmp_path / "m"), "--out", str(tmp_path / "m.onnx")]
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and "pass --input-shape" in one_line(err)
    rc, out, err = run(capsys, *argv, "--input-shape", "1", "5")
    assert rc == 0 and "input (batch, 5) float32" in out, err
    x = np.random.default_rng(4).standard_normal((6, 5)).astype(np.float32)
    assert onnx_vs_lamina(tmp_path / "m.onnx", model, x) <= 1e-5


def test_export_errors_give_one_line_and_a_status(capsys, tmp_path):
    L.manual_seed(0)
    pre = {"size": [8, 8], "flatten": True}
    digits_mlp(hidden=(8,)).save_pretrained(
        tmp_path / "m", task="image-classification", preprocessing=pre
    )
    out = tmp_path / "exists.onnx"
    out.write_bytes(b"keep me")
    cases = [
        (["--model-dir", str(tmp_path / "none")], 1, "no such model folder or file"),
        (["--model-dir", str(tmp_path / "m"), "--out", str(out)], 1, "exists; pass --force"),
        (["--model-dir", str(tmp_path), "--out", str(tmp_path / "x.onnx")], 1, "no model."),
        (["--model-dir", str(tmp_path / "m"), "--opset", "9"], 1, "opset_version=9"),
    ]
    for argv, status, words in cases:
        if "--out" not in argv:
            argv = [*argv, "--out", str(tmp_path / "new.onnx")]
        rc, _, err = run(capsys, "export", *argv)
        assert rc == status and words in one_line(err), (argv, err)
    assert out.read_bytes() == b"keep me"
    rc, _, err = run(capsys, "export", "--model-dir", str(tmp_path / "m"), "--out", str(out),
                     "--force")  # fmt: skip
    assert rc == 0 and onnx.load(out).graph.input[0].name == "input", err
    with pytest.raises(SystemExit) as e:  # argparse's own usage errors
        main(["export", "--model-dir", str(tmp_path / "m")])
    assert e.value.code == 2 and "--out" in capsys.readouterr().err


def test_export_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = capsys.readouterr().out
    for word in ("--model-dir", "--out", "--opset", "--input-shape", "--force", "dynamic"):
        assert word in out


def test_export_a_saved_gpt_runs_at_another_batch(capsys, tmp_path):
    from lamina.data.text import CharTokenizer
    from lamina.models import GPT, GPTConfig

    L.manual_seed(0)
    tok = CharTokenizer.fit("to be or not to be")
    model = GPT(GPTConfig(block_size=6, vocab_size=len(tok), n_layer=1, n_head=2, n_embd=8))
    model.save_pretrained(tmp_path / "gpt", task="language-model", tokenizer=tok)
    out = tmp_path / "gpt.onnx"
    rc, printed, err = run(
        capsys, "export", "--model-dir", str(tmp_path / "gpt"), "--out", str(out)
    )
    assert rc == 0 and "(gpt, input (batch, 6) int64" in printed, err  # block_size < 8 tokens
    ids = np.random.default_rng(5).integers(0, len(tok), (3, 6))
    assert onnx_vs_lamina(out, model, ids) <= 1e-5
