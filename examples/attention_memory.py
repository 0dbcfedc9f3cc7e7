"""Peak memory of one attention training step, each variant in a fresh process.

Usage: python examples/attention_memory.py [--batch 8] [--heads 8] [--length 1024] [--dim 64]

Runs forward + backward of scaled-dot-product attention on (batch, heads, length, dim)
float32 inputs and prints the child's peak resident memory (VmHWM) above what it held
once the inputs existed, next to the size of one (L x L) score matrix per head:
- lamina: F.scaled_dot_product_attention (the fused op),
- lamina-composed: softmax(q @ k^T * scale) @ v from separate lamina ops,
- torch: torch.nn.functional.scaled_dot_product_attention, when torch is installed.
"""

import argparse
import subprocess
import sys

CHILD = """
import sys
import numpy as np
variant, shape = sys.argv[1], tuple(int(a) for a in sys.argv[2:6])
def vm(key):
    return int([l.split()[1] for l in open("/proc/self/status") if l.startswith(key)][0]) * 1024
rng = np.random.default_rng(0)
arrays = [rng.standard_normal(shape, dtype=np.float32) for _ in range(3)]
grad = rng.standard_normal(shape, dtype=np.float32)
if variant == "torch":
    import torch
    q, k, v = (torch.tensor(a, requires_grad=True) for a in arrays)
    g = torch.tensor(grad)
    run = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
else:
    import lamina
    import lamina.nn.functional as F
    q, k, v = (lamina.tensor(a, requires_grad=True) for a in arrays)
    g = grad
    mask = lamina.tensor(np.triu(np.full(shape[2:3] * 2, -np.inf, np.float32), 1))
    def run():
        if variant == "lamina":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        s = q @ k.transpose(-2, -1) * (1 / np.sqrt(shape[3])) + mask
        return F.softmax(s, dim=-1) @ v
base = vm("VmRSS")
out = run()
out.backward(g)
print(vm("VmHWM") - base)
"""


def peak(variant: str, shape: tuple) -> int | None:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, variant, *map(str, shape)], capture_output=True, text=True
    )
    if res.returncode != 0:
        print(f"{variant}: failed ({res.stderr.strip().splitlines()[-1]})")
        return None
    return int(res.stdout.split()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--length", type=int, default=1024)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--variants", default="lamina,lamina-composed,torch")
    args = p.parse_args()
    shape = (args.batch, args.heads, args.length, args.dim)
    scores = args.batch * args.heads * args.length**2 * 4
    print(f"shape {shape}; one float32 (L x L) per head: {scores / 2**20:.0f} MiB")
    for variant in args.variants.split(","):
        if variant == "torch":
            try:
                import torch  # noqa: F401
            except ImportError:
                print("torch: not installed, skipped")
                continue
        mem = peak(variant, shape)
        if mem is not None:
            print(f"{variant:16s} peak above inputs {mem / 2**20:7.0f} MiB = "
                  f"{mem / scores:.2f} x the scores")  # fmt: skip


if __name__ == "__main__":
    main()
