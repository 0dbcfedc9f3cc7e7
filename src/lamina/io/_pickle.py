"""A pickle reader whose every allocation is bounded by the bytes the file holds.

``pickle._Unpickler`` (pure Python: its memo is a dict, no index-sized tables) with four
changes: globals resolve only through an allow-list (``find_class``); every read of a length
the file claims is checked against the bytes still there before anything is allocated
(``BYTEARRAY8`` used to zero-fill the claimed size first); every object the opcodes build is
charged to the load's :class:`~._budget.Budget` (strings, numbers, containers, memo entries,
stack slots), so re-using one memoised object thousands of times cannot grow memory past the
budget either; and ``BUILD`` only works on dicts (it never reaches ``__setstate__``).
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any

from ._budget import Budget
from .errors import LaminaFileError

__all__ = ["BoundedReader", "SafeUnpickler"]

_SLOT = 8  # one reference on the stack, in a list or a tuple
_DICT_ITEM = 104  # one dict entry with the table's slack (CPython grows tables up to 3x)
_MEMO_ITEM = 140  # one memo entry: dict item plus its int key
_OPCODE = 8  # the stack slot or frame bookkeeping an opcode may leave behind


class BoundedReader:
    """A file view ``[start, end)`` whose ``read(n)`` refuses an ``n`` beyond what is left.

    ``pickle._Unpickler`` reads a claimed length with one ``read(n)``; a buffered file
    allocates ``n`` bytes for that before finding the file short (2 GiB for a 16-byte file).
    Here the length is compared with the bytes left first.
    """

    def __init__(self, f: Any, path: str, end: int, budget: Budget) -> None:
        self.f, self.path, self.end, self.budget = f, path, end, budget

    def left(self) -> int:
        return self.end - self.f.tell()

    def read(self, n: int = -1) -> bytes:
        left = self.left()
        if n is None or n < 0:
            n = left
        if n > left:
            raise LaminaFileError(
                self.path,
                f"offset {self.f.tell()}: pickle claims {n} bytes, the file has {max(left, 0)} "
                "left (truncated or hostile length)",
            )
        if n > 64:  # the bytes object itself, before any opcode turns it into a value
            self.budget.charge(n, "pickle reads")
        return self.f.read(n)

    def readinto(self, buf: Any) -> int:  # pragma: no cover - BYTEARRAY8 is overridden
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def readline(self) -> bytes:
        return self.f.readline(max(self.left(), 0))

    def tell(self) -> int:
        return self.f.tell()


def _charged_by_items(load: Callable, each: int) -> Callable:
    """An opcode that moves the items above the mark into a container: charge per item."""

    def run(self: SafeUnpickler) -> None:
        self.budget.charge(len(self.stack) * each, "pickle containers")
        load(self)

    return run


def _charged_fixed(load: Callable, cost: int) -> Callable:
    """An opcode that adds one entry to a container, the memo or a new tuple."""

    def run(self: SafeUnpickler) -> None:
        self.budget.charge(cost, "pickle objects")
        load(self)

    return run


class SafeUnpickler(pickle._Unpickler):
    """Allow-listed, budgeted unpickler; see the module docstring.

    Args:
        file: a :class:`BoundedReader`.
        path: the file, for messages.
        budget: the load's budget.
        find: ``(module, name) -> object`` or None for a global that is not allowed.
        persistent_load: ``pid -> object`` (torch's storage records).
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: BoundedReader, path: str, budget: Budget, find, persistent_load):
        super().__init__(file)
        self.path, self.budget, self._find, self._persistent = path, budget, find, persistent_load

    # ---- allow-list -------------------------------------------------------------------
    def find_class(self, module: str, name: str) -> Any:
        found = self._find(module, name)
        if found is None and module == "torch._utils" and name.startswith("_rebuild_"):
            raise LaminaFileError(
                self.path,
                f"pickle global {module}.{name} is not supported: only dense CPU tensors of "
                "float16/32/64, bfloat16, int8-64, uint8 and bool can be read",
            )
        if found is None:
            raise LaminaFileError(
                self.path,
                f"pickle global {module}.{name} is not allowed: only tensor and container "
                "rebuilders are (the file may contain code; it was not run)",
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        return self._persistent(pid)

    # ---- the loop, with every opcode and every pushed object charged --------------------
    def load(self) -> Any:
        self._unframer = pickle._Unframer(self._file_read, self._file_readline)
        self.read, self.readline = self._unframer.read, self._unframer.readline
        self.readinto = self._unframer.readinto
        self.metastack, self.stack, self.proto = [], [], 0
        self.append = self._push
        read, dispatch, charge = self.read, self.dispatch, self.budget.charge
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError
                charge(_OPCODE, "pickle opcodes")
                dispatch[key[0]](self)
        except pickle._Stop as stop:
            return stop.value

    def _push(self, obj: Any) -> None:
        shared = (
            obj is None or obj is True or obj is False or (type(obj) is int and -5 <= obj <= 256)
        )
        self.budget.charge(_SLOT if shared else _SLOT + sys.getsizeof(obj), "pickle objects")
        self.stack.append(obj)

    def load_mark(self) -> None:
        self.metastack.append(self.stack)
        self.stack = []
        self.append = self._push

    def pop_mark(self) -> list:
        items = self.stack
        self.stack = self.metastack.pop()
        self.append = self._push
        return items

    def _reference(self, index: Any) -> None:
        """GET: push a memoised object (a reference, no new object)."""
        try:
            obj = self.memo[index]
        except KeyError:
            raise pickle.UnpicklingError(f"pickle memo key {index!r} was never set") from None
        self.budget.charge(_SLOT, "pickle references")
        self.stack.append(obj)

    def load_get(self) -> None:
        self._reference(int(self.readline()[:-1]))

    def load_binget(self) -> None:
        self._reference(self.read(1)[0])

    def load_long_binget(self) -> None:
        self._reference(int.from_bytes(self.read(4), "little"))

    def load_bytearray8(self) -> None:
        n = int.from_bytes(self.read(8), "little")
        data = self.read(n)  # refused first when the file holds fewer than n bytes
        self.budget.charge(2 * n, "pickle BYTEARRAY8")
        self.stack.append(bytearray(data))

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, dict):  # e.g. ndarray.__setstate__ must never be reachable
            raise LaminaFileError(
                self.path, f"pickle BUILD on {type(inst).__name__} is not allowed"
            )
        del state  # OrderedDict attributes such as torch's `_metadata`: not needed

    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.MARK[0]] = load_mark
    dispatch[pickle.GET[0]] = load_get
    dispatch[pickle.BINGET[0]] = load_binget
    dispatch[pickle.LONG_BINGET[0]] = load_long_binget
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8
    # grow an existing container in place (LIST, TUPLE, DICT, FROZENSET build a new one,
    # charged by its size when pushed)
    for _op, _each in [
        (pickle.APPENDS, _SLOT + 1),
        (pickle.SETITEMS, _DICT_ITEM // 2),  # counted per key and per value
        (pickle.ADDITEMS, _DICT_ITEM),
    ]:
        dispatch[_op[0]] = _charged_by_items(pickle._Unpickler.dispatch[_op[0]], _each)
    for _op, _each in [
        (pickle.SETITEM, _DICT_ITEM),
        (pickle.APPEND, _SLOT + 1),
        (pickle.TUPLE1, 56),
        (pickle.TUPLE2, 64),
        (pickle.TUPLE3, 72),
        (pickle.PUT, _MEMO_ITEM),
        (pickle.BINPUT, _MEMO_ITEM),
        (pickle.LONG_BINPUT, _MEMO_ITEM),
        (pickle.MEMOIZE, _MEMO_ITEM),
    ]:
        dispatch[_op[0]] = _charged_fixed(pickle._Unpickler.dispatch[_op[0]], _each)
    del _op, _each
