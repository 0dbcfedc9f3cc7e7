"""Time the same workloads in lamina and in PyTorch in one process and print the ratios.

Usage: ``python -m benchmarks [NAMES...] [--steps 20] [--json out.json] [--check base.json]``

How the two frameworks are kept apart: on 2 cores OpenBLAS's threads spin for ~0.1 s after
each call, and torch steps timed right after NumPy work run slow (and vice versa). So the
runner times one framework's whole block of steps, pauses (``--pause``, 0.3 s), then the
other's, and repeats the pair ``--rounds`` times; the figure is the median over all timed
steps. Warm-up steps run before each block. torch uses as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from .workloads import WORKLOADS


def blas_threads() -> int:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def time_block(step, steps: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        step()
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        out.append(time.perf_counter() - t0)
    return out


def bench(name: str, steps: int, rounds: int, pause: float, warmup: int) -> dict:
    wl = WORKLOADS[name]
    row = {"name": name, "what": wl["what"]}
    makers = {"lamina": wl["lamina"], "torch": wl.get("torch")}
    steps_fns, times = {}, {"lamina": [], "torch": []}
    for fw, make in makers.items():
        try:
            steps_fns[fw] = make() if make else None
        except ImportError as e:
            steps_fns[fw] = None
            row[f"{fw}_error"] = str(e)
    for _ in range(rounds):
        for fw, step in steps_fns.items():
            if step is None:
                continue
            times[fw] += time_block(step, steps // rounds or 1, warmup)
            time.sleep(pause)
    for fw, ts in times.items():
        row[fw] = statistics.median(ts) if ts else None
    if row["lamina"] and row["torch"]:
        row["ratio"] = row["lamina"] / row["torch"]
    return row


def fmt(t):
    return "-" if t is None else (f"{t * 1e6:8.1f} us" if t < 1e-3 else f"{t * 1e3:8.2f} ms")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", help=f"workloads (default all): {', '.join(WORKLOADS)}")
    p.add_argument("--steps", type=int, default=20, help="timed steps per framework")
    p.add_argument("--rounds", type=int, default=2, help="alternating blocks per framework")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--pause", type=float, default=0.3, help="seconds between blocks")
    p.add_argument("--json", help="write the results to this file")
    p.add_argument(
        "--check",
        help="compare ratios with a stored baseline JSON; exit 1 if "
        "any ratio is more than --tolerance worse",
    )
    p.add_argument("--tolerance", type=float, default=0.25)
    p.add_argument(
        "--no-fast",
        action="store_true",
        help="run lamina on its pure-NumPy path even when numba is installed",
    )
    p.add_argument(
        "--no-process",
        action="store_true",
        help="skip the fresh-process rows (import time, peak memory)",
    )
    args = p.parse_args(argv)
    names = args.names or list(WORKLOADS)
    import lamina.ops.fast as fast

    if args.no_fast:
        fast.set_enabled(False)
    try:
        import torch

        torch.set_num_threads(blas_threads())
        tv = torch.__version__
    except ImportError:
        tv = "not installed"
    path = "numba kernels" if fast.is_enabled() else "pure NumPy"
    print(
        f"lamina ({path}) vs torch {tv}; {blas_threads()} BLAS threads; "
        f"median of {args.steps} steps"
    )
    print(f"{'workload':22s} {'lamina':>11s} {'torch':>11s} {'ratio':>7s}")
    rows = []
    for n in names:
        row = bench(n, args.steps, args.rounds, args.pause, args.warmup)
        rows.append(row)
        ratio = f"{row['ratio']:.2f}x" if "ratio" in row else "-"
        print(f"{n:22s} {fmt(row['lamina']):>11s} {fmt(row['torch']):>11s} {ratio:>7s}", flush=True)
        for fw in ("lamina", "torch"):
            if f"{fw}_error" in row:
                print(f"  ({fw} skipped: {row[f'{fw}_error']})")
    if not args.no_process and not args.names:
        from .process import process_rows

        for row in process_rows():
            rows.append(row)
            unit = row.get("unit")
            show = (lambda v: "-" if v is None else f"{v / 2**20:8.0f} MB") if unit else fmt
            ratio = f"{row['ratio']:.2f}x" if "ratio" in row else "-"
            print(
                f"{row['name']:22s} {show(row['lamina']):>11s} {show(row['torch']):>11s} "
                f"{ratio:>7s}"
            )
        imp = rows[-2] if len(rows) > 1 else None
        if imp and imp["name"] == "import":
            print(f"  import lamina - import numpy = {imp['lamina_minus_numpy'] * 1e3:.0f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.check:
        with open(args.check) as f:
            base = {r["name"]: r for r in json.load(f)}
        worse = [
            r
            for r in rows
            if "ratio" in r
            and r["name"] in base
            and "ratio" in base[r["name"]]
            and r["ratio"] > base[r["name"]]["ratio"] * (1 + args.tolerance)
        ]
        for r in worse:
            print(
                f"REGRESSION {r['name']}: {r['ratio']:.2f}x vs baseline "
                f"{base[r['name']]['ratio']:.2f}x",
                file=sys.stderr,
            )
        return 1 if worse else 0
    return 0
