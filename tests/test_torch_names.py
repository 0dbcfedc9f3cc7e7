"""Every torch-named function and Tensor method lamina exports, run against torch 2.13.

The tables below hold one representative call per export. A new export without an entry
fails ``test_every_export_has_an_entry``: add a call here (or, for a name that is not
torch's or cannot be compared by value, an entry in OTHER saying how it is checked).
"""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from tests.oracle import torch
from tests.torch_names_more import FUNCS_MORE, METHODS_MORE
from tests.torchcmp import same_as_torch

R = np.random.default_rng(0)
A = R.permutation(12).reshape(3, 4).astype(np.float32) / 4 - 1.3  # distinct, mixed signs
B = R.standard_normal((3, 4)).astype(np.float32)
P = np.abs(A) + 0.5  # positive
V = R.standard_normal(4).astype(np.float32)
M = R.standard_normal((4, 2)).astype(np.float32)
I = np.array([[0, 2, 1, 3], [3, 0, 0, 1], [1, 1, 2, 0]])  # int64 indices into dim 1
K = np.array([[True, False, True, False], [False, True, True, False], [True] * 4])
W = np.array([0.2, 0.3, 0.5], np.float32)


# ---- torch.linalg / torch.special: name -> (fn(T, *tensors), inputs) -----------------
SQ = (R.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float32)
SPD = SQ @ SQ.transpose(0, 2, 1) + np.eye(3, dtype=np.float32)
SYM = SQ + SQ.transpose(0, 2, 1)


def unary(name):
    return (lambda T, x: getattr(T, name)(x)), [A]


