"""Data-parallel training over MPI on this machine: 1 process x 2 threads against
2 processes x 1 thread (DistributedDataParallel), same global batch; and MPI's allreduce.

    python -m benchmarks.bench_mpi            # the whole table (a few minutes)
    python -m benchmarks.bench_mpi --rounds 5 --json mpi.json

For each workload (benchmarks/workloads.py's mlp, cnn_cifar, resnet18_cifar, lamina only):

- ``1p x 1t`` and ``1p x 2t``: one process, the workload's batch, 1 or 2 BLAS threads;
- ``2p x 1t``: ``mpiexec -n 2``, half the batch per rank, DDP with torch's buckets (25 MB,
  the first 1 MB), and again with 1 MB buckets;
- ``comm``: a blocking allreduce of the model's gradient buckets alone (what the step would
  add without overlap), ``exposed``: the time backward's end still waits on them on the
  rank that finished backward last (the other rank's wait adds the lag between the ranks,
  reported as ``lag``), and ``overlap`` = 1 - exposed / comm (the share of communication
  hidden behind backward).

Each configuration runs in fresh processes, the configurations alternating, ``--rounds``
times; the medians are reported. The allreduce sweep prints time and bus bandwidth per
message size (2 ranks on one machine: shared memory, not a network).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = {  # name: (batch, steps timed)
    "mlp": (128, 40),
    "cnn_cifar": (32, 15),
    "resnet18_cifar": (16, 5),
}


def _build(name: str, batch: int, ddp: bool, cap: float = 25.0):
    """One training step of the workload at ``batch``; with ``ddp``, the model in DDP."""
    from benchmarks import workloads as W
    from lamina import nn

    if name == "mlp":
        model, data, opt = W._mlp(nn), W._mlp_data(batch), "adam"
    elif name == "cnn_cifar":
        model, data, opt = W._cifar_cnn(nn), W._images((batch, 3, 32, 32)), "adam"
    else:
        model, data, opt = W._resnet18_cifar("lamina"), W._images((batch, 3, 32, 32)), "sgd"
    wrapped = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=cap) if ddp else model
    return W._train_step("lamina", wrapped, *data, opt), wrapped, model


def worker(name: str, mode: str, threads: int, cap: float = 25.0) -> dict:
    """Run in a child process: time the steps, print one JSON line (rank 0)."""
    import lamina

    if hasattr(lamina, "set_num_threads"):  # lamina's own thread pool, where it has one
        lamina.set_num_threads(threads)
    batch, steps = WORKLOADS[name]
    ddp = mode == "ddp"
    rank, size, comm = 0, 1, None
    if ddp:
        import lamina.distributed as dist

        dist.init_process_group("mpi")
        rank, size = dist.get_rank(), dist.get_world_size()
        comm = dist.group.world().comm
    step, wrapped, model = _build(name, batch // size, ddp, cap)
    for _ in range(3):
        step()
    times, waits, skews = [], [], []
    for _ in range(steps):
        if comm is not None:
            comm.Barrier()  # start together: the step of the slower rank is the step
        w0 = wrapped.reducer.wait_seconds if ddp else 0.0
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        wait = np.array([(wrapped.reducer.wait_seconds if ddp else 0.0) - w0])
        if comm is not None:  # the rank that finished backward last waits on communication
            every = np.empty(size)  # only; the others' waits add the lag between the ranks
            comm.Allgather(wait, every)
            wait, skew = every.min(keepdims=True), every.max() - every.min()
            skews.append(skew)
        waits.append(float(wait[0]))
    out = {"step": statistics.median(times), "exposed": statistics.median(waits)}
    out["skew"] = statistics.median(skews) if skews else 0.0
    out["bytes"] = sum(p._data.nbytes for p in model.parameters())
    if ddp:
        out["comm"] = _comm_alone(comm, wrapped.reducer)
        out["buckets"] = len(wrapped.reducer.buckets)
        times_all = np.empty(size)
        comm.Allgather(np.array([out["step"]]), times_all)
        out["step"] = float(times_all.max())
    if rank == 0:
        print("RESULT " + json.dumps(out), flush=True)
    return out


def _comm_alone(comm, reducer, repeats: int = 10) -> float:
    """Median time of the reducer's allreduces run alone (blocking, back to back)."""
    from mpi4py import MPI

    times = []
    for _ in range(repeats):
        comm.Barrier()
        t0 = time.perf_counter()
        for bucket in reducer.buckets:
            comm.Allreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sweep() -> None:
    """Allreduce time per size between the ranks (rank 0 prints JSON lines)."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    p = comm.Get_size()
    for nbytes in [8, 1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 22, 1 << 24, 1 << 26]:
        buf = np.ones(max(nbytes // 4, 2), np.float32)
        reps = max(3, min(200, (1 << 26) // max(nbytes, 1) // 4))
        for _ in range(2):
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        times = []
        for _ in range(reps):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        bus = 2 * (p - 1) / p * buf.nbytes / t  # ring-allreduce bus bandwidth
        if comm.Get_rank() == 0:
            print("SWEEP " + json.dumps({"bytes": buf.nbytes, "seconds": t, "bus_GBps": bus / 1e9}))


NETWORKS = {  # name: (bandwidth bytes/s per link, latency s per message)
    "10GbE": (1.25e9, 50e-6),
    "100Gb IB": (12.5e9, 5e-6),
}


def ring_seconds(nbytes: float, p: int, bandwidth: float, latency: float) -> float:
    """Ring allreduce: 2(p-1)/p of the bytes through each link, 2(p-1) message steps."""
    return 2 * (p - 1) / p * nbytes / bandwidth + 2 * (p - 1) * latency


def projection(figures: dict) -> list[str]:
    """Weak scaling at 8 and 64 nodes: each node computes its batch in the measured 1p x 1t
    step time, then the gradients' ring allreduce is added with no overlap (worst case)."""
    head = ("workload", "network", "nodes", "comm ms", "efficiency", "speed-up")
    lines = ["{:>15} {:>9} {:>5} {:>8} {:>10} {:>8}".format(*head)]
    for name, row in figures["workloads"].items():
        compute, nbytes = row["1p x 1t"]["step"], row["2p x 1t"]["bytes"]
        for net, (bw, lat) in NETWORKS.items():
            for p in (8, 64):
                comm = ring_seconds(nbytes, p, bw, lat)
                eff = compute / (compute + comm)
                lines.append(
                    f"{name:>15} {net:>9} {p:5d} {comm * 1e3:8.2f} {eff:10.0%} {p * eff:8.1f}"
                )
    return lines


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else "mpiexec"


