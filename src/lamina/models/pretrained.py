"""Models saved with their recipe: ``save_pretrained`` / ``from_pretrained`` (Hugging Face's way).

A saved model is a folder in Hugging Face's layout::

    config.json        {"format": "lamina.pretrained", "version": 1, "builder": "digits_cnn",
                        "args": {"num_classes": 10}, "task": "image-classification",
                        "class_names": [...], "preprocessing": {...}, "extra": {...}}
    model.safetensors  the state dict; the same JSON in its metadata under "lamina.config"
    tokenizer.json     (language models) the tokenizer, as ``WordTokenizer.save`` writes it

Because the weights file carries the config too, the ``model.safetensors`` file alone is
enough (``from_pretrained("lamina_out/cnn/model.safetensors")``). Loading never runs code
from the file: the builder is looked up by name in :mod:`lamina.models.registry` (an
allow-list), its arguments are plain JSON, and the weights load with ``strict=True``.
Equivalent of transformers' ``PreTrainedModel.save_pretrained`` / ``from_pretrained``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from ..io import LaminaFileError, atomic_write_bytes, load_file, load_metadata, save_file
from ..nn.parameter import allocation_limit
from .registry import builder, builders
from .sequential import sequential_recipe

__all__ = ["save_pretrained", "from_pretrained", "load_config", "load_tokenizer", "TASKS"]

FORMAT, VERSION = "lamina.pretrained", 1
CONFIG, WEIGHTS, TOKENIZER, META_KEY = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    ("lamina.config"),
)
TASKS = ("image-classification", "language-model", "image-generation", "regression", "other")
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a config is small; a class list of 100k names still fits
MAX_ARG_INT = 1 << 20  # no builder argument beyond ~1M: a hostile config cannot ask for 1e12


def save_pretrained(
    model: Any,
    path: str | os.PathLike,
    *,
    task: str = "other",
    class_names: Sequence[str] | None = None,
    preprocessing: dict[str, Any] | None = None,
    tokenizer: Any = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Write ``model`` with its recipe to the folder ``path`` (or one ``.safetensors`` file).

    Args:
        model: a module built by a registered builder (every model lamina ships is), or an
            ``nn.Sequential`` of standard layers (see :mod:`lamina.models.sequential`).
        path: a folder (created) or a file name ending in ``.safetensors``.
        task: one of :data:`TASKS`; ``lamina predict`` wants ``"image-classification"``.
        class_names: the names of the outputs of a classifier.
        preprocessing: how inputs are prepared, e.g. ``{"size": [8, 8], "channels": 1,
            "scale": 1.0, "invert": "auto", "mean": [0.0], "std": [1.0], "flatten": False}``.
        tokenizer: a lamina tokenizer, written as ``tokenizer.json`` beside the weights.
        extra: any other JSON (e.g. a GAN's latent size).

    Returns:
        The folder (or file) written.
    """
    recipe = sequential_recipe(model)  # recorded by its builder, or read off its layers
    if task not in TASKS:
        raise ValueError(f"save_pretrained: task={task!r}, expected one of {TASKS}")
    config = {
        "format": FORMAT,
        "version": VERSION,
        **recipe,
        "task": task,
        "class_names": None if class_names is None else [str(c) for c in class_names],
        "preprocessing": preprocessing,
        "extra": extra or {},
    }
    text = json.dumps(config, indent=1, ensure_ascii=False)
    arrays = {k: v.numpy() if hasattr(v, "numpy") else v for k, v in model.state_dict().items()}
    path = os.fspath(path)
    if path.endswith(".safetensors"):
        if tokenizer is not None:
            raise ValueError("save_pretrained: a tokenizer needs a folder, not a single file")
        save_file(arrays, path, metadata={META_KEY: text})
        return path
    os.makedirs(path, exist_ok=True)
    save_file(arrays, os.path.join(path, WEIGHTS), metadata={META_KEY: text})
    atomic_write_bytes(os.path.join(path, CONFIG), text.encode("utf-8"))
    if tokenizer is not None:
        tokenizer.save(os.path.join(path, TOKENIZER))
    return path


def _paths(path: str | os.PathLike) -> tuple[str, str | None]:
    """(weights file, config.json or None) for a saved folder or a weights file."""
    path = os.fspath(path)
    if os.path.isdir(path):
        weights = os.path.join(path, WEIGHTS)
        if not os.path.isfile(weights):
            raise LaminaFileError(
                path, f"no {WEIGHTS} in this folder; expected one written by save_pretrained"
            )
        config = os.path.join(path, CONFIG)
        return weights, config if os.path.isfile(config) else None
    if not os.path.exists(path):
        raise FileNotFoundError(f"from_pretrained: no such file or folder {path!r}")
    return path, None


