"""Tensor: a NumPy array that records the ops applied to it, for reverse-mode autograd.

The array lives in ``_data`` (``.numpy()`` hands it out); ``.data`` is torch's: a Tensor
sharing that memory without history. Methods are spread by meaning over three files:
this one (construction, autograd, dtype and device), ``tensor_math.py`` (arithmetic,
comparisons, maths, reductions) and ``tensor_shape.py`` (shape, indexing, in-place updates).
"""

from __future__ import annotations

import builtins

import numpy as np

from . import _state
from . import dtypes as D
from .autograd import engine
from .autograd.function import bind_inputs as _bind
from .dtypes import default_array as _default_array
from .ops import elementwise as E
from .tensor_convert import ConvertMixin
from .tensor_hooks import HookMixin
from .tensor_inplace import InplaceMixin
from .tensor_linalg import LinalgMixin
from .tensor_math import MathMixin
from .tensor_reduce import ReduceMixin
from .tensor_rounding import RoundingMixin
from .tensor_select import SelectMixin
from .tensor_shape import ShapeMixin

_grad_mode = _state.grad  # thread-local; read on every op


def apply(fn, *args, **kwargs):
    """Run op ``fn`` on the arrays of ``args`` and record it in the graph when needed.

    ``args`` are the op's tensor inputs (Tensors, arrays, numbers or None), ``kwargs`` its
    options; see ``lamina.autograd.function`` for the contract.
    """
    # Runs once per op, so it is written for CPython's speed: explicit loops rather than
    # comprehensions (each builds a function object on 3.11), no helper calls on the hot path.
    names = fn._inputs
    if (kwargs and not kwargs.keys().isdisjoint(names)) or (
        len(args) > len(names) and not fn._varargs
    ):
        args = _bind(fn, args, kwargs)
    arrays, needs, record = [], [], False
    for a in args:
        if isinstance(a, Tensor):
            if a._view is not False and a._view._hist is not None:
                a._refresh_view()  # its base was changed in place since
            arrays.append(a._data)
            if a.requires_grad:
                record = True
                needs.append(True)
            else:
                needs.append(False)
        else:
            arrays.append(a)
            needs.append(False)
    ctx = fn._Ctx(fn)
    if record and _grad_mode.enabled:
        if len(args) < len(names) and not fn._varargs:  # defaults left out get a flag
            needs += [False] * (len(names) - len(args))
        ctx.needs_input_grad = tuple(needs)
    else:
        record = False
        ctx.needs_input_grad = fn._no_grads or (False,) * len(args)
    out = fn.forward(ctx, *arrays, **kwargs) if kwargs else fn.forward(ctx, *arrays)
    if type(out) is tuple:
        return _outputs(fn, ctx, args, out, record)
    if record and out.dtype.kind not in "fc":
        record = False  # integer and bool results carry no history, as torch's
    t = _make(out, record)
    if type(out) is not np.ndarray and record and ctx.saved:
        # a NumPy scalar result became an array: what backward saved is that array now, so
        # a later in-place change to the output is seen (the saved-output version check)
        ctx.saved = tuple([t._data if s is out else s for s in ctx.saved])
    if fn.is_view:
        _share_versions(args[0], (t,))
    if record:
        ctx.inputs = args
        ctx.out_meta = ((t._data.shape, t._data.dtype),)
        t._ctx = ctx
        if ctx.saved:  # backward checks that these inputs were not modified in place since
            versions = []
            for a in args:
                versions.append(a._version[0] if isinstance(a, Tensor) else None)
            ctx.versions = versions
            data = t._data
            for s in ctx.saved:  # and its output, through any alias (views, detach())
                if s is data:
                    ctx.watch = (t._version, 0, data)
                    break
    return t


def _outputs(fn, ctx, args, out, record) -> tuple:
    """The Tensors of a multi-output op, linked to its context when recording."""
    outs = tuple([_make(o, record) for o in out])
    if fn.is_view:
        _share_versions(args[0], outs)
    if record:
        ctx.inputs = args
        ctx.out_meta = tuple([(t._data.shape, t._data.dtype) for t in outs])
        for i, t in enumerate(outs):
            t._ctx, t._idx = ctx, i
        if ctx.saved:
            ctx.versions = [a._version[0] if isinstance(a, Tensor) else None for a in args]
    return outs


def _share_versions(src, outs) -> None:
    """Views NumPy made of ``src`` share its version counter, so in-place changes show."""
    base = src if src._view is False else src._view
    for t in outs:  # NumPy may give a copy a .base (fancy indexing): check the memory
        d = t._data
        if d.base is not None and (d.size == 0 or np.may_share_memory(d, src._data)):
            t._version, t._view = src._version, base


def _make(arr, requires_grad=False):
    t = Tensor.__new__(Tensor)
    t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
    t.requires_grad = requires_grad
    t.grad = t._ctx = None
    t._idx, t._version, t._view, t._hist = 0, [0], False, None
    return t


def _shell(t: Tensor) -> Tensor:
    """A stand-in for ``t`` before an in-place op: a copy of its values with its history."""
    old = _make(t._data.copy(), t.requires_grad)
    old._ctx, old._idx = t._ctx, t._idx
    return old


