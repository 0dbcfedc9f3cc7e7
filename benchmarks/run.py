"""Time the same workloads in lamina and in PyTorch, each in processes of its own, and print
the ratios at each thread count.

Usage: ``python -m benchmarks [NAMES...] [--threads 1,2] [--steps 20] [--rounds 2]
[--json out.json] [--check base.json]``

Every figure comes from fresh child processes (``benchmarks.isolate``), one framework per
process: lamina and torch never share a process, so one side's spinning BLAS threads cannot
slow the other, and the children alternate lamina, torch, lamina, torch... (``--rounds``
pairs per thread count, each timing ``--steps / --rounds`` steps after ``--warmup``), so both
see the same machine load. The thread count is set through each framework's API
(``lamina.set_num_threads`` / ``torch.set_num_threads``) with the thread environment
variables removed. The figure is the median over all timed steps of a framework; the table
names the CPU and the load average before and after, since on a shared machine wall-clock
time measures the scheduler as much as the code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from .workloads import WORKLOADS

# the default table: the six training workloads of issue 16
TRAINING = ("mlp", "lenet5", "cnn_cifar", "resnet18_cifar", "lstm_charlm", "gan_mlp")
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo, else the platform's word for it)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def child(fw: str, name: str, threads: int, steps: int, warmup: int, fast: bool, extra=()) -> dict:
    """Run one block of steps in a fresh process; its JSON result (or an error)."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(root, "src"), root, *filter(None, [env.get("PYTHONPATH")])]
    )
    cmd = [sys.executable, "-m", "benchmarks.isolate", fw, name, str(threads), str(steps)]
    cmd += [str(warmup)] + ([] if fast else ["--no-fast"]) + list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root)
    if out.returncode != 0:
        err = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
        return {"error": err}
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(name: str, threads: list[int], args) -> dict:
    """Times of one workload at every thread count, children alternating lamina/torch."""
    row = {"name": name, "what": WORKLOADS[name]["what"], "threads": {}}
    times = {(t, fw): [] for t in threads for fw in ("lamina", "torch")}
    errors = {}
    per = max(1, args.steps // args.rounds)
    for _ in range(args.rounds):
        for t in threads:
            for fw in ("lamina", "torch"):
                if (t, fw) in errors or WORKLOADS[name].get(fw) is None:
                    continue
                extra = ["--no-backoff"] if args.no_backoff else []
                res = child(fw, name, t, per, args.warmup, not args.no_fast, extra)
                if "error" in res:
                    errors[t, fw] = res["error"]
                else:
                    times[t, fw] += res["wall"]
                time.sleep(args.pause)
    for t in threads:
        cell = {}
        for fw in ("lamina", "torch"):
            ts = times[t, fw]
            cell[fw] = statistics.median(ts) if ts else None
            if (t, fw) in errors:
                cell[f"{fw}_error"] = errors[t, fw]
        if cell["lamina"] and cell["torch"]:
            cell["ratio"] = cell["lamina"] / cell["torch"]
        row["threads"][str(t)] = cell
    return row


def fmt(t):
    return "-" if t is None else (f"{t * 1e6:7.1f} us" if t < 1e-3 else f"{t * 1e3:7.2f} ms")


def header(threads: list[int]) -> str:
    cols = "".join(f" | {f'{t} thread' + ('s' if t > 1 else ''):^30s}" for t in threads)
    sub = "".join(f" | {'lamina':>10s} {'torch':>10s} {'ratio':>7s}" for _ in threads)
    scale = "  lamina/torch 2t:1t" if len(threads) == 2 else ""
    return f"{'':16s}{cols}\n{'workload':16s}{sub}{scale}"


def line(row: dict, threads: list[int]) -> str:
    out = f"{row['name']:16s}"
    for t in threads:
        c = row["threads"][str(t)]
        ratio = f"{c['ratio']:6.2f}x" if "ratio" in c else "      -"
        out += f" | {fmt(c['lamina']):>10s} {fmt(c['torch']):>10s} {ratio:>7s}"
    if len(threads) == 2:
        a, b = (row["threads"][str(t)] for t in threads)
        sc = [
            f"{b[fw] / a[fw]:.2f}" if a.get(fw) and b.get(fw) else "-" for fw in ("lamina", "torch")
        ]
        out += f"  {sc[0]:>6s} / {sc[1]}"
    for t in threads:
        for fw in ("lamina", "torch"):
            if f"{fw}_error" in row["threads"][str(t)]:
                out += f"\n  ({fw}, {t} threads, failed: {row['threads'][str(t)][fw + '_error']})"
    return out


def parse_threads(spec: str) -> list[int]:
    try:
        ts = [int(v) for v in spec.replace(" ", ",").split(",") if v]
    except ValueError:
        ts = []
    if not ts or min(ts) < 1:
        raise argparse.ArgumentTypeError(
            f"--threads: expected positive ints like 1,2; got {spec!r}"
        )
    return ts


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "names",
        nargs="*",
        help=f"workloads (default: {', '.join(TRAINING)}; 'all' for every one): "
        f"{', '.join(WORKLOADS)}",
    )
    cores = usable_cores()
    p.add_argument(
        "--threads",
        type=parse_threads,
        default=sorted({1, cores}),
        help=f"thread counts, comma-separated (default 1,{cores}: 1 and this machine's cores)",
    )
    p.add_argument("--steps", type=int, default=20, help="timed steps per framework and count")
    p.add_argument("--rounds", type=int, default=2, help="processes per framework and count")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps in each process")
    p.add_argument("--pause", type=float, default=0.2, help="seconds between processes")
    p.add_argument("--json", help="write the results to this file")
    p.add_argument(
        "--check",
        help="compare ratios with a stored baseline JSON; exit 1 if any ratio is more than "
        "--tolerance worse",
    )
    p.add_argument("--tolerance", type=float, default=0.25)
    p.add_argument(
        "--no-fast",
        action="store_true",
        help="run lamina on its pure-NumPy path even when numba is installed",
    )
    p.add_argument(
        "--no-backoff",
        action="store_true",
        help="lamina's pool splits above its thresholds even when the split does not pay "
        "(the back-off of lamina.ops._parallel off): the split's effect on a quiet machine",
    )
    p.add_argument(
        "--process",
        action="store_true",
        help="add the fresh-process rows (import time, peak memory)",
    )
    return p


