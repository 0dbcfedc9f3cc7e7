"""The global random generator behind every draw in lamina (torch.manual_seed).

As in torch, each process starts from a fresh seed (drawn from the OS) unless
``manual_seed`` is called; ``initial_seed()`` tells which seed that was, so a run can be
repeated. The generator is created on first use: importing numpy.random costs start-up
time that ``import lamina`` skips.
"""

from __future__ import annotations

import secrets

import numpy as np

from . import _state


def default_rng() -> np.random.Generator:
    """The generator that initialisation, dropout and shuffling draw from."""
    rng = _state.rng["generator"]
    if rng is None:
        rng = _state.rng["generator"] = np.random.default_rng(initial_seed())
    return rng


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed lamina's global generator, as ``torch.manual_seed``; returns it."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {seed!r}")
    _state.rng["seed"] = int(seed)
    _state.rng["generator"] = np.random.default_rng(int(seed))
    return _state.rng["generator"]


def seed() -> int:
    """Reseed from a fresh non-deterministic seed and return it (torch.seed)."""
    s = secrets.randbits(63)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the generator started from: manual_seed's, or this process's fresh one."""
    if _state.rng["seed"] is None:
        _state.rng["seed"] = secrets.randbits(63)
    return _state.rng["seed"]


def get_rng_state() -> dict:
    """The generator's state as a JSON-able dict (for checkpoints)."""
    return default_rng().bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from get_rng_state (torch.set_rng_state)."""
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    _state.rng["generator"] = rng
