"""Tensor: a NumPy array that records the ops applied to it, for reverse-mode autograd."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _state
from .autograd import engine
from .ops import activation as A
from .ops import elementwise as E
from .ops import linalg as L
from .ops import reduce as R
from .ops import scan as Scan
from .ops import sort as Sel
from .ops.dims import wrap_dim, wrap_dims
from .tensor_shape import ShapeMixin

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _default_array(data, dtype=None) -> np.ndarray:
    """Data as an ndarray; Python numbers and lists default to float32/int64 as in torch."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d.data if isinstance(d, Tensor) else d for d in data]
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and not isinstance(data, np.generic):
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
    return arr


def _bind(fn, args, kwargs):
    """Check ``args`` against ``fn.forward``'s tensor inputs; move inputs passed by keyword."""
    names = fn._inputs
    if kwargs and not kwargs.keys().isdisjoint(names):
        args = list(args) + [None] * (len(names) - len(args))
        for i, name in enumerate(names):
            if name in kwargs:
                args[i] = kwargs.pop(name)
        while len(args) > len(fn._inputs) or (args and args[-1] is None):
            args.pop()  # trailing defaults stay defaults
    if len(args) > len(names) and not fn._varargs:
        raise TypeError(
            f"{fn.__name__}.forward takes {len(names)} tensor input(s) {names}, got "
            f"{len(args)} positional arguments; pass options by keyword"
        )
    return args


def apply(fn, *args, **kwargs):
    """Run op ``fn`` on the arrays of ``args`` and record it in the graph when needed.

    ``args`` are the op's tensor inputs (Tensors, arrays, numbers or None), ``kwargs`` its
    options; see ``lamina.autograd.function`` for the contract.
    """
    if kwargs or len(args) > len(fn._inputs):
        args = _bind(fn, args, kwargs)
    arrays, record = [], False
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.data)
            record = record or a.requires_grad
        else:
            arrays.append(a)
    record = record and _state.grad.enabled
    ctx = fn._Ctx(fn)
    n = len(args) if fn._varargs else len(fn._inputs)
    if record:
        needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
        ctx.needs_input_grad = tuple(needs) + (False,) * (n - len(args))
    else:
        ctx.needs_input_grad = (False,) * n
    out = fn.forward(ctx, *arrays, **kwargs)
    if isinstance(out, tuple):
        outs = tuple(_make(o, record) for o in out)
    else:
        outs = _make(out, record)
    if record:
        ctx.inputs = args
        if isinstance(out, tuple):
            ctx.out_meta = tuple((o.shape, o.dtype) for o in out)
            for i, t in enumerate(outs):
                t._ctx, t._idx = ctx, i
        else:
            ctx.out_meta = ((out.shape, out.dtype),)
            outs._ctx = ctx
    return outs


def _make(arr, requires_grad=False):
    t = Tensor.__new__(Tensor)
    t.data = arr if isinstance(arr, np.ndarray) else np.asarray(arr)
    t.grad, t.requires_grad, t._ctx, t._idx = None, requires_grad, None, 0
    return t


def _operand(x: Tensor, o):
    """Bring the other operand of a binary op to x's kind without widening float32 work."""
    if isinstance(o, Tensor):
        return o
    if isinstance(o, (bool, int, float)):
        return o
    arr = np.asarray(o.data if hasattr(o, "data") and not isinstance(o, np.ndarray) else o)
    if arr.dtype.kind == "f" and x.data.dtype.kind == "f" and arr.dtype != x.data.dtype:
        arr = arr.astype(x.data.dtype)
    elif arr.dtype == np.float64 and x.data.dtype.kind != "f":
        arr = arr.astype(np.float32)
    return arr


def _binary(fn, a, b, reverse=False):
    b = _operand(a, b)
    if a.data.dtype.kind in "iub" and isinstance(b, float):
        a = a.float()  # int tensor with a float scalar computes in float32, as torch
    return apply(fn, b, a) if reverse else apply(fn, a, b)


def _axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


