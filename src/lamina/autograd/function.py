"""Function and Context: the contract between an op and the autograd engine.

An op is a subclass of :class:`Function` with two static methods that work on plain
NumPy arrays and know nothing of Tensor::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved
            return (grad * y,)

``forward(ctx, *args, **kwargs)`` receives the positional arguments with every Tensor
replaced by its array (other values - ints, tuples, None - pass through unchanged) and
returns one array, or a tuple of arrays for an op with several outputs.

``backward(ctx, *grads)`` receives one gradient per output (zeros stand in for an output
that did not reach the loss) and returns one gradient per *positional* argument of
forward: an array, or None where the argument is not a Tensor or needs no gradient.
``ctx.needs_input_grad[i]`` says whether argument i needs one; skip the work if not.
A gradient may have the broadcast shape of the output: the engine sums it back to the
input's shape and checks the result. Same as torch.autograd.Function.
"""

from __future__ import annotations


class Context:
    """What forward hands to backward; also the node of the graph (torch: ``grad_fn``)."""

    __slots__ = (
        "fn",
        "inputs",
        "needs_input_grad",
        "saved",
        "out_meta",
        "freed",
        "retained",
        "__dict__",
    )

    def __init__(self, fn: type) -> None:
        self.fn = fn
        self.inputs: tuple = ()
        self.needs_input_grad: tuple = ()
        self.saved: tuple = ()
        self.out_meta: tuple = ()
        self.freed = False
        self.retained = None

    def save_for_backward(self, *arrays) -> None:
        self.saved = arrays

    def name(self) -> str:
        return self.fn.__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable op (torch.autograd.Function)."""

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grads):  # pragma: no cover - abstract
        raise NotImplementedError