# ---- module-level functions: name -> (fn(T, *tensors), inputs) ----------------------
FUNCS = {
    **{n: unary(n) for n in "abs cos sin tanh sigmoid relu sign neg square exp clone".split()},
    **{n: unary(n) for n in "isnan isfinite isinf isposinf isneginf nan_to_num".split()},
    **{n: (lambda T, x, n=n: getattr(T, n)(x), [P]) for n in ("log", "log1p", "sqrt", "rsqrt")},
    "detach": (lambda T, x: T.detach(x), [A]),
    "add": (lambda T, x, y: T.add(x, y, alpha=2), [A, B]),
    "sub": (lambda T, x, y: T.sub(x, y), [A, B]),
    "mul": (lambda T, x, y: T.mul(x, y), [A, B]),
    "div": (lambda T, x, y: T.div(x, y), [A, P]),
    "maximum": (lambda T, x, y: T.maximum(x, y), [A, B]),
    "minimum": (lambda T, x, y: T.minimum(x, y), [A, B]),
    "max": (lambda T, x: (T.max(x), T.max(x, 1)), [A]),
    "min": (lambda T, x: (T.min(x), T.min(x, 0, keepdim=True)), [A]),
    "amax": (lambda T, x: T.amax(x, (0, 1)), [A]),
    "amin": (lambda T, x: T.amin(x, 1), [A]),
    "argmax": (lambda T, x: T.argmax(x, 1), [A]),
    "argmin": (lambda T, x: T.argmin(x), [A]),
    "sum": (lambda T, x: T.sum(x, 1), [A]),
    "mean": (lambda T, x: T.mean(x, 0), [A]),
    "var": (lambda T, x: T.var(x, 1), [A]),
    "std": (lambda T, x: T.std(x), [A]),
    "prod": (lambda T, x: T.prod(x, 1), [A]),
    "logsumexp": (lambda T, x: T.logsumexp(x, 1), [A]),
    "norm": (lambda T, x: T.norm(x), [A]),
    "softmax": (lambda T, x: T.softmax(x, 1), [A]),
    "log_softmax": (lambda T, x: T.log_softmax(x, 0), [A]),
    "clamp": (lambda T, x: T.clamp(x, -0.5, 0.5), [A]),
    "clip": (lambda T, x: T.clip(x, min=0.0), [A]),
    "matmul": (lambda T, x, m: T.matmul(x, m), [A, M]),
    "mm": (lambda T, x, m: T.mm(x, m), [A, M]),
    "bmm": (lambda T, x, y: T.bmm(x, y), [A[None], M[None]]),
    "einsum": (lambda T, x, m: T.einsum("ij,jk->ki", x, m), [A, M]),
    "reshape": (lambda T, x: T.reshape(x, (2, 6)), [A]),
    "flatten": (lambda T, x: T.flatten(x), [A]),
    "squeeze": (lambda T, x: T.squeeze(x[None]), [A]),
    "unsqueeze": (lambda T, x: T.unsqueeze(x, 1), [A]),
    "transpose": (lambda T, x: T.transpose(x, 0, 1), [A]),
    "permute": (lambda T, x: T.permute(x, (1, 0)), [A]),
    "split": (lambda T, x: T.split(x, 3, 1), [A]),
    "chunk": (lambda T, x: T.chunk(x, 2, 1), [A]),
    "unbind": (lambda T, x: T.unbind(x, 1), [A]),
    "cat": (lambda T, x, y: T.cat([x, y], 1), [A, B]),
    "concatenate": (lambda T, x, y: T.concatenate([x, y]), [A, B]),
    "stack": (lambda T, x, y: T.stack([x, y], 2), [A, B]),
    "gather": (lambda T, x, i: T.gather(x, 1, i), [A, I]),
    "scatter_add": (lambda T, x, i, y: T.scatter_add(x, 1, i, y), [A, I, B]),
    "index_select": (lambda T, x, i: T.index_select(x, 1, i[0]), [A, I]),
    "masked_fill": (lambda T, x, k: T.masked_fill(x, k, 0.5), [A, K]),
    "where": (lambda T, k, x, y: (T.where(k, x, y), T.where(k)), [K, A, B]),
    "tril": (lambda T, x: T.tril(x, 1), [A]),
    "triu": (lambda T, x: T.triu(x), [A]),
    "sort": (lambda T, x: T.sort(x, 1, descending=True), [A]),
    "argsort": (lambda T, x: T.argsort(x, 0), [A]),
    "msort": (lambda T, x: T.msort(x), [A]),
    "topk": (lambda T, x: T.topk(x, 2), [A]),
    "cumsum": (lambda T, x: T.cumsum(x, 1), [A]),
    "cumprod": (lambda T, x: T.cumprod(x, 0), [A]),
    "nonzero": (lambda T, k: T.nonzero(k), [K]),
    "argwhere": (lambda T, k: T.argwhere(k), [K]),
    "allclose": (lambda T, x, y: T.tensor(T.allclose(x, y)), [A, B]),
    "equal": (lambda T, x, y: T.tensor(T.equal(x, x) and not T.equal(x, y)), [A, B]),
    "pad": (lambda T, x: T.nn.functional.pad(x, (1, 2)), [A]),
    # factories and conversions: deterministic ones compare values
    "tensor": (lambda T, x: T.tensor([[1.5, 2.0]]) + x[:1, :2], [A]),
    "as_tensor": (lambda T, x: T.as_tensor([1, 2]), [A]),
    "from_numpy": (lambda T, x: T.from_numpy(np.arange(3.0)), [A]),
    "zeros": (lambda T, x: T.zeros(2, 3), [A]),
    "ones": (lambda T, x: T.ones((2, 3)), [A]),
    "full": (lambda T, x: T.full((2,), 1.5), [A]),
    "arange": (lambda T, x: (T.arange(5), T.arange(0, 1, 0.25)), [A]),
    "linspace": (lambda T, x: T.linspace(0, 1, 5), [A]),
    "eye": (lambda T, x: T.eye(3, 2), [A]),
    "zeros_like": (lambda T, x: T.zeros_like(x), [A]),
    "ones_like": (lambda T, x: T.ones_like(x), [A]),
    "full_like": (lambda T, x: T.full_like(x, 7.0), [A]),
    "multinomial": (lambda T, w: T.multinomial(w, 3).sort().values, [W]),
    "all": (lambda T, k: (T.all(k), T.all(k, 1)), [K]),
    "any": (lambda T, k: (T.any(k), T.any(k, 0, keepdim=True)), [K]),
    "logical_not": (lambda T, k: T.logical_not(k), [K]),
    **{n: (lambda T, x, y, n=n: getattr(T, n)(x, y), [A, B]) for n in "eq ne lt le gt ge".split()},
    "pow": (lambda T, x, y: T.pow(x, y), [P, B]),
    "concat": (lambda T, x, y: T.concat([x, y], 1), [A, B]),
    "narrow": (lambda T, x: T.narrow(x, 1, 1, 2), [A]),
    "swapaxes": (lambda T, x: T.swapaxes(x, 0, 1), [A]),
    "t": (lambda T, x: T.t(x), [A]),
    "unflatten": (lambda T, x: T.unflatten(x, 1, (2, 2)), [A]),
    "numel": (lambda T, x: T.numel(x), [A]),
    "is_tensor": (lambda T, x: (T.is_tensor(x), T.is_tensor(3.0)), [A]),
}

