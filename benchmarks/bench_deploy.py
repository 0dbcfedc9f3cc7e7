"""Deploy figures: the ONNX export table and batch-1 inference latency, one process per cell.

Usage: ``python -m benchmarks.bench_deploy [--export] [--latency] [--runs 200]
[--repeat 3] [--threads 1,2] [--clock wall|cpu]``

Export: each shipped model is exported at batch 1 and run in onnxruntime at batch 7 against
lamina (eval mode); the table gives the ONNX ops, the file size and the max error relative
to the output's scale. Latency: for mlp (784-512-256-10), lenet5 and resnet18 (224x224),
lamina eager, ``lamina.compile``, torch eager and onnxruntime on lamina's exported file are
timed in separate fresh processes (so no framework's threads or caches sway another);
each figure is the median of ``--runs`` calls after 20 warm-up calls, the best of
``--repeat`` such processes (rounds alternate the frameworks, so a burst of load on a
shared machine hits them alike). One table per thread count in ``--threads`` (every
framework gets that many: OPENBLAS/OMP_NUM_THREADS for NumPy, ``torch.set_num_threads``,
onnxruntime's ``intra_op_num_threads``; 0 leaves each its default), each headed by the CPU
and the load average before and after it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

_LATENCY = r"""
import json, sys, time
import numpy as np
sys.path[:0] = {path!r}
from benchmarks.workloads import _mlp, _lenet
name, fw, runs, onnx_file = {name!r}, {fw!r}, {runs!r}, {onnx_file!r}
clock = getattr(time, {clock!r})
if {threads!r}:
    try:
        import torch
        torch.set_num_threads({threads!r})
    except ImportError:
        pass
shape = dict(mlp=(1, 784), lenet5=(1, 1, 28, 28), resnet18=(1, 3, 224, 224))[name]
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
if fw == "torch":
    import torch
    if name == "resnet18":
        from benchmarks.bench_zoo import torch_resnet18
        m = torch_resnet18(torch).eval()
    else:
        m = (_mlp if name == "mlp" else _lenet)(torch.nn).eval()
    xt = torch.from_numpy(x)
    def step():
        with torch.no_grad():
            m(xt)
elif fw == "onnxruntime":
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = {threads!r}
    s = ort.InferenceSession(onnx_file, so, providers=["CPUExecutionProvider"])
    step = lambda: s.run(None, {{"input": x}})
else:
    import lamina as L
    from lamina import models, nn
    m = models.resnet18() if name == "resnet18" else (_mlp if name == "mlp" else _lenet)(nn)
    m.eval()
    if fw == "export":
        L.onnx.export(m, L.tensor(x), onnx_file)
        print(json.dumps(0.0)); raise SystemExit
    f = L.compile(m) if fw == "lamina_compiled" else m
    xl = L.tensor(x)
    def step():
        with L.no_grad():
            f(xl)
for _ in range(20):
    step()
ts = []
for _ in range(runs):
    t0 = clock(); step(); ts.append(clock() - t0)
