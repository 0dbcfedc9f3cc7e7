"""ResNet-18 inference, 1x3x224x224, lamina vs torch (CPU), median of 10 runs, one process.

torchvision is not needed: the torch side is a plain torch.nn ResNet-18 with torchvision's
key names, loaded with lamina's weights (which also checks the two agree).

    python benchmarks/bench_zoo.py [--runs 10] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import lamina
from lamina import models


def torch_resnet18(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + idt)

    class R18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            chans = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (a, b, s) in enumerate(chans, 1):
                setattr(self, f"layer{i}", nn.Sequential(Block(a, b, s), Block(b, b, 1)))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return R18()


def median_times(fns, runs: int) -> list[float]:
    """Median seconds of each function, runs interleaved so machine load hits all alike."""
    for fn in fns:
        fn()  # warm-up
    times = [[] for _ in fns]
    for _ in range(runs):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = p.parse_args(argv)
    lamina.manual_seed(0)
    model = models.resnet18().eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224), np.float32)
    xt = lamina.tensor(x)

    def run_lamina():
        with lamina.no_grad():
            return model(xt).numpy()

    try:
        import torch
    except ImportError:
        (t_lamina,) = median_times([run_lamina], args.runs)
        print(f"lamina resnet18 1x3x224x224 eval: median {t_lamina * 1e3:.1f} ms of {args.runs}")
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    tm = torch_resnet18(torch).eval()
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    xt_t = torch.from_numpy(x)

    def run_torch():
        with torch.no_grad():
            return tm(xt_t).numpy()

    t_lamina, t_torch = median_times([run_lamina, run_torch], args.runs)
    print(f"lamina resnet18 1x3x224x224 eval: median {t_lamina * 1e3:.1f} ms of {args.runs}")
    a, b = run_lamina(), run_torch()
    err = np.abs(a - b).max() / np.abs(b).max()
    ratio = t_lamina / t_torch
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads): median "
        f"{t_torch * 1e3:.1f} ms; lamina/torch = {ratio:.1f}x; rel err {err:.1e}"
    )


if __name__ == "__main__":
    main()
