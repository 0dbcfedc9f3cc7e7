"""lamina.linalg's solvers and decompositions against torch 2.13 (values, dtypes, gradients;
float32 and float64, batched, non-contiguous), NumPy references, float64 gradchecks and
torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina.autograd import gradcheck
from tests.oracle import torch
from tests.torchcmp import same_as_torch

R = np.random.default_rng(1)
SQ = R.standard_normal((2, 3, 4, 4)) + 4 * np.eye(4)  # batched, well conditioned
SPD = SQ @ np.swapaxes(SQ, -1, -2) + np.eye(4)
SYM = SQ + np.swapaxes(SQ, -1, -2)
TALL = R.standard_normal((2, 5, 3))
WIDE = R.standard_normal((2, 3, 5))
RHS = R.standard_normal((2, 3, 4, 2))


def _col_sign(v):
    """+1/-1 per column making its largest-magnitude entry positive: eigenvector and
    singular-vector signs are LAPACK-build dependent (torch's and NumPy's LAPACKs differ
    here), so parity is checked on sign-normalised vectors."""
    idx = v.detach().abs().argmax(-2, keepdim=True)
    return v.detach().gather(-2, idx).sign()


def _signed_eigh(res):
    w, v = res
    return w, v * _col_sign(v)


def _signed_svd(res):
    u, s, vh = res
    sign = _col_sign(u)
    return u * sign, s, vh * sign.mT


def _both(dtypes=(np.float32, np.float64)):
    return pytest.mark.parametrize("dtype", dtypes)


def _tol(dtype):
    return {"rtol": 2e-4, "atol": 2e-5} if dtype == np.float32 else {}


@_both()
@pytest.mark.parametrize(
    "name, call, arrays",
    [
        ("inv", lambda T, a: T.linalg.inv(a), [SQ]),
        ("inv_T", lambda T, a: T.linalg.inv(a.transpose(-1, -2)), [SQ]),  # non-contiguous
        ("inv_ex", lambda T, a: T.linalg.inv_ex(a).inverse, [SQ]),
        ("det", lambda T, a: T.linalg.det(a), [SQ]),
        ("slogdet", lambda T, a: tuple(T.linalg.slogdet(-a)), [SQ]),
        ("solve", lambda T, a, b: T.linalg.solve(a, b), [SQ, RHS]),
        ("solve_vec", lambda T, a, b: T.linalg.solve(a, b[..., 0]), [SQ, RHS]),
        ("solve_bcast", lambda T, a, b: T.linalg.solve(a[0, 0], b), [SQ, RHS]),
        ("solve_right", lambda T, a, b: T.linalg.solve(a, b.mT, left=False), [SQ, RHS]),
        ("cholesky", lambda T, a: T.linalg.cholesky(a), [SPD]),
        ("cholesky_up", lambda T, a: T.linalg.cholesky(a, upper=True), [SPD]),
        ("cholesky_ex", lambda T, a: T.linalg.cholesky_ex(a).L, [SPD]),
        ("qr_tall", lambda T, a: tuple(T.linalg.qr(a)), [TALL]),
        ("qr_wide", lambda T, a: tuple(T.linalg.qr(a)), [WIDE]),
        ("qr_square_complete", lambda T, a: tuple(T.linalg.qr(a, "complete")), [SQ]),
        ("qr_r", lambda T, a: T.linalg.qr(a.detach(), "r").R, [TALL]),
        ("eigh", lambda T, a: _signed_eigh(T.linalg.eigh(a)), [SYM]),
        ("eigh_U", lambda T, a: _signed_eigh(T.linalg.eigh(a, UPLO="U")), [SQ]),
        ("eigvalsh", lambda T, a: T.linalg.eigvalsh(a), [SQ]),
        ("svd", lambda T, a: _signed_svd(T.linalg.svd(a, full_matrices=False)), [TALL]),
        ("svd_wide", lambda T, a: _signed_svd(T.linalg.svd(a, full_matrices=False)), [WIDE]),
        ("svd_full_sq", lambda T, a: _signed_svd(T.linalg.svd(a)), [SQ]),
        ("svdvals", lambda T, a: T.linalg.svdvals(a), [WIDE]),
        ("pinv", lambda T, a: T.linalg.pinv(a), [TALL]),
        ("pinv_wide", lambda T, a: T.linalg.pinv(a), [WIDE]),
        ("pinv_herm", lambda T, a: T.linalg.pinv(a, hermitian=True), [SYM]),
        ("lstsq", lambda T, a, b: T.linalg.lstsq(a, b).solution, [TALL, TALL[..., :2]]),
        ("matrix_power", lambda T, a: T.linalg.matrix_power(a, 5), [SQ / 4]),
        ("matrix_power_neg", lambda T, a: T.linalg.matrix_power(a, -2), [SQ]),
        ("matrix_exp", lambda T, a: T.linalg.matrix_exp(a), [SQ / 3]),
        (
            "multi_dot",
            lambda T, a, b: T.linalg.multi_dot([a[0, 0, 0], a[0, 0], b]),
            [SQ, TALL[0, :4]],
        ),
        ("cross", lambda T, a, b: T.linalg.cross(a, b), [TALL, TALL[::-1]]),
        ("cross_dim", lambda T, a, b: T.linalg.cross(a, b, dim=1), [WIDE, WIDE[::-1]]),
        ("vecdot", lambda T, a, b: T.linalg.vecdot(a, b, dim=1), [TALL, TALL[:1]]),
        ("diagonal", lambda T, a: T.linalg.diagonal(a, offset=1), [SQ]),
        ("diagonal_dims", lambda T, a: T.linalg.diagonal(a, offset=-1, dim1=0, dim2=2), [TALL]),
        ("matmul", lambda T, a, b: T.linalg.matmul(a, b), [SQ, RHS]),
    ],
)
def test_matches_torch(name, call, arrays, dtype):
    same_as_torch(call, *[a.astype(dtype) for a in arrays], **_tol(dtype))


def test_matrix_rank_and_lstsq_extras_match_torch():
    low = TALL @ TALL.swapaxes(-1, -2)  # rank 3 of 5
    for kw in ({}, {"hermitian": True}, {"atol": 1.0}, {"rtol": 0.5}, {"tol": 1e-3}):
        same_as_torch(lambda T, a, kw=kw: T.linalg.matrix_rank(a, **kw), low, grad=False)
    for driver in (None, "gels", "gelsd", "gelss"):
        same_as_torch(
            lambda T, a, b, d=driver: tuple(T.linalg.lstsq(a, b, driver=d))[1:],
            TALL,
            TALL[..., :2],
            grad=False,
        )


def test_lstsq_shapes_like_torch():
    same_as_torch(lambda T, a, b: T.linalg.lstsq(a, b).solution, WIDE, RHS[:, 0, :3])
    same_as_torch(lambda T, a, b: T.linalg.lstsq(a, b).solution, TALL, TALL[:, :, 0])
    same_as_torch(lambda T, a, b: T.linalg.lstsq(a, b).solution, TALL, TALL[:1, :, :2])
    for b in (TALL[0, :, 0], TALL[:, :3], np.ones((1, 2, 5, 2))):
        with pytest.raises(RuntimeError) as want:
            torch.linalg.lstsq(torch.tensor(TALL), torch.tensor(b))
        with pytest.raises(RuntimeError) as got:
            lamina.linalg.lstsq(lamina.tensor(TALL), lamina.tensor(b))
        assert str(got.value) == str(want.value)


def test_named_tuples_carry_torch_field_names():
    a = lamina.tensor(SPD)
    pairs = [
        (lamina.linalg.slogdet(a), torch.linalg.slogdet(torch.tensor(SPD))),
        (lamina.linalg.eigh(a), torch.linalg.eigh(torch.tensor(SPD))),
        (lamina.linalg.svd(a), torch.linalg.svd(torch.tensor(SPD))),
        (lamina.linalg.qr(a), torch.linalg.qr(torch.tensor(SPD))),
        (lamina.linalg.inv_ex(a), torch.linalg.inv_ex(torch.tensor(SPD))),
        (lamina.linalg.cholesky_ex(a), torch.linalg.cholesky_ex(torch.tensor(SPD))),
        (lamina.linalg.lstsq(a, a), torch.linalg.lstsq(torch.tensor(SPD), torch.tensor(SPD))),
        (lamina.linalg.solve_ex(a, a), torch.linalg.solve_ex(torch.tensor(SPD), torch.tensor(SPD))),
    ]
    for got, want in pairs:
        assert type(got).__name__ == type(want).__name__
        assert len(got) == len(want)
        for i, field in enumerate(got._fields):  # torch's field at the same position
            assert getattr(want, field) is want[i]


def test_decompositions_reconstruct_numpy_reference():
    a = lamina.tensor(TALL)
    q, r = lamina.linalg.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), TALL, atol=1e-12)
    u, s, vh = lamina.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose((u * s.unsqueeze(-2) @ vh).numpy(), TALL, atol=1e-12)
    w, v = lamina.linalg.eigh(lamina.tensor(SYM))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(SYM), atol=1e-12)
    np.testing.assert_allclose(
        (v @ v.mT).numpy(), np.broadcast_to(np.eye(4), SYM.shape), atol=1e-12
    )
    np.testing.assert_allclose(lamina.linalg.det(lamina.tensor(SQ)).numpy(), np.linalg.det(SQ))
    import scipy.linalg

    np.testing.assert_allclose(
        lamina.linalg.matrix_exp(lamina.tensor(SQ[0, 0] / 3)).numpy(),
        scipy.linalg.expm(SQ[0, 0] / 3),
        rtol=1e-13,
    )


GRADCHECKS = {
    "inv": (lambda a: lamina.linalg.inv(a), SQ[0]),
    "det": (lambda a: lamina.linalg.det(a), SQ[0]),
    "slogdet": (lambda a: lamina.linalg.slogdet(a).logabsdet, SQ[0]),
    "solve": (lambda a: lamina.linalg.solve(a, a[..., :2] * 2), SQ[0]),
    "solve_right": (lambda a: lamina.linalg.solve(a, a[..., :1, :], left=False), SQ[0]),
    "cholesky": (lambda a: lamina.linalg.cholesky(a @ a.mT), SQ[0]),
    "cholesky_up": (lambda a: lamina.linalg.cholesky(a @ a.mT, upper=True), SQ[0]),
    "qr_tall": (lambda a: lamina.linalg.qr(a), TALL),
    "qr_wide": (lambda a: lamina.linalg.qr(a), WIDE),
    "eigh": (lambda a: _gauge_free_eigh(a + a.mT), SQ[0]),
    "eigvalsh": (lambda a: lamina.linalg.eigvalsh(a + a.mT), SQ[0]),
    "svd": (lambda a: _gauge_free_svd(a), TALL),
    "svd_wide": (lambda a: _gauge_free_svd(a), WIDE),
    "svdvals": (lambda a: lamina.linalg.svdvals(a), WIDE),
    "pinv": (lambda a: lamina.linalg.pinv(a), TALL),
    "pinv_wide": (lambda a: lamina.linalg.pinv(a), WIDE),
    "lstsq": (lambda a: lamina.linalg.lstsq(a, a[..., :1]).solution, TALL),
    "matrix_exp": (lambda a: lamina.linalg.matrix_exp(a / 4), SQ[0]),
    "cross": (lambda a: lamina.linalg.cross(a, a.flip(0) if hasattr(a, "flip") else a * a), TALL),
    "diagonal": (lambda a: lamina.linalg.diagonal(a, offset=-1), SQ[0]),
    "matrix_power": (lambda a: lamina.linalg.matrix_power(a / 4, 3), SQ[0]),
}


def _gauge_free_eigh(a):
    w, v = lamina.linalg.eigh(a)
    return w, v * v[..., :1, :].sign()  # fix each vector's sign by its first entry


def _gauge_free_svd(a):
    u, s, vh = lamina.linalg.svd(a, full_matrices=False)
    sign = u[..., :1, :].sign()
    return u * sign, s, vh * sign.mT


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, a = GRADCHECKS[name]
    assert gradcheck(fn, [lamina.tensor(a, requires_grad=True)])


def test_det_of_singular_matrix_has_torch_gradient():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    same_as_torch(lambda T, a: T.linalg.det(a), s)


def test_repeated_eigenvalues_give_nan_vector_gradient_like_torch():
    eye = np.eye(3)
    for call in (
        lambda T, a: T.linalg.eigh(a).eigenvectors.sum(),
        lambda T, a: T.linalg.svd(a).U.sum(),
    ):
        got = lamina.tensor(eye, requires_grad=True)
        call(lamina, got).backward()
        want = torch.tensor(eye, requires_grad=True)
        call(torch, want).backward()
        np.testing.assert_array_equal(np.isnan(got.grad.numpy()), np.isnan(want.grad.numpy()))
    for call in (
        lambda T, a: T.linalg.eigh(a).eigenvalues.sum(),
        lambda T, a: T.linalg.svd(a).S.sum(),
    ):
        got = lamina.tensor(eye, requires_grad=True)
        call(lamina, got).backward()
        want = torch.tensor(eye, requires_grad=True)
        call(torch, want).backward()
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy())


SING = np.array([[1.0, 2.0], [2.0, 4.0]])
BATCH = np.stack([np.eye(2), SING])
NOTPD = np.stack([np.eye(3), np.diag([1.0, 2.0, -1.0])])


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.linalg.inv(T.tensor(SING)),
        lambda T: T.linalg.inv(T.tensor(BATCH)),
        lambda T: T.linalg.inv(T.ones(2, 3)),
        lambda T: T.linalg.inv(T.ones(3)),
        lambda T: T.linalg.inv(T.eye(2, dtype=T.int64)),
        lambda T: T.linalg.det(T.ones(2, 3)),
        lambda T: T.linalg.solve(T.tensor(SING), T.ones(2, dtype=T.float64)),
        lambda T: T.linalg.solve(T.tensor(BATCH), T.ones(2, 2, dtype=T.float64)),
        lambda T: T.linalg.solve(T.eye(2), T.ones(3)),
        lambda T: T.linalg.solve(T.eye(2), T.ones(2), left=False),
        lambda T: T.linalg.solve(T.eye(2), T.ones(2, dtype=T.float64)),
        lambda T: T.linalg.cholesky(-T.eye(3)),
        lambda T: T.linalg.cholesky(T.tensor(NOTPD)),
        lambda T: T.linalg.cholesky(T.ones(2, 3)),
        lambda T: T.linalg.eigh(T.ones(2, 3)),
        lambda T: T.linalg.eigh(T.eye(2), UPLO="X"),
        lambda T: T.linalg.qr(T.ones(2, 3), mode="x"),
        lambda T: T.linalg.matrix_power(T.ones(2, 3), 2),
        lambda T: T.linalg.matrix_power(T.tensor(SING), -1),
        lambda T: T.linalg.multi_dot([T.eye(2)]),
        lambda T: T.linalg.multi_dot([T.eye(2), T.ones(3, 2)]),
        lambda T: T.linalg.cross(T.ones(2, 2), T.ones(2, 2)),
        lambda T: T.linalg.cross(T.ones(2, 1, 3), T.ones(4, 3)),
        lambda T: T.linalg.vecdot(T.ones(3), T.ones(3, dtype=T.float64)),
        lambda T: T.linalg.inv([[1.0]]),
    ],
)
def test_errors_match_torch(call):
    with pytest.raises(Exception) as want:
        call(torch)
    linalg_error = isinstance(want.value, torch.linalg.LinAlgError)
    with pytest.raises(lamina.linalg.LinAlgError if linalg_error else type(want.value)) as got:
        call(lamina)
    assert str(got.value) == str(want.value)
    assert isinstance(got.value, lamina.linalg.LinAlgError) == linalg_error


@pytest.mark.parametrize(
    "call",
    [
        lambda T, a: T.linalg.qr(a, mode="r").R.sum().backward(),
        lambda T, a: T.linalg.qr(a, mode="complete").Q.sum().backward(),
    ],
)
def test_qr_backward_errors_match_torch(call):
    with pytest.raises(RuntimeError) as want:
        call(torch, torch.tensor(TALL[0], requires_grad=True))
    with pytest.raises(RuntimeError) as got:
        call(lamina, lamina.tensor(TALL[0], requires_grad=True))
    assert str(got.value) == str(want.value)


def test_solve_ex_of_singular_matrices_like_torch():
    for a, b in (
        (np.zeros((2, 2)), np.ones(2)),
        (BATCH, np.ones((2, 2))),
        (BATCH, np.ones((2, 2, 3))),
        (np.stack([SING, np.eye(2)]), np.ones(2)),
        (SING, np.ones((3, 2, 1))),
    ):
        same_as_torch(lambda T, x, y: tuple(T.linalg.solve_ex(x, y)), a, b, grad=False)
    same_as_torch(lambda T, x, y: tuple(T.linalg.solve_ex(x, y)), SQ, RHS)


def test_ex_variants_report_info_like_torch():
    same_as_torch(lambda T, a: T.linalg.inv_ex(a).info, BATCH, grad=False)
    c = np.array([[4.0, 2, 1], [2, 1, 3], [1, 3, 5]])
    same_as_torch(lambda T, a: tuple(T.linalg.cholesky_ex(a)), np.stack([c, np.eye(3)]), grad=False)
