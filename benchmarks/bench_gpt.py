"""GPT rows against torch: a training iteration and generation tokens/s, each library in its
own processes.

Usage: python benchmarks/bench_gpt.py [--threads 1,2] [--rounds 5] [--steps 10] [--tokens 200]

The model is nanoGPT's shakespeare_char CPU configuration (4 layers, 4 heads, 128 wide,
block 64, vocab 65, batch 12). Training: forward, cross-entropy, backward, AdamW step.
Generation at batch 1 from a one-token prompt, top-k 10: lamina with its key-value cache
(and, for reference, without), torch eager as nanoGPT generates (the cropped context through
the model every token, the head on the last position only).

Each round starts one fresh process per library (lamina's never imports torch), alternating
which goes first; a process warms up, then times ``--steps`` iterations and three generations.
Rows report medians over all rounds and the ratio lamina/torch (time) or lamina/torch
(tokens/s), with the CPU, the thread count (BLAS and torch.set_num_threads) and the load
average before and after (the 1-minute figure). Wall time is the figure; each step's process
CPU time is reported beside it: on a shared, loaded machine at 1 thread it is the robust one
(time spent waiting for a core is not counted), at 2 threads it sums both threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

V, T, B, C, H, NL = 65, 64, 12, 128, 4, 4
HERE = os.path.dirname(os.path.abspath(__file__))


def lamina_worker(steps: int, tokens: int) -> dict:
    import numpy as np

    import lamina
    from lamina.models.gpt import GPT, GPTConfig
    from lamina.optim import AdamW

    lamina.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=NL, n_head=H, n_embd=C))
    opt = AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, V, (B, T)), rng.integers(0, V, (B, T))

    def train():
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    prompt = np.zeros((1, 1), np.int64)
    out = {"train": _time(train, steps)}
    out["generate"] = _time(lambda: model.generate(prompt, tokens, top_k=10), 3)
    out["generate_uncached"] = _time(
        lambda: model.generate(prompt, tokens, top_k=10, use_cache=False), 1
    )
    return out


def torch_worker(steps: int, tokens: int, threads: int) -> dict:
    import numpy as np
    import torch
    from torch import nn

    F = torch.nn.functional
    torch.set_num_threads(threads)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
            self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
            self.c_fc, self.c_proj2 = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

        def forward(self, x):
            b, t, _ = x.shape
            qkv = self.c_attn(self.ln_1(x)).split(C, 2)
            q, k, v = (z.view(b, t, H, -1).transpose(1, 2) for z in qkv)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, C))
            return x + self.c_proj2(F.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
            self.h = nn.ModuleList([Block() for _ in range(NL)])
            self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, idx, last_only=False):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for blk in self.h:
                x = blk(x)
            x = self.ln_f(x)
            return self.head(x[:, [-1]] if last_only else x)  # nanoGPT: last only to sample

    torch.manual_seed(0)
    model = GPT()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x, y = torch.tensor(rng.integers(0, V, (B, T))), torch.tensor(rng.integers(0, V, (B, T)))

    def train():
        loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def generate():  # nanoGPT's generate
        idx = torch.zeros((1, 1), dtype=torch.long)
        with torch.no_grad():
            for _ in range(tokens):
                logits = model(idx[:, -T:], last_only=True)[:, -1, :]
                v, _ = torch.topk(logits, 10)
                logits[logits < v[:, [-1]]] = -float("inf")
                nxt = torch.multinomial(torch.softmax(logits, -1), 1)
                idx = torch.cat([idx, nxt], 1)

    out = {"train": _time(train, steps)}
    model.eval()
    out["generate"] = _time(generate, 3)
    return out


def _time(fn, n: int) -> list[list[float]]:
    """[wall seconds, process CPU seconds] per call, after one warm-up call."""
    fn()
    times = []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append([time.perf_counter() - t0, time.process_time() - c0])
    return times


def _run_worker(fw: str, threads: int, steps: int, tokens: int) -> dict:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)  # read by BLAS when the process loads it
    env["PYTHONPATH"] = os.path.join(HERE, "..", "src") + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", fw, "--threads", str(threads)]
    cmd += ["--steps", str(steps), "--tokens", str(tokens)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(threads: int, rounds: int, steps: int, tokens: int) -> dict:
    load0 = os.getloadavg()[0]
    runs = {"lamina": [], "torch": []}
    for r in range(rounds):
        for fw in ("lamina", "torch") if r % 2 == 0 else ("torch", "lamina"):
            runs[fw].append(_run_worker(fw, threads, steps, tokens))
            time.sleep(0.5)

    def med(fw, key, col=0):  # col 0: wall time, 1: process CPU time
        return statistics.median([t[col] for run in runs[fw] for t in run[key]])

    lt, tt = med("lamina", "train"), med("torch", "train")
    lg, tg = med("lamina", "generate"), med("torch", "generate")
    lu = med("lamina", "generate_uncached")
    lc, tc = med("lamina", "train", 1), med("torch", "train", 1)
    lgc, tgc = med("lamina", "generate", 1), med("torch", "generate", 1)
    return {
        "threads": threads,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        "train_ms": {"lamina": lt * 1e3, "torch": tt * 1e3, "ratio": lt / tt},
        "train_cpu_ms": {"lamina": lc * 1e3, "torch": tc * 1e3, "ratio": lc / tc},
        "generate_tokens_per_s": {
            "lamina": tokens / lg,
            "lamina_uncached": tokens / lu,
            "torch": tokens / tg,
            "ratio": tg / lg,
        },
        "generate_tokens_per_cpu_s": {
            "lamina": tokens / lgc,
            "torch": tokens / tgc,
            "ratio": tgc / lgc,
        },
    }


def report(res: dict) -> str:
    tr, g = res["train_ms"], res["generate_tokens_per_s"]
    tc, gc = res["train_cpu_ms"], res["generate_tokens_per_cpu_s"]
    return "\n".join(
        [
            f"threads {res['threads']}  load average {res['load_before']:.2f} -> "
            f"{res['load_after']:.2f}",
            f"  train iteration  lamina {tr['lamina']:7.1f} ms   torch {tr['torch']:7.1f} ms   "
            f"ratio {tr['ratio']:.2f}x time (target <= 1.3)",
            f"  generate b=1     lamina {g['lamina']:7.0f} tok/s torch {g['torch']:7.0f} tok/s "
            f"ratio {g['ratio']:.2f}x tokens/s (target >= 1.0); lamina without cache "
            f"{g['lamina_uncached']:.0f} tok/s",
            f"  process CPU time (robust under load at 1 thread): train ratio {tc['ratio']:.2f}x "
            f"({tc['lamina']:.1f} / {tc['torch']:.1f} ms), generate ratio {gc['ratio']:.2f}x "
            f"({gc['lamina']:.0f} / {gc['torch']:.0f} tokens per CPU second)",
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--tokens", type=int, default=200)
    p.add_argument("--json", action="store_true", help="print the results as JSON too")
    p.add_argument("--worker", choices=("lamina", "torch"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        if a.worker == "lamina":
            out = lamina_worker(a.steps, a.tokens)
        else:
            out = torch_worker(a.steps, a.tokens, int(a.threads))
        print(json.dumps(out))
        return
    import numpy as np

    print(f"CPU {cpu_name()} ({os.cpu_count()} logical), Python {platform.python_version()}, "
          f"NumPy {np.__version__}")  # fmt: skip
    results = []
    for threads in [int(t) for t in a.threads.split(",")]:
        res = measure(threads, a.rounds, a.steps, a.tokens)
        results.append(res)
        print(report(res), flush=True)
    if a.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
