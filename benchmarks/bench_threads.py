"""The parallel kernels one by one, at 1 thread and at N: ``python -m benchmarks.bench_threads``.

Each kernel runs ``--repeat`` times per thread count, alternating the counts; the table
gives the best (the uncontended time, what the kernel can do) and the median (what this
machine gave it) in microseconds, and best(N) / best(1). On a shared machine the best is
the figure to compare; the median says how much the other processes took. The pool's
back-off (``ops._parallel``) is switched off here, so the N-thread column is the split
itself, also where a training step would have fallen back to one thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def kernels():
    import lamina
    from lamina import nn, optim
    from lamina.ops import pool
    from lamina.ops._parallel import matmul
    from lamina.ops.conv_kernels import col2im, im2col, pad_zeros

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 32, 32)).astype(np.float32)
    xp = pad_zeros(x, 1, 1, 1, 1)
    cols = im2col(xp, 3, 3, (1, 1), (1, 1), 32, 32, 1, False)
    w = rng.standard_normal((32, 288)).astype(np.float32)
    a1, b1 = (
        rng.standard_normal((128, 784), np.float32),
        rng.standard_normal((784, 512), np.float32),
    )
    a2, b2 = (
        rng.standard_normal((32, 256), np.float32),
        rng.standard_normal((256, 1024), np.float32),
    )
    fc = nn.Linear(4096, 256)
    opt = optim.Adam(fc.parameters())
    fc.weight.grad = lamina.tensor(rng.standard_normal((256, 4096), np.float32))
    fc.bias.grad = lamina.tensor(rng.standard_normal(256, np.float32))

    class Ctx:
        needs_input_grad = (True,)

        def save_for_backward(self, *a):
            self.saved = a

    ctx = Ctx()
    return {
        "pad (32,32,32,32)": lambda: pad_zeros(x, 1, 1, 1, 1),
        "im2col 3x3 (32,32,32,32)": lambda: im2col(xp, 3, 3, (1, 1), (1, 1), 32, 32, 1, False),
        "col2im 3x3 (32,32,32,32)": lambda: col2im(
            cols, xp.shape, (3, 3), (32, 32), (1, 1), (1, 1), False
        ),
        "conv GEMM 32x(32x288@288x1024)": lambda: matmul(w, cols),
        "max_pool 2x2 (32,32,32,32)": lambda: pool.MaxPool2d.forward(ctx, x, kernel_size=2),
        "GEMM 128x784@784x512 (mlp)": lambda: matmul(a1, b1),
        "GEMM 32x256@256x1024 (lstm)": lambda: matmul(a2, b2),
        "Adam step 4096x256 (cnn fc)": opt.step,
    }


def main(argv=None) -> int:
    import lamina
    import lamina.ops.fast as fast

    from .run import cpu_name, load_average, usable_cores

    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_threads", description=__doc__)
    p.add_argument("--threads", type=int, default=max(2, usable_cores()))
    p.add_argument("--repeat", type=int, default=40)
    p.add_argument("--no-fast", action="store_true", help="NumPy paths even with numba")
    args = p.parse_args(argv)
    if args.no_fast:
        fast.set_enabled(False)
    import lamina.ops._parallel as par

    par.MAX_BACKOFF = 0
    n = args.threads
    print(f"CPU: {cpu_name()}; load average {load_average()}; numba kernels {fast.is_enabled()}")
    cols = ("best 1t", f"best {n}t", "ratio", "med 1t", f"med {n}t")
    print(f"{'kernel':32s}" + "".join(f" {c:>9s}" for c in cols))
    for name, fn in kernels().items():
        times = {1: [], n: []}
        for _ in range(args.repeat):
            for t in (1, n):
                lamina.set_num_threads(t)
                t0 = time.perf_counter()
                fn()
                times[t].append(time.perf_counter() - t0)
        b1, bn = min(times[1]) * 1e6, min(times[n]) * 1e6
        m1, mn = (statistics.median(times[t]) * 1e6 for t in (1, n))
        print(f"{name:32s} {b1:9.0f} {bn:9.0f} {bn / b1:9.2f} {m1:9.0f} {mn:9.0f}", flush=True)
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
