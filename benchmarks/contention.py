"""lamina's step at 1 and 2 threads while another process competes for the cores.

``python -m benchmarks.contention [NAMES...] [--rounds 3] [--steps 10] [--busy 1]`` starts
``--busy`` CPU-bound processes (``while True: pass``), then times lamina's training step in
fresh processes, alternating: 1 thread, N threads (lamina's pool, the BLAS on one thread per
call) and N threads given to OpenBLAS instead (how lamina ran before; ``--blas-threads`` of
``benchmarks.isolate``). The busy processes are ended when the run ends, whatever happens.
The claim checked (issue 16): with one competitor, lamina's N-thread step is no slower than
its 1-thread step.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from .run import child, cpu_name, fmt, load_average, usable_cores

DEFAULT = ("mlp", "lenet5", "cnn_cifar", "lstm_charlm", "gan_mlp")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.contention", description=__doc__)
    p.add_argument("names", nargs="*", default=list(DEFAULT))
    p.add_argument("--threads", type=int, default=max(2, usable_cores()))
    p.add_argument("--rounds", type=int, default=3, help="processes per mode")
    p.add_argument("--steps", type=int, default=10, help="timed steps per process")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--busy", type=int, default=1, help="competing CPU-bound processes")
    args = p.parse_args(argv)
    n = args.threads
    modes = {
        "1 thread": (1, ()),
        f"{n} threads": (n, ()),
        f"{n} BLAS thr": (n, ("--blas-threads",)),
    }
    print(f"CPU: {cpu_name()}, {usable_cores()} usable cores; load average {load_average()}")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        time.sleep(0.5)
        print(f"with {args.busy} competing process(es); load average {load_average()}")
        print(f"{'workload':14s}" + "".join(f" {m:>12s}" for m in modes) + f"  {n}t/1t  BLAS/1t")
        for name in args.names:
            times = {m: [] for m in modes}
            for _ in range(args.rounds):
                for m, (t, extra) in modes.items():
                    res = child("lamina", name, t, args.steps, args.warmup, True, extra)
                    times[m] += res.get("wall", [])
            med = {m: statistics.median(ts) if ts else None for m, ts in times.items()}
            one, many, blas = med.values()
            cells = "".join(f" {fmt(v):>12s}" for v in med.values())
            ratio = f"{many / one:6.2f}  {blas / one:7.2f}" if one and many and blas else ""
            print(f"{name:14s}{cells}  {ratio}", flush=True)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
