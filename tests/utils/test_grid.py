"""make_grid / save_image against torchvision's algorithm (transcribed on torch tensors)."""

import io
import math

import numpy as np
import pytest
from PIL import Image

import lamina
from lamina.utils import make_grid, save_image
from lamina.viz.images import make_grid as viz_grid
from lamina.viz.images import save_image_grid
from tests.oracle import torch


def tv_make_grid(
    tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0
):
    """torchvision.utils.make_grid (torchvision is not installed; its algorithm on torch)."""
    if isinstance(tensor, list):
        tensor = torch.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t):
            if value_range is not None:
                norm_ip(t, value_range[0], value_range[1])
            else:
                norm_ip(t, float(t.min()), float(t.max()))

        if scale_each:
            for t in tensor:
                norm_range(t)
        else:
            norm_range(tensor)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full(
        (tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value
    )
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding
            ).copy_(tensor[k])
            k += 1
    return grid


def tv_pixels(grid):
    """torchvision.utils.save_image's conversion to uint8 (H, W, C)."""
    return grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()


CASES = [
    ((5, 1, 4, 3), dict()),
    ((7, 3, 2, 5), dict(nrow=3, padding=1, pad_value=0.5)),
    ((6, 3, 4, 4), dict(normalize=True)),
    ((6, 1, 4, 4), dict(normalize=True, value_range=(-1, 1))),
    ((4, 3, 3, 3), dict(normalize=True, scale_each=True, nrow=2)),
    ((1, 1, 5, 5), dict()),
    ((3, 6, 7), dict(padding=0)),
]


@pytest.mark.parametrize("shape,kw", CASES, ids=[str(c) for c in CASES])
def test_make_grid_and_pixels_match_torchvision(shape, kw):
    x = (np.random.default_rng(0).standard_normal(shape) * 0.7 + 0.4).astype(np.float32)
    got = make_grid(lamina.tensor(x), **kw)
    want = tv_make_grid(torch.tensor(x), **kw)
    assert isinstance(got, lamina.Tensor)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    buf = io.BytesIO()
    save_image(lamina.tensor(x), buf, format="png", **kw)
    np.testing.assert_array_equal(
        np.asarray(Image.open(io.BytesIO(buf.getvalue()))), tv_pixels(want)
    )


def test_save_image_path_and_png_without_pillow(tmp_path, monkeypatch):
    x = np.random.default_rng(1).random((4, 3, 5, 5)).astype(np.float32)
    save_image(lamina.tensor(x), tmp_path / "a.png", nrow=2)
    want = tv_pixels(tv_make_grid(torch.tensor(x), nrow=2))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png")), want)
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name.startswith("PIL"):
            raise ImportError("no Pillow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    save_image(lamina.tensor(x), str(tmp_path / "b.png"), nrow=2)  # zlib PNG writer
    with pytest.raises(ImportError, match="Pillow"):
        save_image(lamina.tensor(x), str(tmp_path / "b.jpg"))
    monkeypatch.undo()
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "b.png")), want)


def test_make_grid_errors():
    with pytest.raises(TypeError, match="value_range"):
        make_grid(lamina.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        make_grid(lamina.zeros(1, 2, 3, 4, 5))
    grid = make_grid([lamina.zeros(3, 2, 2), lamina.ones(3, 2, 2)], padding=0)
    assert tuple(grid.shape) == (3, 2, 4)


def test_viz_grid_uses_the_same_convention(tmp_path):
    """lamina's own grid writer: [0, 1] values, torchvision's layout, one channel kept."""
    x = np.random.default_rng(2).random((6, 1, 4, 4)).astype(np.float32) * 2 - 1
    grid = viz_grid(x, nrow=3, normalize=True, value_range=(-1, 1))
    want = tv_pixels(tv_make_grid(torch.tensor(x), nrow=3, normalize=True, value_range=(-1, 1)))
    np.testing.assert_array_equal(grid[:, :, 0], want[:, :, 0])
    assert grid.shape == want.shape[:2] + (1,)
    path = save_image_grid(
        x, str(tmp_path / "g.png"), nrow=3, scale=2, normalize=True, value_range=(-1, 1)
    )
    img = np.asarray(Image.open(path))
    np.testing.assert_array_equal(img[::2, ::2], want[:, :, 0])
