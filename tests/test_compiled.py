"""lamina.compile: recorded replay equals eager bit for bit; re-records; falls back eagerly."""

import warnings

import numpy as np
import pytest

import lamina as L
from lamina import models, nn
from lamina.models import digits_cnn


def eager(model, *args):
    with L.no_grad():
        return model(*[L.tensor(a) for a in args])


def compiled(cmodel, *args):
    with L.no_grad():
        return cmodel(*[L.tensor(a) for a in args])


def arrays(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out if o is not None for a in arrays(o)]
    return [out.numpy()]


def assert_bit_equal(a, b):
    a, b = arrays(a), arrays(b)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y, strict=True)


def cases():
    rng = np.random.default_rng(0)
    imgs = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    tokens = rng.integers(0, 20, size=(2, 9)).astype(np.int64)
    return [
        ("mlp", lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), imgs(1, 6)),
        ("digits_cnn", digits_cnn, imgs(2, 1, 8, 8)),
        ("lenet5", models.lenet5, imgs(1, 1, 28, 28)),
        ("resnet18", lambda: models.resnet18(num_classes=5), imgs(1, 3, 32, 32)),
        ("lstm_lm", lambda: models.RNNLanguageModel(20, 8, 16, cell="lstm"), tokens),
        ("dcgan", lambda: models.DCGANGenerator(8, 1, 8, 8), imgs(3, 8)),
    ]


@pytest.mark.parametrize("name,build,x", cases(), ids=[c[0] for c in cases()])
def test_replay_is_bit_equal_to_eager(name, build, x):
    L.manual_seed(0)
    model = build().eval()
    cmodel = L.compile(model)
    first = compiled(cmodel, x)  # records
    assert_bit_equal(first, eager(model, x))
    x2 = (x[::-1].copy() + 1) if x.dtype.kind == "f" else (x[::-1] + 1) % 20
    second = compiled(cmodel, x2)  # replays
    assert_bit_equal(second, eager(model, x2))
    assert_bit_equal(first, eager(model, x))  # the first result was not overwritten
    assert len(cmodel._plans) == 1


def test_a_new_shape_records_again():
    L.manual_seed(0)
    model = digits_cnn().eval()
    cmodel = L.compile(model)
    rng = np.random.default_rng(1)
    for n in (1, 4, 1):
        x = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
        assert_bit_equal(compiled(cmodel, x), eager(model, x))
    assert len(cmodel._plans) == 2
    x64 = rng.normal(size=(2, 6)).astype(np.float64)
    mlp = nn.Sequential(nn.Linear(6, 3)).double().eval()
    cm = L.compile(mlp)
    assert_bit_equal(compiled(cm, x64), eager(mlp, x64))


def test_weights_changed_in_place_or_replaced_are_used():
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    cmodel = L.compile(model)
    x = np.random.default_rng(2).normal(size=(1, 4)).astype(np.float32)
    compiled(cmodel, x)
    state = {k: v * 2 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert_bit_equal(compiled(cmodel, x), eager(model, x))
    model[0].weight.data = model[0].weight.data * 3  # a new array: the plan records again
    assert_bit_equal(compiled(cmodel, x), eager(model, x))


def test_training_mode_and_grad_mode_fall_back_with_one_warning():
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    cmodel = L.compile(model)
    x = L.tensor(np.ones((2, 4), np.float32))
    with pytest.warns(UserWarning, match="training mode"):
        out = cmodel(x)
    assert out.requires_grad  # eager: the graph was recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only once
        cmodel(x)
    model.eval()
    c2 = L.compile(model)
    with pytest.warns(UserWarning, match="grad mode"):
        out = c2(x)
    out.sum().backward()
    assert model[0].weight.grad is not None
    with L.no_grad():
        assert not c2(x).requires_grad
    assert c2._plans


def test_attributes_reach_the_model_and_bad_input():
    model = nn.Linear(2, 2)
    cmodel = L.compile(model)
    assert cmodel.weight is model.weight and cmodel._orig_mod is model
    cmodel.eval()
    assert not model.training
    with pytest.raises(TypeError, match="expected a Module or callable"):
        L.compile(3)


def test_gpt_follows_the_numpy_reshape_of_its_input():
    from lamina.models.gpt import GPT, GPTConfig

    L.manual_seed(0)
    model = GPT(GPTConfig(block_size=16, vocab_size=30, n_layer=1, n_head=2, n_embd=8)).eval()
    cmodel = L.compile(model)
    rng = np.random.default_rng(3)
    for _ in range(2):  # the second call replays with other tokens
        idx = rng.integers(0, 30, size=(2, 7)).astype(np.int64)
        assert_bit_equal(compiled(cmodel, idx), eager(model, idx))
    assert len(cmodel._plans) == 1


def _plan(cmodel):
    (plan,) = cmodel._plans.values()
    return plan


@pytest.mark.parametrize("numba", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize("batch", [1, 2])
def test_resnet_replay_kernels_are_bit_equal(numba, batch):
    # 64x64 puts the early layers in the per-sample (NC) layout and the late ones in the
    # channel-major (CN) one; batch 2 takes the CN output transpose
    from lamina.ops import fast

    L.manual_seed(0)
    model = models.resnet18(num_classes=7).eval()
    rng = np.random.default_rng(5)
    was = fast.is_enabled()
    fast.set_enabled(numba)
    try:
        cmodel = L.compile(model)
        for _ in range(2):
            x = rng.normal(size=(batch, 3, 64, 64)).astype(np.float32)
            assert_bit_equal(compiled(cmodel, x), eager(model, x))
    finally:
        fast.set_enabled(was)
    kinds = _plan(cmodel).kernels
    assert kinds["Conv2d"] == 20 and kinds["BatchNorm"] == 20 and kinds["MaxPool2d"] == 1
    assert kinds["ReLU (fused)"] == 9 and kinds["Add"] == 8  # BN+ReLU; residual add in place


def test_batch1_mlp_alternating_halves_stay_bit_equal():
    L.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    ).eval()
    cmodel = L.compile(model)
    rng = np.random.default_rng(6)
    for _ in range(3):  # the halves run in one order, then the other
        x = rng.normal(size=(1, 784)).astype(np.float32)
        assert_bit_equal(compiled(cmodel, x), eager(model, x))
    assert _plan(cmodel).kernels["Linear"] == 3


def test_nan_and_inf_flow_as_in_eager():
    L.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
    ).eval()
    x = np.random.default_rng(7).normal(size=(1, 2, 9, 9)).astype(np.float32)
    x[0, 0, 2, 3], x[0, 1, 5, 5], x[0, 1, 0, 0] = np.nan, np.inf, -np.inf
    cmodel = L.compile(model)
    for _ in range(2):
        assert_bit_equal(compiled(cmodel, x), eager(model, x))
    assert np.isnan(compiled(cmodel, x).numpy()).any()


