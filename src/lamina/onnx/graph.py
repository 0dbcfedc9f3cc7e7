"""The ONNX graph under construction: value names, constants, nodes, and one op's view of it."""

from __future__ import annotations

from typing import Any

import numpy as np

from .trace import TracedOp


class UnsupportedOperatorError(RuntimeError):
    """An op the exporter cannot express in ONNX (torch.onnx.errors.UnsupportedOperatorError)."""


class Graph:
    """Nodes and initializers; arrays of the trace are named by their identity."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx, self.opset = onnx, opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: dict[int, str] = {}
        self._alive: list[Any] = []  # keeps named arrays alive so their ids stay unique
        self._used: set[str] = set()
        self._params: dict[int, tuple[str, np.ndarray]] = {}
        self.dynamic = False  # some input axis is dynamic (dynamic_axes)
        self.dynamic_ids: set[int] = set()  # arrays computed from the inputs
        self.unavailable: dict[int, str] = {}  # outputs ONNX cannot give -> the op's label

    def keep(self, array: Any) -> None:
        self._alive.append(array)

    def is_dynamic(self, array: Any) -> bool:
        return id(array) in self.dynamic_ids

    def fresh(self, hint: str) -> str:
        name, i = hint, 0
        while name in self._used:
            i += 1
            name = f"{hint}_{i}"
        self._used.add(name)
        return name

    def bind(self, array: Any, name: str) -> None:
        self._names[id(array)] = name
        self._used.add(name)
        self._alive.append(array)

    def bind_param(self, array: np.ndarray, key: str) -> None:
        """A state-dict array: an initializer named ``key``, written when first used."""
        if id(array) not in self._names and id(array) not in self._params:
            self._params[id(array)] = (key, array)
            self._used.add(key)

    def name_of(self, array: Any) -> str | None:
        name = self._names.get(id(array))
        if name is None and id(array) in self._params:
            name, value = self._params.pop(id(array))
            self.initializers.append(self.onnx.numpy_helper.from_array(value.copy(), name))
            self.bind(array, name)
        return name

    def initializer(self, value: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        value = np.array(value, order="C")  # ascontiguousarray would make a 0-d array 1-d
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> str:
        return self.initializer(np.asarray(value, dtype=dtype), hint)

    def ints(self, values: Any, hint: str = "ints") -> str:
        return self.initializer(np.asarray(values, dtype=np.int64).reshape(-1), hint)

    def add(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> list[str]:
        outs = [self.fresh(f"{op_type}_{len(self.nodes)}") for _ in range(n_out)]
        node = self.onnx.helper.make_node(
            op_type, inputs, outs, name=f"{op_type}_{len(self.nodes)}", **attrs
        )
        self.nodes.append(node)
        return outs

    def one(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        return self.add(op_type, inputs, 1, **attrs)[0]


class Node:
    """What a converter sees of one traced op: its arguments as ONNX value names."""

    def __init__(self, graph: Graph, op: TracedOp) -> None:
        self.g, self.op, self.args = graph, op, op.args

    def arr(self, key: str) -> Any:
        return self.args[key]

    def x(self, value: Any, dtype: Any = None) -> str:
        """The ONNX name of an array argument (a constant if the trace did not make it)."""
        if not isinstance(value, np.ndarray):
            return self.g.const(value, dtype=dtype or self.out_dtype(0))
        name = self.g.name_of(value)
        if name is None:
            name = self.g.initializer(value, "const")
            self.g.bind(value, name)
        if dtype is not None and np.dtype(dtype) != value.dtype:
            return self.g.one("Cast", [name], to=onnx_dtype(self.g.onnx, dtype))
        return name

    def inp(self, key: str, dtype: Any = None) -> str:
        return self.x(self.args[key], dtype)

    def out_dtype(self, i: int = 0) -> np.dtype:
        return self.op.outputs[i].dtype

    def out_shape(self, i: int = 0) -> tuple[int, ...]:
        return self.op.outputs[i].shape

    def in_shape(self, key: str) -> tuple[int, ...]:
        return np.shape(self.args[key])

    def unsupported(self, what: str) -> UnsupportedOperatorError:
        where = f" in {self.op.module}" if self.op.module else ""
        return UnsupportedOperatorError(f"lamina.onnx.export: op {self.op.op}{where}: {what}")


def onnx_dtype(onnx: Any, dtype: Any) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
