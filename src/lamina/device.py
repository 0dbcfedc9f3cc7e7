"""``lamina.device``: lamina runs on the CPU; asking for another device raises, saying so.

The usual ``device = "cuda" if torch.cuda.is_available() else "cpu"`` line works unchanged,
since ``lamina.cuda.is_available()`` is False. A GPU backend will be designed when it can be
run and tested on a GPU; until then no code path pretends to use one.
"""

from __future__ import annotations


class DeviceError(RuntimeError):
    """A device other than the CPU was asked for."""


def _refuse(what) -> DeviceError:
    return DeviceError(
        f"lamina runs on the CPU only; got device {what!r}. Use 'cpu' (lamina.cuda.is_available() "
        "is False, so `'cuda' if lamina.cuda.is_available() else 'cpu'` picks the CPU)"
    )


class device:
    """torch.device for the one device lamina has: ``device("cpu")`` (``.type == "cpu"``)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        name, _, idx = type.partition(":")
        if name != "cpu" or (idx and idx != "0") or index not in (None, 0):
            raise _refuse(type if index is None else f"{type}:{index}")
        self.type, self.index = "cpu", None

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (DeviceError, TypeError):
                return False
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")


def as_device(d) -> device:
    """Check a ``device=`` argument (None, 'cpu', a device, or an index) and return CPU."""
    if d is None or d is CPU:
        return CPU
    if isinstance(d, int) and not isinstance(d, bool):
        raise _refuse(f"cuda:{d}")
    return device(d)
