"""lamina.onnx.export: op coverage against onnxruntime, names, dynamic axes, errors."""

import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import lamina as L
from lamina import nn
from lamina.nn import functional as F
from lamina.onnx import UnsupportedOperatorError, export

from .test_export_models import rel_err


def run(model, inputs, **kwargs):
    buf = io.BytesIO()
    export(model, tuple(L.tensor(a) for a in inputs), buf, **kwargs)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    return proto, session


class Many(nn.Module):
    """Elementwise, activation, shape, reduction and indexing ops in one forward."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)
        self.ln = nn.LayerNorm(6)

    def forward(self, x, y):
        a = F.gelu(self.fc(x)) + F.silu(x) * 0.5 - F.elu(y, 0.7) / 3.0
        b = F.leaky_relu(a, 0.1).clamp(-1.0, 2.0) + F.softplus(y) + x.exp().log1p()
        c = F.softmax(b, dim=-1) + F.log_softmax(a, dim=1).tanh() + y.sigmoid()
        d = self.ln(c).permute(0, 2, 1)  # (N, 6, T)
        e = L.cat([d, d * 2], 1)[:, 1::2, 1:]  # (N, 6, T - 1) sliced
        e = e + e.sum(-1, keepdim=True).expand(-1, -1, e.shape[2]) * 0.1
        f = L.stack([e.mean(1), e.sum(1)], 1)  # (N, 2, T)
        g = f.var(2) + abs(f).max(2).values
        return e.flatten(1), g, (x[:, -1] ** 2).sqrt(), F.gelu(y, approximate="tanh")


def test_many_ops_match_onnxruntime():
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=(2, 5, 6)).astype(np.float32) for _ in range(2))
    model = Many()
    proto, session = run(model, (x, y), input_names=["x", "y"])
    x2, y2 = (rng.normal(size=(2, 5, 6)).astype(np.float32) for _ in range(2))
    refs = [t.detach().numpy() for t in model(L.tensor(x2), L.tensor(y2))]
    got = session.run(None, {"x": x2, "y": y2})
    for g, r in zip(got, refs):
        assert g.shape == r.shape
        assert rel_err(g, r) <= 1e-5


class Block(nn.Module):
    def forward(self, x):
        return x.tril()


def test_an_op_without_mapping_names_op_and_module_path():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Block()))
    with pytest.raises(UnsupportedOperatorError, match=r"op Tri \(used in 1\.1 \(Block\)\)"):
        export(model, L.tensor(np.ones((3, 3), np.float32)), io.BytesIO())


def test_unused_unmapped_ops_and_input_free_ops_fold_away():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            x.tril()  # computed, never used: no node, no error
            w = self.fc.weight * 2.0 + self.fc.weight.tril().sum()  # no input: a constant
            return x @ w.T

    model = Model()
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    proto, session = run(model, (x,))
    assert [n.op_type for n in proto.graph.node] == ["MatMul", "Identity"]
    assert rel_err(session.run(None, {"input": x})[0], model(L.tensor(x)).detach().numpy()) <= 1e-6


def test_names_dynamic_axes_as_list_and_file_path(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    path = tmp_path / "m.onnx"
    x = L.tensor(np.ones((1, 3, 4), np.float32))
    export(model, (x,), path, input_names=["img"], output_names=["logits"],
           dynamic_axes={"img": [0], "logits": {0: "batch"}})  # fmt: skip
    proto = onnx.load(path)
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert inp.name == "img" and out.name == "logits"
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == ["img_dynamic_axes_1", 3, 4]
    assert out.type.tensor_type.shape.dim[0].dim_param == "batch"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x7 = np.random.default_rng(2).normal(size=(7, 3, 4)).astype(np.float32)
    assert rel_err(session.run(None, {"img": x7})[0], model(L.tensor(x7)).detach().numpy()) <= 1e-6


def test_bad_arguments_raise():
    model, x = nn.Linear(2, 2), L.tensor(np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="opset_version=9"):
        export(model, x, io.BytesIO(), opset_version=9)
    with pytest.raises(ValueError, match=r"dynamic_axes names \['nope'\]"):
        export(model, x, io.BytesIO(), dynamic_axes={"nope": [0]})
    with pytest.raises(ValueError, match="3 names"):
        export(model, x, io.BytesIO(), input_names=["a", "b", "c"])


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_opsets(opset):
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.AdaptiveAvgPool2d(2))
    model.eval()
    x = np.random.default_rng(3).normal(size=(2, 2, 6, 6)).astype(np.float32)

    class Pool(nn.Module):
        def forward(self, x):
            return model(x).mean((2, 3)), model(x).amax(1)

    proto, session = run(Pool(), (x,), opset_version=opset)
    assert proto.opset_import[0].version == opset
    for g, r in zip(session.run(None, {"input": x}), Pool()(L.tensor(x))):
        assert rel_err(g, r.detach().numpy()) <= 1e-6


@pytest.mark.parametrize("causal", [False, True])
def test_multihead_self_attention(causal):
    L.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            if causal:
                mask = L.tensor(np.triu(np.ones((5, 5), bool), 1))
                return self.mha(x, x, x, attn_mask=mask, is_causal=True)[0]
            return self.mha(x, x, x)  # output and head-averaged weights

    model = SelfAttention()
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 5, 8)).astype(np.float32)
    proto, session = run(model, (x,), dynamic_axes={"input": {0: "batch"}})
    x7 = rng.normal(size=(7, 5, 8)).astype(np.float32)
    refs = [
        t.detach().numpy() for t in (model(L.tensor(x7)) if not causal else (model(L.tensor(x7)),))
    ]
    got = session.run(None, {"input": x7})
    assert len(got) == len(refs)
    for g, r in zip(got, refs):
        assert rel_err(g, r) <= 1e-5