print(json.dumps(sorted(ts)[len(ts) // 2]))
"""

# wall: the latency a caller sees; cpu: the process's CPU time per call, which a loaded
# machine inflates far less (with one thread it is the work itself; with more it also counts
# the BLAS/OpenMP threads' spinning)
_CLOCKS = {"wall": "perf_counter", "cpu": "process_time"}

_FWS = ("lamina_eager", "lamina_compiled", "torch", "onnxruntime")


def _child(code: str, threads: int) -> float:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(root, "src"), root]))
    if threads:  # NumPy's BLAS reads these at start-up; torch and onnxruntime are told above
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def latency(runs: int, repeat: int = 1, threads: int = 0, clock: str = "wall") -> list[dict]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("mlp", "lenet5", "resnet18"):
            onnx_file = os.path.join(tmp, f"{name}.onnx")
            n = max(runs // 10, 10) if name == "resnet18" else runs
            row = {"model": name}
            for r in range(repeat):  # rounds alternate the frameworks; the best median is kept
                for fw in _FWS if r else ("export",) + _FWS:
                    code = _LATENCY.format(
                        path=[root], name=name, fw=fw, runs=n, onnx_file=onnx_file,
                        threads=threads, clock=_CLOCKS[clock],
                    )  # fmt: skip
                    t = _child(code, threads)
                    if fw != "export":
                        row[fw] = min(t, row.get(fw, t))
            rows.append(row)
            print(_latency_line(row), flush=True)
    return rows


def _latency_line(row: dict) -> str:
    ms = " | ".join(f"{row[fw] * 1e3:.3f}" for fw in _FWS)
    ratios = (
        f"{row['lamina_eager'] / row['torch']:.2f}x | {row['lamina_compiled'] / row['torch']:.2f}x"
    )
    return f"| {row['model']} | {ms} | {ratios} |"


def export_table() -> list[str]:
    import numpy as np
    import onnx
    import onnxruntime as ort

    import lamina as L
    from lamina import models
    from lamina.models import digits_cnn
    from lamina.models import digits_mlp as build_mlp

    rng = np.random.default_rng(0)
    img = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    tok = lambda n: rng.integers(0, 50, size=(n, 16)).astype(np.int64)  # noqa: E731
    cases = [
        ("digits MLP", build_mlp, lambda n: img(n, 64)),
        ("digits CNN", digits_cnn, lambda n: img(n, 1, 8, 8)),
        ("LeNet-5", models.lenet5, lambda n: img(n, 1, 28, 28)),
        ("AlexNet 224", models.alexnet, lambda n: img(n, 3, 224, 224)),
        ("VGG-11-BN 224", models.vgg11_bn, lambda n: img(n, 3, 224, 224)),
        ("ResNet-18 224", models.resnet18, lambda n: img(n, 3, 224, 224)),
        ("ResNet-50 224", models.resnet50, lambda n: img(n, 3, 224, 224)),
    ]
    for cell in ("rnn", "lstm", "gru"):
        build = lambda cell=cell: models.RNNLanguageModel(50, 32, 64, cell=cell)  # noqa: E731
        cases.append((f"{cell.upper()} language model, T=16", build, tok))
    cases.append(("DCGAN generator 32x32", lambda: models.DCGANGenerator(64, 3, 32, 64),
                  lambda n: img(n, 64)))  # fmt: skip
    lines = ["| model | ONNX ops | file | max rel. err (batch 7) |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, build, data in cases:
            L.manual_seed(0)
            m = build().eval()
            path = os.path.join(tmp, "m.onnx")
            L.onnx.export(m, L.tensor(data(1)), path, dynamic_axes={"input": {0: "batch"}})
            proto = onnx.load(path)
            onnx.checker.check_model(proto, full_check=True)
            x = data(7)
            got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
                None, {"input": x}
            )
            with L.no_grad():
                out = m(L.tensor(x))
            refs = [out.numpy()] if not isinstance(out, tuple) else _flat(out)
            err = max(float(np.abs(g - r).max() / np.abs(r).max()) for g, r in zip(got, refs))
            ops = sorted({n.op_type for n in proto.graph.node} - {"Identity"})
            size = os.path.getsize(path) / 2**20
            lines.append(f"| {label} | {', '.join(ops)} | {size:.1f} MiB | {err:.1e} |")
            print(lines[-1], flush=True)
    return lines


def _flat(out):
    return [a for o in out for a in (_flat(o) if isinstance(o, tuple) else [o.numpy()])]


def cpu_name() -> str:
    """The CPU's model name and core count (Linux /proc/cpuinfo, else platform)."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            models = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        name = models[0] if models else name
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} logical CPUs"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux/macOS
        return "n/a"


def latency_tables(runs: int, repeat: int, threads: list[int], clock: str = "wall") -> None:
    print(f"CPU: {cpu_name()}; {'wall-clock' if clock == 'wall' else 'CPU'} time per call")
    for n in threads:
        label = f"{n} thread{'s' * (n != 1)} per framework" if n else "default threads"
        print(f"\n{label}; load average (1, 5, 15 min) before: {load_average()}")
        print("| model | lamina eager ms | lamina.compile ms | torch ms | onnxruntime ms "
              "| eager/torch | compiled/torch |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        latency(runs, repeat, n, clock)
        print(f"load average after: {load_average()}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", action="store_true", help="the export table")
    ap.add_argument("--latency", action="store_true", help="the latency table")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per cell (best kept)")
    ap.add_argument(
        "--threads", default="1,2", help="comma-separated thread counts, one table each (0: own)"
    )
    ap.add_argument(
        "--clock",
        choices=sorted(_CLOCKS),
        default="wall",
        help="wall (default) or process CPU time",
    )
    a = ap.parse_args(argv)
    if a.export or not a.latency:
        export_table()
    if a.latency or not a.export:
        latency_tables(a.runs, a.repeat, [int(t) for t in a.threads.split(",")], a.clock)


if __name__ == "__main__":
    main()
