"""lamina.models.gpt: nanoGPT's keys, torch parity of logits/loss/gradients, KV cache, sampling."""

import json

import numpy as np
import pytest

import lamina
from lamina.models import gpt_demo
from lamina.models._sampling import filter_logits, sample_next
from lamina.models.gpt import GPT, GPTConfig, KVCache
from lamina.models.pretrained import load_tokenizer

torch = pytest.importorskip("torch")  # every test here compares with a torch GPT

RNG = np.random.default_rng(0)
CFG = GPTConfig(block_size=16, vocab_size=13, n_layer=2, n_head=2, n_embd=8)


class TorchGPT(torch.nn.Module):
    """nanoGPT's model written again in torch, the oracle (same keys as lamina's GPT)."""

    def __init__(self, c, approximate="none"):
        super().__init__()
        nn = torch.nn

        def block():
            b = nn.Module()
            b.ln_1 = nn.LayerNorm(c.n_embd)
            b.attn = nn.Module()
            b.attn.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd)
            b.attn.c_proj = nn.Linear(c.n_embd, c.n_embd)
            b.ln_2 = nn.LayerNorm(c.n_embd)
            b.mlp = nn.Module()
            b.mlp.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd)
            b.mlp.c_proj = nn.Linear(4 * c.n_embd, c.n_embd)
            return b

        self.c, self.approximate = c, approximate
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(c.vocab_size, c.n_embd),
                "wpe": nn.Embedding(c.block_size, c.n_embd),
                "h": nn.ModuleList([block() for _ in range(c.n_layer)]),
                "ln_f": nn.LayerNorm(c.n_embd),
            }
        )
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx):
        B, T = idx.shape
        F, h = torch.nn.functional, self.c.n_head
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T))
        for b in self.transformer.h:
            q, k, v = b.attn.c_attn(b.ln_1(x)).split(self.c.n_embd, dim=2)
            q, k, v = (t.view(B, T, h, -1).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + b.attn.c_proj(y.transpose(1, 2).reshape(B, T, -1))
            m = b.mlp
            x = x + m.c_proj(F.gelu(m.c_fc(b.ln_2(x)), approximate=self.approximate))
        return self.lm_head(self.transformer.ln_f(x))


def _model(cfg=CFG, seed=0):
    lamina.manual_seed(seed)
    return GPT(cfg)


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(ValueError, match="n_layer"):
        GPTConfig(n_layer=0)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(dropout=1.0)


def test_keys_shapes_and_tied_head():
    m = _model()
    t = TorchGPT(CFG)
    assert list(m.state_dict()) == list(t.state_dict())
    shapes = {k: tuple(v.shape) for k, v in t.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == shapes
    assert m.lm_head.weight is m.transformer.wte.weight
    n = sum(p.numel() for p in t.parameters())  # torch counts the tied weight once
    assert m.num_parameters(non_embedding=False) == n
    std = m.transformer.h[0].attn.c_proj.weight.detach().numpy().std()
    assert abs(std - 0.02 / np.sqrt(2 * CFG.n_layer)) < 0.004  # GPT-2's scaled init


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_logits_loss_and_gradients_match_torch(approximate):
    cfg = GPTConfig(**{**CFG.to_dict(), "gelu_approximate": approximate})
    m, t = _model(cfg), TorchGPT(cfg, approximate)
    t.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in m.state_dict().items()})
    idx = RNG.integers(0, cfg.vocab_size, (3, 10))
    tgt = RNG.integers(0, cfg.vocab_size, (3, 10))
    tgt[0, :2] = -1  # ignored positions
    logits, loss = m(idx, tgt)
    tl = t(torch.tensor(idx))
    tloss = torch.nn.functional.cross_entropy(
        tl.reshape(-1, cfg.vocab_size), torch.tensor(tgt).reshape(-1), ignore_index=-1
    )
    np.testing.assert_allclose(logits.detach().numpy(), tl.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    loss.backward()
    tloss.backward()
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(
            p.grad.detach().numpy(),
            tp[name].grad.detach().numpy(),
            rtol=1e-4,
            atol=1e-6,
            err_msg=name,
        )


def test_cached_forward_equals_full_forward():
    m = _model()
    m.eval()
    idx = RNG.integers(0, CFG.vocab_size, (2, 12))
    with lamina.no_grad():
        full = m(idx)[0].detach().numpy()
        cache = KVCache(CFG, 2)
        steps = [m(idx[:, :5], cache=cache)[0].detach().numpy()]
        steps += [m(idx[:, i : i + 1], cache=cache)[0].detach().numpy() for i in range(5, 12)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-5, atol=1e-6)
    assert cache.length == 12
    with pytest.raises(ValueError, match="block_size"):
        m(idx[:, :5], cache=cache)


@pytest.mark.parametrize(
    "kw",
    [{}, {"top_k": 3}, {"top_p": 0.7}, {"temperature": 0.6, "top_k": 5, "top_p": 0.9},
     {"temperature": 0.0}],
)  # fmt: skip
def test_cached_and_uncached_generation_give_the_same_tokens(kw):
    m = _model()
    prompt = RNG.integers(0, CFG.vocab_size, (2, 4))
    # 4 + 30 tokens outgrow block_size 16: both paths crop the context the same way
    for seed in range(3):
        lamina.manual_seed(seed)
        a = m.generate(prompt, 30, use_cache=True, **kw)
        lamina.manual_seed(seed)
        b = m.generate(prompt, 30, use_cache=False, **kw)
        np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 34) and (a[:, :4] == prompt).all()
    assert m.training  # generate() restores the mode


