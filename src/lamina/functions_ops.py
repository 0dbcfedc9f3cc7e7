"""Module-level twins of the Tensor methods: ``lamina.exp(x)`` is ``x.exp()`` (torch.exp).

Each has the method's signature with ``input`` first; a non-tensor input is converted
with ``lamina.tensor`` first.
"""

from __future__ import annotations

from .functions import tensor
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def exp(input):
    """E ** input (torch.exp)."""
    return _t(input).exp()


def log(input):
    """Natural log (torch.log)."""
    return _t(input).log()


def log1p(input):
    """Log(1 + input) (torch.log1p)."""
    return _t(input).log1p()


def sqrt(input):
    """Square root (torch.sqrt)."""
    return _t(input).sqrt()


def rsqrt(input):
    """1 / sqrt(input) (torch.rsqrt)."""
    return _t(input).rsqrt()


def sin(input):
    """Sine (torch.sin)."""
    return _t(input).sin()


def cos(input):
    """Cosine (torch.cos)."""
    return _t(input).cos()


def tanh(input):
    """Hyperbolic tangent (torch.tanh)."""
    return _t(input).tanh()


def sigmoid(input):
    """Logistic sigmoid (torch.sigmoid)."""
    return _t(input).sigmoid()


def relu(input):
    """Max(input, 0) (torch.relu)."""
    return _t(input).relu()


def abs(input):
    """Absolute value (torch.abs)."""
    return _t(input).abs()


def sign(input):
    """-1, 0 or 1 elementwise (torch.sign)."""
    return _t(input).sign()


def neg(input):
    """-input (torch.neg)."""
    return _t(input).neg()


def square(input):
    """Input * input (torch.square)."""
    return _t(input).square()


def clone(input):
    """A copy with its own memory (torch.clone)."""
    return _t(input).clone()


def detach(input):
    """The values without history (torch.detach)."""
    return _t(input).detach()


def isnan(input):
    """Where input is NaN (torch.isnan)."""
    return _t(input).isnan()


def isfinite(input):
    """Where input is finite (torch.isfinite)."""
    return _t(input).isfinite()


def logical_not(input):
    """Elementwise not (torch.logical_not)."""
    return _t(input).logical_not()


def clamp(input, min=None, max=None):
    """Values limited to [min, max] (torch.clamp)."""
    return _t(input).clamp(min=min, max=max)


def clip(input, min=None, max=None):
    """Alias of clamp (torch.clip)."""
    return _t(input).clip(min=min, max=max)


def softmax(input, dim, dtype=None):
    """Softmax along dim (torch.softmax)."""
    return _t(input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    """Log of softmax along dim (torch.log_softmax)."""
    return _t(input).log_softmax(dim, dtype=dtype)


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over all elements or dims (torch.sum)."""
    return _t(input).sum(dim=dim, keepdim=keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean over all elements or dims (torch.mean)."""
    return _t(input).mean(dim=dim, keepdim=keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance (torch.var)."""
    return _t(input).var(dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation (torch.std)."""
    return _t(input).std(dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction)


def max(input, dim=None, keepdim=False):
    """Largest value, (values, indices) along dim, or elementwise max (torch.max)."""
    return _t(input).max(dim=dim, keepdim=keepdim)


def min(input, dim=None, keepdim=False):
    """Smallest value, (values, indices) along dim, or elementwise min (torch.min)."""
    return _t(input).min(dim=dim, keepdim=keepdim)


def amax(input, dim=None, keepdim=False):
    """Largest values over dims (torch.amax)."""
    return _t(input).amax(dim=dim, keepdim=keepdim)


def amin(input, dim=None, keepdim=False):
    """Smallest values over dims (torch.amin)."""
    return _t(input).amin(dim=dim, keepdim=keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (torch.argmax)."""
    return _t(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value (torch.argmin)."""
    return _t(input).argmin(dim=dim, keepdim=keepdim)


def logsumexp(input, dim, keepdim=False):
    """Log(sum(exp(input))) along dims, stably (torch.logsumexp)."""
    return _t(input).logsumexp(dim, keepdim=keepdim)


def prod(input, dim=None, keepdim=False):
    """Product (torch.prod)."""
    return _t(input).prod(dim=dim, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm, or a matrix norm for ``p='nuc'`` (torch.norm)."""
    return _t(input).norm(p=p, dim=dim, keepdim=keepdim, dtype=dtype)


def matmul(input, other):
    """Matrix product with broadcasting (torch.matmul)."""
    return _t(input).matmul(other)


def maximum(input, other):
    """Elementwise max (torch.maximum)."""
    return _t(input).maximum(other)


def minimum(input, other):
    """Elementwise min (torch.minimum)."""
    return _t(input).minimum(other)


def add(input, other, alpha=1):
    """Input + alpha * other (torch.add)."""
    return _t(input).add(other, alpha=alpha)


def sub(input, other, alpha=1):
    """Input - alpha * other (torch.sub)."""
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):
    """Elementwise product (torch.mul)."""
    return _t(input).mul(other)


def div(input, other, rounding_mode=None):
    """Elementwise division (torch.div)."""
    return _t(input).div(other, rounding_mode=rounding_mode)


def pow(input, exponent):
    """Elementwise power (torch.pow)."""
    return _t(input).pow(exponent)


def eq(input, other):
    """Input == other (torch.eq)."""
    return _t(input).eq(other)


def ne(input, other):
    """Input != other (torch.ne)."""
    return _t(input).ne(other)


def lt(input, other):
    """Input < other (torch.lt)."""
    return _t(input).lt(other)


def le(input, other):
    """Input <= other (torch.le)."""
    return _t(input).le(other)


def gt(input, other):
    """Input > other (torch.gt)."""
    return _t(input).gt(other)


def ge(input, other):
    """Input >= other (torch.ge)."""
    return _t(input).ge(other)


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether all values are close (torch.allclose)."""
    return _t(input).allclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def equal(input, other):
    """Same shape and values (torch.equal)."""
    return _t(input).equal(other)


def all(input, dim=None, keepdim=False):
    """Whether all values are true (torch.all)."""
    return _t(input).all(dim=dim, keepdim=keepdim)


def any(input, dim=None, keepdim=False):
    """Whether any value is true (torch.any)."""
    return _t(input).any(dim=dim, keepdim=keepdim)


__all__ = NAMES = [
    "exp",
    "log",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "sign",
    "neg",
    "square",
    "clone",
    "detach",
    "isnan",
    "isfinite",
    "logical_not",
    "clamp",
    "clip",
    "softmax",
    "log_softmax",
    "sum",
    "mean",
    "var",
    "std",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "logsumexp",
    "prod",
    "norm",
    "matmul",
    "maximum",
    "minimum",
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "allclose",
    "equal",
    "all",
    "any",
]
