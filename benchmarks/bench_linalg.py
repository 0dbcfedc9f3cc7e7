"""lamina.linalg forward+backward vs torch.linalg on the CPU, same process, alternating runs.

Run: PYTHONPATH=src python3 benchmarks/bench_linalg.py [threads]   (median of 20 runs each;
torch is only the oracle). ``threads`` (default 1) sets OpenBLAS's and torch's thread count.
Both libraries call LAPACK for the factorisations, so the ratios show lamina's overhead
(autograd, NumPy's batched-LAPACK loop, the backward formulas in NumPy).
"""

import os
import sys
import time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(THREADS)

import numpy as np  # noqa: E402  (after the thread count is set)

import lamina  # noqa: E402

B, N, K = 64, 32, 8  # a batch of 64 matrices 32x32, 8 right-hand sides

CASES = {
    "solve": (lambda T, a, b: T.linalg.solve(a, b), "ab"),
    "inv": (lambda T, a, b: T.linalg.inv(a), "a"),
    "det": (lambda T, a, b: T.linalg.det(a), "a"),
    "cholesky": (lambda T, a, b: T.linalg.cholesky(a @ a.mT), "a"),
    "qr": (lambda T, a, b: T.linalg.qr(a)[1], "a"),
    "eigh": (lambda T, a, b: T.linalg.eigh(a + a.mT)[0], "a"),
    "svdvals": (lambda T, a, b: T.linalg.svdvals(a), "a"),
    "svd": (lambda T, a, b: T.linalg.svd(a, full_matrices=False)[1], "a"),
    "lu_factor": (lambda T, a, b: T.linalg.lu_factor(a)[0], "a"),
    "matrix_norm nuc": (lambda T, a, b: T.linalg.matrix_norm(a, "nuc"), "a"),
    "vector_norm 3": (lambda T, a, b: T.linalg.vector_norm(a, 3, dim=-1), "a"),
}


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


def step(T, fn, arrays, grads):
    ts = [T.tensor(x, requires_grad=True) for x in arrays]
    fn(T, *ts, *([None] * (2 - len(ts)))).sum().backward()
    del grads


def main():
    import torch

    torch.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((B, N, N)).astype(np.float32) + 4 * np.eye(N, dtype=np.float32)
    b = rng.standard_normal((B, N, K)).astype(np.float32)
    print(
        f"load average {os.getloadavg()[0]:.2f}; threads {THREADS}; batch {B} of {N}x{N}, "
        "float32, forward+backward, median of 20"
    )
    print(f"{'op':18s} {'lamina ms':>10s} {'torch ms':>10s} {'ratio':>6s}")
    for name, (fn, args) in CASES.items():
        arrays = [a] + ([b] if args == "ab" else [])
        ms_l, ms_t = median_ms(
            [
                lambda fn=fn, arrays=arrays: step(lamina, fn, arrays, None),
                lambda fn=fn, arrays=arrays: step(torch, fn, arrays, None),
            ]
        )
        print(f"{name:18s} {ms_l:10.2f} {ms_t:10.2f} {ms_l / ms_t:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
