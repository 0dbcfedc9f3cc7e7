"""A deterministic NumPy recipe for zoo weights, shared by the fixtures and the tests.

Each tensor is drawn from its own generator seeded by the CRC32 of its key, so the same
key gets the same values whatever the model and whatever the order of the state dict.
Pure NumPy: runs both in the torchvision venv (make_fixtures.py) and in lamina's tests.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

# every model family, its fixture input (N, C, H, W) and the input seed
CASES = {
    "alexnet": (2, 3, 64, 64),
    "vgg11": (2, 3, 64, 64),
    "vgg11_bn": (2, 3, 64, 64),
    "vgg13": (2, 3, 64, 64),
    "vgg13_bn": (2, 3, 64, 64),
    "vgg16": (2, 3, 64, 64),
    "vgg16_bn": (2, 3, 64, 64),
    "vgg19": (2, 3, 64, 64),
    "vgg19_bn": (2, 3, 64, 64),
    "resnet18": (2, 3, 64, 64),
    "resnet34": (2, 3, 64, 64),
    "resnet50": (2, 3, 64, 64),
    "resnet101": (2, 3, 64, 64),
    "resnet152": (2, 3, 64, 64),
    "resnext50_32x4d": (2, 3, 64, 64),
    "wide_resnet50_2": (2, 3, 64, 64),
}
INPUT_SEED = 1234


def tensor_for(key: str, shape: tuple) -> np.ndarray:
    """The recipe's array for one state-dict entry (float32; int64 for counters)."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    leaf = key.rsplit(".", 1)[-1]
    shape = tuple(shape)
    if leaf == "num_batches_tracked":
        return np.zeros(shape, np.int64)
    if leaf == "running_mean":
        return np.float32(0.1) * rng.standard_normal(shape, np.float32)
    if leaf == "running_var":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if leaf == "weight" and len(shape) >= 2:  # conv / linear: He normal over fan_in
        fan_in = int(np.prod(shape[1:]))
        return np.float32(math.sqrt(2.0 / fan_in)) * rng.standard_normal(shape, np.float32)
    if leaf == "weight":  # BatchNorm scale
        return np.float32(1.0) + np.float32(0.1) * rng.standard_normal(shape, np.float32)
    return np.float32(0.05) * rng.standard_normal(shape, np.float32)  # biases


def state_dict_for(shapes: dict) -> dict:
    """Arrays for ``{key: shape}`` (e.g. a golden file), in the same key order."""
    return {k: tensor_for(k, s) for k, s in shapes.items()}


def checksum(sd: dict) -> float:
    """A cheap fingerprint: sum of the first 64 entries of every array, in float64."""
    return float(sum(np.asarray(v).ravel()[:64].astype(np.float64).sum() for v in sd.values()))


def input_for(shape: tuple) -> np.ndarray:
    """The fixed input batch for a fixture (float32, standard normal)."""
    return np.random.default_rng(INPUT_SEED).standard_normal(tuple(shape), np.float32)


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """max |got - want| / max |want|."""
    want = np.asarray(want, np.float64)
    return float(np.abs(np.asarray(got, np.float64) - want).max() / np.abs(want).max())
