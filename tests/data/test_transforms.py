import numpy as np
import pytest

import lamina
from lamina.data import transforms as T


def test_to_tensor_uint8_hwc_and_gray():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # (H, W, C)
    out = T.ToTensor()(img)
    assert out.shape == (3, 2, 3) and out.dtype == np.float32
    assert out[1, 0, 2] == np.float32(img[0, 2, 1]) / np.float32(255)
    gray = T.ToTensor()(np.array([[0, 255]], dtype=np.uint8))
    assert gray.shape == (1, 1, 2) and gray.tolist() == [[[0.0, 1.0]]]
    f = T.ToTensor()(np.full((2, 2, 1), 3.5))
    assert f.dtype == np.float32 and f.max() == 3.5  # floats are not rescaled
    with pytest.raises(TypeError, match=r"\(4,\)"):
        T.ToTensor()(np.zeros(4, np.uint8))


def test_to_tensor_pil():
    Image = pytest.importorskip("PIL.Image")
    arr = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    out = T.ToTensor()(Image.fromarray(arr))
    np.testing.assert_array_equal(out, arr.transpose(2, 0, 1).astype(np.float32) / 255)
    bw = T.ToTensor()(Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1"))
    assert bw.tolist() == [[[0.0, 1.0]]]


def test_normalize_by_hand():
    x = np.ones((2, 2, 2), np.float32) * np.array([1.0, 3.0], np.float32)[:, None, None]
    out = T.Normalize(mean=(0.5, 1.0), std=(0.5, 4.0))(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], 1.0) and np.testing.assert_allclose(out[1], 0.5)
    with pytest.raises(ValueError, match=r"\(2, 2, 2\).*3 means"):
        T.Normalize((0.1, 0.2, 0.3), (1, 1, 1))(x)
    with pytest.raises(ValueError, match="std"):
        T.Normalize((0.0,), (0.0,))


def test_center_crop_offsets_and_padding():
    x = np.arange(5 * 6).reshape(1, 5, 6)
    out = T.CenterCrop(3)(x)
    # offsets round((5-3)/2)=1, round((6-3)/2)=round(1.5)=2 (banker's rounding, as torchvision)
    np.testing.assert_array_equal(out, x[:, 1:4, 2:5])
    big = T.CenterCrop((7, 6))(x)
    assert big.shape == (1, 7, 6) and big[0, 0].sum() == 0 and big[0, 6].sum() == 0
    np.testing.assert_array_equal(big[:, 1:6], x)


def test_random_crop_with_padding_reproducible():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    crop = T.RandomCrop(4, padding=2)
    lamina.manual_seed(5)
    a = [crop(x) for _ in range(6)]
    lamina.manual_seed(5)
    b = [crop(x) for _ in range(6)]
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert all(u.shape == (1, 4, 4) for u in a)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    windows = [padded[:, i : i + 4, j : j + 4] for i in range(5) for j in range(5)]
    assert all(any(np.array_equal(u, w) for w in windows) for u in a)
    assert len({u.tobytes() for u in a}) > 1
    with pytest.raises(ValueError, match="smaller than the crop"):
        T.RandomCrop(5)(x)


def test_random_horizontal_flip():
    x = np.arange(6).reshape(1, 2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    lamina.manual_seed(0)
    flips = sum(T.RandomHorizontalFlip()(x)[0, 0, 0] == 2 for _ in range(200))
    assert 60 < flips < 140


def test_resize_output_size_rule():
    r = T.Resize(4)
    assert r.output_size(8, 12) == (4, 6) and r.output_size(10, 5) == (8, 4)
    assert T.Resize((3, 7))(np.zeros((2, 5, 5), np.float32)).shape == (2, 3, 7)


def test_resize_matches_torch_bilinear_no_antialias():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((3, 7, 10), dtype=np.float32)
    for size in [(4, 5), (13, 21), (7, 3)]:
        ours = T.Resize(size, antialias=False)(x)
        ref = torch.nn.functional.interpolate(
            torch.from_numpy(x)[None], size=size, mode="bilinear", align_corners=False
        )[0].numpy()
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_resize_by_hand_upsample_2x():
    x = np.array([[[0.0, 4.0]]], np.float32)  # (1, 1, 2)
    out = T.Resize((1, 4))(x)
    # half-pixel centres: sources -0.25->0 (clamped), 0.25, 0.75, 1.25->1
    np.testing.assert_allclose(out, [[[0.0, 1.0, 3.0, 4.0]]])
    u8 = T.Resize((1, 4))(np.array([[[0, 255]]], np.uint8))
    assert u8.dtype == np.uint8 and u8.tolist() == [[[0, 64, 191, 255]]]


def test_pil_geometry_and_imagenet_preset():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray(np.random.default_rng(2).integers(0, 256, (300, 400, 3), np.uint8))
    assert T.Resize(256)(img).size == (341, 256)
    assert T.CenterCrop(224)(img).size == (224, 224)
    out = T.imagenet_transform()(img)
    assert out.shape == (3, 224, 224) and out.dtype == np.float32
    crop = np.asarray(T.CenterCrop(224)(T.Resize(256)(img)), np.float32) / 255  # (H, W, C)
    mean, std = np.array(T.IMAGENET_MEAN), np.array(T.IMAGENET_STD)
    np.testing.assert_allclose(out, ((crop - mean) / std).transpose(2, 0, 1), rtol=1e-5, atol=1e-5)
    flipped = T.RandomHorizontalFlip(1.0)(img)
    np.testing.assert_array_equal(np.asarray(flipped), np.asarray(img)[:, ::-1])
    assert T.RandomCrop(32, padding=4)(img).size == (32, 32)


def test_imagenet_preset_on_chw_array():
    x = np.random.default_rng(3).integers(0, 256, (3, 240, 320), np.uint8)
    out = T.imagenet_transform()(x)
    assert out.shape == (3, 224, 224) and out.dtype == np.float32


def test_compose_and_lambda():
    t = T.Compose([T.ToTensor(), T.Lambda(lambda a: a * 2), T.Normalize((1.0,), (1.0,))])
    out = t(np.full((2, 2), 255, np.uint8))
    np.testing.assert_allclose(out, np.ones((1, 2, 2)))
    assert "ToTensor" in repr(t) and "Normalize" in repr(t)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
