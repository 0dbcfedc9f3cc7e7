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
from .activation_more import (
    celu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    relu6,
    selu,
    softmin,
    softsign,
    tanhshrink,
    threshold,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)
from .distance import cosine_similarity, normalize, pairwise_distance
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
from .rms_norm import rms_norm
from .shuffle import pixel_shuffle, pixel_unshuffle
