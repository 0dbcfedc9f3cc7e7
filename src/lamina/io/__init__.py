"""Files: safetensors state dicts, pickle-free checkpoints, torch ``.pth`` import.

``lamina.io.load`` / ``lamina.io.save`` are the ``torch.load`` / ``torch.save`` of lamina,
minus pickle: ``save`` writes safetensors; ``load`` reads safetensors, lamina checkpoints and
files written by ``torch.save`` (zip or legacy) without torch and without running their code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ._atomic import atomic_write_bytes
from .checkpoint import FORMAT as CHECKPOINT_FORMAT
from .checkpoint import as_array, is_checkpoint, load_checkpoint, save_checkpoint
from .errors import LaminaFileError
from .pth import load_pth
from .safetensors_io import load_file, load_metadata, read_header, save_file
from .state_dict import extract_state_dict

__all__ = [
    "load",
    "save",
    "LaminaFileError",
    "save_file",
    "load_file",
    "load_metadata",
    "read_header",
    "load_pth",
    "extract_state_dict",
    "save_checkpoint",
    "load_checkpoint",
    "is_checkpoint",
    "atomic_write_bytes",
]

_TORCH_EXTS = (".pth", ".pt", ".bin", ".ckpt", ".tar")


def _sniff(path: str) -> str:
    """'safetensors', 'torch' or 'unknown' from the extension, then the first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
        size = os.path.getsize(path)
    except OSError as e:
        raise LaminaFileError(path, f"cannot read: {e}") from e
    if head[:4] == b"PK\x03\x04":  # torch.save's zip
        return "torch"
    if len(head) == 9 and int.from_bytes(head[:8], "little") <= size - 8 and head[8:] == b"{":
        return "safetensors"  # checked before pickle: a header length may start with 0x80
    if head[:1] == b"\x80":  # pickle protocol >= 2: legacy torch.save
        return "torch"
    if path.endswith(".safetensors"):
        return "safetensors"  # let the validator say what is wrong
    return "torch" if path.lower().endswith(_TORCH_EXTS) else "unknown"


def load(path: str | os.PathLike) -> Any:
    """Load arrays from a file, like ``torch.load(path, weights_only=True)`` on the CPU.

    Formats are recognised by their first bytes: safetensors (``lamina.save``,
    ``safetensors.torch.save_file``), lamina checkpoints (``save_checkpoint``, returned
    nested as saved) and ``torch.save`` files (``.pth``/``.pt``, zip or legacy; tensors
    become ndarrays). Nothing in the file is ever executed.

    Args:
        path: the file.

    Returns:
        For a state dict, a dict of name -> ndarray; for a checkpoint or a ``.pth``
        holding more, the saved structure (see ``extract_state_dict``).

    Raises:
        LaminaFileError: unknown format, truncated, corrupted or hostile file.
    """
    path = os.fspath(path)
    kind = _sniff(path)
    if kind == "safetensors":
        return load_checkpoint(path) if is_checkpoint(path) else load_file(path)
    if kind == "torch":
        return load_pth(path)
    raise LaminaFileError(
        path, "offset 0: unknown format, expected safetensors, a torch zip or a torch pickle"
    )


def save(state: Any, path: str | os.PathLike) -> None:
    """Save a state dict (or a nested checkpoint) to a safetensors file, atomically.

    Like ``torch.save(model.state_dict(), path)`` without pickle. A flat mapping of
    str -> array-like (ndarray, lamina Tensor/Parameter, anything with ``.numpy()``) or a
    Module (its ``state_dict()``) becomes a plain safetensors file any tool can read; any
    other dict (nested, with numbers or strings) is written with ``save_checkpoint`` and
    comes back from ``load`` exactly as saved.

    Args:
        state: a Module, a state dict or a nested checkpoint dict.
        path: destination file (conventionally ``.safetensors``).

    Raises:
        TypeError: ``state`` is not a dict/Module, or holds an unsupported value.
    """
    if not isinstance(state, Mapping) and callable(getattr(state, "state_dict", None)):
        state = state.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(f"save: expected a state dict or Module, got {type(state).__name__}")
    arrays = {k: as_array(v) for k, v in state.items()}
    if all(isinstance(k, str) for k in arrays) and all(a is not None for a in arrays.values()):
        save_file(arrays, path)
    else:
        save_checkpoint(state, path)
