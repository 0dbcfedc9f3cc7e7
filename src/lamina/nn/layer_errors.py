"""Which layer failed: the path of the module an error came from, added as a note."""

from __future__ import annotations


def _relative_path(module, target) -> str | None:
    """Dotted path of ``target`` inside ``module`` (a child, or deeper via a ModuleList)."""
    for name, m in module.named_modules():
        if m is target and name:
            return name
    return None


def name_layer(e: Exception, module) -> None:
    """Attach the failing layer's path to ``e`` as a note: ``in layer blocks.2 (Linear)``.

    The innermost module that sees the error records itself; each enclosing module's
    ``__call__`` finds the recorded module among its descendants (also when the parent's
    forward calls it from a loop over a ModuleList/ModuleDict) and prepends the path. The
    exception's own message is left as raised (PEP 678 ``add_note``).
    """
    info = getattr(e, "_lamina_layer", None)
    if info is None:
        info = {"module": module, "path": "", "type": module._get_name(), "note": None}
    elif info["module"] is not module:
        rel = _relative_path(module, info["module"])
        if rel is None:
            return  # called as a plain object, not a registered sub-module: path unknown
        info["path"] = rel + ("." + info["path"] if info["path"] else "")
        info["module"] = module
    else:
        return
    e._lamina_layer = info
    notes = getattr(e, "__notes__", None)
    if notes is not None and info["note"] in notes:
        notes.remove(info["note"])
    where = f"{info['path']} ({info['type']})" if info["path"] else info["type"]
    info["note"] = f"in layer {where}"
    e.add_note(info["note"])
