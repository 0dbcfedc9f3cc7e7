"""The linear-algebra and special-function ops on plain arrays (no Tensor): each op's
backward against central finite differences in float64 with tests/opcheck.check_op, which
also enforces the one-gradient-per-input contract. Cholesky and eigh read one triangle and
return torch's symmetrised gradient, so they are gradchecked through a symmetric input in
tests/linalg instead."""

from __future__ import annotations

import numpy as np
import pytest

from lamina.ops import linalg_decomp as LD
from lamina.ops import linalg_lu as LU
from lamina.ops import linalg_misc as LM
from lamina.ops import linalg_norms as LN
from lamina.ops import linalg_solve as LS
from lamina.ops import linalg_tri as LT
from lamina.ops import special_fns as SF
from tests.opcheck import check_op

R = np.random.default_rng(5)
SQ = R.standard_normal((2, 3, 3)) + 3 * np.eye(3)
TALL = R.standard_normal((2, 4, 3))
WIDE = R.standard_normal((3, 5))
V = R.standard_normal((4, 5))
POS = np.abs(R.standard_normal(6)) + 0.2

CASES = {
    "Inv": (LS.Inv, [SQ], {}),
    "Det": (LS.Det, [SQ], {}),
    "SlogDet": (LS.SlogDet, [SQ], {}),
    "Solve": (LS.Solve, [SQ, TALL[:, :3]], {}),
    "Solve_vector": (LS.Solve, [SQ, TALL[:, 0]], {}),
    "Solve_right": (LS.Solve, [SQ, TALL], {"left": False}),
    "QR_tall": (LD.QR, [TALL], {}),
    "QR_wide": (LD.QR, [WIDE], {}),
    "SVD": (LD.SVD, [TALL], {"full_matrices": False}),
    "SVD_wide": (LD.SVD, [WIDE], {"full_matrices": False}),
    "SVDVals": (LD.SVDVals, [TALL], {}),
    "Pinv": (LD.Pinv, [TALL, 0.0, 1e-12], {}),  # atol, rtol positionally: check_op has atol
    "LUFactor": (LU.LUFactor, [SQ], {}),
    "LUFactor_tall": (LU.LUFactor, [TALL], {}),
    "LU_wide": (LU.LU, [WIDE], {}),
    "SolveTriangular": (LT.SolveTriangular, [SQ, TALL[:, :3]], {"upper": True}),
    "SolveTriangular_right": (
        LT.SolveTriangular,
        [SQ, TALL],
        {"upper": False, "left": False, "unitriangular": True},
    ),
    "DiagEmbed": (LT.DiagEmbed, [V], {"offset": 1, "dim1": 0, "dim2": 2}),
    "Diagonal": (LM.Diagonal, [TALL], {"offset": -1, "dim1": 1, "dim2": 2}),
    "Cross": (LM.Cross, [TALL, TALL[::-1]], {"axis": 2}),
    "MatrixExp": (LM.MatrixExp, [SQ / 3], {}),
    **{
        f"VectorNorm_{p}": (LN.VectorNorm, [V], {"p": p, "axis": 1})
        for p in (2.0, 1.0, np.inf, -np.inf, 3.0, 0.5, -1.5)
    },
    "Expm1": (SF.Expm1, [V], {}),
    "Sinc": (SF.Sinc, [V], {}),
    "Entr": (SF.Entr, [POS], {}),
    "Erf": (SF.Erf, [V], {}),
    "Erfc": (SF.Erf, [V * 3], {"complement": True}),
    "XLogY": (SF.XLogY, [V[0], POS[:5]], {}),
    "XLog1pY": (SF.XLogY, [V[0], POS[:5]], {"log1p": True}),
    "LogNdtr": (SF.InverseLike, [V * 4], {"which": "log_ndtr"}),
    "Erfinv": (SF.InverseLike, [np.tanh(V)], {"which": "erfinv"}),
    "Ndtri": (SF.InverseLike, [POS / 8], {"which": "ndtri"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_gradient_matches_finite_differences(name):
    fn, args, kwargs = CASES[name]
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    assert check_op(fn, *args, atol=1e-6, rtol=1e-5, **kwargs)


def test_lu_factor_array_reconstructs_and_pivots_like_getrf():
    a = R.standard_normal((3, 5, 4))
    lu, piv, info = LU.lu_factor_array(a)
    low, up = LU.unpack(lu)
    p = LU.permutation(piv, 5, a.dtype)
    np.testing.assert_allclose(p @ low @ up, a, atol=1e-12)
    assert piv.dtype == np.int32 and not info.any()
    assert np.all(np.abs(np.tril(low, -1)) <= 1.0)  # partial pivoting bounds the multipliers
