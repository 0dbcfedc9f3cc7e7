"""nanoGPT's own model.py under torch and under lamina, from the same weights: same numbers?

Usage: python benchmarks/nanogpt_parity.py NANOGPT_DIR TEXT_FILE [--steps 10]

NANOGPT_DIR is a checkout of karpathy/nanoGPT (only its ``model.py`` is read; nothing of it
is copied into this repository), TEXT_FILE tiny Shakespeare. The script writes two copies of
``model.py`` to a temporary folder, one as it is and one with only its import lines rewritten
(``import torch`` -> ``import lamina as torch`` ...), builds the shortened shakespeare_char
model (4 layers, 4 heads, 128 wide, block 64, no bias) in torch, copies its weights into
lamina's through a safetensors file, and feeds both the same batches of character ids. It
prints the first-batch loss, the largest relative differences of the logits and of every
gradient, then the losses of ``--steps`` steps of train.py's update (nanoGPT's
``configure_optimizers``, warmup learning rate, ``clip_grad_norm_(1.0)``) and the final
weights' difference. docs/pytorch.md quotes its output.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ARGS = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, bias=False, dropout=0.0)


def to_lamina(source: str) -> str:
    """Rewrite only the lines that import torch."""
    out = []
    for line in source.splitlines():
        if re.match(r"\s*(import|from)\s+torch\b", line):
            line = re.sub(r"^(\s*)import torch$", r"\1import lamina as torch", line)
            line = re.sub(r"\btorch\.", "lamina.", line) if "lamina as" not in line else line
            line = re.sub(r"^(\s*)from torch\b", r"\1from lamina", line)
        out.append(line)
    return "\n".join(out) + "\n"


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def get_lr(it, warmup=100, decay=200, lr=1e-3, min_lr=1e-4):
    """train.py's schedule with the shakespeare_char settings shortened to 200 iterations."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    ratio = (it - warmup) / (decay - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def models(nanogpt: Path, work: Path, vocab: int):
    import torch
    from safetensors.numpy import load_file
    from safetensors.torch import save_file

    import lamina

    source = (nanogpt / "model.py").read_text()
    (work / "model_torch.py").write_text(source)
    (work / "model_lamina.py").write_text(to_lamina(source))
    tm = load_module("model_torch", work / "model_torch.py")
    lm = load_module("model_lamina", work / "model_lamina.py")
    assert tm.torch is torch and lm.torch is lamina
    torch.manual_seed(1337)
    tmodel = tm.GPT(tm.GPTConfig(**ARGS, vocab_size=vocab))
    lmodel = lm.GPT(lm.GPTConfig(**ARGS, vocab_size=vocab))
    weights = {k: v.detach().clone().contiguous() for k, v in tmodel.state_dict().items()}
    save_file(weights, str(work / "weights.safetensors"))
    loaded = load_file(str(work / "weights.safetensors"))
    lmodel.load_state_dict({k: lamina.tensor(v) for k, v in loaded.items()})
    return tmodel, lmodel


def compare_first_batch(tmodel, lmodel, x, y) -> None:
    import torch

    import lamina

    tlog, tloss = tmodel(torch.from_numpy(x), torch.from_numpy(y))
    llog, lloss = lmodel(lamina.from_numpy(x), lamina.from_numpy(y))
    print(f"first-batch loss: torch {tloss.item():.6f}  lamina {lloss.item():.6f}")
    print(
        f"logits: max relative difference {rel(llog.detach().numpy(), tlog.detach().numpy()):.1e}"
    )
    tloss.backward()
    lloss.backward()
    tp, lp = dict(tmodel.named_parameters()), dict(lmodel.named_parameters())
    worst = max((rel(lp[k].grad.numpy(), tp[k].grad.numpy()), k) for k in tp)
    print(
        f"gradients: {len(tp)} tensors, worst max relative difference {worst[0]:.1e} ({worst[1]})"
    )
    tmodel.zero_grad(set_to_none=True)
    lmodel.zero_grad(set_to_none=True)


def train_steps(tmodel, lmodel, batches) -> None:
    import torch

    import lamina

    topt = tmodel.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
    lopt = lmodel.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
    for it, (x, y) in enumerate(batches):
        losses = []
        for T, model, opt in ((torch, tmodel, topt), (lamina, lmodel, lopt)):
            for group in opt.param_groups:
                group["lr"] = get_lr(it)
            _, loss = model(T.from_numpy(x), T.from_numpy(y))
            loss.backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
        diff = abs(losses[0] - losses[1]) / losses[0]
        print(f"step {it}: loss torch {losses[0]:.6f}  lamina {losses[1]:.6f}  (rel {diff:.1e})")
    tsd, lsd = tmodel.state_dict(), lmodel.state_dict()
    worst = max((rel(lsd[k].numpy(), tsd[k].numpy()), k) for k in tsd)
    print(f"weights after {len(batches)} steps: worst max relative difference {worst[0]:.1e}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("nanogpt", type=Path, help="a nanoGPT checkout (its model.py is read)")
    p.add_argument("text", type=Path, help="tiny Shakespeare as a text file")
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args(argv)
    text = args.text.read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], np.int64)
    rng = np.random.default_rng(0)

    def batch():
        ix = rng.integers(0, len(data) - ARGS["block_size"], 12)
        x = np.stack([data[i : i + ARGS["block_size"]] for i in ix])
        y = np.stack([data[i + 1 : i + 1 + ARGS["block_size"]] for i in ix])
        return x, y

    with tempfile.TemporaryDirectory() as work:
        tmodel, lmodel = models(args.nanogpt, Path(work), len(chars))
        compare_first_batch(tmodel, lmodel, *batch())
        train_steps(tmodel, lmodel, [batch() for _ in range(args.steps)])


if __name__ == "__main__":
    sys.exit(main())
