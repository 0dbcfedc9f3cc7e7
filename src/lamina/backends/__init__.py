"""torch.backends' flags, present so scripts that set them run; lamina computes with NumPy.

``cudnn``, ``cuda`` and ``mps`` report not available, and their switches are plain attributes
that are accepted and change nothing (there is no cuDNN, CUDA or MPS to configure).
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