def check(rows: list[dict], path: str, tolerance: float) -> int:
    with open(path) as f:
        base = {r["name"]: r for r in json.load(f)}
    worse = 0
    for r in rows:
        for t, c in r.get("threads", {}).items():
            b = base.get(r["name"], {}).get("threads", {}).get(t, {})
            if "ratio" in c and "ratio" in b and c["ratio"] > b["ratio"] * (1 + tolerance):
                worse += 1
                print(
                    f"REGRESSION {r['name']} ({t} threads): {c['ratio']:.2f}x vs baseline "
                    f"{b['ratio']:.2f}x",
                    file=sys.stderr,
                )
    return 1 if worse else 0


def process_table(rows: list[dict]) -> None:
    from .process import process_rows

    for row in process_rows():
        rows.append(row)
        unit = row.get("unit")
        show = (lambda v: "-" if v is None else f"{v / 2**20:7.0f} MB") if unit else fmt
        ratio = f"{row['ratio']:.2f}x" if "ratio" in row else "-"
        print(f"{row['name']:22s} {show(row['lamina']):>10s} {show(row['torch']):>10s} {ratio:>7s}")
        if row["name"] == "import":
            print(f"  import lamina - import numpy = {row['lamina_minus_numpy'] * 1e3:.0f} ms")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    names = list(WORKLOADS) if args.names == ["all"] else args.names or list(TRAINING)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}", file=sys.stderr)
        return 2
    try:
        import torch

        tv = torch.__version__
    except ImportError:
        tv = "not installed"
    import lamina.ops.fast as fast

    path = "numba kernels" if fast.available() and not args.no_fast else "pure NumPy"
    print(f"CPU: {cpu_name()}, {usable_cores()} usable cores; load average {load_average()}")
    print(
        f"lamina ({path}) vs torch {tv}; each in processes of its own, alternating; median of "
        f"{args.steps} steps per cell over {args.rounds} processes"
    )
    print(header(args.threads))
    rows = []
    for n in names:
        rows.append(bench(n, args.threads, args))
        print(line(rows[-1], args.threads), flush=True)
    print(f"load average after: {load_average()}")
    if args.process:
        process_table(rows)
    if args.json:
        meta = {"cpu": cpu_name(), "load_average": load_average(), "threads": args.threads}
        with open(args.json, "w") as f:
            json.dump([{"name": "_meta", **meta}, *rows], f, indent=1)
    return check(rows, args.check, args.tolerance) if args.check else 0
