"""The allow-list of model builders a saved recipe may name, and the recipe each model carries.

A recipe is ``{"builder": name, "args": {...}}`` in JSON: ``from_pretrained`` looks the name
up in this registry (never imports or evaluates anything a file names) and calls the
builder with the arguments. Builders register with :func:`register`; a model built by one
remembers its recipe, so ``model.save_pretrained(dir)`` needs no arguments. No PyTorch
equivalent; Hugging Face's ``config.json`` + ``architectures`` plays this role there.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

__all__ = ["register", "register_builder", "builder", "builders", "recipe_of", "set_recipe"]

_BUILDERS: dict[str, Callable[..., Any]] = {}
_NOT_RECORDED = ("weights", "progress")  # a recipe rebuilds the architecture, not the file


def builders() -> list[str]:
    """The names a recipe may use, sorted."""
    return sorted(_BUILDERS)


def builder(name: str) -> Callable[..., Any]:
    """The registered builder called ``name``; KeyError naming the allowed ones otherwise."""
    if name not in _BUILDERS:
        raise KeyError(f"unknown model builder {name!r}; lamina knows {builders()}")
    return _BUILDERS[name]


def recipe_of(model: Any) -> dict[str, Any] | None:
    """The ``{"builder", "args"}`` recipe recorded when ``model`` was built, or None."""
    return getattr(model, "__dict__", {}).get("_lamina_recipe")


def set_recipe(model: Any, name: str, args: dict[str, Any]) -> Any:
    """Record ``name(**args)`` as the recipe of ``model`` (skipped when args are not JSON)."""
    try:
        args = json.loads(json.dumps(args))  # tuples become lists, as the file will hold them
    except (TypeError, ValueError):
        return model  # e.g. a module passed as an argument: no recipe, save_pretrained says so
    model.__dict__["_lamina_recipe"] = {"builder": name, "args": args}
    return model


def _bound_args(fn: Callable[..., Any], args: tuple, kwargs: dict, skip_first: bool) -> dict:
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for i, (key, value) in enumerate(bound.arguments.items()):
        if skip_first and i == 0:
            continue
        if inspect.signature(fn).parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif key not in _NOT_RECORDED:
            out[key] = value
    return {k: v for k, v in out.items() if k not in _NOT_RECORDED}


def register(name: str | None = None) -> Callable:
    """Decorator: allow a builder function or a Module class in recipes under ``name``.

    A decorated function's result, or an instance of a decorated class (not of a subclass),
    records the arguments it was built with.
    """

    def wrap(obj: Any) -> Any:
        key = name or obj.__name__
        if inspect.isclass(obj):
            init = obj.__init__

            @functools.wraps(init)
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                init(self, *args, **kwargs)
                if type(self) is obj:
                    set_recipe(self, key, _bound_args(init, (self, *args), kwargs, True))

            obj.__init__ = __init__
            _BUILDERS[key] = obj
            return obj

        @functools.wraps(obj)
        def build(*args: Any, **kwargs: Any) -> Any:
            return set_recipe(obj(*args, **kwargs), key, _bound_args(obj, args, kwargs, False))

        _BUILDERS[key] = build
        return build

    return wrap


def register_builder(fn: Callable[..., Any], name: str | None = None) -> None:
    """Allow an existing builder whose models record their own recipe (the zoo's builders)."""
    _BUILDERS[name or fn.__name__] = fn
