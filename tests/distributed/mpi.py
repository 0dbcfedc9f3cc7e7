"""Run a script under ``mpiexec -n 2`` from a test, as CI does (the mpi extra is in ``test``).

A missing ``mpiexec`` fails the test: CI installs it with ``pip install -e ".[test]"``
(mpi4py and the mpich wheel), so its absence is a broken environment, not a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).parents[2]


def mpiexec() -> str:
    """The mpiexec beside this Python (the mpich wheel's), else the one on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    if found is None:
        raise RuntimeError(
            "mpiexec not found beside the Python interpreter or on PATH: the distributed "
            "tests need it; install the test extra (pip install -e '.[test]', which brings "
            "mpi4py and the mpich wheel)"
        )
    return found


def run_mpi(
    script: str, *args: str, n: int = 2, timeout: float = 180
) -> subprocess.CompletedProcess:
    """``mpiexec -n n python scripts/<script> args`` (or ``python -m <module> args`` when
    ``script`` is ``"-m"``); one BLAS thread per rank (2 cores here)."""
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # hydra ends a hung job itself before the subprocess timeout kills mpiexec alone
    # (which would leave the ranks running)
    env["MPIEXEC_TIMEOUT"] = str(max(int(timeout) - 15, 5))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    target = [script] if script == "-m" else [str(SCRIPTS / script)]  # "-m", module: python -m
    cmd = [mpiexec(), "-n", str(n), sys.executable, *target, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def check(proc: subprocess.CompletedProcess) -> str:
    """The run's stdout; its output in the failure message when it did not exit 0."""
    assert proc.returncode == 0, (
        f"mpiexec exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    return proc.stdout
