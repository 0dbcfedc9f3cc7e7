"""Rows measured in fresh processes: import time and peak resident memory."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

# VmHWM of the child's own address space: ru_maxrss would carry over the parent's peak
# across fork + exec on Linux and so report the runner's memory, not the workload's.
_MEM_SCRIPT = """
import sys
sys.path[:0] = {path!r}
from benchmarks.workloads import WORKLOADS
step = WORKLOADS[{name!r}][{fw!r}]()
for _ in range(3):
    step()
print([l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""


def import_time(module: str, runs: int = 7) -> float:
    """Median wall time of ``python -c 'import module'`` in fresh processes."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory(name: str, fw: str) -> float:
    """Peak RSS in bytes of a fresh process that runs 3 steps of a workload."""
    code = _MEM_SCRIPT.format(path=sys.path, name=name, fw=fw)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1024


def process_rows(runs: int = 7) -> list[dict]:
    rows = []
    base = import_time("numpy", runs)
    lam, tor = import_time("lamina", runs), import_time("torch", runs)
    rows.append(
        {
            "name": "import",
            "what": "import in a fresh process (median)",
            "lamina": lam,
            "torch": tor,
            "ratio": lam / tor,
            "numpy": base,
            "lamina_minus_numpy": lam - base,
        }
    )
    try:
        lm, tm = peak_memory("resnet18_cifar", "lamina"), peak_memory("resnet18_cifar", "torch")
        rows.append(
            {
                "name": "peak_mem_resnet18",
                "what": "peak RSS of the resnet18_cifar step",
                "lamina": lm,
                "torch": tm,
                "ratio": lm / tm,
                "unit": "bytes",
            }
        )
    except subprocess.CalledProcessError as e:
        rows.append(
            {
                "name": "peak_mem_resnet18",
                "what": "peak RSS",
                "lamina": None,
                "torch": None,
                "lamina_error": (e.stderr or "")[-200:],
            }
        )
    return rows
