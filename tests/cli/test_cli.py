"""The ``lamina`` command: help, version, predict/complete/generate with saved models, errors."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lamina as L
from lamina import nn, optim
from lamina.cli import main
from lamina.cli.demos import DEMOS
from lamina.data.datasets import load_digits
from lamina.models import RNNLanguageModel, dcgan, digits_cnn
from lamina.models.generation import complete
from lamina.models.pretrained import load_tokenizer
from lamina.train import Trainer

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_bare_lamina_prints_help_and_version(capsys):
    rc, out, _ = run(capsys)
    assert rc == 0 and "usage: lamina" in out
    for command in ("demo", "predict", "complete", "generate"):
        assert f"    {command} " in out
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("lamina 0.")


def test_demo_help_lists_each_demo_with_its_time(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    for name, demo in DEMOS.items():
        assert f"  {name:<4} {demo.line} (~{demo.minutes})" in out


def test_predict_help_names_both_ways(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = capsys.readouterr().out
    assert "--model-dir" in out and "--weights" in out and "resnet50" in out


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A digits CNN trained for two epochs, saved as the cnn demo saves it, and test digits."""
    L.manual_seed(0)
    x, y = load_digits("train")
    model = digits_cnn()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3))
    trainer.fit(x, y, epochs=2, verbose=0)
    folder = tmp_path_factory.mktemp("cnn")
    model.save_pretrained(
        folder,
        task="image-classification",
        class_names=[f"digit {d}" for d in range(10)],
        preprocessing={"size": [8, 8], "channels": 1, "invert": "auto"},
    )
    xt, yt = load_digits("test")
    images = []
    for i in range(4):  # dark ink on white, 64x64, as a person would draw them
        path = folder / f"test_{i}.png"
        Image.fromarray(((1 - xt[i, 0]) * 255).round().astype(np.uint8)).resize(
            (64, 64), Image.NEAREST
        ).save(path)
        images.append(str(path))
    model.eval()
    with L.no_grad():
        probs = model(L.tensor(xt[:4])).softmax(-1).numpy()
    return folder, images, probs


def test_predict_with_a_saved_model_prints_its_top_classes(capsys, digits_model):
    folder, images, probs = digits_model
    for where in (folder, folder / "model.safetensors"):  # the folder or the file
        rc, out, err = run(capsys, "predict", *images, "--model-dir", str(where), "--top", "2")
        assert rc == 0, err
        lines = out.splitlines()
        assert len(lines) == 3 * len(images)
        for k, p in enumerate(probs):
            assert lines[3 * k] == images[k]
            best = np.argsort(-p)[:2]
            for line, j in zip(lines[3 * k + 1 : 3 * k + 3], best):
                share, name = line.split("%  ")
                assert name == f"digit {j}"  # the class names saved with the model
                assert float(share) == pytest.approx(100 * p[j], abs=1.5)


def test_complete_and_generate_with_saved_models(capsys, tmp_path):
    L.manual_seed(0)
    from lamina.data.text import WordTokenizer

    tok = WordTokenizer.fit("to be or not to be that is the question " * 3)
    lm = RNNLanguageModel(len(tok), embed_dim=8, hidden_size=16)
    lm.save_pretrained(tmp_path / "rnn", task="language-model", tokenizer=tok)
    rc, out, err = run(capsys, "complete", "to be or", "--model-dir", str(tmp_path / "rnn"))
    assert rc == 0, err
    want = complete(lm.eval(), load_tokenizer(tmp_path / "rnn"), "to be or", k=5)
    assert out.splitlines() == [f"  {p:6.1%}  {w!r}" for w, p in want]
    G, _ = dcgan(latent_dim=8, width=8)
    G.save_pretrained(tmp_path / "gan", task="image-generation", extra={"latent_dim": 8})
    grid = tmp_path / "grid.png"
    rc, out, err = run(
        capsys, "generate", "--model-dir", str(tmp_path / "gan"), "-n", "16", str(grid)
    )
    assert rc == 0, err
    with Image.open(grid) as img:
        assert img.size == (8 * (4 * 10 + 2), 8 * (4 * 10 + 2))  # 4x4 of 8x8, padding 2, x8


