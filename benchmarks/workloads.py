"""The benchmark workloads: for each, a builder of one lamina step and of one torch step.

A builder returns a zero-argument callable that runs one step; data are synthetic float32.
"""

from __future__ import annotations

import numpy as np

WORKLOADS: dict[str, dict] = {}


def workload(name: str, what: str):
    def register(cls):
        WORKLOADS[name] = {
            "what": what,
            "lamina": getattr(cls, "lamina", None),
            "torch": getattr(cls, "torch", None),
        }
        return cls

    return register


@workload("tiny_op", "forward+backward of y = (a * b + a).sum() on 4 floats")
class TinyOp:
    @staticmethod
    def lamina():
        import lamina as L

        a = L.tensor(np.ones(4, np.float32), requires_grad=True)
        b = L.tensor(np.full(4, 2.0, np.float32))

        def step():
            a.grad = None
            (a * b + a).sum().backward()

        return step

    @staticmethod
    def torch():
        import torch

        a = torch.ones(4, requires_grad=True)
        b = torch.full((4,), 2.0)

        def step():
            a.grad = None
            (a * b + a).sum().backward()

        return step


def _mlp_data(batch=128):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return x, y


@workload("mlp_fwd_bwd", "784-512-256-10 ReLU MLP forward+backward, batch 128")
class MLPForwardBackward:
    @staticmethod
    def lamina():
        import lamina as L
        from lamina import nn

        x, _ = _mlp_data()
        xt = L.tensor(x)
        m = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
        )

        def step():
            m.zero_grad()
            m(xt).sum().backward()

        return step

    @staticmethod
    def torch():
        import torch
        from torch import nn

        x, _ = _mlp_data()
        xt = torch.from_numpy(x)
        m = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
        )

        def step():
            m.zero_grad()
            m(xt).sum().backward()

        return step


# ---- training steps: forward + backward + optimizer step --------------------------------
def _train_step(fw: str, model, x, y, opt_name="adam", loss="ce"):
    """One training step closure for either framework."""
    if fw == "lamina":
        import lamina as L
        from lamina import nn, optim

        xt, yt = L.tensor(x), L.tensor(y)
    else:
        import torch
        from torch import nn, optim

        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = model.parameters()
    opt = (
        optim.Adam(params, lr=1e-3)
        if opt_name == "adam"
        else optim.SGD(params, lr=0.01, momentum=0.9)
    )
    crit = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        out = model(xt)
        crit(out.reshape(-1, out.shape[-1]), yt.reshape(-1)).backward()
        opt.step()

    return step


def _mlp(nn):
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def _cifar_cnn(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4096, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )


def _images(shape, classes=10):
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0])


def _nn(fw):
    if fw == "lamina":
        from lamina import nn
    else:
        from torch import nn
    return nn


def _pair(build, data, opt="adam"):
    """A workload class whose two builders run the same training step."""

    class W:
        @staticmethod
        def lamina():
            return _train_step("lamina", build("lamina"), *data(), opt)

        @staticmethod
        def torch():
            return _train_step("torch", build("torch"), *data(), opt)

    return W


workload("mlp", "784-512-256-10 ReLU MLP train step, cross-entropy, Adam, batch 128")(
    _pair(lambda fw: _mlp(_nn(fw)), lambda: _mlp_data(128))
)
workload("lenet5", "LeNet-5 train step, batch 64, 1x28x28, Adam")(
    _pair(lambda fw: _lenet(_nn(fw)), lambda: _images((64, 1, 28, 28)))
)
workload("cnn_cifar", "CIFAR-style CNN train step (4 conv3x3, 2 pools, fc), batch 32, Adam")(
    _pair(lambda fw: _cifar_cnn(_nn(fw)), lambda: _images((32, 3, 32, 32)))
)


def _resnet18_cifar(fw):
    if fw == "lamina":
        from lamina import models, nn
    else:
        import torchvision.models as models  # noqa: F401 - absent beside torch 2.13
        from torch import nn
    m = models.resnet18(num_classes=10)
    m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    m.maxpool = nn.Identity()
    return m


def _torch_resnet18_cifar():
    """The same change on torchvision's layout (rebuilt in plain torch.nn in bench_zoo)."""
    import torch
    from torch import nn

    from .bench_zoo import torch_resnet18

    m = torch_resnet18(torch)
    m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    m.maxpool = nn.Identity()
    m.fc = nn.Linear(512, 10)
    return m