@pytest.mark.parametrize("numba", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize(
    "pool",
    [
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2),
        dict(kernel_size=3, stride=3, padding=1, dilation=2, ceil_mode=True),
        dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(1, 2)),
    ],
)
def test_max_pool_values_kernel_matches_eager(pool, numba):
    from lamina.ops import fast

    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(**pool)).eval()
    x = np.random.default_rng(8).normal(size=(2, 3, 13, 11)).astype(np.float32)
    x.ravel()[::37], x.ravel()[5::41] = np.nan, -np.inf
    was = fast.is_enabled()
    fast.set_enabled(numba)
    try:
        cmodel = L.compile(model)
        for _ in range(2):
            assert_bit_equal(compiled(cmodel, x), eager(model, x))
    finally:
        fast.set_enabled(was)
    assert _plan(cmodel).kernels["MaxPool2d"] == 1


def test_a_kernel_that_rounds_differently_is_dropped_at_recording(monkeypatch):
    from lamina import compiled_kernels

    def off_by_an_ulp(factory):
        def make(*args, **kw):
            kernel = factory(*args, **kw)
            if kernel is None:
                return None
            return lambda *xs: np.nextafter(kernel(*xs), np.float32(np.inf))

        return make

    facts = compiled_kernels._FACTORIES
    monkeypatch.setitem(facts, "BatchNorm", off_by_an_ulp(facts["BatchNorm"]))
    monkeypatch.setitem(facts, "Linear", off_by_an_ulp(facts["Linear"]))
    L.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3)
    ).eval()
    x = np.random.default_rng(9).normal(size=(1, 2, 4, 4)).astype(np.float32)
    cmodel = L.compile(model)
    for _ in range(2):
        assert_bit_equal(compiled(cmodel, x), eager(model, x))
    kinds = _plan(cmodel).kernels
    assert kinds["BatchNorm (op)"] == 1 and kinds["Linear (op)"] == 1
    assert kinds["ReLU (op)"] == 1 and kinds["Conv2d"] == 1  # the ReLU BatchNorm would have done


def test_calls_from_several_threads_get_their_own_results():
    # recording patches the ops for the tracing thread only, and a plan's buffers are
    # shared: recordings and replays are serialised, none sees another's values
    from concurrent.futures import ThreadPoolExecutor

    L.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1),
    ).eval()
    cmodel = L.compile(model)
    rng = np.random.default_rng(10)
    xs = [rng.normal(size=(1 + i % 2, 3, 48, 48)).astype(np.float32) for i in range(8)]
    want = [eager(model, x).numpy() for x in xs]
    with ThreadPoolExecutor(4) as pool:  # the first calls of both shapes record concurrently
        got = list(pool.map(lambda x: compiled(cmodel, x).numpy(), xs * 4))
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, want[i % 8])
    assert len(cmodel._plans) == 2


def test_two_compiled_models_record_in_threads_at_once():
    # each forward waits (up to 0.5 s) for the other thread to be inside its recording too:
    # recordings patch the ops for the whole process, so they must take turns
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(2)

    class Waits(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 3)

        def forward(self, x):
            x = self.a(x)
            try:
                barrier.wait(timeout=0.5)
            except threading.BrokenBarrierError:
                pass
            return self.b(x.relu())

    L.manual_seed(0)
    ms = [Waits().eval(), Waits().eval()]
    cms = [L.compile(m) for m in ms]
    x = np.random.default_rng(11).normal(size=(2, 4)).astype(np.float32)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda cm: compiled(cm, x), cms))
    for m, cm in zip(ms, cms):
        assert _plan(cm).kernels == {"Linear": 2, "ReLU": 1}
        assert_bit_equal(compiled(cm, x), eager(m, x))
