"""Export to ONNX by tracing the ops a forward pass records (torch.onnx).

``export(model, args, f, ...)`` needs the ``onnx`` package (the ``onnx`` extra); importing
this module does not.
"""

from .export import DEFAULT_OPSET, export
from .graph import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError", "DEFAULT_OPSET"]
