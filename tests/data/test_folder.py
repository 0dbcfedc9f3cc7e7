import numpy as np
import pytest

from lamina.data import DataLoader
from lamina.data.datasets import DatasetFileError, ImageFolder
from lamina.data.transforms import ToTensor

Image = pytest.importorskip("PIL.Image")


def make_tree(root, corrupt=True):
    rng = np.random.default_rng(0)
    for cls, n in (("cat", 2), ("dog", 3)):
        (root / cls / "sub").mkdir(parents=True)
        for i in range(n):
            arr = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
            folder = root / cls / ("sub" if i == 2 else "")
            Image.fromarray(arr).save(folder / f"{i}.PNG" if i == 1 else folder / f"{i}.png")
    (root / "dog" / "notes.txt").write_text("not an image")
    if corrupt:
        good = (root / "dog" / "0.png").read_bytes()
        (root / "dog" / "broken.png").write_bytes(good[: len(good) // 2])
        (root / "cat" / "garbage.jpg").write_bytes(b"this is not a jpeg")


def test_classes_samples_and_loading(tmp_path):
    make_tree(tmp_path, corrupt=False)
    ds = ImageFolder(tmp_path, transform=ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert ds.targets == [0, 0, 1, 1, 1]
    names = [p.split("/")[-1] for p, _ in ds.samples]
    assert names == ["0.png", "1.PNG", "0.png", "1.PNG", "2.png"]
    x, y = ds[4]
    assert x.shape == (3, 6, 5) and x.dtype == np.float32 and y == 1
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert xb.detach().numpy().shape == (5, 3, 6, 5) and yb.detach().numpy().tolist() == [
        0,
        0,
        1,
        1,
        1,
    ]


def test_corrupt_image_is_reported_with_its_path(tmp_path):
    make_tree(tmp_path)
    ds = ImageFolder(tmp_path)
    bad = [i for i, (p, _) in enumerate(ds.samples) if p.endswith("garbage.jpg")][0]
    with pytest.raises(DatasetFileError, match="garbage.jpg: cannot read image"):
        ds[bad]
    with pytest.raises(DatasetFileError) as info:
        list(DataLoader(ds, batch_size=len(ds)))
    assert "ImageFolder[" in "\n".join(getattr(info.value, "__notes__", []))
    truncated = [i for i, (p, _) in enumerate(ds.samples) if p.endswith("broken.png")][0]
    with pytest.raises(DatasetFileError, match="broken.png"):
        ds[truncated]


def test_skip_corrupt_warns_and_drops(tmp_path):
    make_tree(tmp_path)
    with pytest.warns(UserWarning, match=r"skipped 2 .*(broken\.png|garbage\.jpg)"):
        ds = ImageFolder(tmp_path, skip_corrupt=True)
    assert len(ds) == 5 and ds.targets == [0, 0, 1, 1, 1]
    assert all(ds[i][0].size == (5, 6) for i in range(len(ds)))


def test_missing_or_empty_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        ImageFolder(tmp_path / "nope")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="no images"):
        ImageFolder(tmp_path)


def _png(path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)


def test_walk_order_is_torchvisions_and_symlink_loops_end(tmp_path):
    import os

    root = tmp_path / "root"
    for sub in ("a", "a-b", "a/x", "b"):
        (root / "cat" / sub).mkdir(parents=True, exist_ok=True)
        _png(root / "cat" / sub / "1.png")
    _png(root / "cat" / "0.png")
    other = tmp_path / "elsewhere"
    other.mkdir()
    _png(other / "2.png")
    os.symlink(other, root / "cat" / "c")  # a symlinked folder is followed, as torchvision
    # torchvision's order (make_dataset: sorted(os.walk(followlinks=True)), sorted names)
    expected = [
        os.path.join(d, f)
        for d, _, files in sorted(os.walk(root / "cat", followlinks=True))
        for f in sorted(files)
    ]
    assert [p for p, _ in ImageFolder(root).samples] == expected
    # loops: each real folder is walked once; os.walk would repeat or never end
    os.symlink(".", root / "cat" / "a" / "loop")
    os.symlink("../..", root / "cat" / "a" / "x" / "up")
    os.symlink(root / "cat", other / "back")
    assert [p for p, _ in ImageFolder(root).samples] == expected
