"""Every ```python block in README.md and docs/*.md runs as written and prints what it shows.

Conventions the pages follow:

- A block whose first line is ``# continues the previous block`` runs after the blocks
  before it in the same file (they are joined into one script; only what the last block
  prints is compared); any other block runs alone.
- A ```text block right after a python block (only blank lines or a line ending in ":"
  between them) shows what the script prints: the test compares it line by line
  (trailing spaces ignored); ``...`` in a line matches anything, and a line that is only
  ``...`` matches any number of lines.
- Scripts run in a fresh folder holding the data files docs/data.md reads
  (``make_data_files``) and, when a script names them, stand-ins for the torchvision
  files the zoo pages load (``make_stand_ins``: torchvision's keys and shapes written by
  ``torch.save``, random values; lamina downloads nothing), with one BLAS thread, in a
  fresh interpreter.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTINUES = "# continues the previous block"
SEPARATOR = "<<<end of the previous blocks' output>>>"  # printed between joined blocks
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def scripts(page: str) -> list[tuple[int, str, str | None]]:
    """(index, code, expected output or None) per runnable script of a page."""
    text = (ROOT / page).read_text(encoding="utf-8")
    fences = list(_FENCE.finditer(text))
    out, chain = [], ""
    for k, m in enumerate(fences):
        lang, body = m.group(1), m.group(2)
        if lang != "python":
            continue
        if body.startswith(CONTINUES):  # what the earlier blocks print is not compared
            chain = f"{chain}\nprint({SEPARATOR!r})\n{body}"
        else:
            chain = body
        expected = None
        if k + 1 < len(fences) and fences[k + 1].group(1) == "text":
            between = text[m.end() : fences[k + 1].start()].strip()
            if not between or (between.endswith(":") and "\n" not in between):
                expected = fences[k + 1].group(2)
        out.append((len(out), chain, expected))
    return out


CASES = [(page, i, code, want) for page in PAGES for i, code, want in scripts(page)]


def make_data_files(folder: Path) -> None:
    """The files docs/data.md's scripts read: a CSV table, an image folder, text, a series."""
    rng = np.random.default_rng(0)
    # measurements.csv: 3 classes of 150 flowers-like rows, a header, a text label column
    names = ["setosa", "versicolor", "virginica"]
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    counts = [100, 30, 20]  # unbalanced on purpose: class weights matter
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for c, n in enumerate(counts):
        for v in centers[c] + rng.normal(scale=0.3, size=(n, 4)):
            rows.append(",".join(f"{a:.2f}" for a in v) + f",{names[c]}")
    (folder / "measurements.csv").write_text("\n".join(rows) + "\n")
    # shapes/: 24x24 PNGs of squares and circles, sorted by class as a camera roll would be
    from PIL import Image, ImageDraw

    for label in ("circle", "square"):
        (folder / "shapes" / label).mkdir(parents=True)
        for i in range(30):
            img = Image.new("RGB", (24, 24), tuple(int(v) for v in rng.integers(0, 80, 3)))
            r, cx, cy = rng.integers(5, 9), rng.integers(9, 15), rng.integers(9, 15)
            box = (cx - r, cy - r, cx + r, cy + r)
            color = tuple(int(v) for v in rng.integers(150, 256, 3))
            draw = ImageDraw.Draw(img)
            (draw.ellipse if label == "circle" else draw.rectangle)(box, fill=color)
            img.save(folder / "shapes" / label / f"{i:03d}.png")
    # story.txt: a few hundred words of repetitive prose
    words = "the cat sat on the mat and the dog sat on the log while the bird sang".split()
    text = " ".join(words[i % len(words)] for i in range(3000))
    (folder / "story.txt").write_text(text.replace(" the bird sang ", " the bird sang.\n"))
    # sales.csv: a monthly series with trend and season
    t = np.arange(120)
    sales = 100 + 0.8 * t + 15 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=3, size=120)
    lines = ["month,sales"] + [
        f"{2010 + m // 12}-{m % 12 + 1:02d},{v:.1f}" for m, v in zip(t, sales)
    ]
    (folder / "sales.csv").write_text("\n".join(lines) + "\n")


STAND_INS = {
    "resnet18-f37072fd.pth": "resnet18",
    "resnet50-0676ba61.pth": "resnet50",
    "checkpoint.pth.tar": "resnet18",
}


def make_stand_ins(folder: Path, code: str) -> None:
    """torch.save'd files with torchvision's keys and shapes for the files ``code`` names."""
    for name, arch in STAND_INS.items():
        if name not in code:
            continue
        torch = pytest.importorskip("torch")  # the stand-in files are written by torch.save

        from lamina import models

        state = {
            k: torch.from_numpy(np.array(v))
            for k, v in getattr(models, arch)().state_dict().items()
        }
        if name.endswith(".tar"):  # a training checkpoint as torch scripts write them
            state = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in state.items()}}
        torch.save(state, folder / name)
    if "cat.jpg" in code:
        from PIL import Image

        pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "cat.jpg")


def _matches(got: str, want: str) -> bool:
    pattern = []
    for line in want.rstrip("\n").splitlines():
        line = line.rstrip()
        if line == "...":
            pattern.append(r"(?:.*\n)*?")
        else:
            pattern.append(".*".join(re.escape(p) for p in line.split("...")) + r"[ \t]*\n")
    lines = "".join(ln.rstrip() + "\n" for ln in got.splitlines())
    return re.fullmatch("".join(pattern), lines) is not None


@pytest.mark.parametrize("page,i,code,want", CASES, ids=[f"{p}#{i}" for p, i, _, _ in CASES])
def test_doc_block_runs_as_written(page, i, code, want, tmp_path):
    make_data_files(tmp_path)
    make_stand_ins(tmp_path, code)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{page} block {i} failed:\n{done.stderr[-3000:]}"
    if want is not None:
        printed = done.stdout.rsplit(SEPARATOR + "\n", 1)[-1]
        assert _matches(printed, want), (
            f"{page} block {i} printed:\n{printed}\nbut the page shows:\n{want}"
        )


def test_the_output_matcher():
    assert _matches("a 1\nb 2\n", "a 1\nb ...\n")
    assert _matches("a\nx\ny\nb\n", "a\n...\nb\n")
    assert not _matches("a 1\nb 2\n", "a 1\nb 3\n")
    assert not _matches("a\n", "a\nb\n")


def test_readme_first_gradient_is_torchs():
    """The README's first block prints torch's gradient for the same expression."""
    torch = pytest.importorskip("torch")

    code, shown = scripts("README.md")[0][1:]
    literal = re.search(r"L\.tensor\((\[\[.*?\]\])", code).group(1)
    assert "y = (x @ x).tanh().sum()" in code
    x = torch.tensor(ast.literal_eval(literal), requires_grad=True)
    (x @ x).tanh().sum().backward()
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", shown)]
    np.testing.assert_allclose(numbers, x.grad.numpy().reshape(-1), atol=1e-4)
    assert np.abs(x.grad.numpy()).min() > 0.1  # a gradient worth showing, not tanh saturated
