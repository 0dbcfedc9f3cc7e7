"""Every model lamina ships exports to ONNX and runs in onnxruntime with lamina's outputs."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import lamina as L
from lamina import models, nn
from lamina.models import digits_cnn
from lamina.models import digits_mlp as build_mlp
from lamina.models.gpt import GPT, GPTConfig
from lamina.onnx import UnsupportedOperatorError, export

RTOL = 1e-5


def rel_err(got, ref):
    """max |got - ref| over max |ref|: the error relative to the output's scale."""
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))


def randomize_bn(model, seed=0):
    """Non-trivial running statistics and affine terms, so eval-mode BatchNorm is exercised."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.running_mean.shape[0]
            m.running_mean.detach().numpy()[...] = rng.normal(0, 0.1, c)
            m.running_var.detach().numpy()[...] = rng.uniform(0.5, 1.5, c)
            m.weight.detach().numpy()[...] = rng.uniform(0.5, 1.5, c)
            m.bias.detach().numpy()[...] = rng.normal(0, 0.1, c)
    return model


def export_and_run(model, example, run_inputs, tmp_path, dynamic=True):
    """Export at ``example``; run each of ``run_inputs`` in onnxruntime and in lamina."""
    path = tmp_path / "model.onnx"
    examples = example if isinstance(example, tuple) else (example,)
    names = [f"in{i}" for i in range(len(examples))]
    axes = {n: {0: "batch"} for n in names} if dynamic else None
    export(model, example, path, input_names=names, dynamic_axes=axes)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    errs = []
    for inputs in run_inputs:
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        with L.no_grad():
            ref = model(*[L.tensor(a) for a in inputs])
        refs = flatten(ref)
        got = session.run(None, dict(zip(names, inputs)))
        assert len(got) == len(refs)
        for g, r in zip(got, refs):
            assert g.shape == r.shape
            errs.append(rel_err(g, r))
    assert max(errs) <= RTOL, errs
    return proto


def flatten(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out if o is not None for a in flatten(o)]
    return [out.numpy()]


def slim_head(model, width=64):
    """Swap the 4096-wide classifier Linears for narrow ones (same Sequential positions).

    The head's ops (Linear, ReLU, Dropout) are the same at any width; at 4096 the ONNX file
    is 0.2-0.5 GB, which only costs time to write and load.
    """
    head = model.classifier
    linears = [i for i, m in enumerate(head) if isinstance(m, nn.Linear)]
    n_in = head[linears[0]].in_features
    for j, i in enumerate(linears):
        n_out = head[i].out_features if j == len(linears) - 1 else width
        setattr(head, str(i), nn.Linear(n_in if j == 0 else width, n_out))
    return model


def images(rng, n, c, h, w=None):
    return rng.normal(size=(n, c, h, w or h)).astype(np.float32)


def test_digits_mlp(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build_mlp(dropout=0.2)
    x = lambda n: rng.normal(size=(n, 64)).astype(np.float32)  # noqa: E731
    export_and_run(model, x(1), [x(7), x(1)], tmp_path)


def test_digits_cnn_in_eval_mode_and_modes_restored(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(1)
    model = randomize_bn(digits_cnn())
    model.train()
    proto = export_and_run(model, images(rng, 1, 1, 8), [images(rng, 7, 1, 8)], tmp_path)
    ops = {n.op_type for n in proto.graph.node}
    assert "BatchNormalization" in ops and "Dropout" not in ops
    assert all(m.training for m in model.modules()) is False  # eval() by the test itself
    model.train()
    export(model, L.tensor(images(rng, 1, 1, 8)), tmp_path / "again.onnx")
    assert all(m.training for m in model.modules())  # export put the modes back


def test_lenet5(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(2)
    model = models.lenet5()
    export_and_run(model, images(rng, 1, 1, 28), [images(rng, 7, 1, 28)], tmp_path)


def test_alexnet_small_input(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(3)
    model = slim_head(models.alexnet(num_classes=10))
    # 64x64 leaves a 1x1 map that the adaptive pool spreads to 6x6
    export_and_run(model, images(rng, 1, 3, 64), [images(rng, 3, 3, 64)], tmp_path)


def test_vgg11_bn_small_input(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(4)
    model = slim_head(randomize_bn(models.vgg11_bn(num_classes=10)))
    export_and_run(model, images(rng, 1, 3, 32), [images(rng, 2, 3, 32)], tmp_path)


@pytest.mark.parametrize("build", [models.resnet18, models.resnet50])
def test_resnet_small_input(build, tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(5)
    model = randomize_bn(build(num_classes=10))
    export_and_run(model, images(rng, 1, 3, 40), [images(rng, 7, 3, 40)], tmp_path)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_language_model_whole_sequence(cell, tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(6)
    model = models.RNNLanguageModel(vocab_size=20, embed_dim=8, hidden_size=16, cell=cell)
    idx = lambda n: rng.integers(0, 20, size=(n, 12)).astype(np.int64)  # noqa: E731
    proto = export_and_run(model, idx(1), [idx(7)], tmp_path)
    kind = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[cell]
    assert kind in {n.op_type for n in proto.graph.node}
    # outputs: logits (N, T, V) and the final state (h_n, plus c_n for the LSTM)
    assert len(proto.graph.output) == (3 if cell == "lstm" else 2)


def test_two_layer_lstm_with_given_state(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(7)
    lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True)
    x = rng.normal(size=(1, 4, 5)).astype(np.float32)
    h0, c0 = (rng.normal(size=(2, 1, 6)).astype(np.float32) for _ in range(2))

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h, c):
            return self.lstm(x, (h, c))

    export_and_run(Wrap(), (x, h0, c0), [(x, h0, c0)], tmp_path, dynamic=False)


def test_dcgan_generator(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(8)
    gen = randomize_bn(models.DCGANGenerator(latent_dim=16, channels=3, image_size=16, width=8))
    z = lambda n: rng.normal(size=(n, 16)).astype(np.float32)  # noqa: E731
    proto = export_and_run(gen, z(1), [z(7)], tmp_path)
    assert "ConvTranspose" in {n.op_type for n in proto.graph.node}


def test_mlp_gan_generator_reshape_keeps_batch_dynamic(tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(9)
    gen, _ = models.mlp_gan(latent_dim=8, image_shape=(1, 6, 6))
    z = lambda n: rng.normal(size=(n, 8)).astype(np.float32)  # noqa: E731
    export_and_run(gen, z(1), [z(7)], tmp_path)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gpt(approximate, tmp_path):
    L.manual_seed(0)
    rng = np.random.default_rng(10)
    config = GPTConfig(block_size=16, vocab_size=30, n_layer=2, n_head=2, n_embd=16,
                              gelu_approximate=approximate)  # fmt: skip
    model = GPT(config)
    idx = lambda n: rng.integers(0, 30, size=(n, 9)).astype(np.int64)  # noqa: E731
    # GPT computes its positions in NumPy from the batch size (np.tile(arange(T), B)), so
    # its file has a fixed batch; a dynamic batch axis is refused, naming the op
    with pytest.raises(UnsupportedOperatorError, match=r"EmbeddingLookup in transformer\.wpe"):
        export(model, L.tensor(idx(1)), tmp_path / "dyn.onnx", dynamic_axes={"input": [0]})
    proto = export_and_run(model, idx(2), [idx(2), idx(2)], tmp_path, dynamic=False)
    ops = {n.op_type for n in proto.graph.node}
    assert {"LayerNormalization", "Softmax", "Gather"} <= ops


def test_a_numpy_slice_of_the_input_is_refused(tmp_path):
    class Peek(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 3)

        def forward(self, idx):
            return self.emb(idx.numpy()[:, 0])  # NumPy outside the ops: not traceable

    with pytest.raises(UnsupportedOperatorError, match=r"NumPy view \(1,\) of a traced array"):
        export(Peek(), L.tensor(np.zeros((1, 4), np.int64)), tmp_path / "m.onnx")
