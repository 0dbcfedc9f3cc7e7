"""torch's module paths that scripts import from resolve in lamina (issue 12)."""

import importlib

import numpy as np
import pytest

import lamina
from lamina import nn
from tests.oracle import torch


@pytest.mark.parametrize(
    "path,name",
    [
        ("nn.modules.sparse", "Embedding"),
        ("nn.modules.batchnorm", "BatchNorm2d"),
        ("nn.modules.flatten", "Flatten"),
        ("nn.modules.upsampling", "Upsample"),
        ("nn.modules.pixelshuffle", "PixelShuffle"),
        ("nn.modules.module", "Module"),
        ("nn.modules.conv", "Conv2d"),
        ("nn.modules.rnn", "LSTM"),
        ("nn.modules.container", "ParameterList"),
        ("nn.modules", "Linear"),
        ("utils.data", "DataLoader"),
        ("utils.data", "Dataset"),
        ("utils.data.dataloader", "default_collate"),
        ("utils.data.sampler", "BatchSampler"),
        ("utils.hooks", "RemovableHandle"),
        ("nn.parallel", "DataParallel"),
        ("nn.parallel", "DistributedDataParallel"),
        ("nn.parallel.distributed", "DistributedDataParallel"),
        ("nn.modules.batchnorm", "SyncBatchNorm"),
        ("utils.data", "DistributedSampler"),
        ("utils.data.distributed", "DistributedSampler"),
        ("distributed", "init_process_group"),
        ("distributed", "all_reduce"),
        ("distributed", "ReduceOp"),
        ("amp", "GradScaler"),
        ("amp", "autocast"),
        ("amp.grad_scaler", "GradScaler"),
        ("amp.autocast_mode", "autocast"),
        ("cuda.amp", "GradScaler"),
        ("cuda.amp", "autocast"),
    ],
)
def test_torch_module_paths_resolve(path, name):
    ours = getattr(importlib.import_module(f"lamina.{path}"), name)
    top = getattr(lamina.nn, name, None) or getattr(lamina.utils.data, name, None)
    assert top is None or ours is top
    pytest.importorskip("torch")
    assert hasattr(importlib.import_module(f"torch.{path}"), name)  # torch has it there too


def test_gpu_flags_are_accepted_and_report_no_gpu():
    lamina.backends.cudnn.benchmark = True
    lamina.backends.cudnn.deterministic = True
    assert lamina.backends.cudnn.is_available() is False
    assert lamina.backends.mps.is_available() is False
    assert lamina.accelerator.is_available() is False
    assert lamina.accelerator.current_accelerator() is None
    assert lamina.accelerator.device_count() == 0


def test_data_parallel_wraps_like_torch():
    lamina.manual_seed(0)
    inner = nn.Linear(3, 2)
    dp = nn.parallel.DataParallel(inner)
    tdp = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert list(dp.state_dict()) == list(tdp.state_dict()) == ["module.weight", "module.bias"]
    x = lamina.ones(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.parallel.DataParallel(inner, device_ids=[0])
