"""The global random generator behind every draw in lamina (torch.manual_seed)."""

from __future__ import annotations

import numpy as np

# created on first use: importing numpy.random costs start-up time that `import lamina` skips
_state = {"rng": None, "seed": 0}


def default_rng() -> np.random.Generator:
    """The generator that initialisation, dropout and shuffling draw from."""
    rng = _state["rng"]
    if rng is None:
        rng = _state["rng"] = np.random.default_rng(_state["seed"])
    return rng


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed lamina's global generator, as ``torch.manual_seed``; returns it."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {seed!r}")
    _state["rng"] = np.random.default_rng(int(seed))
    _state["seed"] = int(seed)
    return _state["rng"]


def initial_seed() -> int:
    return _state["seed"]


def get_rng_state() -> dict:
    """The generator's state as a JSON-able dict (for checkpoints)."""
    return default_rng().bit_generator.state


def set_rng_state(state: dict) -> None:
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    _state["rng"] = rng
