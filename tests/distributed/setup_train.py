"""The training run the equivalence test does twice: 2 ranks x batch 32 and 1 x batch 64."""

import numpy as np

import lamina
from lamina import nn, optim

STEPS, BATCH = 20, 64
OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
}


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(((STEPS + 2) * BATCH, 3, 8, 8)).astype(np.float32)
    y = rng.integers(0, 5, len(x))
    return x, y


def model(seed: int) -> nn.Module:
    """Conv (no bias: BatchNorm cancels it), BatchNorm, ReLU, pool, Linear. BatchNorm's
    statistics span the whole batch only when synchronised (SyncBatchNorm) across ranks."""
    lamina.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(6 * 3 * 3, 5),
    )  # fmt: skip


def run(net, forward, opt, batch_of, no_sync) -> tuple[dict, dict]:
    """STEPS optimizer steps on ``batch_of(i)`` (this process's inputs and targets), then
    gradients accumulated over two more batches, the first under ``no_sync()``. Returns
    the state dict and those gradients as arrays."""
    loss_fn = nn.CrossEntropyLoss()
    for i in range(STEPS):
        x, y = batch_of(i)
        opt.zero_grad()
        loss_fn(forward(x), y).backward()
        opt.step()
    opt.zero_grad()
    with no_sync():
        x, y = batch_of(STEPS)
        loss_fn(forward(x), y).backward()
    x, y = batch_of(STEPS + 1)
    loss_fn(forward(x), y).backward()
    state = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    grads = {k: p.grad.numpy().copy() for k, p in net.named_parameters()}
    return state, grads
