"""Hugging Face GPT-2 checkpoints into lamina.models.gpt: logits vs transformers, BPE."""

import json

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import ByteLevelBPETokenizer

import lamina
from lamina.models import gpt2
from lamina.models.bpe import ByteLevelBPE

torch = pytest.importorskip("torch")  # every test here compares with transformers on torch
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer  # noqa: E402

TEXT = (
    "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer "
    "The slings and arrows of outrageous fortune, or to take arms against a sea of troubles. "
    "Numbers 12345 and 3.14, snake_case_names, CamelCase, déjà vu, naïve café, 東京 and "
    "emoji 🙂!   Multiple   spaces\n\nand new lines.\tTabs too. I'll say you're it, we've "
    "done, she'd, he's, I'm. "
) * 3


def _hf(tmp_path, act="gelu_new", vocab=60, seed=0):
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=vocab, n_positions=32, n_embd=16, n_layer=2, n_head=2,
                     activation_function=act, bos_token_id=0, eos_token_id=0)  # fmt: skip
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():  # random LayerNorm affine and biases too, so every key matters
        for name, p in model.named_parameters():
            if "ln" in name or "bias" in name:
                p.normal_(0.0, 0.5 if "bias" in name else 1.0)
    model.save_pretrained(tmp_path)
    return model


def _logits(hf, idx):
    with torch.no_grad():
        return hf(torch.tensor(idx)).logits.detach().numpy()


def _rel_err(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("act", ["gelu_new", "gelu"])
def test_logits_match_transformers(tmp_path, act):
    hf = _hf(tmp_path, act)
    model = gpt2.from_pretrained(tmp_path)
    idx = np.random.default_rng(0).integers(0, 60, (3, 20))
    assert _rel_err(model(idx)[0].detach().numpy(), _logits(hf, idx)) <= 1e-4
    assert not model.training


def test_original_layout_and_shards(tmp_path):
    """The 'gpt2' repository's keys (no 'transformer.' prefix, attn.bias buffers), sharded."""
    hf = _hf(tmp_path)
    sd = {k.removeprefix("transformer."): v.detach().numpy() for k, v in hf.state_dict().items()}
    sd.pop("lm_head.weight", None)
    sd["h.0.attn.bias"] = np.tril(np.ones((1, 1, 32, 32), np.float32))
    names = sorted(sd)
    half = len(names) // 2
    (tmp_path / "model.safetensors").unlink()
    save_file({k: sd[k] for k in names[:half]}, str(tmp_path / "a.safetensors"))
    save_file({k: sd[k] for k in names[half:]}, str(tmp_path / "b.safetensors"))
    weight_map = {k: "a.safetensors" if i < half else "b.safetensors" for i, k in enumerate(names)}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    idx = np.arange(12).reshape(1, 12)
    assert (
        _rel_err(gpt2.from_pretrained(tmp_path)(idx)[0].detach().numpy(), _logits(hf, idx)) <= 1e-4
    )


def test_cached_generation_on_a_loaded_checkpoint(tmp_path):
    _hf(tmp_path)
    model = gpt2.from_pretrained(tmp_path)
    prompt = np.array([[5, 6, 7]])
    a = model.generate(prompt, 40, top_k=10, generator=np.random.default_rng(3))
    b = model.generate(prompt, 40, top_k=10, generator=np.random.default_rng(3), use_cache=False)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"activation_function": "relu"}, "activation_function"),
        ({"n_inner": 7}, "n_inner"),
        ({"scale_attn_by_inverse_layer_idx": True}, "scale_attn_by_inverse_layer_idx"),
        ({"n_embd": None}, "n_embd"),
    ],
)
def test_unsupported_configs_raise(tmp_path, change, match):
    _hf(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg.update(change)
    if change.get("n_embd", 0) is None:
        del cfg["n_embd"]
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match=match):
        gpt2.from_pretrained(tmp_path)


def test_missing_weights_name_the_folder(tmp_path):
    _hf(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="safetensors"):
        gpt2.from_pretrained(tmp_path)


