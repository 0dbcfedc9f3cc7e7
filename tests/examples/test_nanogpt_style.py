"""A nanoGPT-style character model and training loop, run under torch and under lamina.

Karpathy's nanoGPT (model.py, train.py, sample.py) runs on lamina with only its imports
changed (docs/pytorch.md). This file is our own compact model and loop in the same style,
written against a framework module ``T`` so that one source runs as ``T = torch`` and as
``T = lamina``. It exercises the torch API those scripts use: LayerNorm as a function with an
optional bias, fused q/k/v ``split``, ``scaled_dot_product_attention(is_causal=True)`` and
the masked softmax path over a ``tril`` buffer, weight tying, ``apply`` with ``init.normal_``,
``cross_entropy(ignore_index=-1)``, AdamW parameter groups (with ``fused`` chosen through
``inspect.signature``), ``GradScaler``, ``clip_grad_norm_``, ``zero_grad(set_to_none=True)``,
``topk`` + masked assignment + ``multinomial`` sampling, block-size cropping and the
checkpoint dict saved with ``save`` and resumed with ``load``. Both runs start from the same
weights and see the same batches; losses, gradients and weights must agree.
"""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from contextlib import nullcontext

import numpy as np
import pytest

import lamina

torch = pytest.importorskip("torch")  # every test here compares with torch

CFG = dict(vocab=11, block=8, n_layer=2, n_head=2, n_embd=16, bias=True, dropout=0.0)


def make_gpt(T, vocab, block, n_layer, n_head, n_embd, bias, dropout, flash=True):
    """A small GPT written against the framework module ``T``."""
    nn, F = T.nn, T.nn.functional

    class Norm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(T.ones(n_embd))
            self.bias = nn.Parameter(T.zeros(n_embd)) if bias else None

        def forward(self, x):
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)
            self.proj = nn.Linear(n_embd, n_embd, bias=bias)
            self.drop = nn.Dropout(dropout)
            self.flash = flash and hasattr(F, "scaled_dot_product_attention")
            if not self.flash:
                mask = T.tril(T.ones(block, block)).view(1, 1, block, block)
                self.register_buffer("mask", mask)

        def forward(self, x):
            B, L, C = x.size()
            q, k, v = self.qkv(x).split(n_embd, dim=2)
            q, k, v = (t.view(B, L, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))
            if self.flash:
                p = dropout if self.training else 0
                y = F.scaled_dot_product_attention(
                    q, k, v, attn_mask=None, dropout_p=p, is_causal=True
                )
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.mask[:, :, :L, :L] == 0, float("-inf"))
                y = self.drop(F.softmax(att, dim=-1)) @ v
            return self.drop(self.proj(y.transpose(1, 2).contiguous().view(B, L, C)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn, self.ln2 = Norm(), Attention(), Norm()
            self.mlp = nn.Sequential(
                nn.Linear(n_embd, 4 * n_embd, bias=bias),
                nn.GELU(),
                nn.Linear(4 * n_embd, n_embd, bias=bias),
                nn.Dropout(dropout),
            )

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tr = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(vocab, n_embd),
                    wpe=nn.Embedding(block, n_embd),
                    drop=nn.Dropout(dropout),
                    h=nn.ModuleList([Block() for _ in range(n_layer)]),
                    ln_f=Norm(),
                )
            )
            self.block = block
            self.head = nn.Linear(n_embd, vocab, bias=False)
            self.tr.wte.weight = self.head.weight  # tied
            self.apply(self._init)
            for name, p in self.named_parameters():
                if name.endswith("proj.weight"):
                    T.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

        def _init(self, m):
            if isinstance(m, (nn.Linear, nn.Embedding)):
                T.nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                T.nn.init.zeros_(m.bias)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = T.arange(0, t, dtype=T.long, device=idx.device)
            x = self.tr.drop(self.tr.wte(idx) + self.tr.wpe(pos))
            for blk in self.tr.h:
                x = blk(x)
            x = self.tr.ln_f(x)
            if targets is None:
                return self.head(x[:, [-1], :]), None
            logits = self.head(x)
            flat = logits.view(-1, logits.size(-1))
            return logits, F.cross_entropy(flat, targets.view(-1), ignore_index=-1)

        def crop(self, new_block):
            self.block = new_block
            with T.no_grad():
                self.tr.wpe.weight = nn.Parameter(self.tr.wpe.weight[:new_block])
            for blk in self.tr.h:
                if hasattr(blk.attn, "mask"):
                    blk.attn.mask = blk.attn.mask[:, :, :new_block, :new_block]

        def optimizer(self, lr, wd):
            params = {n: p for n, p in self.named_parameters() if p.requires_grad}
            groups = [
                {"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": wd},
                {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
            ]
            fused = "fused" in inspect.signature(T.optim.AdamW).parameters
            extra = dict(fused=False) if fused else dict()
            return T.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), **extra)

        @T.no_grad()
        def generate(self, idx, n, temperature=1.0, top_k=None):
            for _ in range(n):
                logits, _ = self(idx[:, -self.block :])
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = T.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx = T.cat((idx, T.multinomial(probs, num_samples=1)), dim=1)
            return idx

    return GPT()


