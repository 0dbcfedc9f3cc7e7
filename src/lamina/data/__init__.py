"""lamina.data: datasets, loaders, text and series helpers."""
