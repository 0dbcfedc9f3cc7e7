"""GPT-2 checkpoints in Hugging Face's layout loaded into ``lamina.models.gpt.GPT``.

``from_pretrained(dir)`` reads ``config.json`` and ``model.safetensors`` (or a sharded
``model.safetensors.index.json``) as ``GPT2LMHeadModel.save_pretrained`` writes them, and as
the original ``gpt2`` repository ships them (keys without the ``transformer.`` prefix).
Hugging Face's GPT-2 keeps its projections in ``Conv1D`` layers, weights (in, out); they are
transposed to torch's Linear (out, in). Only JSON and safetensors are read: no pickle.
``complete(dir, prompt)`` continues a prompt with the checkpoint's own BPE tokenizer.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..io import LaminaFileError, load
from ..nn.parameter import allocation_limit
from .gpt import GPT, GPTConfig
from .pretrained import weights_budget

__all__ = ["from_pretrained", "config_from_hf", "convert_state_dict", "complete"]

_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
_GELU = {"gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu": "none"}


def _need(cfg: dict, key: str, where: str):
    if key not in cfg:
        raise ValueError(f"{where}: config.json has no {key!r}")
    return cfg[key]


def config_from_hf(cfg: dict, where: str = "config.json") -> GPTConfig:
    """GPTConfig from a Hugging Face GPT2Config dict; raises on options lamina lacks."""
    act = cfg.get("activation_function", "gelu_new")
    if act not in _GELU:
        raise ValueError(
            f"{where}: activation_function {act!r} unsupported; expected {list(_GELU)}"
        )
    n_embd = _need(cfg, "n_embd", where)
    unsupported = {
        "n_inner": (None, 4 * n_embd),
        "scale_attn_by_inverse_layer_idx": (False,),
        "reorder_and_upcast_attn": (False,),
        "add_cross_attention": (False,),
        "scale_attn_weights": (True,),
        "tie_word_embeddings": (True,),
    }
    for key, allowed in unsupported.items():
        if cfg.get(key, allowed[0]) not in allowed:
            raise ValueError(f"{where}: {key}={cfg[key]!r} is not supported (expected {allowed})")
    return GPTConfig(
        block_size=_need(cfg, "n_positions", where),
        vocab_size=_need(cfg, "vocab_size", where),
        n_layer=_need(cfg, "n_layer", where),
        n_head=_need(cfg, "n_head", where),
        n_embd=n_embd,
        dropout=0.0,
        bias=True,
        layer_norm_eps=float(cfg.get("layer_norm_epsilon", 1e-5)),
        gelu_approximate=_GELU[act],
    )


def convert_state_dict(hf: dict) -> dict:
    """Hugging Face GPT-2 keys/arrays -> lamina GPT's (Conv1D weights transposed)."""
    out = {}
    for key, arr in hf.items():
        name = key[len("transformer.") :] if key.startswith("transformer.") else key
        if name.endswith((".attn.bias", ".attn.masked_bias")) or name == "lm_head.weight":
            continue  # causal-mask buffers of old checkpoints; the head is tied to wte
        arr = np.asarray(arr)
        if name.endswith(_CONV1D):
            arr = np.ascontiguousarray(arr.T)
        out["transformer." + name] = arr
    if "transformer.wte.weight" in out:
        out["lm_head.weight"] = out["transformer.wte.weight"]
    return out


def _weights_size(model_dir: str) -> int:
    """The allocation a checkpoint's weights can justify (see pretrained.weights_budget)."""
    files = [f for f in os.listdir(model_dir) if f.endswith(".safetensors")]
    return sum(weights_budget(os.path.join(model_dir, f)) for f in files)


def _read_weights(model_dir: str) -> dict:
    single = os.path.join(model_dir, "model.safetensors")
    index = single + ".index.json"
    if os.path.exists(single):
        return dict(load(single))
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f).get("weight_map", {}).values()))
        weights = {}
        for shard in shards:
            if os.path.basename(shard) != shard:
                raise ValueError(f"{index}: shard name {shard!r} must be a plain file name")
            weights.update(load(os.path.join(model_dir, shard)))
        return weights
    raise FileNotFoundError(
        f"{model_dir}: no model.safetensors (or its .index.json); lamina reads GPT-2 "
        "checkpoints in safetensors only (no pytorch_model.bin pickle)"
    )


def from_pretrained(model_dir: str | os.PathLike) -> GPT:
    """A GPT with a Hugging Face GPT-2 checkpoint's config and weights, in eval mode.

    Equivalent of ``transformers.GPT2LMHeadModel.from_pretrained(dir)``; its logits equal
    Hugging Face's (tested to rel. err 1e-4 on random small GPT-2s).
    """
    model_dir = os.fspath(model_dir)
    path = os.path.join(model_dir, "config.json")
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: expected a JSON object")
    config = config_from_hf(cfg, path)
    weights = convert_state_dict(_read_weights(model_dir))
    try:
        with allocation_limit(_weights_size(model_dir), path):  # a hostile config.json
            model = GPT(config)
    except MemoryError as e:
        raise LaminaFileError(
            path, f"asks for a model larger than the weights beside it ({e})"
        ) from e
    model.load_state_dict(weights)
    return model.eval()


def complete(
    model_dir: str | os.PathLike, prompt: str, max_new_tokens: int = 30,
    temperature: float = 0.8, top_k: int | None = 40, top_p: float | None = None, seed: int = 0,
) -> str:  # fmt: skip
    """Continue ``prompt`` with the GPT-2 checkpoint in model_dir (its vocab.json/merges.txt)."""
    from .bpe import ByteLevelBPE

    tok = ByteLevelBPE.from_dir(model_dir)
    model = from_pretrained(model_dir)
    ids = np.array([tok.encode(prompt)], dtype=np.int64)
    out = model.generate(
        ids, max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
        generator=np.random.default_rng(seed),
    )  # fmt: skip
    return tok.decode(out[0].tolist())
