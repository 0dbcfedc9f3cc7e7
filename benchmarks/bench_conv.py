"""Conv2d forward+backward: lamina's op vs torch, CIFAR/LeNet layer shapes, same process.

Run: PYTHONPATH=src python3 benchmarks/bench_conv.py [threads]   (median of 20 runs each;
torch is only the oracle). ``threads`` (default 1) sets both OpenBLAS's and torch's thread
count, so the two libraries get the same cores; on a shared machine 1 is the stable choice.
"""

import os
import sys
import time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(THREADS)

import numpy as np  # noqa: E402  (after the thread count is set)

from lamina.autograd.function import Context  # noqa: E402
from lamina.ops.conv import Conv2d  # noqa: E402

SHAPES = [  # (N, C, O, H, k, pad)
    (32, 3, 32, 32, 3, 1),
    (32, 32, 64, 16, 3, 1),
    (32, 32, 64, 32, 3, 1),
    (32, 1, 6, 28, 5, 0),
    (32, 6, 16, 14, 5, 0),
]


def median_ms(fns, reps=20):
    """Median ms of each fn; the runs alternate so a busy machine slows all of them alike."""
    times = [[] for _ in fns]
    for fn in fns:
        fn()  # warm-up
    for _ in range(reps):
        for fn, ts in zip(fns, times):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [1e3 * float(np.median(ts)) for ts in times]


def lamina_step(x, w, b, g, pad):
    ctx = Context(Conv2d)
    ctx.needs_input_grad = (True, True, True)
    Conv2d.forward(ctx, x, w, b, 1, pad)
    Conv2d.backward(ctx, g)


def main():
    import torch

    torch.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    print(f"threads {THREADS} (OpenBLAS and torch), forward+backward, median of 20")
    print(f"{'shape (N,C,O,H,k,p)':28s} {'lamina ms':>10s} {'torch ms':>10s} {'ratio':>6s}")
    for n, c, o, h, k, p in SHAPES:
        x = rng.standard_normal((n, c, h, h), dtype=np.float32)
        w = rng.standard_normal((o, c, k, k), dtype=np.float32)
        b = rng.standard_normal(o, dtype=np.float32)
        ho = h + 2 * p - k + 1
        g = rng.standard_normal((n, o, ho, ho), dtype=np.float32)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        gt = torch.tensor(g)

        def torch_step(xt=xt, wt=wt, bt=bt, gt=gt, p=p):
            torch.nn.functional.conv2d(xt, wt, bt, 1, p).backward(gt)

        def our_step(x=x, w=w, b=b, g=g, p=p):
            lamina_step(x, w, b, g, p)

        ms_l, ms_t = median_ms([our_step, torch_step])
        print(f"{str((n, c, o, h, k, p)):28s} {ms_l:10.2f} {ms_t:10.2f} {ms_l / ms_t:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
