"""RNNCell, LSTMCell and GRUCell (torch.nn.*Cell): one step of the layers in ``rnn.py``,
with the same parameter names (without ``_l0``), gate orders and initialisation as torch."""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor, apply
from .._device import check_device, float_dtype
from ..module import Module
from ..parameter import Parameter
from .rnn import _FNS, _GATES, RNNBase, _rnn_mode


class RNNCellBase(Module):
    """Shared body of the cells (torch.nn.RNNCellBase): one step, params without _l0."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        dtype = float_dtype(dtype, type(self).__name__)
        self.mode, self.input_size, self.hidden_size, self.bias = (
            mode,
            input_size,
            hidden_size,
            bias,
        )
        G = _GATES[mode]
        self.weight_ih = Parameter(np.empty((G * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(np.empty((G * hidden_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(G * hidden_size, dtype))
            self.bias_hh = Parameter(np.empty(G * hidden_size, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _step(self, input, states):
        """Run the fused op for one step; returns its final states."""
        where = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2):
            raise ValueError(
                f"{where}: expected input (N, {self.input_size}) or "
                f"({self.input_size},), got {getattr(input, 'shape', input)!r}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{where}: expected input size {self.input_size}, got {tuple(input.shape)}"
            )
        batched = input.ndim == 2
        x = input.unsqueeze(0) if batched else input.reshape(1, 1, -1)
        if not batched:
            states = [None if s is None else s.unsqueeze(0) for s in states]
        params = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        res = apply(_FNS[self.mode], x, *states, *params)[1:]
        return res if batched else tuple(r.squeeze(0) for r in res)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s + (", nonlinearity='relu'" if self.mode == "RNN_RELU" else "")


class RNNCell(RNNCellBase):
    """One Elman step, h' = tanh|relu(W_ih x + b_ih + W_hh h + b_hh) (torch.nn.RNNCell)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        mode = _rnn_mode(nonlinearity, "RNNCell")
        super().__init__(mode, input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, (h, c)) -> (h', c') (torch.nn.LSTMCell)."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        return self._step(input, (h, c))


class GRUCell(RNNCellBase):
    """One GRU step; forward(input, h) -> h' (torch.nn.GRUCell)."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, (hx,))[0]