@workload(
    "resnet18_cifar",
    "ResNet-18 (3x3 stem, no max-pool) train step, batch 16, BN train, SGD momentum 0.9",
)
class ResNet18Cifar:
    @staticmethod
    def lamina():
        return _train_step("lamina", _resnet18_cifar("lamina"), *_images((16, 3, 32, 32)), "sgd")

    @staticmethod
    def torch():
        return _train_step("torch", _torch_resnet18_cifar(), *_images((16, 3, 32, 32)), "sgd")


class _CharLM:
    def __init__(self, nn, cell):
        self.emb = nn.Embedding(65, 64)
        self.rnn = getattr(nn, cell)(64, 256, batch_first=True)
        self.fc = nn.Linear(256, 65)

    def parameters(self):
        return [*self.emb.parameters(), *self.rnn.parameters(), *self.fc.parameters()]

    def __call__(self, x):
        return self.fc(self.rnn(self.emb(x))[0])


def _chars():
    rng = np.random.default_rng(0)
    return rng.integers(0, 65, (32, 64)), rng.integers(0, 65, (32, 64))


for _cell in ("LSTM", "GRU"):
    workload(
        f"{_cell.lower()}_charlm",
        f"embedding(65,64) -> {_cell}(256) -> linear(65), seq 64, batch 32, Adam",
    )(_pair(lambda fw, c=_cell: _CharLM(_nn(fw), c), _chars))


@workload(
    "gan_mlp",
    "MLP GAN iteration: G 64-256-512-784, D 784-512-256-1, BCE with logits, "
    "batch 64, one D and one G step",
)
class GanMLP:
    @staticmethod
    def _build(fw):
        if fw == "lamina":
            import lamina as T
            from lamina import nn, optim
        else:
            import torch as T
            from torch import nn, optim
        G = nn.Sequential(
            nn.Linear(64, 256),
            nn.ReLU(),
            nn.Linear(256, 512),
            nn.ReLU(),
            nn.Linear(512, 784),
            nn.Tanh(),
        )
        D = nn.Sequential(
            nn.Linear(784, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )
        og = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        od = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        crit = nn.BCEWithLogitsLoss()
        rng = np.random.default_rng(0)
        real = T.tensor(rng.uniform(-1, 1, (64, 784)).astype(np.float32))
        z = T.tensor(rng.standard_normal((64, 64)).astype(np.float32))
        ones, zeros = T.ones(64, 1), T.zeros(64, 1)

        def step():
            od.zero_grad()
            fake = G(z)
            (crit(D(real), ones) + crit(D(fake.detach()), zeros)).backward()
            od.step()
            og.zero_grad()
            crit(D(fake), ones).backward()
            og.step()

        return step

    lamina = staticmethod(lambda: GanMLP._build("lamina"))
    torch = staticmethod(lambda: GanMLP._build("torch"))


def _latency(build, shape):
    class W:
        @staticmethod
        def lamina():
            import lamina as L

            m = build(_nn("lamina")).eval()
            x = L.tensor(np.zeros(shape, np.float32))

            def step():
                with L.no_grad():
                    m(x)

            return step

        @staticmethod
        def torch():
            import torch

            m = build(_nn("torch")).eval()
            x = torch.zeros(shape)

            def step():
                with torch.no_grad():
                    m(x)

            return step

    return W


workload("mlp_infer_b1", "MLP inference latency, batch 1, no_grad")(_latency(_mlp, (1, 784)))
workload("lenet5_infer_b1", "LeNet-5 inference latency, batch 1, no_grad")(
    _latency(_lenet, (1, 1, 28, 28))
)


@workload("resnet18_infer_b1", "ResNet-18 (ImageNet layout) inference, 1x3x224x224, no_grad")
class ResNet18Infer:
    @staticmethod
    def lamina():
        import lamina as L
        from lamina import models

        m = models.resnet18().eval()
        x = L.tensor(np.zeros((1, 3, 224, 224), np.float32))

        def step():
            with L.no_grad():
                m(x)

        return step

    @staticmethod
    def torch():
        import torch

        from .bench_zoo import torch_resnet18  # torchvision's layout and key names

        m = torch_resnet18(torch).eval()
        x = torch.zeros(1, 3, 224, 224)

        def step():
            with torch.no_grad():
                m(x)

        return step