def _parse(where: str, text: str | bytes) -> dict[str, Any]:
    if len(text) > MAX_CONFIG_BYTES:
        raise LaminaFileError(where, f"config of {len(text)} bytes, expected <= {MAX_CONFIG_BYTES}")
    try:
        config = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise LaminaFileError(where, f"config is not JSON ({str(e)[:120]})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise LaminaFileError(where, f"not a lamina model config (expected format {FORMAT!r})")
    if config.get("version") != VERSION:
        raise LaminaFileError(where, f"config version {config.get('version')!r}, expected 1")
    name, args = config.get("builder"), config.get("args")
    if not isinstance(name, str) or name not in builders():
        raise LaminaFileError(
            where, f"builder {str(name)[:60]!r} is not one lamina knows; allowed: {builders()}"
        )
    if not isinstance(args, dict) or not _small(args):
        raise LaminaFileError(where, f"'args' must be a JSON object of modest values: {args!r:.80}")
    names = config.get("class_names")
    if names is not None and not (
        isinstance(names, list) and all(isinstance(c, str) for c in names)
    ):
        raise LaminaFileError(where, "'class_names' must be a list of strings or null")
    if config.get("task") not in TASKS:
        raise LaminaFileError(where, f"task {config.get('task')!r:.40}, expected one of {TASKS}")
    return config


def _small(value: Any) -> bool:
    """JSON argument values without huge integers (which would allocate huge layers)."""
    if isinstance(value, bool) or value is None or isinstance(value, (float, str)):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_ARG_INT
    if isinstance(value, list):
        return all(_small(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _small(v) for k, v in value.items())
    return False


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """The validated config of a saved model (folder or weights file), without the weights."""
    weights, config_path = _paths(path)
    if config_path is not None:
        with open(config_path, "rb") as f:
            return _parse(config_path, f.read(MAX_CONFIG_BYTES + 1))
    meta = load_metadata(weights)
    if META_KEY not in meta:
        raise LaminaFileError(
            weights,
            f"no {META_KEY!r} in its metadata: a plain state dict, not a model saved with "
            "save_pretrained (load it into a model you build with load_state_dict)",
        )
    return _parse(weights, meta[META_KEY])


def from_pretrained(path: str | os.PathLike, cls: type | None = None) -> Any:
    """Rebuild a model saved by :func:`save_pretrained` and load its weights (strictly).

    The config is attached as ``model.pretrained_config`` (class names, preprocessing ...).

    Args:
        path: the saved folder or its ``model.safetensors`` (or a single saved file).
        cls: when given, the rebuilt model must be an instance of it.

    Raises:
        LaminaFileError: a missing, malformed or hostile config, an unknown builder, or
            weights that do not match the architecture (the message names the file).
    """
    weights, config_path = _paths(path)
    config = load_config(path)
    where = config_path or weights
    try:
        with allocation_limit(weights_budget(weights), where):
            model = builder(config["builder"])(**config["args"])
    except MemoryError as e:
        raise LaminaFileError(
            where,
            f"builder {config['builder']!r} with args {config['args']} describes a "
            f"model larger than its weights file {weights} ({e.__class__.__name__})",
        ) from e
    except (TypeError, ValueError) as e:
        raise LaminaFileError(where, f"builder {config['builder']!r} refused its args: {e}") from e
    if cls is not None and not isinstance(model, cls):
        raise LaminaFileError(
            where, f"holds a {type(model).__name__}, expected a {cls.__name__} (or a subclass)"
        )
    state = load_file(weights)
    try:
        model.load_state_dict(state, strict=True)
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        raise LaminaFileError(weights, f"weights do not fit {config['builder']}: {e}") from e
    model.eval()
    model.__dict__["pretrained_config"] = config
    return model


def weights_budget(weights: str | os.PathLike) -> int:
    """Bytes a model read from ``weights`` may allocate: float16 weights become float32
    parameters (2x), plus non-persistent buffers (masks, tables) up to 64 MiB."""
    return 2 * os.path.getsize(weights) + (64 << 20)


def load_tokenizer(path: str | os.PathLike) -> Any:
    """The tokenizer saved beside a language model (``tokenizer.json`` in its folder)."""
    from ..data.text import CharTokenizer, WordTokenizer

    folder = os.fspath(path)
    file = os.path.join(folder if os.path.isdir(folder) else os.path.dirname(folder), TOKENIZER)
    if not os.path.isfile(file):
        raise LaminaFileError(
            folder, f"no {TOKENIZER} beside the model; a language model needs one"
        )
    try:
        with open(file, "rb") as f:
            kind = json.loads(f.read()).get("kind")
    except (ValueError, AttributeError, RecursionError):
        kind = None  # the tokenizer's own loader says what is wrong
    return (CharTokenizer if kind == CharTokenizer.kind else WordTokenizer).load(file)
