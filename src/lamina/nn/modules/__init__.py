"""The layers of lamina.nn, one file per family."""
