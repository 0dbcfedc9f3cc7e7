"""lamina.ops.embedding: NumPy reference, finite differences, torch's F.embedding."""

import numpy as np

import lamina
import lamina.nn.functional as F
from lamina.ops.embedding import EmbeddingLookup
from tests.opcheck import check_op, run_backward, run_forward
from tests.oracle import torch

W = np.random.default_rng(0).standard_normal((5, 3))
IDX = np.array([[0, 2, 2], [4, 1, 0]])


def test_forward_is_row_lookup():
    _, out = run_forward(EmbeddingLookup, W, IDX)
    np.testing.assert_array_equal(out, W[IDX])


def test_gradient_accumulates_repeats_and_skips_padding():
    check_op(EmbeddingLookup, W, IDX)
    ctx, out = run_forward(EmbeddingLookup, W, IDX, padding_idx=2)
    (gw,) = run_backward(EmbeddingLookup, ctx, [np.ones_like(out)])[:1]
    want = np.zeros_like(W)
    np.add.at(want, IDX.reshape(-1), 1.0)
    want[2] = 0.0
    np.testing.assert_array_equal(gw, want)


def test_matches_torch_embedding():
    lw, tw = lamina.tensor(W, requires_grad=True), torch.tensor(W, requires_grad=True)
    lo = F.embedding(lamina.tensor(IDX), lw, padding_idx=0)
    to = torch.nn.functional.embedding(torch.tensor(IDX), tw, padding_idx=0)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy())
    g = np.random.default_rng(1).standard_normal(to.shape)
    lo.backward(lamina.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(lw.grad.numpy(), tw.grad.numpy())
