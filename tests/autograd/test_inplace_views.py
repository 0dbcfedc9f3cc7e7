"""In-place ops through views, with autograd, against torch 2.13: values seen through every
alias, gradients through torch's CopySlices semantics, and torch's errors (leaf views,
saved tensors modified, overlapping memory)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.torchboth import same

W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)


def _w(T):
    return T.tensor(W, requires_grad=True)


def test_ops_recorded_before_an_inplace_op_keep_the_old_history():
    def prog(T):
        w = _w(T)
        x = w * 1
        y = x + 2
        x.mul_(3)  # y was made from x before: its gradient is 1, not 3
        y.sum().backward()
        return {"x": x, "y": y, "grad:w": w.grad}

    same(prog)


def test_inplace_on_views_reaches_the_base_and_other_views():
    def prog(T):
        w = _w(T)
        b = w * 1
        v1, v2 = b[0], b[:, 0]  # overlapping views
        v1.mul_(2)
        v3 = b.t()[1:]
        v3.add_(w.t()[1:] ** 2)
        (v2.sum() + (b * b).sum() + v1.sum()).backward()
        return {"b": b, "v1": v1, "v2": v2, "v3": v3, "grad:w": w.grad}

    same(prog)


@pytest.mark.parametrize(
    "op",
    [
        "v.add_(x)",
        "v.clamp_(min=x)",
        "v.copy_(x)",
        "v.mul_(x).exp_()",
        "v.masked_fill_(x > 0, 2.0)",
        "v.index_add_(0, T.tensor([1, 1]), x[:2])",
        "v.scatter_(0, T.tensor([2, 0]), x[:2])",
        "v.lerp_(x, 0.25)",
        "v.zero_()",
    ],
)
@pytest.mark.parametrize(
    "view", ["b[1]", "b[:, 1]", "b.t()[2]", "b.view(-1)[1:4]", "b.select(1, 0)"]
)
def test_view_inplace_matches_torch(view, op):
    def prog(T):
        w = _w(T)
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        b = w * 1
        v = eval(view, {"b": b})
        x = x[: v.shape[0]] if v.shape[0] < 3 else x
        eval(op, {"v": v, "x": x, "T": T})
        (b * T.tensor(W)).sum().backward()
        return {"b": b, "v": v, "grad:w": w.grad}

    same(prog)


def test_a_plain_tensor_written_through_a_view_gets_history():
    def prog(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = T.zeros(3)
        v = z[1:]
        v.add_(x)
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return {"z": z, "grad:x": x.grad, "rg": T.tensor(z.requires_grad and v.requires_grad)}

    same(prog)


@pytest.mark.parametrize(
    "src",
    [
        "x[0].add_(1)",  # a view of a leaf that requires grad
        "x.add_(1)",
        "y = x.exp(); y[0].mul_(2); y.sum().backward()",  # a saved output changed via a view
        "y = x * 1; y.exp_(); y += 1; y.sum().backward()",  # exp_ saved its result
        "y = (x * 1)[...].exp_(); z = x * 1; y += 1; y.sum().backward()",
        "y = x.sign(); y.mul_(2); y.sum().backward()",  # sign saves nothing: allowed
        "y = x.exp(); y.detach().add_(1); y.sum().backward()",  # saved output, via detach()
        "y = x * 1; y -= y; y.sum().backward()",  # the op reads the history it replaces
        "y = x * 1; y.mul_(y); y.sum().backward()",
        "y = x.expand(2, 2); z = y.detach().copy_(y)",  # the very same memory: allowed
        "y = x.sum() * 1; y[None] = x.sum() * 2; (y * y).backward()",  # a 0-d target
        "y = x * 1; y[T.tensor([True, False])] = T.ones(2, 2)",  # RuntimeError, not TypeError
        "y = x.detach().lerp_(x, 0.25); y += 1; y.sum().backward()",  # lerp keeps only w
        "x.expand(2, 2).add_(1)",  # one element written twice
        "x.detach().expand(2, 2).fill_(3)",  # fill_ may
        "x.detach().expand(2, 2)[:, 0] = 5",
        "x.detach()[0:1] = T.tensor([1.0, 2.0])",  # does not broadcast
    ],
)
def test_inplace_errors_match_torch(src):
    def prog(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        env = {"x": x, "T": T}
        with np.errstate(all="ignore"):
            exec(src, env)
        return {"x": x, "grad:x": x.grad}

    same(prog)


def test_int_index_of_a_vector_and_diagonal_are_views():
    def prog(T):
        x = T.tensor([1.0, 2.0, 3.0])
        x[1].mul_(10)
        m = T.arange(12.0).reshape(3, 4)
        m.diagonal(1).neg_()
        m.diagonal(-1).zero_()
        return {"x": x, "m": m}

    same(prog)


@pytest.mark.parametrize(
    "src",
    [
        "y = (x * 1).split(1)[0]; y.add_(1)",  # a piece of a multi-output view op
        "y = (x * 1).unbind()[1]; y.mul_(2)",
        "y = (x * 1).chunk(2)[0][0]; y.zero_()",  # a view of such a piece
        "y = x * 1; z = y[T.tensor(1)]; z.mul_(3); y.sum().backward()",  # 0-d int index
        "y = x * 1; z = y[[1, 0]]; z.mul_(3); y.sum().backward()",  # fancy index: a copy
        "y = x * 1; z = 1.5 / y; y.add_(1); z.sum().backward()",  # saves 1/y, not y
        "y = x * 1; z = y / 1.5; y.add_(1); z.sum().backward()",
        "y = x * 1; z = (x // 2) * y + y * y; z.sum().backward()",  # no derivative: fails
        "z = T.zeros(2, 0); v = z[:, :0]; z[:] = T.ones(2, 0).requires_grad_(); v.sum()",
        "y = (x // 2).long(); z = T.cat([x, y.float()]); z.sum().backward()",  # int: no history
        "y = (x * 1)[:1]; y[0] = y; z = y",  # a value with extra leading 1s
        "y = (x * 1)[:1].chunk(2)[0]; y.zero_()",  # one piece is still a piece
        "y = x * 1; y[False] = T.ones(5); z = y",  # selects nothing: writes nothing
        "y = T.zeros(2, dtype=T.long); y[:] = x; z = y * 1; z.sum()",  # int: no history
    ],
)
def test_views_and_saved_tensors_match_torch(src):
    def prog(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        env = {"x": x, "T": T}
        exec(src, env)
        return {"x": x, "grad:x": x.grad, "y": env.get("y"), "z": env.get("z")}

    same(prog)


@pytest.mark.parametrize(
    "key",
    [
        "[0, :, [1, 0]]",  # ints apply first (torch), not as arrays beside the list (NumPy)
        "[[1, 0], 0]",
        "[0, [1, 0], :]",
        "[:, 1, [[0], [1]]]",
        "[T.tensor(0), :, T.tensor([1, -1])]",
        "[0, ..., [True, False]]",
    ],
)
def test_int_and_array_keys_index_as_torch(key):
    def prog(T):
        x = T.arange(12.0).reshape(2, 3, 2).requires_grad_()
        y = eval(f"x{key}", {"x": x, "T": T})
        z = x.detach().clone()
        exec(f"z{key} = -1.0", {"z": z, "T": T})
        (y * y).sum().backward()
        return {"y": y, "z": z, "grad:x": x.grad}

    same(prog)


PARTIAL_OVERLAP_CASES = {
    "same memory, same geometry": lambda T, x: x.add_(x),
    "shifted slices": lambda T, x: x[1:].add_(x[:-1]),
    "a 0-d tensor and its 1-element view": lambda T, x: (lambda s: s.view(-1).sub_(s))(x[2]),
    "interleaved strided views": lambda T, x: x[::2].add_(x[1::2]),
    "disjoint halves": lambda T, x: x.view(2, 3)[0].mul_(x[3:]),
    "an element broadcast into its own row": lambda T, x: x.add_(x[0]),
    "a new leading axis": lambda T, x: x[None].add_(x[0]),
    "an expanded element (not dense)": lambda T, x: x.add_(x[:1].expand(6)),
}


@pytest.mark.parametrize("case", PARTIAL_OVERLAP_CASES)
def test_in_place_operand_partly_overlapping_the_output_raises_as_torch(case):
    """torch refuses an in-place op whose operand shares part of the written memory (dense
    operands only; same memory with the same geometry is fine)."""
    f = PARTIAL_OVERLAP_CASES[case]
    same(lambda T: (lambda x: (f(T, x), {"x": x})[1])(T.arange(6.0)))


SETITEM_CASES = {
    "index tensor, 0-d long into bool": lambda T: (
        T.zeros(3, dtype=T.bool),
        T.tensor([0]),
        T.tensor(1),
    ),
    "index tensor, double into float": lambda T: (
        T.zeros(3),
        T.tensor([0, 1]),
        T.tensor([1.0, 2.0], dtype=T.float64),
    ),
    "bool mask, 1-d double into float": lambda T: (
        T.zeros(3),
        T.tensor([True, False, True]),
        T.tensor([1.0, 2.0], dtype=T.float64),
    ),
    "bool mask, 0-d double (masked_fill)": lambda T: (
        T.zeros(3),
        T.tensor([True, False, True]),
        T.tensor(1.0, dtype=T.float64),
    ),
    "index tensor and slice, long into bool": lambda T: (
        T.zeros(2, 3, dtype=T.bool),
        (T.tensor([0]), slice(None)),
        T.tensor(1),
    ),
    "slice, double into float (a copy, casts)": lambda T: (
        T.zeros(3),
        slice(0, 2),
        T.tensor([1.0, 2.0], dtype=T.float64),
    ),
    "index tensor, Python float into long": lambda T: (
        T.zeros(3, dtype=T.int64),
        T.tensor([0]),
        2.5,
    ),
    "same dtypes": lambda T: (T.zeros(3), T.tensor([0, 1]), T.tensor([1.0, 2.0])),
    "mask and Ellipsis, 0-d float into long": lambda T: (
        T.zeros(2, 3, dtype=T.int64),
        (T.ones(2, 3, dtype=T.bool), ...),
        T.tensor(2.5),
    ),
    "slice and mask, 0-d float into long": lambda T: (
        T.zeros(2, 3, dtype=T.int64),
        (slice(None), T.tensor([True, False, True])),
        T.tensor(2.5),
    ),
    "mask, (1, 1) float into long": lambda T: (
        T.zeros(2, 3, dtype=T.int64),
        T.ones(2, 3, dtype=T.bool),
        T.tensor([[2.5]]),
    ),
    "index tensor, (1,) float into long": lambda T: (
        T.zeros(2, 3, dtype=T.int64),
        T.tensor([0]),
        T.tensor([2.5]),
    ),
    "mask and index tensor, 0-d float into long": lambda T: (
        T.zeros(2, 3, dtype=T.int64),
        (T.tensor([True, False]), T.tensor([0])),
        T.tensor(2.5),
    ),
}


@pytest.mark.parametrize("case", SETITEM_CASES)
def test_setitem_source_dtype_rules_are_torchs(case):
    """Advanced-index assignment (torch's index_put_) takes a source of the destination's
    dtype only; basic indexing and a single boolean mask with a 0-d source cast."""

    def run(T):
        x, key, value = SETITEM_CASES[case](T)
        x[key] = value
        return {"x": x}

    same(run)


def test_setitem_out_of_range_raises_index_error_before_the_leaf_check():
    def run(T):
        x = T.zeros(3, 3, requires_grad=True)
        x[3, 1:] = True
        return {"x": x}

    same(run)


def test_history_of_a_buffer_updated_in_place_every_step_stays_bounded():
    """A long-lived buffer written in place under autograd and detached after each backward
    (a recurrent state kept in one tensor) keeps one history entry, not one per step."""
    import lamina as L

    w = L.randn(8, 8, requires_grad=True)
    x, h = L.randn(2, 8), L.zeros(2, 8)
    for _ in range(50):
        h.copy_((x @ w).tanh())
        h.sum().backward()
        w.grad = None
        h.detach_()
    assert len(h._hist) <= 2


def test_consumers_recorded_between_detaches_keep_their_history():
    def run(T):
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = T.zeros(3)
        y = t * w  # t has no history here
        t.add_(w)
        t.detach_()
        z = t * w
        t.add_(w * 2)
        (y.sum() + z.sum() + t.sum()).backward()
        return {"t": t, "grad:w": w.grad}

    same(run)
