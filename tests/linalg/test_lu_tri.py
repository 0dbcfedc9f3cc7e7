"""lamina.linalg's LU family, triangular solves, cond/vander/tensorinv/tensorsolve and the
top-level torch names (torch.det, Tensor.inverse, ...) against torch 2.13, with gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina.autograd import gradcheck
from tests.linalg.test_decomp import (
    BATCH,
    RHS,
    SING,
    SPD,
    SQ,
    TALL,
    WIDE,
    R,
    _both,
    _signed_svd,
    _tol,
)
from tests.oracle import torch
from tests.torchcmp import same_as_torch

TRI = np.triu(SQ) + np.tril(R.standard_normal(SQ.shape), -1) * 10  # lower part ignored


@_both()
@pytest.mark.parametrize(
    "name, call, arrays",
    [
        ("tri_upper", lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True), [TRI, RHS]),
        ("tri_lower", lambda T, a, b: T.linalg.solve_triangular(a.mT, b, upper=False), [TRI, RHS]),
        (
            "tri_right",
            lambda T, a, b: T.linalg.solve_triangular(a, b.mT, upper=True, left=False),
            [TRI, RHS],
        ),
        (
            "tri_unit",
            lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
            [TRI / 4, RHS],
        ),
        ("cond", lambda T, a: T.linalg.cond(a), [SQ]),
        ("cond_m2", lambda T, a: T.linalg.cond(a, -2), [TALL]),
        ("vander", lambda T, x: T.linalg.vander(x[0, 0], N=4), [TALL]),
        ("tensorinv", lambda T, a: T.linalg.tensorinv(a[0, 0].reshape(2, 2, 4), ind=2), [SQ]),
        (
            "tensorsolve",
            lambda T, a, b: T.linalg.tensorsolve(a[0, 0].reshape(4, 2, 2), b[0, 0, :, 0]),
            [SQ, RHS],
        ),
        (
            "tensorsolve_dims",
            lambda T, a, b: T.linalg.tensorsolve(
                a[0, 0].reshape(4, 2, 2), b[0, 0, :, 0].reshape(2, 2), dims=(0,)
            ),
            [SQ, RHS],
        ),
        ("det_method", lambda T, a: a.det(), [SQ]),
        ("logdet", lambda T, a: T.logdet(a), [SPD]),
        ("slogdet_top", lambda T, a: tuple(T.slogdet(a)), [SQ]),
        ("inverse", lambda T, a: a.inverse(), [SQ]),
        ("pinverse", lambda T, a: T.pinverse(a, 1e-2), [TALL]),
        ("diagonal", lambda T, a: a.diagonal(-1, 3, 1), [SQ]),
        ("diag_embed", lambda T, x: T.diag_embed(x, 2, 0, -1), [TALL]),
        ("trace", lambda T, a: a[0, 0].trace(), [SQ]),
        (
            "outer_dot",
            lambda T, a: (T.outer(a[0, 0, 0], a[0, 1, 1]), a[0, 0, 0].dot(a[1, 0, 0])),
            [SQ],
        ),
        ("svd_top", lambda T, a: _signed_svd(T.svd(a)[:2] + (T.svd(a)[2].mT,)), [TALL]),
        ("matrix_power_top", lambda T, a: T.matrix_power(a, 0), [SQ]),
    ],
)
def test_more_matches_torch(name, call, arrays, dtype):
    same_as_torch(call, *[a.astype(dtype) for a in arrays], **_tol(dtype))


def test_cond_of_singular_and_other_norms_match_torch():
    for p in (1, -1, np.inf, -np.inf, "fro", "nuc"):
        # torch's own backward for these raises (an in-place bug in torch), so values only
        same_as_torch(lambda T, a, p=p: T.linalg.cond(a, p), SQ, grad=False)
        same_as_torch(lambda T, a, p=p: T.linalg.cond(a, p), SING, grad=False)


def test_logdet_of_negative_determinant_is_nan_like_torch():
    neg = np.diag([-1.0, -1.0, 1.0, -1.0])
    same_as_torch(lambda T, a: T.logdet(a), neg, grad=False)


def test_singular_triangular_solve_gives_inf_nan_like_torch():
    same_as_torch(
        lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True),
        np.zeros((2, 2)),
        np.ones((2, 1)),
        grad=False,
    )


MORE_GRADCHECKS = {
    "tri_upper": lambda a: lamina.linalg.solve_triangular(a, a[..., :2], upper=True),
    "tri_lower_right": lambda a: lamina.linalg.solve_triangular(
        a, a[..., :1, :], upper=False, left=False
    ),
    "tri_unit": lambda a: lamina.linalg.solve_triangular(
        a / 4, a[..., :2], upper=False, unitriangular=True
    ),
    "cond": lambda a: lamina.linalg.cond(a),
    "cond_1": lambda a: lamina.linalg.cond(a, 1),
    "tensorinv": lambda a: lamina.linalg.tensorinv(a.reshape(2, 2, 4), ind=2),
    "logdet": lambda a: lamina.logdet(a @ a.mT),
    "diag_embed": lambda a: lamina.diag_embed(a, 1),
    "trace": lambda a: a.trace(),
    "vander": lambda a: lamina.linalg.vander(a[0], N=5),
}


@pytest.mark.parametrize("name", sorted(MORE_GRADCHECKS))
def test_more_gradchecks(name):
    assert gradcheck(MORE_GRADCHECKS[name], [lamina.tensor(SQ[0, 0], requires_grad=True)])


@_both()
@pytest.mark.parametrize(
    "name, call, arrays",
    [
        ("lu_factor", lambda T, a: tuple(T.linalg.lu_factor(a)), [SQ]),
        ("lu_factor_tall", lambda T, a: tuple(T.linalg.lu_factor_ex(a)), [TALL]),
        ("lu_factor_wide", lambda T, a: tuple(T.linalg.lu_factor(a)), [WIDE]),
        ("lu", lambda T, a: tuple(T.linalg.lu(a)), [SQ]),
        ("lu_tall", lambda T, a: tuple(T.linalg.lu(a)), [TALL]),
        ("lu_wide", lambda T, a: tuple(T.linalg.lu(a)), [WIDE]),
        ("lu_solve", lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b), [SQ, RHS]),
        (
            "lu_solve_adj",
            lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b, adjoint=True),
            [SQ, RHS],
        ),
        (
            "lu_solve_right",
            lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b.mT, left=False),
            [SQ, RHS],
        ),
        (
            "lu_solve_right_adj",
            lambda T, a, b: T.linalg.lu_solve(
                *T.linalg.lu_factor(a), b.mT, left=False, adjoint=True
            ),
            [SQ, RHS],
        ),
    ],
)
def test_lu_matches_torch(name, call, arrays, dtype):
    same_as_torch(call, *[a.astype(dtype) for a in arrays], **_tol(dtype))


@pytest.mark.parametrize("a", [SQ[0, 0], TALL[0], WIDE[0]], ids=["square", "tall", "wide"])
def test_lu_gradcheck(a):
    t = lamina.tensor(a, requires_grad=True)
    assert gradcheck(lambda x: lamina.linalg.lu_factor(x).LU, [t])
    assert gradcheck(lambda x: lamina.linalg.lu(x)[1:], [t])


def test_lu_of_singular_matrix_like_torch():
    same_as_torch(lambda T, a: tuple(T.linalg.lu_factor_ex(a)), BATCH, grad=False)
    for call in (
        lambda T: T.linalg.lu_factor(T.tensor(BATCH)),
        lambda T: T.linalg.lu(T.eye(2), pivot=False),
        lambda T: T.linalg.lu_solve(T.ones(2, 3), T.ones(2, dtype=T.int32), T.ones(2, 1)),
        lambda T: T.linalg.lu_solve(T.eye(2), T.ones(2, dtype=T.int32), T.ones(2)),
    ):
        with pytest.raises(RuntimeError) as want:
            call(torch)
        with pytest.raises(RuntimeError) as got:
            call(lamina)
        assert str(got.value) == str(want.value)