# ---- Tensor methods: name -> (fn(T, *tensors), inputs) -------------------------------
METHODS = {}
for _n in (
    "abs cos sin tanh sigmoid relu sign neg square exp clone detach isnan isfinite isinf "
    "isposinf isneginf nan_to_num float double half long int bool contiguous cpu t flatten "
    "logical_not msort argwhere nonzero tolist all any"
).split():
    METHODS[_n] = ((lambda T, x, n=_n: getattr(x, n)()), [A])
for _n in ("log", "log1p", "sqrt", "rsqrt"):
    METHODS[_n] = ((lambda T, x, n=_n: getattr(x, n)()), [P])
for _n in ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le"):
    METHODS[_n] = ((lambda T, x, y, n=_n: getattr(x, n)(y)), [P, B])
for _n in ("gt", "ge"):
    METHODS[_n] = ((lambda T, x, y, n=_n: getattr(x, n)(y)), [P, B])
for _n in ("sum", "mean", "var", "std", "prod", "logsumexp", "amax", "amin", "argmax", "argmin"):
    METHODS[_n] = ((lambda T, x, n=_n: getattr(x, n)(1)), [A])
METHODS.update(
    {
        "max": (lambda T, x: (x.max(), x.max(0), x.max(x * 0)), [A]),
        "min": (lambda T, x: (x.min(), x.min(1, keepdim=True)), [A]),
        "norm": (lambda T, x: (x.norm(), x.norm(1, dim=1)), [A]),
        "softmax": (lambda T, x: x.softmax(1), [A]),
        "log_softmax": (lambda T, x: x.log_softmax(1), [A]),
        "clamp": (lambda T, x: x.clamp(-0.5, 0.5), [A]),
        "clip": (lambda T, x: x.clip(max=0.1), [A]),
        "matmul": (lambda T, x, m: x.matmul(m), [A, M]),
        "mm": (lambda T, x, m: x.mm(m), [A, M]),
        "bmm": (lambda T, x, m: x.bmm(m), [A[None], M[None]]),
        "reshape": (lambda T, x: x.reshape(4, 3), [A]),
        "view": (lambda T, x: x.view(-1), [A]),
        "view_as": (lambda T, x, y: x.view_as(y), [A, A.reshape(2, 6)]),
        "reshape_as": (lambda T, x, y: x.reshape_as(y), [A, A.reshape(6, 2)]),
        "squeeze": (lambda T, x: x[:, None].squeeze(1), [A]),
        "unsqueeze": (lambda T, x: x.unsqueeze(-1), [A]),
        "unflatten": (lambda T, x: x.unflatten(1, (2, 2)), [A]),
        "transpose": (lambda T, x: x.transpose(1, 0), [A]),
        "swapaxes": (lambda T, x: x.swapaxes(0, 1), [A]),
        "permute": (lambda T, x: x.permute(1, 0), [A]),
        "expand": (lambda T, x: x[:1].expand(5, -1), [A]),
        "expand_as": (lambda T, x, y: x[:1].expand_as(y), [A, B]),
        "repeat": (lambda T, x: x.repeat(2, 1), [A]),
        "split": (lambda T, x: x.split([1, 2]), [A]),
        "chunk": (lambda T, x: x.chunk(3, 1), [A]),
        "unbind": (lambda T, x: x.unbind(), [A]),
        "gather": (lambda T, x, i: x.gather(1, i), [A, I]),
        "scatter_add": (lambda T, x, i, y: x.scatter_add(1, i, y), [A, I, B]),
        "index_select": (lambda T, x, i: x.index_select(0, i[0, :2]), [A, I]),
        "masked_fill": (lambda T, x, k: x.masked_fill(k, -1.0), [A, K]),
        "tril": (lambda T, x: x.tril(), [A]),
        "triu": (lambda T, x: x.triu(-1), [A]),
        "sort": (lambda T, x: x.sort(0), [A]),
        "argsort": (lambda T, x: x.argsort(descending=True), [A]),
        "topk": (lambda T, x: x.topk(2, dim=0, largest=False), [A]),
        "cumsum": (lambda T, x: x.cumsum(0), [A]),
        "cumprod": (lambda T, x: x.cumprod(1), [A]),
        "multinomial": (lambda T, w: w.multinomial(2, replacement=True).shape, [W]),
        "to": (lambda T, x: x.to(T.float64), [A]),
        "type_as": (lambda T, x, y: x.type_as(y), [A, I]),
        "allclose": (lambda T, x, y: x.allclose(y), [A, B]),
        "equal": (lambda T, x, y: x.equal(y), [A, A]),
        # in-place updates, on a tensor without grad
        "add_": (lambda T, x, y: x.detach().clone().add_(y.detach(), alpha=2), [A, B]),
        "sub_": (lambda T, x, y: x.detach().clone().sub_(y.detach()), [A, B]),
        "mul_": (lambda T, x, y: x.detach().clone().mul_(y.detach()), [A, B]),
        "div_": (lambda T, x, y: x.detach().clone().div_(y.detach()), [A, P]),
        "clamp_": (lambda T, x: x.detach().clone().clamp_(-0.2, 0.2), [A]),
        "copy_": (lambda T, x, y: x.detach().clone().copy_(y.detach()), [A, B]),
        "fill_": (lambda T, x: x.detach().clone().fill_(2.5), [A]),
        "zero_": (lambda T, x: x.detach().clone().zero_(), [A]),
        # attributes and queries
        "numpy": (lambda T, x: x.detach().numpy(), [A]),
        "element_size": (lambda T, x, i: (x.element_size(), i.element_size()), [A, I]),
        "is_contiguous": (lambda T, x: (x.is_contiguous(), x.t().is_contiguous()), [A]),
        "is_cuda": (lambda T, x: x.is_cuda, [A]),
        "narrow": (lambda T, x: x.narrow(0, 1, 2), [A]),
        "new_zeros": (lambda T, x: x.new_zeros(2, 3), [A]),
        "new_ones": (lambda T, x: x.new_ones((2,)), [A]),
        "new_full": (lambda T, x: x.new_full((2,), 1.5), [A]),
        "new_tensor": (lambda T, x: x.new_tensor([1, 2]), [A]),
        "pow_": (lambda T, x: x.detach().clone().pow_(2), [A]),
        # type() names lamina's own module ("lamina.FloatTensor"); the rest is torch's
        "type": (lambda T, x: (x.type(T.float64), x.type().split(".")[1]), [A]),
        "item": (lambda T, x: x[1, 2].item(), [A]),
        "T": (lambda T, x: x.T, [A]),
        "mT": (lambda T, x: x.mT, [A]),
        "shape": (lambda T, x: tuple(x.shape), [A]),
        "ndim": (lambda T, x: x.ndim, [A]),
        "dim": (lambda T, x: x.dim(), [A]),
        "numel": (lambda T, x: x.numel(), [A]),
        "size": (lambda T, x: (tuple(x.size()), x.size(1)), [A]),
        "is_floating_point": (
            lambda T, x, i: (x.is_floating_point(), i.is_floating_point()),
            [A, I],
        ),
        "is_leaf": (lambda T, x: (x.is_leaf, (x * 2).is_leaf), [A]),
        "requires_grad": (lambda T, x, i: (x.requires_grad, i.requires_grad), [A, I]),
    }
)

