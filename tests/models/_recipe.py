"""A deterministic NumPy recipe for zoo weights, shared by the fixtures and the tests.

Each tensor is drawn from its own generator seeded by the CRC32 of its key, so the same
key gets the same values whatever the model and whatever the order of the state dict.
Pure NumPy: runs both in the torchvision venv (make_fixtures.py) and in lamina's tests.
"""

from __future__ import annotations

import math
import re
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


def tensor_for(key: str, shape: tuple, last_bn: bool = False) -> np.ndarray:
    """The recipe's array for one state-dict entry (float32; int64 for counters).

    ``last_bn`` marks the last BatchNorm weight of a residual branch: it is scaled by 0.3 so
    that the activations of a deep ResNet stay O(1) instead of doubling at every block.
    """
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
        w = np.float32(1.0) + np.float32(0.1) * rng.standard_normal(shape, np.float32)
        return w * np.float32(0.3) if last_bn else w
    return np.float32(0.05) * rng.standard_normal(shape, np.float32)  # biases


_BLOCK_BN = re.compile(r"^(layer\d+\.\d+)\.bn(\d+)\.weight$")


def state_dict_for(shapes: dict) -> dict:
    """Arrays for ``{key: shape}`` (e.g. a golden file), in the same key order."""
    last: dict[str, int] = {}  # residual block -> index of its last BatchNorm
    for k in shapes:
        m = _BLOCK_BN.match(k)
        if m:
            last[m[1]] = max(last.get(m[1], 0), int(m[2]))
    out = {}
    for k, s in shapes.items():
        m = _BLOCK_BN.match(k)
        out[k] = tensor_for(k, s, last_bn=bool(m) and last[m[1]] == int(m[2]))
    return out


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


def image_array(h: int = 180, w: int = 270) -> np.ndarray:
    """A smooth, deterministic RGB test image (h, w, 3) uint8 for the preprocessing fixture."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    noise = np.random.default_rng(7).uniform(0, 40, (h, w, 3))
    img = np.stack([xx / w * 200, yy / h * 200, (xx + yy) / (h + w) * 150], axis=-1)
    return np.clip(img + noise, 0, 255).astype(np.uint8)
