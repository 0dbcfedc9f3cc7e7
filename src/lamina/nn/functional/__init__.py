"""lamina.nn.functional: the stateless ops (torch.nn.functional). One file per area."""

from .activation import (
    dropout,
    dropout2d,
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .linear import embedding, linear, one_hot, pad
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    sse_loss,
)
from .normalization import batch_norm, layer_norm