FUNCS.update(
    {
        **{
            n: (lambda T, x, y, n=n: getattr(T, n)(x, y), [A, B])
            for n in "eq ne lt le gt ge".split()
        },
        "all": (lambda T, x: (T.all(x > -1), T.all(x > 0, 1)), [A]),
        "any": (lambda T, x: (T.any(x > 1), T.any(x > 0, 0)), [A]),
        "logical_not": (lambda T, x: T.logical_not(x > 0), [A]),
        "pow": (lambda T, x: T.pow(x, 2), [A]),
        "t": (lambda T, x: T.t(x), [A]),
        "narrow": (lambda T, x: T.narrow(x, 1, 1, 2), [A]),
        "swapaxes": (lambda T, x: T.swapaxes(x, 0, 1), [A]),
        "unflatten": (lambda T, x: T.unflatten(x, 1, (2, 2)), [A]),
        "concat": (lambda T, x, y: T.concat([x, y], 0), [A, B]),
        "numel": (lambda T, x: T.numel(x), [A]),
        "is_tensor": (lambda T, x: T.is_tensor(x), [A]),
    }
)

METHODS.update(
    {
        "narrow": (lambda T, x: x.narrow(0, 1, 2), [A]),
        "element_size": (lambda T, x: x.element_size(), [A]),
        "is_contiguous": (lambda T, x: (x.is_contiguous(), x.t().is_contiguous()), [A]),
        "is_cuda": (lambda T, x: x.is_cuda, [A]),
        **{
            n: (lambda T, x, n=n: getattr(x, n), [A])
            for n in ("is_cpu", "is_xpu", "is_mps", "is_meta")
        },
        "new_zeros": (lambda T, x: x.new_zeros(2, 3), [A]),
        "new_ones": (lambda T, x: x.new_ones((2,)), [A]),
        "new_full": (lambda T, x: x.new_full((2,), 4), [A]),
        "new_tensor": (lambda T, x: x.new_tensor([1, 2]), [A]),
        "pow_": (lambda T, x: x.clone().pow_(2), [A]),
    }
)

