"""Tensor methods that change a tensor in place (torch's ``_``-suffixed methods, ``+=``...).

Each runs the out-of-place op and writes the result into the tensor's memory, so every
alias (views, ``.data``, ``detach()``) sees it; the version counter is bumped, so a backward
that saved the old values raises as torch's. While autograd records, the tensor takes the
op's history. torch's refusals are kept: a leaf that requires grad, a result that cannot
be stored in the tensor's dtype, and memory where one element is written twice (an
``expand``-ed view; ``fill_`` / ``zero_`` / ``masked_fill_`` may write there).
"""

from __future__ import annotations

import numpy as np

from . import _state
from . import dtypes as D
from .ops import index as I
from .ops import inplace as IP
from .ops import scatter as SC
from .random import default_rng

OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


PARTIAL_OVERLAP_MESSAGE = (
    "unsupported operation: some elements of the input tensor and the written-to tensor "
    "refer to a single memory location. Please clone() the tensor before performing the "
    "operation."
)


def partial_overlap(out: np.ndarray, src: np.ndarray) -> bool:
    """torch's get_overlap_status == PARTIAL: two dense arrays whose memory ranges meet
    without being the very same array (same start, shape and strides). Arrays that are not
    dense (strided views) are "too hard" for torch and pass, as here."""
    if out.size == 0 or src.size == 0 or not np.may_share_memory(out, src):
        return False
    dense = out.flags.c_contiguous and src.flags.c_contiguous
    if not dense:
        return False
    same = (
        out.__array_interface__["data"][0] == src.__array_interface__["data"][0]
        and out.shape == src.shape
        and out.strides == src.strides
    )
    return not same


def check_index_put(data: np.ndarray, key, value) -> None:
    """torch's index_put_ takes a source of the destination's dtype only (boolean masks with
    a one-element source take the masked_fill path, which casts; basic indexing copies,
    which casts too)."""
    src = getattr(value, "_data", None)
    if type(src) is not np.ndarray or src.dtype == data.dtype or I.is_basic(key):
        return
    keys = key if isinstance(key, tuple) else (key,)
    arrays = [k for k in keys if isinstance(k, np.ndarray)]
    if src.size == 1 and arrays and all(k.dtype == np.bool_ for k in arrays):
        return  # boolean masks (with ints, slices, Ellipsis), a one-element source: it casts
    raise RuntimeError(
        "Index put requires the source and destination dtypes match, got "
        f"{D.type_name(data.dtype)} for the destination and {D.type_name(src.dtype)} for the "
        "source."
    )


def has_internal_overlap(arr: np.ndarray) -> bool:
    """torch's cheap test: a stride of 0 along a dim of more than one element."""
    return arr.size > 1 and any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape))


def _inplace_of(base: str, overlap_ok: bool = False):
    """The in-place twin of method ``base``: ``x.neg_()`` is ``x.neg()`` written into x."""

    def method(self, *args, **kwargs):
        fn = getattr(type(self), base)
        return self._inplace(
            base + "_", lambda x, *o: fn(x, *o, **kwargs), *args, overlap_ok=overlap_ok
        )

    method.__name__ = base + "_"
    method.__doc__ = f"{base} in place (torch.Tensor.{base}_)."
    return method


def _same_answer(older: tuple, newer: tuple) -> bool:
    """Whether two consecutive ``_hist`` entries tell their consumers the same thing: both
    no history (the same output index), or both histories whose backward already ran (a
    consumer reaching either raises). Keeping only the newer one bounds ``_hist`` for a
    buffer updated in place every step (with or without ``detach_()`` between steps)."""
    a, b = older[1], newer[1]
    if a is None or b is None:
        return a is b and older[2] == newer[2]
    return a.freed and b.freed