DATA = np.random.default_rng(0).integers(0, CFG["vocab"], 400).astype(np.uint16)


def batch(T, rng, n=3):
    """nanoGPT's loader: random windows of a uint16 token array, stacked as int64."""
    ix = rng.integers(0, len(DATA) - CFG["block"], n)
    x = T.stack([T.from_numpy(DATA[i : i + CFG["block"]].astype(np.int64)) for i in ix])
    y = T.stack([T.from_numpy(DATA[i + 1 : i + 1 + CFG["block"]].astype(np.int64)) for i in ix])
    return x.to("cpu"), y.to("cpu")


def pair(flash=True, **over):
    """The same model in torch and in lamina, torch's initial weights copied into lamina's."""
    cfg = {**CFG, **over}
    torch.manual_seed(0)
    tm = make_gpt(torch, **cfg, flash=flash)
    lamina.manual_seed(0)
    lm = make_gpt(lamina, **cfg, flash=flash)
    lm.load_state_dict({k: lamina.tensor(v.numpy().copy()) for k, v in tm.state_dict().items()})
    assert lm.head.weight is lm.tr.wte.weight  # tying survives load_state_dict
    return tm, lm


def close(a, b, rtol=1e-4, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def lr_at(it, warmup=2, decay=6, lr=1e-2, min_lr=1e-3):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    coeff = 0.5 * (1.0 + math.cos(math.pi * min(1.0, (it - warmup) / (decay - warmup))))
    return min_lr + coeff * (lr - min_lr)


def train(T, model, opt, scaler, steps, rng, start=0):
    """train.py's inner loop; returns the losses."""
    ctx = nullcontext()  # train.py's choice on the CPU
    losses = []
    model.train()
    for it in range(start, start + steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = batch(T, rng)
        with ctx:
            _, loss = model(x, y)
            loss = loss / 2  # gradient accumulation's scaling
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item() * 2)
    return losses


@pytest.mark.parametrize("flash", [True, False])
def test_forward_and_gradients_match_torch(flash):
    tm, lm = pair(flash=flash)
    rng = np.random.default_rng(1)
    tx, ty = batch(torch, rng)
    lx, ly = lamina.tensor(tx.numpy()), lamina.tensor(ty.numpy())
    ty[0, 0] = -1  # ignore_index
    ly[0, 0] = -1
    tlog, tloss = tm(tx, ty)
    llog, lloss = lm(lx, ly)
    close(llog.detach().numpy(), tlog.detach().numpy())
    close(lloss.item(), tloss.item())
    tloss.backward()
    lloss.backward()
    tp = dict(tm.named_parameters())
    lp = dict(lm.named_parameters())
    assert list(lp) == list(tp)  # tied weight listed once, same order
    for name in tp:
        close(lp[name].grad.numpy(), tp[name].grad.numpy(), atol=1e-7)
    # the inference path: only the last position's logits
    with torch.no_grad():
        t_last, t_none = tm(tx)
    l_last, l_none = lm(lx)
    assert t_none is None and l_none is None and tuple(l_last.shape) == (3, 1, CFG["vocab"])
    close(l_last.detach().numpy(), t_last.numpy())


@pytest.mark.parametrize("scaler_device", ["cuda", "cpu"])
def test_training_steps_match_torch(scaler_device):
    """AdamW groups, warmup/cosine lr, GradScaler (disabled on "cuda", scaling on "cpu"),
    clip_grad_norm_: the losses and the final weights agree. Without biases, as nanoGPT
    trains: the key bias's gradient is zero in exact arithmetic (softmax ignores a constant
    per row), so both libraries' rounding noise there would be scaled up by Adam."""
    tm, lm = pair(bias=False)
    topt, lopt = tm.optimizer(1e-2, 0.1), lm.optimizer(1e-2, 0.1)
    assert [len(g["params"]) for g in lopt.param_groups] == [
        len(g["params"]) for g in topt.param_groups
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "CUDA is not available. Disabling.", from both
        tsc = torch.amp.GradScaler(scaler_device, init_scale=2.0**10)
        lsc = lamina.amp.GradScaler(scaler_device, init_scale=2.0**10)
    assert lsc.is_enabled() == tsc.is_enabled() == (scaler_device == "cpu")
    tl = train(torch, tm, topt, tsc, 5, np.random.default_rng(2))
    ll = train(lamina, lm, lopt, lsc, 5, np.random.default_rng(2))
    close(ll, tl)
    assert lsc.state_dict() == tsc.state_dict()
    tsd = tm.state_dict()
    for k, v in lm.state_dict().items():
        close(v.numpy(), tsd[k].numpy(), atol=1e-6)


def checkpoint(model, opt, it, best, extra, **over):
    return {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "model_args": {**CFG, **over},
        "iter_num": it,
        "best_val_loss": best,
        "config": extra,
    }


def resume(T, path, rng, steps):
    """sample.py / train.py's resume: rebuild from model_args, strip a prefix, load."""
    ck = T.load(path, map_location="cpu")
    model = make_gpt(T, **ck["model_args"])
    state = ck["model"]
    for k in list(state):
        if k.startswith("_orig_mod."):
            state[k[len("_orig_mod.") :]] = state.pop(k)
    model.load_state_dict(state)
    opt = model.optimizer(1e-2, 0.1)
    opt.load_state_dict(ck["optimizer"])
    scaler = T.amp.GradScaler("cpu", enabled=False)
    return ck, train(T, model, opt, scaler, steps, rng, start=ck["iter_num"]), model


def test_checkpoint_resume_continues_as_if_never_stopped(tmp_path):
    """save a checkpoint dict after 3 steps, resume for 3 more: the same losses and weights
    as 6 steps straight (to rounding: NumPy's reductions may round differently in fresh
    arrays); the dict's numbers and strings come back as saved."""
    _, lm = pair(bias=False)
    opt = lm.optimizer(1e-2, 0.1)
    off = lamina.amp.GradScaler("cpu", enabled=False)
    rng = np.random.default_rng(3)
    first = train(lamina, lm, opt, off, 3, rng)
    best = lamina.tensor(first[-1])  # train.py keeps best_val_loss as a 0-d tensor
    cfg = {"dataset": "chars", "compile": False, "lr": 1e-2}
    lamina.save(checkpoint(lm, opt, 3, best, cfg, bias=False), tmp_path / "ckpt.pt")
    rng2 = copy.deepcopy(rng)  # the batches after the save, for the resumed run
    straight = train(lamina, lm, opt, off, 3, rng, start=3)
    ck, resumed, model2 = resume(lamina, tmp_path / "ckpt.pt", rng2, 3)
    assert ck["iter_num"] == 3 and type(ck["iter_num"]) is int
    assert ck["config"] == cfg and ck["model_args"] == {**CFG, "bias": False}
    assert float(ck["best_val_loss"]) == pytest.approx(first[-1])
    assert f"{ck['best_val_loss']:.4f}" == f"{first[-1]:.4f}"
    close(resumed, straight, rtol=1e-6, atol=0)
    for k, v in model2.state_dict().items():
        close(v.numpy(), lm.state_dict()[k].numpy(), rtol=1e-5, atol=1e-8)


def test_torch_checkpoint_resumes_in_lamina_like_in_torch(tmp_path):
    """A checkpoint torch.save wrote (weights, AdamW state, ints, strings, a 0-d tensor)
    resumes under lamina exactly as under torch."""
    tm, _ = pair(bias=False)
    topt = tm.optimizer(1e-2, 0.1)
    off = torch.amp.GradScaler("cpu", enabled=False)
    train(torch, tm, topt, off, 2, np.random.default_rng(4))
    ck = checkpoint(tm, topt, 2, torch.tensor(1.5), {"dataset": "chars"}, bias=False)
    torch.save(ck, tmp_path / "ckpt.pt")
    _, t_losses, t_model = resume(torch, tmp_path / "ckpt.pt", np.random.default_rng(5), 3)
    lck, l_losses, l_model = resume(lamina, tmp_path / "ckpt.pt", np.random.default_rng(5), 3)
    assert lck["iter_num"] == 2 and lck["config"] == {"dataset": "chars"}
    assert isinstance(lck["best_val_loss"], lamina.Tensor) and lck["best_val_loss"].item() == 1.5
    close(l_losses, t_losses)
    tsd = t_model.state_dict()
    for k, v in l_model.state_dict().items():
        close(v.numpy(), tsd[k].numpy(), atol=1e-6)


@pytest.mark.parametrize("flash", [True, False])
def test_crop_block_size_then_sample(flash):
    tm, lm = pair(flash=flash)
    tm.crop(5)
    lm.crop(5)
    assert isinstance(lm.tr.wpe.weight, lamina.nn.Parameter)
    assert tuple(lm.tr.wpe.weight.shape) == (5, CFG["n_embd"])
    tm.eval()
    lm.eval()
    x = np.random.default_rng(6).integers(0, CFG["vocab"], (2, 5))
    with torch.no_grad():
        t_log, _ = tm(torch.from_numpy(x))
    with lamina.no_grad():
        l_log, _ = lm(lamina.from_numpy(x))
    close(l_log.numpy(), t_log.numpy())
    # top-k masking as generate does it, on the same logits
    logits = {T: T.tensor(l_log.numpy()[:, -1, :]) for T in (torch, lamina)}
    for T, lg in logits.items():
        v, _ = T.topk(lg, 3)
        lg[lg < v[:, [-1]]] = -float("Inf")
    np.testing.assert_array_equal(logits[lamina].numpy(), logits[torch].numpy())
    lamina.manual_seed(0)
    out = lm.generate(lamina.from_numpy(x[:, :2]), 7, temperature=0.8, top_k=3)
    assert tuple(out.shape) == (2, 9) and out.dtype == lamina.int64
    assert out.requires_grad is False and int(out.max()) < CFG["vocab"]
    np.testing.assert_array_equal(out.numpy()[:, :2], x[:, :2])


def test_train_script_switches_on_the_cpu():
    """The lines train.py/sample.py run before training: dtype table, autocast context,
    TF32 flags, fused AdamW probe, GradScaler from torch.cuda.amp."""
    for T in (torch, lamina):
        T.backends.cuda.matmul.allow_tf32 = True
        T.backends.cudnn.allow_tf32 = True
        cuda_bf16 = T.cuda.is_available() and T.cuda.is_bf16_supported()
        assert cuda_bf16 is False and T.cuda.is_bf16_supported() is False
        table = {"float32": T.float32, "bfloat16": T.bfloat16, "float16": T.float16}
        assert len(set(map(id, table.values()))) == 3
        assert "fused" in inspect.signature(T.optim.AdamW).parameters
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ctx = T.amp.autocast(device_type="cuda", dtype=table["bfloat16"])
        with ctx:
            assert (T.ones(2, 2) @ T.ones(2, 2)).dtype == T.float32  # nothing cast
        with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="Disabling"):
            scaler = T.cuda.amp.GradScaler(enabled=True)
        assert scaler.is_enabled() is False and scaler.get_scale() == 1.0
        assert scaler.state_dict() == {}
        loss = T.ones(3, requires_grad=True).sum()
        assert scaler.scale(loss) is loss
