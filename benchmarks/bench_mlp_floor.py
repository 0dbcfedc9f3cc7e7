"""The floor under issue 18's MLP latency target: three matrix-vector products alone.

``lamina.compile`` must give eager mode's outputs bit for bit, so a replayed batch-1 MLP
(784-512-256-10) makes the same three OpenBLAS matrix-vector calls as eager mode. This
script times those three calls back to back in NumPy (nothing else: no bias, no ReLU, no
call overhead) and torch 2.13's eager MLP of the same shape under ``no_grad``, each in
processes of its own, alternating, one thread each, and prints the medians and the ratio.
If the three products alone take more than half of torch's time, no replay of eager's
kernels reaches 0.5x.

Usage: python benchmarks/bench_mlp_floor.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SHAPES = [(512, 784), (256, 512), (10, 256)]


def _time(f, n: int = 2000) -> float:
    for _ in range(50):
        f()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def worker(fw: str) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    ws = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    x = rng.standard_normal((1, 784), dtype=np.float32)
    if fw == "numpy":
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
        wts = [w.T for w in ws]
        outs = [np.empty((1, w.shape[0]), np.float32) for w in ws]

        def gemvs():
            h = x
            for wt, o in zip(wts, outs):
                np.dot(h, wt, out=o)
                h = o

        return _time(gemvs)
    import torch

    torch.set_num_threads(1)
    nn = torch.nn
    m = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                      nn.Linear(256, 10)).eval()  # fmt: skip
    xt = torch.from_numpy(x)
    with torch.no_grad():
        return _time(lambda: m(xt))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--worker", choices=("numpy", "torch"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        print(worker(a.worker))
        return
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    got = {"numpy": [], "torch": []}
    for r in range(a.rounds):
        for fw in ("numpy", "torch") if r % 2 == 0 else ("torch", "numpy"):
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", fw]
            got[fw].append(float(subprocess.check_output(cmd, env=env, text=True)))
    g, t = statistics.median(got["numpy"]), statistics.median(got["torch"])
    print(
        f"load average {os.getloadavg()[0]:.2f}; one thread each, medians of {a.rounds} processes"
    )
    print(f"three OpenBLAS matrix-vector products alone: {1e6 * g:.1f} us")
    print(f"torch eager MLP 784-512-256-10, batch 1:     {1e6 * t:.1f} us")
    print(f"ratio {g / t:.2f} (issue 18's target for the whole compiled MLP: 0.5)")


if __name__ == "__main__":
    main()
