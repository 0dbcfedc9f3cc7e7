"""dtype promotion, factories' defaults, dtype/device conversions and devices, vs torch."""

import numpy as np
import pytest

import lamina as L
from tests.oracle import torch


def tname(t) -> str:
    return str(t.dtype).replace("torch.", "")


DTYPES = ["float32", "float64", "int64", "int32", "bool"]


def make(lib, dtype, zero_dim=False):
    vals = [True] if dtype == "bool" else [3]
    data = vals[0] if zero_dim else vals * 2
    return lib.tensor(data, dtype=getattr(lib, dtype))


SCALARS = [2, 2.5, True, np.float64(2.0), np.float32(2.0), np.int64(3), np.int8(3)]


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
@pytest.mark.parametrize("zero_dim", [False, True])
def test_tensor_tensor_promotion_matches_torch(da, db, zero_dim):
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: L.where(a > 0, a, b)):
        if op.__code__.co_names and "where" in op.__code__.co_names:
            t = torch.where(make(torch, da) > 0, make(torch, da), make(torch, db, zero_dim))
            m = L.where(make(L, da) > 0, make(L, da), make(L, db, zero_dim))
        else:
            if da == db == "bool":
                continue
            t = op(make(torch, da), make(torch, db, zero_dim))
            m = op(make(L, da), make(L, db, zero_dim))
        assert str(m.dtype) == tname(t), (da, db, zero_dim)
        np.testing.assert_allclose(m.numpy().astype(float), t.numpy().astype(float))


@pytest.mark.parametrize("da", DTYPES[:4])
@pytest.mark.parametrize("s", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(da, s):
    for op in (lambda a, b: a + b, lambda a, b: b * a, lambda a, b: a / b):
        t, m = op(make(torch, da), s), op(make(L, da), s)
        assert str(m.dtype) == tname(t), (da, s)
        np.testing.assert_allclose(m.numpy().astype(float), t.numpy().astype(float), rtol=1e-6)


def test_examples_from_the_issue_stay_float32():
    x = L.ones(3)
    assert (x * np.float64(2)).dtype == np.float32
    assert (x / np.sqrt(4.0)).dtype == np.float32
    assert L.where(x > 0, 0.0, x).dtype == np.float32
    assert (x * L.tensor(2.0, dtype=L.float64)).dtype == np.float32
    assert (L.tensor([1, 2]) / L.tensor([2, 2])).dtype == np.float32
    assert (L.tensor([1, 2]) + L.ones(2)).dtype == np.float32


def test_gradient_flows_back_through_a_promotion_in_the_input_dtype():
    x = L.tensor([1.0, 2.0], requires_grad=True)
    s = L.tensor(3.0, dtype=L.float64, requires_grad=True)
    (x * s).sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    np.testing.assert_allclose(s.grad.numpy(), 3.0)


def test_matmul_of_different_dtypes_raises_as_torch():
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="same dtype"):
        L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64)


@pytest.mark.parametrize(
    "name, args",
    [
        ("zeros", (2, 3)),
        ("ones", ((2,),)),
        ("empty", (2,)),
        ("rand", (2,)),
        ("randn", (2,)),
        ("eye", (3,)),
        ("linspace", (0, 1, 5)),
        ("arange", (5,)),
        ("arange", (0.0, 1.0, 0.25)),
        ("full", ((2,), 7)),
        ("full", ((2,), 7.0)),
        ("full", ((2,), True)),
        ("tensor", ([1, 2],)),
        ("tensor", ([1.0, 2],)),
        ("tensor", (np.zeros(2),)),
        ("tensor", (np.float64(1.5),)),
    ],
)
def test_factory_default_dtypes_match_torch(name, args):
    m, t = getattr(L, name)(*args, dtype=None), getattr(torch, name)(*args, dtype=None)
    assert str(m.dtype) == tname(t) and tuple(m.shape) == tuple(t.shape)


def test_type_size_contiguity_and_to():
    x = L.ones(2, 3)
    assert x.type() == "lamina.FloatTensor" and L.tensor([1]).type() == "lamina.LongTensor"
    assert x.type(L.float64).dtype == np.float64
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert isinstance(x.shape, L.Size) and x.shape.numel() == 6 and x.size() == (2, 3)
    assert repr(x.shape) == "lamina.Size([2, 3])" and isinstance(x.shape[1:], L.Size)
    assert x.is_contiguous() and not x.t().is_contiguous() and x.t().contiguous().is_contiguous()
    y = L.zeros(2, dtype=L.float64)
    assert x.to(y).dtype == np.float64
    assert x.to("cpu", L.float64).dtype == np.float64
    assert x.to(dtype=L.int64).dtype == np.int64 and x.to("cpu") is x
    assert L.bool is np.bool_ and L.tensor([True]).dtype == L.bool


def test_devices_are_the_cpu_and_cuda_raises_clearly():
    x = L.ones(2)
    assert x.device == L.device("cpu") and x.device.type == "cpu" and not x.is_cuda
    assert str(x.device) == "cpu" and x.device == "cpu"
    assert not L.cuda.is_available()
    dev = "cuda" if L.cuda.is_available() else "cpu"
    assert L.zeros(2, device=dev).device.type == "cpu"
    for bad in (
        lambda: L.device("cuda"),
        lambda: x.cuda(),
        lambda: x.to("cuda"),
        lambda: L.zeros(2, device="cuda:0"),
        lambda: x.new_zeros(2, device="cuda"),
    ):
        with pytest.raises(RuntimeError, match="CPU"):
            bad()


def test_new_factories_and_format_and_repr_match_torch():
    for lib in (L, torch):
        x = lib.tensor([1.0, 2.5], dtype=lib.float64)
        got = (x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 4), x.new_tensor([1, 2]))
        if lib is L:
            mine = got
        else:
            theirs = got
    for m, t in zip(mine, theirs):
        assert str(m.dtype) == tname(t) and m.tolist() == t.tolist()
    assert x.new_empty(3).shape == (3,)
    assert format(L.tensor(2.5), "+.2f") == format(torch.tensor(2.5), "+.2f")
    for make_ in (
        lambda lib: lib.tensor([1.0, 2.5], requires_grad=True),
        lambda lib: lib.tensor([1, 2]),
        lambda lib: lib.tensor(3.0),
        lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
        lambda lib: lib.tensor([True, False]),
        lambda lib: lib.tensor([1e-5, 1.0]),
        lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.5]]),
    ):
        assert repr(make_(L)) == repr(make_(torch)).replace("torch.", "lamina.")
    m = L.tensor([1.0], requires_grad=True) * 2
    t = torch.tensor([1.0], requires_grad=True) * 2
    assert repr(m) == repr(t)


def test_device_flags_match_torch_on_the_cpu():
    x = L.ones(2)
    assert x.is_cpu and not (x.is_cuda or x.is_xpu or x.is_mps or x.is_meta)
    t = torch.ones(2)
    for name in ("is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta"):
        assert getattr(x, name) == getattr(t, name), name
