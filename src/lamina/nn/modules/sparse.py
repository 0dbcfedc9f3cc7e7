"""torch.nn.modules.sparse: Embedding (defined in embedding.py)."""

from .embedding import Embedding

__all__ = ["Embedding"]
