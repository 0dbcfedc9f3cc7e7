"""Recurrent models: LM and forecaster shapes, fused loss vs torch, demo smoke run."""

import json

import numpy as np
import pytest

import lamina
from lamina.cli.demos.rnn import run_rnn_demo
from lamina.models.rnn import RNNForecaster, RNNLanguageModel, detach_state, lm_loss


def test_language_model_state_carry():
    lamina.manual_seed(0)
    m = RNNLanguageModel(11, embed_dim=4, hidden_size=6, num_layers=2, cell="gru")
    x = np.random.default_rng(0).integers(0, 11, (2, 7))
    full, _ = m(lamina.tensor(x))
    a, s = m(lamina.tensor(x[:, :3]))
    b, _ = m(lamina.tensor(x[:, 3:]), detach_state(s))
    assert full.shape == (2, 7, 11)
    np.testing.assert_allclose(full.detach().numpy()[:, 3:], b.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="cell must be"):
        RNNLanguageModel(5, cell="transformer")


def test_lm_loss_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 4, 7)).astype(np.float32)
    t = rng.integers(0, 7, (3, 4))
    zl = lamina.tensor(z, requires_grad=True)
    loss = lm_loss(zl, t)
    loss.backward()
    zt = torch.from_numpy(z).requires_grad_()
    ref = torch.nn.functional.cross_entropy(zt.reshape(-1, 7), torch.from_numpy(t).reshape(-1))
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    np.testing.assert_allclose(zl.grad.numpy(), zt.grad.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="targets must lie"):
        lm_loss(zl, t + 7)


def test_forecaster_learns_a_sine():
    lamina.manual_seed(0)
    m = RNNForecaster(1, 8, horizon=2)
    x = np.sin(np.arange(40, dtype=np.float32) / 3)
    xs = np.stack([x[i : i + 10] for i in range(28)])  # (28, 10)
    ys = np.stack([x[i + 10 : i + 12] for i in range(28)])  # (28, 2)
    params = list(m.parameters())
    first = None
    for _ in range(60):
        loss = ((m(lamina.tensor(xs)) - lamina.tensor(ys)) ** 2).mean()
        first = first if first is not None else loss.item()
        m.zero_grad()
        loss.backward()
        with lamina.no_grad():
            for p in params:
                p -= 0.3 * p.grad
    assert m(lamina.tensor(xs)).shape == (28, 2)
    assert loss.item() < 0.3 * first


def test_demo_smoke(tmp_path):
    res = run_rnn_demo(
        str(tmp_path),
        steps=2,
        epochs=2,
        chars=20_000,
        vocab=200,
        hidden=16,
        verbose=0,
        log=lambda *a: None,
    )
    # 2 steps from the init: the model is about uniform over the vocabulary; the unigram
    # (word frequencies) is far better than that
    assert res["steps"] == 2 and res["unigram_ppl"] < res["val_ppl"] < 1.5 * 200
    assert "sample" in json.loads((tmp_path / "results.json").read_text())
    from lamina.models import RNNLanguageModel
    from lamina.models.pretrained import load_tokenizer

    model = RNNLanguageModel.from_pretrained(tmp_path)
    assert len(load_tokenizer(tmp_path)) == model.head.out_features


@pytest.mark.slow
def test_demo_reaches_the_readme_figure(tmp_path):
    """The demo's 300 steps (README: perplexity 52 vs the unigram's 138; below half)."""
    res = run_rnn_demo(str(tmp_path), log=lambda *a: None)
    assert res["steps"] == 300 and res["val_ppl"] < res["unigram_ppl"] / 2, res
