"""GPT rows against torch: a training iteration and generation tokens/s, each library in its
own processes.

Usage: python benchmarks/bench_gpt.py [--threads 1,2] [--rounds 5] [--steps 10] [--tokens 200]

The model is nanoGPT's shakespeare_char CPU configuration (4 layers, 4 heads, 128 wide,
block 64, vocab 65, batch 12). Training: forward, cross-entropy, backward, AdamW step.
Generation at batch 1 from a one-token prompt, top-k 10: lamina with its key-value cache
(and, for reference, without), torch eager as nanoGPT generates (the cropped context through
the model every token, the head on the last position only). Two lengths: ``--tokens`` (200:
past the 64-token block every step re-encodes the cropped context in both libraries, since
learned positions shift, so the cache cannot help there) and 63 (within the context, where
every lamina step is a cached one-token step).

Each round starts one fresh process per library (lamina's never imports torch); after a
warm-up the two take turns call by call (``--steps`` training iterations, 3 generations of
each length), so that both see the same background load while the other one idles.
Rows report medians over all rounds and the ratio lamina/torch (time) or lamina/torch
(tokens/s), with the CPU, the thread count (lamina.set_num_threads, torch.set_num_threads; the
thread variables removed) and the load
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


def lamina_tasks(tokens: int) -> dict:
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
    return {
        "train": train,
        "generate": lambda: model.generate(prompt, tokens, top_k=10),
        "generate_window": lambda: model.generate(prompt, T - 1, top_k=10),
        "generate_uncached": lambda: model.generate(prompt, tokens, top_k=10, use_cache=False),
    }


def torch_tasks(tokens: int, threads: int) -> dict:
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

    def generate(n=tokens):  # nanoGPT's generate
        idx = torch.zeros((1, 1), dtype=torch.long)
        with torch.no_grad():
            for _ in range(n):
                logits = model(idx[:, -T:], last_only=True)[:, -1, :]
                v, _ = torch.topk(logits, 10)
                logits[logits < v[:, [-1]]] = -float("inf")
                nxt = torch.multinomial(torch.softmax(logits, -1), 1)
                idx = torch.cat([idx, nxt], 1)

    def generate_eval(n):
        model.eval()
        generate(n)
        model.train()

    return {
        "train": train,
        "generate": lambda: generate_eval(tokens),
        "generate_window": lambda: generate_eval(T - 1),
    }


def serve(tasks: dict) -> None:
    """Worker loop: warm every task up, then run the task named on each stdin line and
    answer with its wall and process CPU seconds."""
    for fn in tasks.values():
        fn()
    print("ready", flush=True)
    for line in sys.stdin:
        fn = tasks.get(line.strip())
        if fn is None:
            print("-1 -1", flush=True)
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        print(time.perf_counter() - t0, time.process_time() - c0, flush=True)


class Worker:
    """A library's benchmark process, driven one task at a time."""

    def __init__(self, fw: str, threads: int, tokens: int, malloc: bool = False) -> None:
        env = dict(os.environ)
        if malloc:  # glibc keeps freed blocks instead of unmapping them (both libraries)
            env["MALLOC_MMAP_THRESHOLD_"], env["MALLOC_TRIM_THRESHOLD_"] = (
                str(1 << 28),
                str(1 << 29),
            )
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(var, None)  # each library takes its threads through its own API, as
            # benchmarks/run.py does (OpenBLAS started at 2 threads and pinned to 1 later
            # ran lamina's GPT step ~25% slower than started at 1: a start-up setting)
        src = os.path.join(HERE, "..", "src")
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", fw]
        cmd += ["--threads", str(threads), "--tokens", str(tokens)]
        pipe = subprocess.PIPE
        self.p = subprocess.Popen(cmd, env=env, stdin=pipe, stdout=pipe, text=True)
        if self.p.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{fw} worker failed to start")

    def run(self, task: str) -> tuple[float, float]:
        self.p.stdin.write(task + "\n")
        self.p.stdin.flush()
        wall, cpu = (float(v) for v in self.p.stdout.readline().split())
        if wall < 0:
            raise RuntimeError(f"unknown task {task}")
        return wall, cpu

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait()