class Tensor(ShapeMixin):
    """A multi-dimensional array with autograd (torch.Tensor); ``data`` is an ndarray."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_idx", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators
    __hash__ = object.__hash__
    _apply = staticmethod(lambda fn, *a, **k: apply(fn, *a, **k))
    _wrap = staticmethod(lambda arr: _make(arr))

    def __init__(self, data, dtype=None, requires_grad: bool = False) -> None:
        self.data = _default_array(data, dtype)
        self.grad = None
        self._ctx, self._idx = None, 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ---- attributes -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    device = property(lambda self: "cpu")
    T = property(lambda self: self.permute(*range(self.ndim - 1, -1, -1)))
    mT = property(lambda self: self.transpose(-2, -1))

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    __float__ = lambda self: float(self.item())  # noqa: E731
    __int__ = lambda self: int(self.item())  # noqa: E731
    __index__ = lambda self: int(self.item())  # noqa: E731

    def __repr__(self) -> str:
        body = np.array2string(
            self.data, separator=", ", prefix="tensor(", precision=4, threshold=1000
        )
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_) or self.data.size == 0:
            extra += f", dtype=lamina.{self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ---- autograd ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use detach()")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating point tensors can require gradients, got dtype {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        return _make(self.data)

    def detach_(self) -> Tensor:
        self._ctx, self.requires_grad = None, False
        return self

    def retain_grad(self) -> None:
        if self._ctx is not None:
            self._ctx.retained = (self._ctx.retained or []) + [(self._idx, self)]

    def _accumulate(self, g, owned: bool = False) -> None:
        """Add ``g`` into ``.grad``; an ``owned`` array (fresh, unshared) is adopted uncopied."""
        if self.grad is None:
            self.grad = _make(g if owned else np.array(g, dtype=self.data.dtype, copy=True))
        else:
            self.grad.data = self.grad.data + g

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (torch.Tensor.backward)."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no "
                "grad_fn (was it computed under no_grad, or from leaves "
                "without requires_grad=True?)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without gradient= needs a scalar output, "
                    f"got shape {tuple(self.shape)}: pass gradient="
                )
            g = np.ones(self.shape, dtype=self.data.dtype)
        else:
            g = _default_array(gradient, self.data.dtype)
            if g.shape != self.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {tuple(g.shape)}, "
                    f"expected the output's shape {tuple(self.shape)}"
                )
        engine.run_backward(self, g, retain_graph)

    # ---- dtype ------------------------------------------------------------------------
    def astype(self, dtype) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        return apply(E.Cast, self, dtype=dtype)

    to = lambda self, dtype=None, *a, **k: self if dtype in (None, "cpu") else self.astype(dtype)  # noqa: E731,E501
    type_as = lambda self, other: self.astype(other.dtype)  # noqa: E731
    float = lambda self: self.astype(np.float32)  # noqa: E731
    double = lambda self: self.astype(np.float64)  # noqa: E731
    half = lambda self: self.astype(np.float16)  # noqa: E731
    long = lambda self: self.astype(np.int64)  # noqa: E731
    int = lambda self: self.astype(np.int32)  # noqa: E731
    bool = lambda self: self.astype(np.bool_)  # noqa: E731
    cpu = lambda self: self  # noqa: E731
    contiguous = lambda self: self  # noqa: E731

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    # ---- arithmetic -------------------------------------------------------------------
    __add__ = lambda a, b: _binary(E.Add, a, b)  # noqa: E731
    __radd__ = lambda a, b: _binary(E.Add, a, b, True)  # noqa: E731
    __sub__ = lambda a, b: _binary(E.Sub, a, b)  # noqa: E731
    __rsub__ = lambda a, b: _binary(E.Sub, a, b, True)  # noqa: E731
    __mul__ = lambda a, b: _binary(E.Mul, a, b)  # noqa: E731
    __rmul__ = lambda a, b: _binary(E.Mul, a, b, True)  # noqa: E731
    __truediv__ = lambda a, b: _binary(E.Div, a.float() if a.dtype.kind != "f" else a, b)  # noqa: E731,E501
    __rtruediv__ = lambda a, b: _binary(E.Div, a.float() if a.dtype.kind != "f" else a, b, True)  # noqa: E731,E501
    __pow__ = lambda a, b: _binary(E.Pow, a, b)  # noqa: E731
    __rpow__ = lambda a, b: _binary(E.Pow, a, b, True)  # noqa: E731
    __matmul__ = lambda a, b: apply(L.MatMul, a, _operand(a, b))  # noqa: E731
    __rmatmul__ = lambda a, b: apply(L.MatMul, _operand(a, b), a)  # noqa: E731
    __neg__ = lambda a: apply(E.Neg, a)  # noqa: E731
    __pos__ = lambda a: a  # noqa: E731
    __abs__ = lambda a: apply(E.Abs, a)  # noqa: E731
    add = lambda a, b, alpha=1: a + (b * alpha if alpha != 1 else b)  # noqa: E731
    sub = lambda a, b, alpha=1: a - (b * alpha if alpha != 1 else b)  # noqa: E731
    mul, div, pow, matmul = __mul__, __truediv__, __pow__, __matmul__

    def __floordiv__(self, b):
        return _make(self.data // (b.data if isinstance(b, Tensor) else b))

    def __mod__(self, b):
        return _make(self.data % (b.data if isinstance(b, Tensor) else b))

    # comparisons and logic: no gradient, boolean results
    def _cmp(self, b, op):
        return _make(op(self.data, b.data if isinstance(b, Tensor) else b))

    __eq__ = lambda a, b: a._cmp(b, np.equal)  # noqa: E731
    __ne__ = lambda a, b: a._cmp(b, np.not_equal)  # noqa: E731
    __lt__ = lambda a, b: a._cmp(b, np.less)  # noqa: E731
    __le__ = lambda a, b: a._cmp(b, np.less_equal)  # noqa: E731
    __gt__ = lambda a, b: a._cmp(b, np.greater)  # noqa: E731
    __ge__ = lambda a, b: a._cmp(b, np.greater_equal)  # noqa: E731
    __and__ = lambda a, b: a._cmp(b, np.logical_and if a.dtype == np.bool_ else np.bitwise_and)  # noqa: E731,E501
    __or__ = lambda a, b: a._cmp(b, np.logical_or if a.dtype == np.bool_ else np.bitwise_or)  # noqa: E731,E501
    __xor__ = lambda a, b: a._cmp(b, np.logical_xor if a.dtype == np.bool_ else np.bitwise_xor)  # noqa: E731,E501
    __invert__ = lambda a: _make(~a.data)  # noqa: E731
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    logical_not = lambda a: _make(np.logical_not(a.data))  # noqa: E731
    isnan = lambda a: _make(np.isnan(a.data))  # noqa: E731
    isfinite = lambda a: _make(np.isfinite(a.data))  # noqa: E731
    allclose = lambda a, b, rtol=1e-5, atol=1e-8: bool(
        np.allclose(a.data, np.asarray(b), rtol, atol)
    )  # noqa: E731,E501
    equal = lambda a, b: bool(np.array_equal(a.data, np.asarray(b)))  # noqa: E731
    all = lambda a, dim=None: _make(np.all(a.data, axis=dim))  # noqa: E731
    any = lambda a, dim=None: _make(np.any(a.data, axis=dim))  # noqa: E731

    # ---- unary maths ------------------------------------------------------------------
    exp = lambda a: apply(E.Exp, a)  # noqa: E731
    log = lambda a: apply(E.Log, a)  # noqa: E731
    log1p = lambda a: apply(E.Log1p, a)  # noqa: E731
    sqrt = lambda a: apply(E.Sqrt, a)  # noqa: E731
    rsqrt = lambda a: apply(E.Rsqrt, a)  # noqa: E731
    sin = lambda a: apply(E.Sin, a)  # noqa: E731
    cos = lambda a: apply(E.Cos, a)  # noqa: E731
    tanh = lambda a: apply(A.Tanh, a)  # noqa: E731
    abs = __abs__
    sign = lambda a: apply(E.Sign, a)  # noqa: E731
    neg = __neg__
    square = lambda a: a * a  # noqa: E731
    clone = lambda a: apply(E.Clone, a)  # noqa: E731

    def clamp(self, min=None, max=None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        return apply(
            E.Clamp,
            self,
            _operand(self, min) if min is not None else None,
            _operand(self, max) if max is not None else None,
        )

    clip = clamp
    maximum = lambda a, b: apply(E.Maximum, a, _operand(a, b))  # noqa: E731
    minimum = lambda a, b: apply(E.Minimum, a, _operand(a, b))  # noqa: E731

    def sigmoid(self):
        return apply(A.Sigmoid, self)

    def relu(self):
        return apply(A.ReLU, self)

    def softmax(self, dim):
        return apply(A.Softmax, self, dim=dim)

    def log_softmax(self, dim):
        return apply(A.LogSoftmax, self, dim=dim)

    # ---- reductions -------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.astype(dtype)
        if x.data.dtype == np.bool_:
            x = x.long()
        return apply(R.Sum, x, axis=_axis(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        if self.data.dtype.kind != "f":
            raise TypeError(f"mean() needs a floating point tensor, got {self.dtype}")
        return apply(R.Mean, self, axis=_axis(dim), keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        c = correction if correction is not None else (0 if unbiased is False else 1)
        return apply(R.Var, self, axis=_axis(dim), correction=c, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def _maxmin(self, dim, keepdim, largest):
        if dim is None:
            return apply(R.MaxMin, self, largest=largest)
        values = apply(R.MaxMin, self, axis=dim, keepdim=keepdim, largest=largest)
        f = np.argmax if largest else np.argmin
        idx = f(self.data, axis=dim, keepdims=keepdim)
        return ValuesIndices(values, _make(idx.astype(np.int64)))

    max = lambda a, dim=None, keepdim=False: a._maxmin(dim, keepdim, True)  # noqa: E731
    min = lambda a, dim=None, keepdim=False: a._maxmin(dim, keepdim, False)  # noqa: E731
    amax = lambda a, dim=None, keepdim=False: apply(
        R.MaxMin, a, axis=dim, keepdim=keepdim, largest=True
    )  # noqa: E731
    amin = lambda a, dim=None, keepdim=False: apply(
        R.MaxMin, a, axis=dim, keepdim=keepdim, largest=False
    )  # noqa: E731
    argmax = lambda a, dim=None, keepdim=False: _make(  # noqa: E731
        np.argmax(a.data, axis=dim, keepdims=keepdim).astype(np.int64)
    )
    argmin = lambda a, dim=None, keepdim=False: _make(  # noqa: E731
        np.argmin(a.data, axis=dim, keepdims=keepdim).astype(np.int64)
    )
    logsumexp = lambda a, dim=None, keepdim=False: apply(
        R.LogSumExp, a, axis=_axis(dim), keepdim=keepdim
    )  # noqa: E731,E501
    prod = lambda a, dim=None, keepdim=False: apply(R.Prod, a, axis=dim, keepdim=keepdim)  # noqa: E731

    def norm(self, p=2, dim=None, keepdim=False):
        p = 2 if p == "fro" else (np.inf if p in ("inf", float("inf")) else p)
        return apply(R.Norm, self, p=p, axis=_axis(dim), keepdim=keepdim)

    # ---- sorting, scanning, selection (ops helper) ----------------------------------------
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """Sorted values and their int64 indices along ``dim`` (torch.Tensor.sort)."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        idx = Sel.sort_indices(x.data, axis, descending)
        values = apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), _make(idx.reshape(())))
        return ValuesIndices(values, _make(idx))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """Indices that sort ``dim`` (torch.Tensor.argsort); ties keep their order."""
        return self.sort(dim, descending, stable).indices

    def msort(self) -> Tensor:
        """Sorted along dim 0 (torch.Tensor.msort)."""
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The k largest (or smallest) values and their indices along ``dim`` (torch.topk)."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        idx = Sel.topk_indices(x.data, int(k), axis, largest, sorted)
        values = apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(idx.shape[:0]), _make(idx.reshape(())))
        return ValuesIndices(values, _make(idx))

    def cumsum(self, dim: int, dtype=None) -> Tensor:
        """Running sum along ``dim``; integer and bool inputs give int64 (torch.cumsum)."""
        x = self.astype(dtype) if dtype is not None else self
        if x.data.dtype.kind in "biu":
            x = x.astype(np.int64)
        return apply(Scan.CumSum, x, axis=wrap_dim(dim, self.ndim))

    def cumprod(self, dim: int, dtype=None) -> Tensor:
        """Running product along ``dim``; integer and bool inputs give int64 (torch.cumprod)."""
        x = self.astype(dtype) if dtype is not None else self
        if x.data.dtype.kind in "biu":
            x = x.astype(np.int64)
        return apply(Scan.CumProd, x, axis=wrap_dim(dim, self.ndim))

    def nonzero(self, *, as_tuple: bool = False):
        """Indices of the non-zero elements, one row each (torch.nonzero)."""
        d = self.data.reshape(1) if self.ndim == 0 else self.data
        idx = np.nonzero(d)
        if as_tuple:
            return tuple(_make(i.astype(np.int64)) for i in idx)
        out = np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64)
        return _make(out if self.ndim else out[:, :0])

    def argwhere(self) -> Tensor:
        """nonzero() as a (n, ndim) tensor (torch.argwhere)."""
        return self.nonzero()

    def isinf(self) -> Tensor:
        """True where the element is +inf or -inf (torch.isinf)."""
        return _make(np.isinf(self.data))

    def isposinf(self) -> Tensor:
        """True where the element is +inf (torch.isposinf)."""
        return _make(np.isposinf(self.data))

    def isneginf(self) -> Tensor:
        """True where the element is -inf (torch.isneginf)."""
        return _make(np.isneginf(self.data))

    def nan_to_num(self, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
        """NaN and infinities replaced by numbers (torch.nan_to_num)."""
        if self.data.dtype.kind not in "fc":
            return self.clone()
        return apply(E.NanToNum, self, nan=nan, posinf=posinf, neginf=neginf)

    def multinomial(self, num_samples: int, replacement: bool = False, generator=None) -> Tensor:
        """Category indices drawn from rows of non-negative weights (torch.multinomial)."""
        from .random import default_rng

        return _make(Sel.multinomial(self.data, num_samples, replacement, default_rng()))

    def mm(self, mat2) -> Tensor:
        """Matrix product of two 2-D tensors (torch.mm)."""
        Sel.check_matmul_dims("mm", self.shape, np.shape(mat2), 2)
        return self @ mat2

    def bmm(self, mat2) -> Tensor:
        """Batched product of (b, n, m) and (b, m, p) tensors (torch.bmm)."""
        Sel.check_matmul_dims("bmm", self.shape, np.shape(mat2), 3)
        return self @ mat2

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:  # noqa: F811 - tuple dims, tie split
        """Max over ``dim`` (an int or a tuple; () means all); ties share the gradient."""
        return apply(R.AMaxMin, self, axis=_reduce_dims(dim, self.ndim), keepdim=keepdim)

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:  # noqa: F811 - tuple dims, tie split
        """Min over ``dim`` (an int or a tuple; () means all); ties share the gradient."""
        axis = _reduce_dims(dim, self.ndim)
        return apply(R.AMaxMin, self, axis=axis, keepdim=keepdim, largest=False)

    def max(self, dim=None, keepdim: bool = False):  # noqa: F811 - adds max(other)
        """Max of all elements, (values, indices) along ``dim``, or elementwise with a tensor."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._maxmin(dim, keepdim, True)

    def min(self, dim=None, keepdim: bool = False):  # noqa: F811 - adds min(other)
        """Min of all elements, (values, indices) along ``dim``, or elementwise with a tensor."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._maxmin(dim, keepdim, False)


def _reduce_dims(dim, ndim: int):
    """torch's reduction dims as a NumPy axis: () and [] mean every dim."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return wrap_dims(dim, ndim) if ndim else None
