"""transforms.Resize resamples as torchvision does on tensors (antialias by default).

Oracles: torch's ``interpolate(..., antialias=True)`` (the call torchvision's Resize makes on
float tensors) to float32 rounding, and Pillow's ``Image.resize`` (whose filters both follow)
within one grey level on uint8 images.
"""

import numpy as np
import pytest
from PIL import Image

from lamina.data import transforms as T
from tests.oracle import torch

SIZES = [(4, 5), (3, 3), (13, 21), (7, 3), (1, 1), (12, 4)]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_matches_torch_interpolate(mode, antialias):
    x = np.random.default_rng(1).random((2, 3, 11, 9), dtype=np.float32)
    for size in SIZES:
        ours = T.Resize(size, interpolation=mode, antialias=antialias)(x)
        ref = torch.nn.functional.interpolate(
            torch.from_numpy(x), size=size, mode=mode, align_corners=False, antialias=antialias
        ).numpy()
        assert ours.dtype == np.float32 and ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=2e-6, err_msg=f"{size}")


def test_nearest_matches_torch():
    x = np.random.default_rng(2).random((3, 10, 7), dtype=np.float32)
    for size in SIZES:
        ours = T.Resize(size, interpolation=T.InterpolationMode.NEAREST)(x)
        ref = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=size, mode="nearest")
        np.testing.assert_array_equal(ours, ref[0].numpy())


def _striped(shape=(40, 60)):
    img = (np.random.default_rng(3).random(shape) * 255).astype(np.uint8)
    img[:, ::2] = 0  # one-pixel stripes: resampling without antialias aliases badly
    return img


def test_shrinking_uint8_bilinear_matches_pillow():
    """Pillow rounds to uint8 between its two passes, so results may differ by one level."""
    img = _striped()
    for size in [(10, 15), (7, 11), (20, 30), (33, 50)]:
        ours = T.Resize(size)(img[None])[0]
        ref = np.asarray(Image.fromarray(img).resize(size[::-1], Image.BILINEAR))
        diff = np.abs(ours.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and diff.mean() < 0.5, size
    plain = T.Resize((10, 15), antialias=False)(img[None])[0]
    ref = np.asarray(Image.fromarray(img).resize((15, 10), Image.BILINEAR))
    assert np.abs(plain.astype(int) - ref.astype(int)).max() > 20  # the aliasing avoided


def test_shrinking_uint8_bicubic_as_torchvision():
    """torchvision resizes uint8 bicubic in float and rounds; Pillow (which also clips
    between passes, where bicubic overshoots) agrees within two levels on a smooth image."""
    img = _striped()
    for size in [(10, 15), (33, 50), (50, 70)]:
        ours = T.Resize(size, interpolation="bicubic")(img[None])[0]
        t = torch.from_numpy(img.astype(np.float32))[None, None]
        ref = torch.nn.functional.interpolate(t, size=size, mode="bicubic", antialias=True)
        ref = ref.round().clamp(0, 255).to(torch.uint8)[0, 0].numpy()
        assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1, size
    yy, xx = np.mgrid[0:40, 0:60]
    smooth = (127 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0)).astype(np.uint8)
    for size in [(10, 15), (33, 50)]:
        ours = T.Resize(size, interpolation="bicubic")(smooth[None])[0]
        ref = np.asarray(Image.fromarray(smooth).resize(size[::-1], Image.BICUBIC))
        assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 2, size


def test_output_size_with_max_size_as_torchvision():
    r = T.Resize(8, max_size=10)
    assert r.output_size(16, 32) == (5, 10)  # long side 16 > 10: rescale to the cap
    assert r.output_size(20, 10) == (10, 5)
    assert T.Resize(8, max_size=20).output_size(16, 32) == (8, 16)
    with pytest.raises(ValueError, match="max_size"):
        T.Resize(8, max_size=8).output_size(16, 32)
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 5), max_size=10)
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="lanczos")