def measure(
    threads: int, rounds: int, steps: int, tokens: int, malloc: bool = False, gap: float = 0.03
) -> dict:
    """Fresh lamina and torch processes per round; each task alternates between them call by
    call (the other process idles meanwhile), so both see the same background load. Each
    call starts ``gap`` seconds after the previous one ended, so that the other library's
    threads have stopped spinning (libgomp's OpenMP workers spin a while after each parallel
    region before they sleep; lamina's pool threads block at once)."""
    load0 = os.getloadavg()[0]
    reps = {"train": steps, "generate": 3, "generate_window": 5, "generate_uncached": 1}
    times = {(fw, t): [] for fw in ("lamina", "torch") for t in reps}
    for r in range(rounds):
        workers = {fw: Worker(fw, threads, tokens, malloc) for fw in ("lamina", "torch")}
        for task, n in reps.items():
            for i in range(n):
                order = ("lamina", "torch") if (r + i) % 2 == 0 else ("torch", "lamina")
                for fw in order:
                    if fw == "torch" and task == "generate_uncached":
                        continue
                    time.sleep(gap)
                    times[fw, task].append(workers[fw].run(task))
        for w in workers.values():
            w.close()

    def med(fw, task, col=0):  # col 0: wall time, 1: process CPU time
        return statistics.median([t[col] for t in times[fw, task]])

    def ratio(task, col=0):
        return med("lamina", task, col) / med("torch", task, col)

    def rate(fw, task, n, col=0):
        return n / med(fw, task, col)

    return {
        "threads": threads,
        "tokens": tokens,
        "malloc_tuned": malloc,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        "train_ms": {
            "lamina": med("lamina", "train") * 1e3,
            "torch": med("torch", "train") * 1e3,
            "ratio": ratio("train"),
        },  # fmt: skip
        "train_cpu_ms": {
            "lamina": med("lamina", "train", 1) * 1e3,
            "torch": med("torch", "train", 1) * 1e3,
            "ratio": ratio("train", 1),
        },  # fmt: skip
        "generate_tokens_per_s": {
            "lamina": rate("lamina", "generate", tokens),
            "lamina_uncached": rate("lamina", "generate_uncached", tokens),
            "torch": rate("torch", "generate", tokens),
            "ratio": 1 / ratio("generate"),
        },
        "generate_tokens_per_cpu_s": {
            "lamina": rate("lamina", "generate", tokens, 1),
            "torch": rate("torch", "generate", tokens, 1),
            "ratio": 1 / ratio("generate", 1),
        },
        "window_tokens_per_s": {
            "lamina": rate("lamina", "generate_window", T - 1),
            "torch": rate("torch", "generate_window", T - 1),
            "ratio": 1 / ratio("generate_window"),
        },
        "window_tokens_per_cpu_s": {"ratio": 1 / ratio("generate_window", 1)},
    }


def report(res: dict) -> str:
    tr, g = res["train_ms"], res["generate_tokens_per_s"]
    tc, gc = res["train_cpu_ms"], res["generate_tokens_per_cpu_s"]
    w = res["window_tokens_per_s"]
    return "\n".join(
        [
            f"threads {res['threads']}  load average {res['load_before']:.2f} -> "
            f"{res['load_after']:.2f}"
            + ("  (glibc malloc thresholds raised)" if res["malloc_tuned"] else ""),
            f"  train iteration  lamina {tr['lamina']:7.1f} ms   torch {tr['torch']:7.1f} ms   "
            f"ratio {tr['ratio']:.2f}x time (target <= 1.3)",
            f"  generate b=1, {res['tokens']} tokens  lamina {g['lamina']:7.0f} tok/s "
            f"torch {g['torch']:7.0f} tok/s "
            f"ratio {g['ratio']:.2f}x tokens/s (target >= 1.0); lamina without cache "
            f"{g['lamina_uncached']:.0f} tok/s",
            f"  generate b=1, {T - 1} tokens (within the context: every lamina step a cached one) "
            f"lamina {w['lamina']:.0f} tok/s torch {w['torch']:.0f} tok/s ratio {w['ratio']:.2f}x",
            f"  process CPU time (robust under load at 1 thread): train ratio {tc['ratio']:.2f}x "
            f"({tc['lamina']:.1f} / {tc['torch']:.1f} ms), generate ratio {gc['ratio']:.2f}x "
            f"({gc['lamina']:.0f} / {gc['torch']:.0f} tokens per CPU second), within the "
            f"context {res['window_tokens_per_cpu_s']['ratio']:.2f}x",
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--tokens", type=int, default=200)
    p.add_argument("--json", action="store_true", help="print the results as JSON too")
    p.add_argument(
        "--gap", type=float, default=0.03,
        help="idle seconds before each timed call (the other side's threads stop spinning)",
    )  # fmt: skip
    p.add_argument(
        "--malloc-tuned", action="store_true",
        help="run both libraries with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ raised:\n"
        "NumPy's fresh arrays then stop page-faulting (~3400 faults per lamina step)",
    )  # fmt: skip
    p.add_argument("--worker", choices=("lamina", "torch"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        if a.worker == "lamina":
            import lamina

            lamina.set_num_threads(int(a.threads))
            serve(lamina_tasks(a.tokens))
        else:
            serve(torch_tasks(a.tokens, int(a.threads)))
        return
    import numpy as np

    sys.path.insert(0, os.path.dirname(HERE))  # run as a script: the repository's root
    from benchmarks.run import cpu_name  # in the parent only; the workers never import it

    print(f"CPU {cpu_name()} ({os.cpu_count()} logical), Python {platform.python_version()}, "
          f"NumPy {np.__version__}")  # fmt: skip
    results = []
    for threads in [int(t) for t in a.threads.split(",")]:
        res = measure(threads, a.rounds, a.steps, a.tokens, a.malloc_tuned, a.gap)
        results.append(res)
        print(report(res), flush=True)
    if a.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
