"""lamina.models: ready-made networks."""
