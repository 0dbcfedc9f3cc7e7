"""Transformer layers (torch.nn.Transformer*): torch's sub-module names, options and maths.

Post-norm by default (``x = norm(x + block(x))``), pre-norm with ``norm_first=True``.
Boolean masks mark positions to *ignore*, float masks are added to the scores, as torch.
Only torch's reference path exists here: torch's eval-mode "fast path" gives the same
values except where it hands padded positions back as zeros (nested tensors).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ...tensor import Tensor
from .. import init
from .._device import check_device, float_dtype
from ..functional import activation as Fa
from ..module import Module
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm


def _activation(activation):
    if isinstance(activation, str):
        if activation == "relu":
            return Fa.relu
        if activation == "gelu":
            return Fa.gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return activation


def _causal(mask, is_causal, x: Tensor, layers) -> bool:
    """torch's _detect_is_causal_mask: None means "is the mask the causal one?".

    A detected causal mask is then dropped by attention in favour of the causal flag, so it
    gets no gradient, as in torch.
    """
    if is_causal is not None or mask is None:
        return is_causal is True
    batch_first = getattr(getattr(layers[0], "self_attn", None), "batch_first", False)
    size = x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]
    m = np.asarray(mask.detach().numpy() if isinstance(mask, Tensor) else mask)
    if m.dtype == np.bool_:
        m = np.where(m, -np.inf, 0.0)
    causal = np.triu(np.full((size, size), -np.inf), 1)
    return m.shape == causal.shape and bool((m == causal).all())


def _feedforward(m: Module, d_model, dim_feedforward, dropout, bias, dt) -> None:
    m.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dt)
    m.dropout = Dropout(dropout)
    m.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dt)


def _norms_and_dropouts(m: Module, d_model, eps, bias, dropout, dt, n: int) -> None:
    for i in range(1, n + 1):
        setattr(m, f"norm{i}", LayerNorm(d_model, eps=eps, bias=bias, dtype=dt))
    for i in range(1, n + 1):
        setattr(m, f"dropout{i}", Dropout(dropout))


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block (torch.nn.TransformerEncoderLayer).

    Sub-modules as torch: ``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``,
    ``norm2``, ``dropout1``, ``dropout2``. ``activation`` is "relu", "gelu" or a callable.
    """

    def __init__(
        self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
        activation: str | Callable = Fa.relu, layer_norm_eps: float = 1e-5,
        batch_first: bool = False, norm_first: bool = False, bias: bool = True,
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        check_device(device, type(self).__name__)
        dt = float_dtype(dtype, type(self).__name__)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dt
        )
        _feedforward(self, d_model, dim_feedforward, dropout, bias, dt)
        self.norm_first = norm_first
        _norms_and_dropouts(self, d_model, layer_norm_eps, bias, dropout, dt, 2)
        self.activation = _activation(activation)

    def forward(
        self, src: Tensor, src_mask=None, src_key_padding_mask=None, is_causal: bool = False
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's memory, feed-forward (torch's layer).

    Sub-modules as torch: ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``,
    ``linear2``, ``norm1``..``norm3``, ``dropout1``..``dropout3``.
    """

    def __init__(
        self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
        activation: str | Callable = Fa.relu, layer_norm_eps: float = 1e-5,
        batch_first: bool = False, norm_first: bool = False, bias: bool = True,
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        check_device(device, type(self).__name__)
        dt = float_dtype(dtype, type(self).__name__)
        kw = {"dropout": dropout, "batch_first": batch_first, "bias": bias, "dtype": dt}
        self.self_attn = MultiheadAttention(d_model, nhead, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **kw)
        _feedforward(self, d_model, dim_feedforward, dropout, bias, dt)
        self.norm_first = norm_first
        _norms_and_dropouts(self, d_model, layer_norm_eps, bias, dropout, dt, 3)
        self.activation = _activation(activation)

    def forward(
        self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
        tgt_key_padding_mask=None, memory_key_padding_mask=None,
        tgt_is_causal: bool = False, memory_is_causal: bool = False,
    ) -> Tensor:  # fmt: skip
        x = tgt
        sa = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        mha = (memory, memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *sa)
            x = x + self._mha_block(self.norm2(x), *mha)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, *sa))
        x = self.norm2(x + self._mha_block(x, *mha))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            is_causal=is_causal, need_weights=False,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(
            x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            is_causal=is_causal, need_weights=False,
        )[0]  # fmt: skip
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(module: Module, n: int) -> ModuleList:
    # copies, as torch: every layer starts from the same weights
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` then ``norm`` (torch.nn.TransformerEncoder).

    ``enable_nested_tensor`` and ``mask_check`` are accepted for torch's signature; lamina
    has no nested tensors, so padded positions are computed (not zeroed) in eval mode too.
    """

    def __init__(
        self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
        enable_nested_tensor: bool = True, mask_check: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        causal = _causal(mask, is_causal, src, self.layers)
        for mod in self.layers:
            output = mod(
                output, src_mask=mask, is_causal=causal,
                src_key_padding_mask=src_key_padding_mask,
            )  # fmt: skip
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` then ``norm`` (torch.nn.TransformerDecoder)."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
        tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None,
        memory_is_causal: bool = False,
    ) -> Tensor:  # fmt: skip
        output = tgt
        causal = _causal(tgt_mask, tgt_is_causal, tgt, self.layers)
        for mod in self.layers:
            output = mod(
                output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=causal, memory_is_causal=memory_is_causal,
            )  # fmt: skip
        return output if self.norm is None else self.norm(output)


def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (torch's)."""
    check_device(device, "generate_square_subsequent_mask")
    dt = float_dtype(dtype, "generate_square_subsequent_mask")
    return Tensor(np.triu(np.full((sz, sz), -np.inf, dt), 1).astype(dt))


class Transformer(Module):
    """Encoder-decoder Transformer (torch.nn.Transformer), torch's defaults and keys.

    ``encoder`` is a TransformerEncoder with a final LayerNorm, ``decoder`` likewise;
    every parameter with more than one dimension is re-drawn with xavier_uniform_.
    """

    def __init__(
        self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
        num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
        activation: str | Callable = Fa.relu, custom_encoder: Module | None = None,
        custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
        batch_first: bool = False, norm_first: bool = False, bias: bool = True,
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        kw = {"batch_first": batch_first, "norm_first": norm_first, "bias": bias}
        check_device(device, type(self).__name__)
        kw["dtype"] = dt = float_dtype(dtype, type(self).__name__)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(*args, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dt)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(*args, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dt)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(
        self, src: Tensor, tgt: Tensor, src_mask=None, tgt_mask=None, memory_mask=None,
        src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
        src_is_causal=None, tgt_is_causal=None, memory_is_causal: bool = False,
    ) -> Tensor:  # fmt: skip
        if (
            src.ndim == 3
            and src.shape[0 if self.batch_first else 1] != tgt.shape[0 if self.batch_first else 1]
        ):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
            is_causal=src_is_causal,
        )  # fmt: skip
        return self.decoder(
            tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )  # fmt: skip

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)


__all__ = [
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
]
