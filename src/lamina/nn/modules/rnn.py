"""RNN, LSTM, GRU and their cells (torch.nn.RNN/LSTM/GRU, RNNCell/LSTMCell/GRUCell).

Parameter names, shapes, gate orders, initialisation and return values equal torch's, so a
torch state dict loads by key. Each layer and direction runs as one fused op from
``lamina.ops.rnn`` over the whole sequence.

Variable-length batches: instead of torch's ``pack_padded_sequence``, ``forward`` takes a
``lengths=`` argument (N ints, any order). Steps at or past a sequence's length change
nothing: its state is carried unchanged (so ``h_n`` is the state at its last real step),
its outputs there are 0 (what ``pad_packed_sequence`` gives), the reverse direction starts
at its own last step, and the padding gets no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ...functions import cat, stack
from ...ops import rnn as R
from ...random import default_rng
from ...tensor import Tensor, apply
from .. import init
from .._device import check_device, float_dtype
from ..module import Module
from ..parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_FNS = {
    "LSTM": R.LSTMFunction,
    "GRU": R.GRUFunction,
    "RNN_TANH": R.RNNTanhFunction,
    "RNN_RELU": R.RNNReluFunction,
}


def _rnn_mode(nonlinearity: str, where: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{where}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _lengths_array(lengths, N: int, T: int, where: str):
    """lengths as an int64 array (N,), or None."""
    if lengths is None:
        return None
    arr = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    if arr.dtype.kind not in "iu" or arr.shape != (N,):
        raise ValueError(
            f"{where}: lengths must be {N} integers (one per sequence), got "
            f"dtype {arr.dtype} shape {arr.shape}"
        )
    if N and (arr.min() < 0 or arr.max() > T):
        raise ValueError(f"{where}: lengths must lie in [0, {T}] (sequence length), got {arr}")
    return arr.astype(np.int64)


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout between layers (torch.nn.functional.dropout in training mode)."""
    keep = default_rng().random(x.shape) >= p
    return x * (keep.astype(x.dtype) / np.asarray(1 - p, x.dtype))


class RNNBase(Module):
    """Shared body of RNN, LSTM and GRU (torch.nn.RNNBase)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        dtype = float_dtype(dtype, type(self).__name__)
        name = type(self).__name__
        for arg, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        if not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be an int >= 1, got {num_layers!r}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        G, D = _GATES[mode], 2 if bidirectional else 1
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * D
            for sfx in ("", "_reverse")[:D]:
                shapes = [("weight_ih", (G * hidden_size, in_size))]
                shapes.append(("weight_hh", (G * hidden_size, hidden_size)))
                if bias:
                    shapes += [("bias_ih", (G * hidden_size,)), ("bias_hh", (G * hidden_size,))]
                for pname, shape in shapes:
                    setattr(self, f"{pname}_l{layer}{sfx}", Parameter(np.empty(shape, dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op, for code written against torch's cuDNN path."""

    def _layer_params(self, layer: int, sfx: str):
        get = self._parameters.get
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [get(f"{n}_l{layer}{sfx}") for n in names]

    def _check_input(self, x):
        where = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{where}: expected a Tensor input, got {type(x).__name__}")
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{where}: expected input of shape (L, N, {self.input_size}) "
                f"(batch_first: (N, L, {self.input_size})) or (L, {self.input_size}), "
                f"got {tuple(x.shape)}"
            )

    def _initial(self, hx, N: int, batched: bool, what: str):
        """Split hx (layers*D, N, H) into per layer-direction (N, H) tensors (or Nones)."""
        D = 2 if self.bidirectional else 1
        if hx is None:
            return [None] * (self.num_layers * D)
        if not isinstance(hx, Tensor):
            raise TypeError(
                f"{type(self).__name__}: {what} must be a Tensor, got {type(hx).__name__}"
            )
        want = (self.num_layers * D, N, self.hidden_size) if batched else None
        want = want or (self.num_layers * D, self.hidden_size)
        if tuple(hx.shape) != want:
            raise ValueError(
                f"{type(self).__name__}: {what} must have shape {want}, got {tuple(hx.shape)}"
            )
        hx = hx if batched else hx.unsqueeze(1)
        return [hx[k] for k in range(hx.shape[0])]

    def forward(self, input, hx=None, lengths=None):
        """Run the stack; returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``).

        Args:
            input: (L, N, H_in), (N, L, H_in) if batch_first, or unbatched (L, H_in).
            hx: initial state (num_layers * D, N, H) or None for zeros; LSTM takes (h0, c0).
            lengths: optional N sequence lengths (lamina's stand-in for packed sequences).
        """
        self._check_input(input)
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        T, N = x.shape[0], x.shape[1]
        lens = _lengths_array(lengths, N, T, type(self).__name__)
        lstm = self.mode == "LSTM"
        if lstm and hx is not None and not (isinstance(hx, tuple) and len(hx) == 2):
            raise TypeError(f"LSTM: hx must be a tuple (h0, c0), got {type(hx).__name__}")
        h0s = self._initial(hx[0] if lstm and hx is not None else hx, N, batched, "h0")
        c0s = self._initial(hx[1], N, batched, "c0") if lstm and hx is not None else None
        x, hn, cn = self._run_layers(x, h0s, c0s, lens)
        h_n, c_n = stack(hn, 0), stack(cn, 0) if lstm else None
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        if not batched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        return (x, (h_n, c_n)) if lstm else (x, h_n)

    def _run_layers(self, x, h0s, c0s, lens):
        fn, lstm = _FNS[self.mode], self.mode == "LSTM"
        D = 2 if self.bidirectional else 1
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(("", "_reverse")[:D]):
                k = layer * D + d
                states = (h0s[k], c0s[k] if c0s else None) if lstm else (h0s[k],)
                params = self._layer_params(layer, sfx)
                res = apply(fn, x, *states, *params, lengths=lens, reverse=d == 1)
                outs.append(res[0])
                hn.append(res[1])
                if lstm:
                    cn.append(res[2])
            x = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        return x, hn, cn

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        for k, default in (("bias", True), ("batch_first", False), ("bidirectional", False)):
            if getattr(self, k) != default:
                s += f", {k}={getattr(self, k)}"
        return s + (f", dropout={self.dropout}" if self.dropout else "")


class RNN(RNNBase):
    """Elman RNN, h' = tanh|relu(W_ih x + b_ih + W_hh h + b_hh) (torch.nn.RNN)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        mode = _rnn_mode(nonlinearity, "RNN")
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o (torch.nn.LSTM; no proj_size)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        if proj_size:
            raise ValueError(f"LSTM: proj_size={proj_size} is not supported by lamina (use 0)")
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n (torch.nn.GRU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )


from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402 - torch's path