# top-level and Tensor linear algebra (torch.det, Tensor.det, ...)
_LINALG_TOP = {
    "det": (lambda T, a: T.det(a), [SQ]),
    "logdet": (lambda T, a: T.logdet(a), [SPD]),
    "slogdet": (lambda T, a: tuple(T.slogdet(a)), [SQ]),
    "inverse": (lambda T, a: T.inverse(a), [SQ]),
    "pinverse": (lambda T, x: T.pinverse(x), [A]),
    "matrix_exp": (lambda T, a: T.matrix_exp(a / 4), [SQ]),
    "matrix_power": (lambda T, a: T.matrix_power(a, -2), [SQ]),
    "diagonal": (lambda T, x: T.diagonal(x, 1), [A]),
    "diag_embed": (lambda T, x: T.diag_embed(x, -1, 0, 2), [A]),
    "diag": (lambda T, x: (T.diag(x, 1), T.diag(x[0], -1)), [A]),
    "trace": (lambda T, x: T.trace(x), [A]),
    "outer": (lambda T, x, y: T.outer(x[0], y[1]), [A, B]),
    "dot": (lambda T, x, y: T.dot(x[0], y[1]), [A, B]),
    "svd": (lambda T, x: T.svd(x).S, [A]),
    "qr": (lambda T, x: tuple(T.qr(x.t())), [A]),
    "cholesky": (lambda T, a: T.cholesky(a, upper=True), [SPD]),
}
FUNCS.update(_LINALG_TOP)
_METHOD_CALLS = {
    "diagonal": (lambda T, x: x.diagonal(0, 1, 0), [A]),
    "diag_embed": (lambda T, x: x.diag_embed(1), [A]),
    "diag": (lambda T, x: x.diag(), [A]),
    "trace": (lambda T, x: x.trace(), [A]),
    "outer": (lambda T, x, y: x[1].outer(y[0]), [A, B]),
    "dot": (lambda T, x, y: x[1].dot(y[2]), [A, B]),
    "matrix_power": (lambda T, a: a.matrix_power(3), [SQ]),
    "pinverse": (lambda T, x: x.pinverse(1e-3), [A]),
}
for _n in ("det", "logdet", "inverse", "matrix_exp"):
    METHODS[_n] = ((lambda T, a, n=_n: getattr(a, n)()), [SPD / 8])
METHODS.update(_METHOD_CALLS)
METHODS.update(
    {
        "slogdet": (lambda T, a: tuple(a.slogdet()), [SQ]),
        "svd": (lambda T, x: x.svd(some=False).S, [A]),
        "qr": (lambda T, x: x.t().qr().R.abs(), [A]),
        "cholesky": (lambda T, a: a.cholesky(), [SPD]),
    }
)
FUNCS.update(FUNCS_MORE)
METHODS.update(METHODS_MORE)

# ---- exports checked otherwise: name -> how ------------------------------------------
OTHER = {
    **{n: "dtype" for n in "bool short cfloat cdouble complex64 complex128".split()},
    **{n: "dtypes: tests/test_dtypes.py" for n in "Size result_type promote_types".split()},
    "type": "dtype names: tests/test_dtypes.py",
    **{n: "io: tests/io (lazily loaded from lamina.io)" for n in ("save", "load")},
    # dtypes: torch.float32 and lamina.float32 name the same type
    **{n: "dtype" for n in "float16 float32 float64 int8 int16 int32 int64 uint8".split()},
    **{n: "dtype" for n in ("float", "int", "long", "double", "half")},
    **{n: "dtype" for n in ("bool", "short", "cfloat", "cdouble", "complex64", "complex128")},
    "bool_": "not torch's: NumPy's name for bool (lamina.bool is torch's)",
    "bfloat16": "named, refused on use (NumPy has no bfloat16): tests/amp/test_amp.py",
    "autocast": "torch.amp.autocast: tests/amp/test_amp.py",
    "Size": "a tuple subclass: test_size",
    "result_type": "dtype function: test_dtype_functions",
    "promote_types": "dtype function: test_dtype_functions",
    "get_default_dtype": "dtype function: test_dtype_functions",
    "save": "files: tests/io (safetensors + JSON round trips)",
    "load": "files: tests/io (safetensors + JSON round trips)",
    "seed": "rng state: test_rng_state",
    "cuda": "no CUDA: test_cuda_raises",
    "compile": "inference replay: test_compile_matches_eager (and tests/ of the deploy work)",
    "new_empty": "random",
    "astype": "not torch's: NumPy's name; checked against Tensor.to in test_astype",
    "Tensor": "the class; its methods are the METHODS table",
    # random draws: shapes and dtypes compared, values are another generator's
    **{n: "random" for n in "rand randn randint randperm rand_like randn_like".split()},
    "empty": "random",
    "empty_like": "random",
    "uniform_": "random",
    "normal_": "random",
    "manual_seed": "rng state: test_rng_state",
    "initial_seed": "rng state: test_rng_state",
    "get_rng_state": "rng state: test_rng_state",
    "set_rng_state": "rng state: test_rng_state",
    # thread counts: semantics and torch's errors in tests/test_parallel.py
    **{
        n: "threads: tests/test_parallel.py"
        for n in "set_num_threads get_num_threads set_num_interop_threads "
        "get_num_interop_threads".split()
    },
    # autograd machinery, tested against torch in tests/autograd
    **{n: "autograd" for n in "no_grad enable_grad set_grad_enabled is_grad_enabled".split()},
    **{n: "autograd" for n in "backward grad grad_fn retain_grad requires_grad_".split()},
    **{n: "autograd" for n in ("detach_", "data", "device", "dtype")},
    "register_post_accumulate_grad_hook": "autograd: tests/autograd/test_post_accumulate_hook.py",
}