def _child(args: list[str], threads: int, ranks: int) -> list[str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks.bench_mpi", *args]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks), *cmd]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout.splitlines()


def _result(lines: list[str]) -> dict:
    return json.loads(next(ln for ln in lines if ln.startswith("RESULT "))[7:])


CONFIGS = {  # name: (mode, BLAS threads, ranks, DDP bucket_cap_mb)
    "1p x 1t": ("single", 1, 1, 0),
    "1p x 2t": ("single", 2, 1, 0),
    "2p x 1t": ("ddp", 1, 2, 25),  # torch's default buckets
    "2p x 1t, 1MB bkt": ("ddp", 1, 2, 1),  # smaller buckets: more overlap, more messages
}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="fresh runs per configuration")
    ap.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)  # name mode threads cap
    ap.add_argument("--sweep", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], args.worker[1], int(args.worker[2]), float(args.worker[3]))
    if args.sweep:
        return sweep() or {}
    print(f"load average before: {os.getloadavg()}")
    figures: dict = {"load_before": os.getloadavg(), "workloads": {}}
    print("speed-up: over 1p x 1t; comm: the gradient allreduces alone; exposed: what backward")
    print("still waits for at its end; overlap = 1 - exposed / comm\n" + HEADER)
    for name in args.workloads:
        runs: dict[str, list[dict]] = {c: [] for c in CONFIGS}
        for _ in range(args.rounds):
            for config, (mode, threads, ranks, cap) in CONFIGS.items():
                cmd = ["--worker", name, mode, str(threads), str(cap)]
                runs[config].append(_result(_child(cmd, threads, ranks)))
        row = {c: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for c, rs in runs.items()}
        figures["workloads"][name] = row
        _print_row(name, row)
    sweep_lines = _child(["--sweep"], 1, 2)
    figures["allreduce"] = [json.loads(ln[6:]) for ln in sweep_lines if ln.startswith("SWEEP ")]
    print("\nallreduce between 2 ranks on this machine (median):")
    for r in figures["allreduce"]:
        print(
            f"  {r['bytes']:>10,d} B  {r['seconds'] * 1e6:10.1f} us  bus {r['bus_GBps']:.2f} GB/s"
        )
    print("\nring-allreduce model, per-node batch as above, no overlap:")
    print("\n".join(projection(figures)))
    figures["load_after"] = os.getloadavg()
    print(f"load average after: {figures['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return figures


def _print_row(name: str, row: dict) -> None:
    base = row["1p x 1t"]["step"]
    for config, r in row.items():
        line = f"{name:>15} {config:>17} {r['step'] * 1e3:9.1f} {base / r['step']:8.2f}"
        if "comm" in r:
            overlap = max(1 - r["exposed"] / r["comm"], 0.0) if r["comm"] > 0 else float("nan")
            line += (
                f" {r['bytes'] / 1e6:8.2f} {int(r['buckets']):7d} {r['comm'] * 1e3:8.2f}"
                f" {r['exposed'] * 1e3:10.2f} {overlap:8.0%} {r['skew'] * 1e3:7.2f}"
            )
        print(line, flush=True)


HEADER = (
    f"{'workload':>15} {'config':>17} {'step ms':>9} {'speed-up':>8} {'grad MB':>8} "
    f"{'buckets':>7} {'comm ms':>8} {'exposed ms':>10} {'overlap':>8} {'lag ms':>7}"
)


if __name__ == "__main__":
    main()
