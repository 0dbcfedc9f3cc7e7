"""The ``lamina`` command: ``demo``, ``predict``, ``complete`` and ``generate``.

Every sub-command lives in this package (``demo.py``, ``predict.py``, ``text.py`` and the
demos under ``demos/``). A user's mistake never shows a Python traceback: bad usage prints
one line and exits 2, a run that fails (a missing or hostile file, a corrupt image,
weights that do not fit) prints one line and exits 1; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback

__all__ = ["main", "UsageError"]


class UsageError(Exception):
    """Bad arguments found after parsing (exit status 2, like argparse's own errors)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lamina")
    except PackageNotFoundError:  # run from a source tree without installing
        return "0.1.0 (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from . import demo, predict, text

    parser = argparse.ArgumentParser(
        prog="lamina",
        description="lamina: deep learning on NumPy with PyTorch's API and Keras's loop.",
        epilog="Run 'lamina COMMAND --help' for a command's options. Start with 'lamina demo'.",
    )
    parser.add_argument("--version", action="version", version=f"lamina {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (demo, predict, text):
        module.add_parsers(sub, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lamina`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"lamina {args.command}: interrupted", file=sys.stderr)
        return 130
    except UsageError as e:
        return _fail(args, e, 2)
    except Exception as e:  # a failed run: one line, the traceback only on request
        return _fail(args, e, 1)


def _fail(args: argparse.Namespace, e: BaseException, status: int) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(e)
    message = " ".join(str(e).split()) or type(e).__name__
    if not isinstance(e, (UsageError, ValueError, OSError)):
        message = f"{type(e).__name__}: {message}"
    hint = "" if getattr(args, "debug", False) else " (--debug shows the traceback)"
    print(f"lamina {args.command}: {message}{hint}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