SUBMODULES = {"autograd", "ops", "functions", "tensor_shape", "random", "tensor"}


def _exports():
    funcs = {
        n
        for n in dir(lamina)
        if not n.startswith("_")
        and n not in SUBMODULES
        and not isinstance(getattr(lamina, n), type(lamina))
    }
    methods = {n for n in dir(lamina.Tensor) if not n.startswith("_")}
    return funcs, methods


def test_every_export_has_an_entry():
    funcs, methods = _exports()
    missing_f = sorted(funcs - set(FUNCS) - set(OTHER))
    missing_m = sorted(methods - set(METHODS) - set(OTHER))
    assert not missing_f, f"lamina exports functions with no entry in FUNCS/OTHER: {missing_f}"
    assert not missing_m, f"Tensor methods with no entry in METHODS/OTHER: {missing_m}"


def _check(fn, inputs):
    """Tensor results through same_as_torch (values, dtypes, gradients); anything else
    (bools, shapes, Python numbers) compared as plain values."""
    probe = fn(lamina, *[lamina.tensor(a) for a in inputs])
    if _all_tensors(probe):
        same_as_torch(fn, *inputs)
        return
    got = _pyvalue(probe)
    want = _pyvalue(fn(torch, *[torch.tensor(a) for a in inputs]))
    _assert_same_value(got, want)


def _assert_same_value(got, want):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            _assert_same_value(g, w)
    elif isinstance(want, float):
        assert isinstance(got, float) and abs(got - want) <= 1e-6 * max(1.0, abs(want))
    else:
        assert type(got) is type(want) and got == want, (got, want)


def _all_tensors(out):
    if isinstance(out, (tuple, list)):
        return all(_all_tensors(o) for o in out)
    return isinstance(out, (lamina.Tensor, torch.Tensor))


def _pyvalue(out):
    """Tensors, arrays and tuples as nested lists of Python numbers."""
    if isinstance(out, (tuple, list)):
        return [_pyvalue(o) for o in out]
    if isinstance(out, (lamina.Tensor, torch.Tensor)):
        return out.detach().numpy().tolist()
    if isinstance(out, np.ndarray):
        return out.tolist()
    return out


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_function_matches_torch(name):
    fn, inputs = FUNCS[name]
    _check(fn, inputs)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_matches_torch(name):
    fn, inputs = METHODS[name]
    _check(fn, inputs)


def test_dtype_names_match_torch():
    for n, how in OTHER.items():
        if how == "dtype":
            want = str(getattr(torch, n)).removeprefix("torch.")
            assert str(np.dtype(getattr(lamina, n))) == want, n


@pytest.mark.parametrize("name", [n for n, how in OTHER.items() if how == "random"])
def test_random_exports_shape_and_dtype_like_torch(name):
    calls = {
        "rand": lambda T: T.rand(2, 3),
        "randn": lambda T: T.randn((2, 3)),
        "randint": lambda T: T.randint(0, 5, (4,)),
        "randperm": lambda T: T.randperm(6),
        "rand_like": lambda T: T.rand_like(T.zeros(2, 2)),
        "randn_like": lambda T: T.randn_like(T.zeros(3)),
        "empty": lambda T: T.empty(2, 5),
        "empty_like": lambda T: T.empty_like(T.zeros(2, dtype=T.float64)),
        "uniform_": lambda T: T.zeros(3).uniform_(2.0, 3.0),
        "normal_": lambda T: T.zeros(3).normal_(),
        "new_empty": lambda T: T.zeros(2, dtype=T.float64).new_empty((3, 2)),
    }
    got, want = calls[name](lamina), calls[name](torch)
    assert tuple(got.shape) == tuple(want.shape)
    assert str(np.dtype(got.dtype)) == str(want.dtype).removeprefix("torch.")
    if name == "uniform_":
        assert np.all((got.numpy() >= 2.0) & (got.numpy() < 3.0))
    if name == "randperm":
        assert sorted(got.tolist()) == list(range(6))


