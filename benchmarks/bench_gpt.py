"""GPT rows against torch, same run: a training iteration and generation tokens/s.

Usage: python benchmarks/bench_gpt.py [--steps 10] [--tokens 200] [--threads 1]

The model is nanoGPT's shakespeare_char CPU configuration (4 layers, 4 heads, 128 wide,
block 64, vocab 65, batch 12). Training: forward, backward, AdamW step; the median over
``--steps`` after warm-up, lamina's and torch's blocks alternated with a pause (as
benchmarks/run.py does, so that one library's BLAS threads do not slow the other).
Generation at batch 1 from a one-token prompt: lamina with its key-value cache, lamina
without, and torch eager as nanoGPT generates (the whole cropped context every token).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--tokens", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    return p.parse_args()


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None:  # BLAS reads its thread count when NumPy loads
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import numpy as np  # noqa: E402

V, T, B, C, H, NL = 65, 64, 12, 128, 4, 4


def lamina_model():
    import lamina
    from lamina.models.gpt import GPT, GPTConfig

    lamina.manual_seed(0)
    return GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=NL, n_head=H, n_embd=C))


def torch_model():
    import torch
    from torch import nn

    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.c_attn, self.c_proj = (
                nn.LayerNorm(C),
                nn.Linear(C, 3 * C),
                nn.Linear(C, C),
            )
            self.ln_2, self.c_fc, self.c_proj2 = (
                nn.LayerNorm(C),
                nn.Linear(C, 4 * C),
                nn.Linear(4 * C, C),
            )

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = (
                z.view(b, t, H, -1).transpose(1, 2) for z in self.c_attn(self.ln_1(x)).split(C, 2)
            )
            y = (
                F.scaled_dot_product_attention(q, k, v, is_causal=True)
                .transpose(1, 2)
                .reshape(b, t, C)
            )
            x = x + self.c_proj(y)
            return x + self.c_proj2(F.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
            self.h = nn.ModuleList([Block() for _ in range(NL)])
            self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for blk in self.h:
                x = blk(x)
            return self.head(self.ln_f(x))

    torch.manual_seed(0)
    torch.set_num_threads(ARGS.threads if ARGS else 1)
    return GPT()


def train_steps():
    import torch

    from lamina.optim import AdamW

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, V, (B, T)), rng.integers(0, V, (B, T))
    lm, tm = lamina_model(), torch_model()
    lopt, topt = AdamW(lm.parameters(), lr=1e-3), torch.optim.AdamW(tm.parameters(), lr=1e-3)
    tx, ty = torch.tensor(x), torch.tensor(y).reshape(-1)

    def lamina_step():
        _, loss = lm(x, y)
        lopt.zero_grad()
        loss.backward()
        lopt.step()

    def torch_step():
        loss = torch.nn.functional.cross_entropy(tm(tx).reshape(-1, V), ty)
        topt.zero_grad()
        loss.backward()
        topt.step()

    return lamina_step, torch_step


def gen_steps(tokens: int):
    import torch

    lm, tm = lamina_model(), torch_model()
    tm.eval()

    def lamina_cached():
        lm.generate(np.zeros((1, 1), np.int64), tokens, top_k=10)

    def lamina_uncached():
        lm.generate(np.zeros((1, 1), np.int64), tokens, top_k=10, use_cache=False)

    def torch_eager():  # nanoGPT's generate: the cropped context through the model each token
        idx = torch.zeros((1, 1), dtype=torch.long)
        with torch.no_grad():
            for _ in range(tokens):
                logits = tm(idx[:, -T:])[:, -1, :]
                v, _ = torch.topk(logits, 10)
                logits[logits < v[:, [-1]]] = -float("inf")
                nxt = torch.multinomial(torch.softmax(logits, -1), 1)
                idx = torch.cat([idx, nxt], 1)

    return lamina_cached, lamina_uncached, torch_eager


def _time(fn, steps: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    a = ARGS
    ls, ts = train_steps()
    lt, tt = [], []
    for _ in range(a.rounds):
        lt += _time(ls, a.steps)
        time.sleep(0.3)
        tt += _time(ts, a.steps)
        time.sleep(0.3)
    lmed, tmed = statistics.median(lt), statistics.median(tt)
    print(f"threads {a.threads}")
    print(f"train iteration   lamina {lmed * 1e3:7.1f} ms  torch {tmed * 1e3:7.1f} ms  "
          f"ratio {lmed / tmed:.2f}")  # fmt: skip
    fns = gen_steps(a.tokens)
    times = {name: [] for name in ("lamina cached", "lamina uncached", "torch eager")}
    for _ in range(a.rounds):
        for name, fn in zip(times, fns):
            times[name] += _time(fn, 1)
            time.sleep(0.3)
    rates = {k: a.tokens / statistics.median(v) for k, v in times.items()}
    for name, rate in rates.items():
        print(f"generate b=1      {name:16s} {rate:8.0f} tokens/s  "
              f"({rate / rates['torch eager']:.2f}x torch eager)")  # fmt: skip


if __name__ == "__main__":
    main()
