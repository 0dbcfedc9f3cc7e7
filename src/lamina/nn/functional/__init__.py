"""lamina.nn.functional: the stateless ops (torch.nn.functional). One file per area."""

from .linear import embedding, linear, one_hot, pad