def promote(*operands):
    """Operands cast to their torch result type: Tensors through the graph (the gradient is
    cast back), arrays by copy, NumPy scalars to Python numbers; Python numbers unchanged."""
    dtype = D.result_type(*operands)
    out = []
    for o in operands:
        if isinstance(o, Tensor):
            out.append(o if o._data.dtype == dtype else apply(E.Cast, o, dtype=dtype))
        elif isinstance(o, np.ndarray):
            out.append(o if o.dtype == dtype else o.astype(dtype))
        elif isinstance(o, np.generic):
            out.append(o.item())
        else:
            out.append(o)
    return out


class Tensor(
    ConvertMixin,
    HookMixin,
    SelectMixin,
    ReduceMixin,
    RoundingMixin,
    MathMixin,
    ShapeMixin,
    InplaceMixin,
    LinalgMixin,
):
    """A multi-dimensional array with autograd (torch.Tensor)."""

    # _view: the base Tensor whose memory a view shares (False for a tensor owning its memory);
    # _hist: ((seq, ctx, idx), ...) the histories an in-place op replaced, see set_history
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_idx", "_version", "_view", "_hist")
    __slots__ += ("__weakref__", "_post_acc_hooks")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators
    __hash__ = object.__hash__
    _apply = staticmethod(apply)
    _wrap = staticmethod(_make)
    _shell = staticmethod(_shell)
    _promote = staticmethod(promote)

    def __init__(self, data, dtype=None, requires_grad: builtins.bool = False) -> None:
        self._data = _default_array(data, dtype)
        self.grad, self._ctx, self._idx = None, None, 0
        self._version, self._view, self._hist = [0], False, None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ---- attributes -------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values without history, sharing memory (torch.Tensor.data)."""
        return _make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def shape(self) -> D.Size:
        """The sizes of the dimensions (torch.Tensor.shape)."""
        return D.Size(self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        """The element type, a NumPy dtype (``lamina.float32``...)."""
        return self._data.dtype

    @property
    def ndim(self) -> builtins.int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def is_leaf(self) -> builtins.bool:
        """True for tensors not made by a recorded op (torch.Tensor.is_leaf)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op that made this tensor, or None for a leaf."""
        return self._ctx

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        """All dims reversed (torch.Tensor.T)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - torch's name
        """The last two dims swapped (torch.Tensor.mT)."""
        return self.transpose(-2, -1)

    def size(self, dim: builtins.int | None = None):
        """The shape, or one dim's size (torch.Tensor.size)."""
        return self.shape if dim is None else self._data.shape[self._dim(dim)]

    def dim(self) -> builtins.int:
        """Number of dimensions (torch.Tensor.dim)."""
        return self._data.ndim

    def numel(self) -> builtins.int:
        """Number of elements (torch.Tensor.numel)."""
        return builtins.int(self._data.size)

    def element_size(self) -> builtins.int:
        """Bytes per element (torch.Tensor.element_size)."""
        return self._data.itemsize

    def is_contiguous(self) -> builtins.bool:
        """Whether the elements lie in row-major order without gaps."""
        return builtins.bool(self._data.flags.c_contiguous)

    def numpy(self) -> np.ndarray:
        """The array itself, sharing memory (torch.Tensor.numpy); refused while grad flows."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def item(self):
        """The one element as a Python number (torch.Tensor.item)."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self):
        """Nested Python lists (torch.Tensor.tolist)."""
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        """NumPy's protocol: the storage itself, or a copy when asked (``np.array(t)``)."""
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        if copy and arr is self._data:
            return arr.copy()
        if copy is False and arr is not self._data:
            raise ValueError(f"cannot view a {self._data.dtype} tensor as {dtype} without a copy")
        return arr

    def __len__(self) -> builtins.int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"({self._data.size} elements)"
            )
        return builtins.bool(self._data)

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        from ._repr import tensor_repr

        return tensor_repr(self)

    # ---- autograd ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Set whether autograd records ops on this leaf (torch.Tensor.requires_grad_)."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients, "
                f"got {self._data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same values without history, sharing memory and version (torch.detach)."""
        t = _make(self._data)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from its history in place (torch.Tensor.detach_)."""
        self._ctx, self.requires_grad = None, False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf after backward (torch.Tensor.retain_grad)."""
        if self._ctx is not None:
            self._ctx.retained = (self._ctx.retained or []) + [(self._idx, self)]

    def _accumulate(self, g, owned: builtins.bool = False) -> None:
        """Add ``g`` into ``.grad``; an ``owned`` array (fresh, unshared) is adopted uncopied."""
        grad = self.grad
        if grad is None:
            self.grad = _make(g if owned else np.array(g, dtype=self._data.dtype, copy=True))
            return
        acc = grad._data
        if acc.shape == np.shape(g) and acc.flags.writeable:
            np.add(acc, g, out=acc, casting="unsafe")  # in place, as torch
        else:
            grad._data = np.asarray(acc + g)

    def backward(self, gradient=None, retain_graph: builtins.bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (torch.Tensor.backward)."""
        if self._view is not False and self._view._hist is not None:
            self._refresh_view()
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn "
                "(was it computed under no_grad, or from leaves without requires_grad=True?)"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape "
                    f"{tuple(self.shape)}: pass gradient="
                )
            g = np.ones(self._data.shape, dtype=self._data.dtype)
        else:
            g = _default_array(gradient, self._data.dtype)
            if g.shape != self._data.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {tuple(g.shape)}, "
                    f"expected the output's shape {tuple(self.shape)}"
                )
        engine.run_backward(self, g, retain_graph)
