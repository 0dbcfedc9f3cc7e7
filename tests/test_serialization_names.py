"""lamina.serialization's allow-list functions against torch.serialization's."""

import lamina as L
from tests.oracle import torch


class _Model:
    pass


def _check(mod):
    mod.clear_safe_globals()
    mod.add_safe_globals([_Model])
    outside = mod.get_safe_globals()
    with mod.safe_globals([dict, list]):
        inside = mod.get_safe_globals()
    after = mod.get_safe_globals()
    mod.clear_safe_globals()
    # torch keeps the list as a set inside (its order varies): compare the members
    return [set(x) for x in (outside, inside, after, mod.get_safe_globals())]


def test_safe_globals_lists_match_torch():
    assert _check(L.serialization) == _check(torch.serialization)


def test_module_paths_word_language_model_allow_lists():
    for path in ("activation.MultiheadAttention", "linear.NonDynamicallyQuantizableLinear"):
        mod, name = path.split(".")
        ours = getattr(getattr(L.nn.modules, mod), name)
        theirs = getattr(getattr(torch.nn.modules, mod), name)
        assert ours.__name__ == theirs.__name__
        assert issubclass(ours, L.nn.Linear) == issubclass(theirs, torch.nn.Linear)
    layer = L.nn.modules.linear.NonDynamicallyQuantizableLinear(3, 2)
    ref = torch.nn.modules.linear.NonDynamicallyQuantizableLinear(3, 2)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert L.nn.modules.activation.MultiheadAttention is L.nn.MultiheadAttention
