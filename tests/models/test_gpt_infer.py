"""GPT's array inference path (models.gpt_infer) against GPT.forward through the modules."""

import numpy as np
import pytest

import lamina
from lamina.models import gpt_infer
from lamina.models.gpt import GPT, GPTConfig, KVCache


def _model(**kw):
    lamina.manual_seed(0)
    kw.setdefault("bias", True)
    cfg = dict(vocab_size=37, block_size=16, n_layer=2, n_head=2, n_embd=16)
    m = GPT(GPTConfig(**{**cfg, **kw}))
    for p in m.parameters():  # non-zero biases, so a missed bias would show
        p._data += np.random.default_rng(1).normal(0, 0.02, p.shape).astype(p.dtype)
    return m.eval()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_last_logits_match_forward_prefill_and_steps(approximate, transposed, bias):
    m = _model(gelu_approximate=approximate, bias=bias)
    plan = gpt_infer.prepare(m) if transposed else None
    assert (len(plan) == 9 + 5) if transposed else True  # 9 Linear, 5 LayerNorm folded
    idx = np.random.default_rng(0).integers(0, 37, (3, 9))
    c1, c2 = KVCache(m.config, 3), KVCache(m.config, 3)
    with lamina.no_grad():
        for sl in (slice(0, 6), slice(6, 7), slice(7, 8), slice(8, 9)):
            ref = m(idx[:, sl], cache=c1)[0].numpy()[:, -1]
            got = gpt_infer.last_logits(m, idx[:, sl], c2, plan)
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
            assert got.dtype == np.float32 and c1.length == c2.length
    for a, b in zip(c1.k + c1.v, c2.k + c2.v):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_generate_same_tokens_lean_or_through_modules():
    m = _model()
    prompt = np.array([[1, 2, 3]])
    lean = m.generate(prompt, 30, top_k=5, generator=np.random.default_rng(3))
    handle = m.transformer.h[0].register_forward_hook(lambda mod, i, o: None)
    assert not gpt_infer.usable(m)  # a hook: generate calls the modules
    slow = m.generate(prompt, 30, top_k=5, generator=np.random.default_rng(3))
    handle.remove()
    uncached = m.generate(prompt, 30, top_k=5, use_cache=False, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(lean, slow)
    np.testing.assert_array_equal(lean, uncached)
    assert lean.shape == (1, 33)


def test_usable_only_for_stock_eval_models():
    m = _model()
    assert gpt_infer.usable(m)
    assert not gpt_infer.usable(m.train())
    m.eval()

    class MyBlock(type(m.transformer.h[0])):
        pass

    m.transformer.h[0].__class__ = MyBlock
    assert not gpt_infer.usable(m)


def test_bad_token_raises_as_embedding():
    m = _model()
    with pytest.raises(IndexError, match="out of range"):
        gpt_infer.last_logits(m, np.array([[40]]), KVCache(m.config, 1))
    with pytest.raises(IndexError, match="out of range"):
        m.generate(np.array([[-1]]), 2)


def test_prepare_skips_large_models():
    m = _model()
    assert gpt_infer.prepare(m, limit=100) == {}
