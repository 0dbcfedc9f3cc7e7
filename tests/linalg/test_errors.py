"""Every lamina.linalg function on awkward inputs (ints, half, 0-d, 1-d, non-square, empty)
against torch 2.13: the same exception type and message, or the same result shapes and
dtypes where torch accepts the input."""

from __future__ import annotations

import warnings

import pytest

import lamina
from tests.oracle import torch

CALLS = {
    "inv": lambda T, a: T.linalg.inv(a),
    "inv_ex": lambda T, a: T.linalg.inv_ex(a),
    "det": lambda T, a: T.linalg.det(a),
    "slogdet": lambda T, a: T.linalg.slogdet(a),
    "cholesky": lambda T, a: T.linalg.cholesky(a),
    "cholesky_ex": lambda T, a: T.linalg.cholesky_ex(a),
    "qr": lambda T, a: T.linalg.qr(a),
    "eigh": lambda T, a: T.linalg.eigh(a),
    "eigvalsh": lambda T, a: T.linalg.eigvalsh(a),
    "svd": lambda T, a: T.linalg.svd(a),
    "svdvals": lambda T, a: T.linalg.svdvals(a),
    "pinv": lambda T, a: T.linalg.pinv(a),
    "matrix_rank": lambda T, a: T.linalg.matrix_rank(a),
    "lstsq": lambda T, a: T.linalg.lstsq(a, a),
    "matrix_exp": lambda T, a: T.linalg.matrix_exp(a),
    "lu_factor": lambda T, a: T.linalg.lu_factor(a),
    "lu": lambda T, a: T.linalg.lu(a),
    "solve": lambda T, a: T.linalg.solve(a, a),
    "solve_triangular": lambda T, a: T.linalg.solve_triangular(a, a, upper=True),
    "cond": lambda T, a: T.linalg.cond(a),
    "matrix_norm": lambda T, a: T.linalg.matrix_norm(a),
    "vector_norm": lambda T, a: T.linalg.vector_norm(a),
    "cross": lambda T, a: T.linalg.cross(a, a),
    "diagonal": lambda T, a: T.linalg.diagonal(a),
    "vecdot": lambda T, a: T.linalg.vecdot(a, a),
    "matrix_power": lambda T, a: T.linalg.matrix_power(a, -1),
    "det_top": lambda T, a: T.det(a),
    "trace": lambda T, a: T.trace(a),
    "logdet": lambda T, a: T.logdet(a),
    "pinverse": lambda T, a: T.pinverse(a),
    "vander": lambda T, a: T.linalg.vander(a),
}
INPUTS = {
    "int": lambda T: T.eye(3, dtype=T.int64),
    "int32": lambda T: T.eye(3, dtype=T.int32),
    "half": lambda T: T.eye(3, dtype=T.float16),
    "1d": lambda T: T.ones(3),
    "0d": lambda T: T.tensor(2.0),
    "rect": lambda T: T.ones(2, 3),
    "empty": lambda T: T.zeros(0, 0),
    "empty_batch": lambda T: T.zeros(0, 2, 2),
    "nan": lambda T: T.tensor([[1.0, float("nan")], [0.5, 2.0]]),
    "inf": lambda T: T.tensor([[1.0, float("inf")], [0.5, 2.0]]),
    "nan_batch": lambda T: T.stack([T.eye(2), T.full((2, 2), float("nan"))]),
}


def _outcome(mod, call, make):
    try:
        out = call(mod, make(mod))
    except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
        kind = "RuntimeError" if isinstance(e, RuntimeError) else type(e).__name__
        return kind, str(e).split("\n")[0]
    outs = out if isinstance(out, tuple) else (out,)
    return "ok", [tuple(o.shape) for o in outs], [str(o.dtype).split(".")[-1] for o in outs]


@pytest.mark.parametrize("inp", sorted(INPUTS))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_awkward_inputs_like_torch(name, inp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _outcome(torch, CALLS[name], INPUTS[inp])
        got = _outcome(lamina, CALLS[name], INPUTS[inp])
    if want[0] == "RuntimeError" and "INTERNAL ASSERT" in want[1]:  # a torch bug's wording
        assert got[0] == "RuntimeError"
        return
    assert got == want


def test_linalg_error_is_a_runtime_error():
    assert issubclass(lamina.linalg.LinAlgError, RuntimeError)


def test_missing_torch_names_say_why():
    for mod, name in (
        (lamina.linalg, "eig"),
        (lamina.linalg, "ldl_factor"),
        (lamina.special, "digamma"),
    ):
        assert hasattr(getattr(torch, mod.__name__.split(".")[1]), name)
        with pytest.raises(AttributeError, match=f"has no '{name}'"):
            getattr(mod, name)
