"""lamina.serialization's allow-list functions against torch.serialization's."""

import torch

import lamina as L


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
    return outside, inside, after, mod.get_safe_globals()


def test_safe_globals_lists_match_torch():
    assert _check(L.serialization) == _check(torch.serialization)