class InplaceMixin:
    """In-place updates; mixed into Tensor."""

    __slots__ = ()

    def _mark_saved_output(self) -> None:
        """Before changing this tensor in place: if the op that made it (or its base, for a
        view) kept its values for backward, that backward must raise (torch's version check
        on saved outputs)."""
        for t in (self,) if self._view is False else (self, self._view):
            ctx = t._ctx
            if ctx is not None and ctx.saved and ctx.stale is None:
                if any(s is t._data for s in ctx.saved):
                    ctx.stale = (t._data, t._version[0] + 1, t._version[0])

    def _check_inplace(self) -> None:
        """Refuse what torch refuses while recording: a leaf that requires grad, a view of
        one, and a piece of split/chunk/unbind (or a view of one)."""
        if self.requires_grad and self._ctx is None and self._view is False:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        base = self._view
        if base is False:
            return
        if base.requires_grad and base._ctx is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        ctx = self._ctx
        while ctx is not None and ctx.fn.is_view:  # split/chunk/unbind pieces, and their views
            if getattr(ctx.fn, "multi_output_view", False):
                raise RuntimeError(
                    f"Output {self._idx} of {ctx.name()} is a view and is being modified "
                    "inplace. This view is the output of a function that returns multiple "
                    "views. Such functions do not allow the output views to be modified "
                    "inplace. You should replace the inplace operation by an out-of-place one."
                )
            ctx = getattr(ctx.inputs[0], "_ctx", None)

    def _watch_saved(self, out) -> None:
        """The op of an in-place update saved its result (exp_, sigmoid_...): that result now
        lives in this tensor's memory, so a later change to it must fail that backward."""
        ctx = out._ctx
        if ctx is not None and any(s is out._data for s in ctx.saved):
            ctx.watch = (self._version, self._version[0], self._data)

    def _set_history(self, ctx, idx: int = 0) -> None:
        """Take the history (ctx, idx) from an in-place op; ops recorded before keep reading
        the one it replaces (autograd.engine.parent)."""
        # recorded even for a tensor without history: its views then know to refresh
        new, hist = (ctx.seq, self._ctx, self._idx), self._hist or ()
        if hist and _same_answer(hist[-1], new):
            hist = hist[:-1]  # the newer entry answers for the older one's consumers too
        self._hist = hist + (new,)
        self._ctx, self._idx, self.requires_grad = ctx, idx, True

    def _view_key(self):
        """Index arrays locating this view's elements in its base (as torch's as_strided)."""
        pos = IP.view_positions(self._view._data, self._data)
        if pos is None:
            raise RuntimeError(
                "lamina cannot record an in-place operation on this view (its elements are "
                "not elements of its base); use .clone() first"
            )
        if self._view._data.ndim == 0:  # every element is the base's one: new axes only
            if self._data.size != 1:
                raise RuntimeError(OVERLAP_MESSAGE)
            return (None,) * self._data.ndim
        return np.unravel_index(pos, self._view._data.shape)

    def _record_on_view(self, name, f, *others):
        """An in-place op on a view while recording, as torch's CopySlices: the base takes
        the history "base with this region replaced by f(region)", the view a slice of it."""
        base, key = self._view, self._view_key()
        old = self._shell(base)
        out = f(self._apply(I.GetItem, old, key=key), *others)
        D.check_inplace_cast(out.dtype, self.dtype, name)
        if out._data.shape != self._data.shape:
            raise RuntimeError(
                f"{name}: output with shape {list(self.shape)} doesn't match the broadcast "
                f"shape {list(out.shape)}"
            )
        out = out.astype(self.dtype)
        new = self._apply(IP.SetItem, old, out, key=key)
        np.copyto(self._data, out._data, casting="unsafe")
        base._set_history(new._ctx)
        self._set_history(self._apply(I.GetItem, base, key=key)._ctx)
        self._version[0] += 1
        self._watch_saved(out)
        return self

    def _refresh_view(self) -> None:
        """A view whose base was changed in place with history since the view's history was
        made reads its values from the base's new history (torch regenerates grad_fn)."""
        hist = self._view._hist
        if self._ctx is None or hist[-1][0] > self._ctx.seq:
            if self._view.requires_grad and _state.grad.enabled:
                key = self._view_key()
                self._set_history(self._apply(I.GetItem, self._view, key=key)._ctx)

    def _inplace(self, name, f, *others, overlap_ok=False):
        """self = f(self, *others), written into self's memory; recorded when grad flows."""
        if not overlap_ok and has_internal_overlap(self._data):
            raise RuntimeError(OVERLAP_MESSAGE)
        for o in others:  # an operand reading memory this op writes, partly
            arr = o if type(o) is np.ndarray else getattr(o, "_data", None)
            if type(arr) is np.ndarray and partial_overlap(self._data, arr):
                raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)
        self._mark_saved_output()
        record = (
            _state.grad.enabled
            and self._data.dtype.kind in "fc"  # an integer tensor takes no history
            and (self.requires_grad or any(getattr(o, "requires_grad", False) for o in others))
        )
        if record:
            self._check_inplace()
            if self._view is not False:
                return self._record_on_view(name, f, *others)
            out = f(self._shell(self), *others)
        else:
            out = f(self, *others)
        D.check_inplace_cast(out.dtype, self.dtype, name)
        if out._data.shape != self._data.shape:
            raise RuntimeError(
                f"{name}: output with shape {list(self.shape)} doesn't match the broadcast "
                f"shape {list(out.shape)}"
            )
        if record:
            out = out.astype(self.dtype)
            self._set_history(out._ctx, out._idx)
        np.copyto(self._data, out._data, casting="unsafe")
        self._version[0] += 1
        if record:
            self._watch_saved(out)
        return self

    def add_(self, other, alpha=1):
        """self += alpha * other in place (torch.Tensor.add_)."""
        return self._inplace("add_", lambda x, o: x.add(o, alpha=alpha), other)

    def sub_(self, other, alpha=1):
        """self -= alpha * other in place (torch.Tensor.sub_)."""
        return self._inplace("sub_", lambda x, o: x.sub(o, alpha=alpha), other)

    def mul_(self, other):
        """self *= other in place (torch.Tensor.mul_)."""
        return self._inplace("mul_", lambda x, o: x * o, other)

    def div_(self, other, rounding_mode=None):
        """self /= other in place (torch.Tensor.div_)."""
        return self._inplace("div_", lambda x, o: x.div(o, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        """self **= exponent in place (torch.Tensor.pow_)."""
        return self._inplace("pow_", lambda x, e: x**e, exponent)

    def clamp_(self, min=None, max=None):
        """clamp in place (torch.Tensor.clamp_)."""
        return self._inplace("clamp_", lambda x, lo, hi: x.clamp(lo, hi), min, max)

    clip_ = clamp_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def copy_(self, src, non_blocking: bool = False):
        """Copy ``src`` (broadcast, cast) into this tensor's memory (torch.Tensor.copy_)."""
        d, s = self._data, getattr(src, "_data", None)
        same = s is not None and d.__array_interface__ == s.__array_interface__
        if not same and has_internal_overlap(d):  # the very same memory: torch allows it
            raise RuntimeError(OVERLAP_MESSAGE)
        self._setitem(..., src, overlap_ok=same)
        return self

    def zero_(self):
        """Fill with zeros in place (torch.Tensor.zero_)."""
        self._setitem(..., 0)
        return self

    def fill_(self, value):
        """Fill with ``value`` in place (torch.Tensor.fill_); a tensor value must be 0-d."""
        if hasattr(value, "_data") and value.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        self._setitem(..., value)
        return self

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U[a, b) (torch.Tensor.uniform_)."""
        self[...] = default_rng().uniform(a, b, self._data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2) (torch.Tensor.normal_)."""
        self[...] = default_rng().normal(mean, std, self._data.shape)
        return self

    # ---- out-of-place twins of index writes --------------------------------------------
    def scatter(self, dim, index, src=None, value=None, **kwargs):
        """A copy with ``src`` (or ``value``) written at ``index`` along dim (torch.scatter)."""
        if "reduce" in kwargs:
            raise NotImplementedError("scatter(reduce=...) is not supported by lamina")
        index = getattr(index, "_data", index)
        if not hasattr(src, "_data") and src is not None:
            src, value = None, src  # scatter(dim, index, 1.5): the value form
        if src is not None and src.dtype != self.dtype:
            raise RuntimeError(
                f"scatter(): Expected self.dtype to be equal to src.dtype, got "
                f"{D.type_name(self.dtype)} and {D.type_name(src.dtype)}"
            )
        return self._apply(SC.Scatter, self, np.asarray(index), src, axis=dim, value=value)

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added at ``index`` along dim (torch.index_add)."""
        if getattr(source, "dtype", self.dtype) != self.dtype:
            raise RuntimeError(
                f"index_add_(): self ({D.type_name(self.dtype)}) and source "
                f"({D.type_name(source.dtype)}) must have the same scalar type"
            )
        index = np.asarray(getattr(index, "_data", index))
        return self._apply(SC.IndexAdd, self, index, source, axis=dim, alpha=alpha)

    # ---- the in-place twins ------------------------------------------------------------
    neg_, exp_, abs_, relu_ = map(_inplace_of, ("neg", "exp", "abs", "relu"))
    sigmoid_, tanh_, sqrt_, rsqrt_ = map(_inplace_of, ("sigmoid", "tanh", "sqrt", "rsqrt"))
    log_, log1p_, sin_, cos_ = map(_inplace_of, ("log", "log1p", "sin", "cos"))
    square_, sign_, reciprocal_ = map(_inplace_of, ("square", "sign", "reciprocal"))
    floor_, ceil_, round_, trunc_ = map(_inplace_of, ("floor", "ceil", "round", "trunc"))
    frac_, clamp_min_, clamp_max_ = map(_inplace_of, ("frac", "clamp_min", "clamp_max"))
    remainder_, fmod_, floor_divide_ = map(_inplace_of, ("remainder", "fmod", "floor_divide"))
    bitwise_and_, bitwise_or_ = map(_inplace_of, ("bitwise_and", "bitwise_or"))
    bitwise_xor_, bitwise_not_ = map(_inplace_of, ("bitwise_xor", "bitwise_not"))
    logical_and_, logical_or_ = map(_inplace_of, ("logical_and", "logical_or"))
    logical_xor_, logical_not_ = map(_inplace_of, ("logical_xor", "logical_not"))
    index_add_, scatter_, scatter_add_ = map(_inplace_of, ("index_add", "scatter", "scatter_add"))
    addcmul_, addcdiv_, lerp_ = map(_inplace_of, ("addcmul", "addcdiv", "lerp"))
    nan_to_num_, tril_, triu_ = map(_inplace_of, ("nan_to_num", "tril", "triu"))
    masked_fill_ = _inplace_of("masked_fill", overlap_ok=True)
