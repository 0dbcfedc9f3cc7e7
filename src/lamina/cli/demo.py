"""``lamina demo [NAME...] [--out DIR]``: train the demos, then a table of what each reached."""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import shutil
import sys
import tempfile
import time

from .demos import DEMOS


def add_parsers(sub: argparse._SubParsersAction, parents: list) -> None:
    lines = [f"  {name:<4} {d.line} (~{d.minutes})" for name, d in DEMOS.items()]
    p = sub.add_parser(
        "demo",
        parents=parents,
        help="train the demos on data lamina ships (about 8 minutes for all)",
        description="Train each demo on data lamina ships, save its model with its recipe "
        "and its pictures under --out/NAME, then print a table of the results.",
        epilog="demos (typical time on a busy 2-core CPU, OPENBLAS_NUM_THREADS=1):\n"
        + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="demos to run (default: all but gpt)")
    p.add_argument("--out", default="lamina_out", help="folder for models, logs and pictures")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from . import UsageError

    unknown = [n for n in args.names if n not in DEMOS]
    if unknown:
        raise UsageError(f"unknown demo {unknown[0]!r}; choose from {', '.join(DEMOS)}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise NotADirectoryError(f"--out {args.out!r} is a file; expected a folder (or a new name)")
    os.makedirs(args.out, exist_ok=True)
    out = _under_mpi(args.out)
    rows = []
    for name in args.names or [n for n, d in DEMOS.items() if d.in_all]:
        print(f"== lamina demo {name}: {DEMOS[name].line}", flush=True)
        t0 = time.perf_counter()
        module = importlib.import_module(DEMOS[name].module)
        result = module.main(os.path.join(out, name))
        seconds = time.perf_counter() - t0
        print(f"== {name} done in {seconds:.0f}s: {result['figure']}\n", flush=True)
        rows.append((name, result["figure"], seconds, result.get("files", [])))
    print(format_table(rows))
    return 0


def _under_mpi(out: str) -> str:
    """Started by ``mpiexec -n N``: join the process group, so the Trainer trains on N
    shards with averaged gradients; ranks above 0 print nothing and write into a
    temporary folder (rank 0 writes the models and pictures to ``--out``)."""
    from ..distributed import group

    if not group.launched_by_mpi():
        return out
    if not group.is_initialized():
        group.init_process_group()
    if group.get_rank() == 0:
        return out
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
    scratch = tempfile.mkdtemp(prefix=f"lamina_demo_rank{group.get_rank()}_")
    atexit.register(shutil.rmtree, scratch, True)
    return scratch


def format_table(rows: list[tuple[str, str, float, list[str]]]) -> str:
    """demo | figure reached | time | files written, as a plain-text table."""
    head = ("demo", "figure reached", "time", "files written")
    body = [(n, f, f"{s // 60:.0f}m{s % 60:02.0f}s", ", ".join(files)) for n, f, s, files in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(3)]
    lines = []
    for r in [head, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
        if r is head:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(head[3]))
    return "\n".join(lines)
