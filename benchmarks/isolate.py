"""One framework, one workload, one thread count, in a process of its own.

``python -m benchmarks.isolate FRAMEWORK WORKLOAD THREADS STEPS WARMUP [--no-fast]
[--blas-threads]`` sets the thread count through the framework's own API
(``lamina.set_num_threads`` / ``torch.set_num_threads``), runs WARMUP untimed steps, then
STEPS timed ones, and prints one JSON line: the wall-clock and CPU (process) time of every
timed step. ``--blas-threads`` (lamina only) gives the threads to OpenBLAS instead, with
lamina's pool on one thread: how lamina ran before it split products itself;
``--no-backoff`` switches off the pool's back-off (``lamina.ops._parallel.MAX_BACKOFF``).

The parent (``benchmarks.run``) starts these children with the thread variables
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ...) removed from their environment, so the
API call alone decides, and alternates lamina and torch children: one framework's BLAS threads
never spin beside the other's, and both see the same machine load.
"""

from __future__ import annotations

import json
import sys
import time


def set_threads(fw: str, threads: int) -> int:
    """Give ``fw`` ``threads`` threads; returns what the framework then reports."""
    if fw == "torch":
        import torch

        torch.set_num_threads(threads)
        return torch.get_num_threads()
    import lamina

    lamina.set_num_threads(threads)
    return lamina.get_num_threads()


def run(
    fw: str, name: str, threads: int, steps: int, warmup: int, fast: bool = True, blas=False
) -> dict:
    from .workloads import WORKLOADS

    got = set_threads(fw, 1 if blas else threads)
    if blas:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, "blas")  # the BLAS splits each product, lamina does not
        got = threads
    if fw == "lamina" and not fast:
        import lamina.ops.fast

        lamina.ops.fast.set_enabled(False)
    step = WORKLOADS[name][fw]()
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"fw": fw, "name": name, "threads": got, "wall": wall, "cpu": cpu}


def main(argv: list[str]) -> int:
    fw, name, threads, steps, warmup = argv[:5]
    fast, blas = "--no-fast" not in argv, "--blas-threads" in argv
    if fw == "lamina" and "--no-backoff" in argv:
        import lamina.ops._parallel as par

        par.MAX_BACKOFF = 0  # split above the thresholds whatever the machine does
    out = run(fw, name, int(threads), int(steps), int(warmup), fast, blas)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