def _bpe_files(tmp_path, vocab_size=400):
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator([TEXT], vocab_size=vocab_size, min_frequency=1)
    tok.save_model(str(tmp_path))
    return tmp_path / "vocab.json", tmp_path / "merges.txt"


def test_bpe_matches_transformers_gpt2_tokenizer(tmp_path):
    vocab, merges = _bpe_files(tmp_path)
    ours = ByteLevelBPE.from_files(str(vocab), str(merges))
    theirs = GPT2Tokenizer(str(vocab), str(merges))
    for text in [TEXT, "  leading spaces", "tabs\t\tand\n\n\nlines", "x_y__z 42nd 1,000.5 ...!?"]:
        ids = ours.encode(text)
        assert ids == theirs.encode(text), text
        assert ours.decode(ids) == text


def test_complete_continues_a_prompt(tmp_path):
    _bpe_files(tmp_path)
    vocab = json.loads((tmp_path / "vocab.json").read_text())
    _hf(tmp_path, vocab=len(vocab))
    out = gpt2.complete(tmp_path, "To be, or", max_new_tokens=5, seed=1)
    assert out.startswith("To be, or") and len(out) > len("To be, or")


def test_lamina_complete_cli(tmp_path, capsys):
    from lamina.cli import main

    _bpe_files(tmp_path)
    _hf(tmp_path, vocab=len(json.loads((tmp_path / "vocab.json").read_text())))
    assert main(["complete", "To be", "--model-dir", str(tmp_path), "--tokens", "3"]) == 0
    assert capsys.readouterr().out.startswith("To be")
    assert main(["complete", "x", "--model-dir", str(tmp_path / "missing")]) == 1  # failed run


def test_lamina_complete_with_the_char_demo_model(tmp_path, capsys):
    from lamina.cli import main
    from lamina.models import gpt_demo

    recipe = {"max_iters": 1, "eval_iters": 1, "n_layer": 1, "n_embd": 8, "n_head": 2,
              "block_size": 16}  # fmt: skip
    model, chars, _ = gpt_demo.train(recipe, text="to be or not to be\n" * 30, log=str)
    gpt_demo.save_model(model, chars, str(tmp_path))  # save_pretrained: builder "gpt"
    assert main(["complete", "to be", "--model-dir", str(tmp_path), "--tokens", "4"]) == 0
    out = capsys.readouterr().out
    want = gpt_demo.sample(model, chars, "to be", tokens=4, seed=0, temperature=0.8, top_k=40)
    assert out == want + "\n"  # the same tokens as the model in memory, same seed
    assert main(["generate", "--model-dir", str(tmp_path), "--prompt", "to", "-n", "5"]) == 0
    want = gpt_demo.sample(model, chars, "to", tokens=5, seed=0, temperature=0.8, top_k=20)
    assert capsys.readouterr().out == want + "\n"
    assert main(["complete", "XYZ", "--model-dir", str(tmp_path)]) == 1  # failed run
    # the older layout (gpt.json + gpt.safetensors) still continues text
    old = tmp_path / "old"
    old.mkdir()
    lamina.save(model.state_dict(), str(old / "gpt.safetensors"))
    meta = {"model": "lamina.models.gpt.GPT", "config": model.config.to_dict(), "chars": chars}
    (old / "gpt.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["complete", "to be", "--model-dir", str(old), "--tokens", "4"]) == 0
    want = gpt_demo.sample(model, chars, "to be", tokens=4, seed=0, temperature=0.8, top_k=40)
    assert capsys.readouterr().out == want + "\n"


def test_a_config_larger_than_its_weights_is_refused_before_allocating(tmp_path):
    """Each number is modest, their product is not: 48 layers of width 4096 would be ~40 GB
    of float32; the weights file beside it holds a few KB, so building stops at once."""
    _hf(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg.update(n_embd=4096, n_layer=48, n_head=32, vocab_size=50257, n_positions=1024)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(lamina.io.LaminaFileError, match="larger than the weights") as e:
        gpt2.from_pretrained(tmp_path)
    assert "config.json" in str(e.value)