def test_astype_is_to():
    x = lamina.tensor(A)
    np.testing.assert_array_equal(x.astype(np.float64).numpy(), x.to(lamina.float64).numpy())


def test_size():
    for T in (lamina, torch):
        s = T.Size([2, 3])
        assert s == (2, 3) and isinstance(s, tuple) and s.numel() == 6
    assert tuple(lamina.zeros(2, 3).shape) == tuple(torch.zeros(2, 3).shape)
    assert isinstance(lamina.zeros(2, 3).shape, lamina.Size)


def test_dtype_functions():
    def name(d):
        return str(d).removeprefix("torch.").replace("lamina.", "")

    pairs = [("int64", "float32"), ("bool", "int64"), ("float32", "float64")]
    for a, b in pairs:
        got = lamina.promote_types(getattr(lamina, a), getattr(lamina, b))
        assert name(np.dtype(got)) == name(
            torch.promote_types(getattr(torch, a), getattr(torch, b))
        )
    got = lamina.result_type(lamina.tensor([1, 2]), 1.5)
    assert name(np.dtype(got)) == name(torch.result_type(torch.tensor([1, 2]), 1.5))
    assert name(np.dtype(lamina.get_default_dtype())) == name(torch.get_default_dtype())


def test_cuda_raises():
    with pytest.raises(RuntimeError, match="CPU"):
        lamina.zeros(2).cuda()


def test_rng_state():
    lamina.manual_seed(7)
    assert lamina.initial_seed() == 7 == (torch.manual_seed(7) and torch.initial_seed())
    a = lamina.rand(3)
    state = lamina.get_rng_state()
    b = lamina.rand(3)
    lamina.set_rng_state(state)
    np.testing.assert_array_equal(lamina.rand(3).numpy(), b.numpy())
    lamina.manual_seed(7)
    np.testing.assert_array_equal(lamina.rand(3).numpy(), a.numpy())
    s = lamina.seed()
    assert isinstance(s, int) and lamina.initial_seed() == s


def test_compile_matches_eager():
    model = lamina.nn.Sequential(lamina.nn.Linear(4, 3), lamina.nn.ReLU()).eval()
    x = lamina.tensor(R.standard_normal((2, 4)).astype(np.float32))
    with lamina.no_grad():
        eager = model(x).numpy()
        fast = lamina.compile(model)
        np.testing.assert_array_equal(fast(x).numpy(), eager)
        np.testing.assert_array_equal(fast(x).numpy(), eager)  # the replayed call


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.randint(5, (2, 3)),  # randint(high, size): word_language_model/generate.py
        lambda T: T.randint(2, 5, (3,)),
        lambda T: T.randint(high=4, size=(2,)),
        lambda T: T.randint(3, (2,), dtype=T.float32),
        lambda T: T.randint(0, 1, size=[0, 2]),
    ],
)
def test_randint_forms_give_torchs_shape_dtype_and_range(call):
    mine, theirs = call(lamina), call(torch)
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert np.dtype(mine.dtype).name == str(theirs.dtype).replace("torch.", "")
    assert mine.numel() == 0 or 0 <= int(mine.min()) and int(mine.max()) < 5