def write_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.fixture
def saved(tmp_path, digits_model):
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes((digits_model[0] / name).read_bytes())
    return folder, digits_model[1][0]


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "argv, status, words",
    [
        (["predict", "IMG"], 2, "either --model-dir"),
        (["predict", "IMG", "--model-dir", "DIR", "--top", "0"], 2, "--top: expected a whole"),
        (["demo", "nonesuch"], 2, "unknown demo 'nonesuch'"),
        (["predict", "DIR", "--model-dir", "DIR"], 1, "is a folder; expected a file"),
        (["predict", "IMG", "--model-dir", "IMG"], 1, "header length"),
        (["demo", "xor", "--out", "IMG"], 1, "is a file; expected a folder"),
        (["generate", "--model-dir", "DIR", "IMG"], 1, "exists; pass --force"),
        (["complete", "to be", "--model-dir", "DIR"], 1, "needs task 'language-model'"),
    ],
)
def test_user_errors_give_one_line_and_a_status(capsys, saved, argv, status, words):
    folder, image = saved
    argv = [str(folder) if a == "DIR" else image if a == "IMG" else a for a in argv]
    if status == 2 and argv[0] == "predict" and "--top" in argv:
        with pytest.raises(SystemExit) as e:  # argparse's own usage error
            main(argv)
        assert e.value.code == 2 and words in capsys.readouterr().err
        return
    rc, _, err = run(capsys, *argv)
    assert rc == status and words in one_line(err)


def test_hostile_or_mismatched_files_fail_with_one_line(capsys, saved, tmp_path):
    folder, image = saved
    write_config(folder, builder="os.system", args={"command": "echo hacked"})
    rc, _, err = run(capsys, "predict", image, "--model-dir", str(folder))
    assert rc == 1 and "builder 'os.system' is not one lamina knows" in one_line(err)
    write_config(folder, builder="digits_cnn", args={"num_classes": 5})
    rc, _, err = run(capsys, "predict", image, "--model-dir", str(folder))
    assert rc == 1 and "weights do not fit digits_cnn" in one_line(err)
    write_config(folder, builder="digits_cnn", args={"num_classes": 10**12})
    rc, _, err = run(capsys, "predict", image, "--model-dir", str(folder))
    assert rc == 1 and "modest values" in one_line(err)
    bad = tmp_path / "corrupt.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    write_config(folder, builder="digits_cnn", args={"num_classes": 10})
    rc, _, err = run(capsys, "predict", str(bad), "--model-dir", str(folder))
    assert rc == 1 and "cannot read image" in one_line(err)
    rc, _, err = run(capsys, "predict", str(bad), "--model-dir", str(folder), "--debug")
    assert rc == 1 and "Traceback" in err


def test_the_installed_entry_point_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-m", "lamina.cli", "demo", "nope"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("lamina demo: unknown demo 'nope'")


def test_demo_ends_with_a_table_of_figures_times_and_files(capsys, tmp_path):
    rc, out, err = run(capsys, "demo", "xor", "--out", str(tmp_path / "out"))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("== lamina demo xor: ")
    assert any(line.startswith("Epoch 1/20 - ") for line in lines)  # the Trainer's format
    head, rule, row = lines[-3:]
    assert head.split() == ["demo", "figure", "reached", "time", "files", "written"]
    assert set(rule.replace(" ", "")) == {"-"}
    written = str(tmp_path / "out" / "xor" / "model.safetensors")
    assert row.startswith("xor ") and "4/4 correct" in row and row.endswith(written)
    assert re.search(r"  \dm\d\ds  ", row)
    assert os.path.isfile(written)


def test_generate_text_and_wrong_kinds_of_model(capsys, tmp_path):
    L.manual_seed(0)
    from lamina.data.text import WordTokenizer

    tok = WordTokenizer.fit("to be or not to be that is the question " * 3)
    RNNLanguageModel(len(tok), embed_dim=8, hidden_size=16).save_pretrained(
        tmp_path / "rnn", task="language-model", tokenizer=tok
    )
    rc, out, err = run(capsys, "generate", "--model-dir", str(tmp_path / "rnn"), "--prompt",
                       "to be", "-n", "6")  # fmt: skip
    assert rc == 0, err
    words = out.split()
    assert words[:2] == ["to", "be"] and len(words) >= 6 and "<unk>" not in words
    rc, _, err = run(
        capsys, "predict", str(tmp_path / "x.png"), "--model-dir", str(tmp_path / "rnn")
    )
    assert rc == 1 and "no such image file" in one_line(err)
    Image.new("L", (8, 8)).save(tmp_path / "x.png")
    rc, _, err = run(
        capsys, "predict", str(tmp_path / "x.png"), "--model-dir", str(tmp_path / "rnn")
    )
    assert rc == 1 and "language-model model, not an image classifier" in one_line(err)
    rc, _, err = run(
        capsys, "generate", "--model-dir", str(tmp_path / "rnn"), str(tmp_path / "g.png")
    )
    assert rc == 1 and "needs task 'image-generation'" in one_line(err)