def test_greedy_generation_follows_argmax():
    m = _model()
    prompt = np.array([[1, 2, 3]])
    out = m.generate(prompt, 5, temperature=0.0)
    idx = prompt
    with lamina.no_grad():
        for _ in range(5):
            nxt = m(idx)[0].detach().numpy()[:, -1].argmax(-1)
            idx = np.concatenate([idx, nxt[:, None]], axis=1)
    np.testing.assert_array_equal(out, idx)


def test_top_k_and_top_p_filters():
    logits = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.05]]))
    k2 = filter_logits(logits, 2, None)
    assert np.isfinite(k2).sum() == 2 and np.isfinite(k2[0, :2]).all()
    # nucleus: keep the most likely tokens until their mass reaches p
    for p, keep in ((0.45, 1), (0.6, 2), (0.8, 3), (0.9, 4), (0.97, 5), (1.0, 5)):
        assert np.isfinite(filter_logits(logits, None, p)).sum() == keep, p
    draws = [sample_next(logits, 1.0, None, 0.6, np.random.default_rng(s))[0] for s in range(300)]
    assert set(draws) == {0, 1} and abs(np.mean(np.array(draws) == 0) - 0.5 / 0.7) < 0.08
    for bad in ({"top_k": 0}, {"top_p": 0.0}, {"top_p": 1.5}):
        with pytest.raises(ValueError):
            filter_logits(logits, bad.get("top_k"), bad.get("top_p"))
    with pytest.raises(ValueError, match="temperature"):
        sample_next(logits, -1.0, None, None, np.random.default_rng(0))


def test_dropout_trains_and_eval_is_deterministic():
    m = _model(GPTConfig(**{**CFG.to_dict(), "dropout": 0.3}))
    idx = RNG.integers(0, CFG.vocab_size, (2, 8))
    a, b = m(idx)[0].detach().numpy(), m(idx)[0].detach().numpy()
    assert not np.allclose(a, b)
    m.eval()
    np.testing.assert_array_equal(m(idx)[0].detach().numpy(), m(idx)[0].detach().numpy())


def test_char_demo_smoke(tmp_path):
    text = "To be, or not to be, that is the question.\n" * 50
    recipe = {"max_iters": 6, "eval_interval": 3, "eval_iters": 2, "n_layer": 1,
              "n_embd": 16, "n_head": 2, "block_size": 16, "warmup_iters": 2}  # fmt: skip
    model, chars, hist = gpt_demo.train(recipe, text=text, log=lambda s: None)
    assert hist["iter"] == [0, 3, 6] and hist["train"][-1] < hist["train"][0]
    assert gpt_demo.sample(model, chars, "To", tokens=10)[:2] == "To"
    gpt_demo.save_model(model, chars, str(tmp_path))
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["builder"] == "gpt" and config["args"] == model.config.to_dict()
    again = GPT.from_pretrained(tmp_path)  # the recipe convention of every lamina model
    assert again.config == model.config
    assert load_tokenizer(tmp_path).itos == chars
    idx = np.array([[1, 2, 3]])
    model.eval()
    np.testing.assert_array_equal(again(idx)[0].detach().numpy(), model(idx)[0].detach().numpy())
    assert gpt_demo.lr_at(0, gpt_demo.RECIPE) < gpt_demo.lr_at(99, gpt_demo.RECIPE) <= 1e-3
    assert abs(gpt_demo.lr_at(2000, gpt_demo.RECIPE) - 1e-4) < 1e-12