@pytest.mark.parametrize("call", [lambda T: T.randint(5, 5, (2,)), lambda T: T.randint(5)])
def test_randint_refuses_what_torch_refuses(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(lamina)


def _signed(v, T):
    """Vectors with LAPACK-build dependent signs, normalised (largest entry positive)."""
    return v * v.detach().gather(-2, v.detach().abs().argmax(-2, keepdim=True)).sign()


LINALG = {
    "LinAlgError": (lambda T, x: T.tensor(issubclass(T.linalg.LinAlgError, RuntimeError)), [A]),
    "vector_norm": (lambda T, x: T.linalg.vector_norm(x, 3, dim=1), [A]),
    "matrix_norm": (lambda T, x: T.linalg.matrix_norm(x, "nuc"), [A]),
    "norm": (lambda T, x: (T.linalg.norm(x), T.linalg.norm(x, -1)), [A]),
    "inv": (lambda T, a: T.linalg.inv(a), [SQ]),
    "inv_ex": (lambda T, a: tuple(T.linalg.inv_ex(a)), [SQ]),
    "det": (lambda T, a: T.linalg.det(a), [SQ]),
    "slogdet": (lambda T, a: tuple(T.linalg.slogdet(a)), [SQ]),
    "solve": (lambda T, a, b: T.linalg.solve(a, b), [SQ, SQ]),
    "solve_ex": (lambda T, a, b: tuple(T.linalg.solve_ex(a, b[..., 0])), [SQ, SQ]),
    "cholesky": (lambda T, a: T.linalg.cholesky(a), [SPD]),
    "cholesky_ex": (lambda T, a: tuple(T.linalg.cholesky_ex(a, upper=True)), [SPD]),
    "qr": (lambda T, x: tuple(T.linalg.qr(x.t())), [A]),
    "eigh": (lambda T, a: (T.linalg.eigh(a)[0], _signed(T.linalg.eigh(a)[1], T)), [SYM]),
    "eigvalsh": (lambda T, a: T.linalg.eigvalsh(a), [SYM]),
    "svd": (lambda T, x: T.linalg.svd(x).S, [A]),
    "svdvals": (lambda T, x: T.linalg.svdvals(x), [A]),
    "pinv": (lambda T, x: T.linalg.pinv(x), [A]),
    "lstsq": (
        lambda T, x, m: T.linalg.lstsq(x.t(), m.t()[:, :1] * 0 + x.t()[:, :1]).solution,
        [A, A],
    ),
    "matrix_power": (lambda T, a: T.linalg.matrix_power(a, 3), [SQ]),
    "matrix_rank": (lambda T, a: T.linalg.matrix_rank(a), [SQ]),
    "matrix_exp": (lambda T, a: T.linalg.matrix_exp(a / 4), [SQ]),
    "multi_dot": (lambda T, x, m: T.linalg.multi_dot([x, m, m.t()]), [A, M]),
    "cross": (lambda T, x, y: T.linalg.cross(x[:, :3], y[:, :3]), [A, B]),
    "vecdot": (lambda T, x, y: T.linalg.vecdot(x, y), [A, B]),
    "diagonal": (lambda T, a: T.linalg.diagonal(a, offset=1), [SQ]),
    "matmul": (lambda T, x, m: T.linalg.matmul(x, m), [A, M]),
    "solve_triangular": (
        lambda T, a, b: T.linalg.solve_triangular(a, b, upper=False, left=False),
        [SQ, SQ],
    ),
    "cond": (lambda T, a: T.linalg.cond(a), [SQ]),
    "lu_factor": (lambda T, a: tuple(T.linalg.lu_factor(a)), [SQ]),
    "lu_factor_ex": (lambda T, x: tuple(T.linalg.lu_factor_ex(x)), [A]),
    "lu": (lambda T, x: tuple(T.linalg.lu(x.t())), [A]),
    "lu_solve": (lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b), [SQ, SQ]),
    "vander": (lambda T, x: T.linalg.vander(x, N=3), [A]),
    "tensorinv": (lambda T, a: T.linalg.tensorinv(a[0].reshape(3, 3, 1), ind=1), [SQ]),
    "tensorsolve": (lambda T, a, b: T.linalg.tensorsolve(a[0].reshape(3, 1, 3), b[0, 0]), [SQ, SQ]),
}
SPECIAL = {
    n: (lambda T, x, n=n: getattr(T.special, n)(x), [P / 4])
    for n in (
        "expit logit log1p expm1 exp2 sinc entr erf erfc erfcx ndtr round log_ndtr ndtri".split()
    )
}
SPECIAL["erfinv"] = (lambda T, x: T.special.erfinv(x), [P / 4 - 0.5])
SPECIAL.update(
    {
        "xlogy": (lambda T, x, y: T.special.xlogy(x, y), [A, P]),
        "xlog1py": (lambda T, x, y: T.special.xlog1py(x, y), [A, P]),
        "logsumexp": (lambda T, x: T.special.logsumexp(x, 1), [A]),
        "softmax": (lambda T, x: T.special.softmax(x, 1), [A]),
        "log_softmax": (lambda T, x: T.special.log_softmax(x, 0), [A]),
    }
)


def test_every_linalg_and_special_export_has_an_entry():
    assert sorted(lamina.linalg.__all__) == sorted(LINALG)
    assert sorted(lamina.special.__all__) == sorted(SPECIAL)
    for name in LINALG:
        assert hasattr(torch.linalg, name), name
    for name in SPECIAL:
        assert hasattr(torch.special, name), name


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_function_matches_torch(name):
    fn, inputs = LINALG[name]
    same_as_torch(fn, *inputs, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_function_matches_torch(name):
    fn, inputs = SPECIAL[name]
    same_as_torch(fn, *inputs)
