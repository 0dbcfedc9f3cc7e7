"""torch.utils.data.dataloader's public names."""

from ...data.dataloader import DataLoader, default_collate

__all__ = ["DataLoader", "default_collate"]
