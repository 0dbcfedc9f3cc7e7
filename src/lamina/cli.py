"""The ``lamina`` command: ``lamina demo [NAME...]`` and ``lamina predict IMAGE...``."""

from __future__ import annotations

import argparse
import os
import sys
import time


def _demo(args) -> int:
    from .demos import DEMOS, run

    names = args.names or list(DEMOS)
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        print(
            f"lamina demo: unknown demo {unknown[0]!r}; choose from {', '.join(DEMOS)}",
            file=sys.stderr,
        )
        return 2
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        print(f"== lamina demo {name}: {DEMOS[name][1]}")
        t0 = time.perf_counter()
        result = run(name, os.path.join(args.out, name))
        shown = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()
        )
        print(f"== {name} done in {time.perf_counter() - t0:.1f}s: {shown}\n")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lamina", description="lamina deep learning")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the demos on data lamina ships")
    demo.add_argument("names", nargs="*", help="which demos (default: all)")
    demo.add_argument("--out", default="lamina_out", help="folder for weights, logs, plots")
    demo.set_defaults(func=_demo)
    from .models.predict_cli import add_arguments as predict_arguments
    from .models.predict_cli import run as predict_run

    predict = sub.add_parser("predict", help="ImageNet top-k classes of images with a zoo model")
    predict_arguments(predict)
    predict.set_defaults(func=predict_run)
    from .models.complete_cli import add_arguments as complete_arguments
    from .models.complete_cli import run as complete_run

    complete = sub.add_parser("complete", help="continue a prompt with a saved GPT")
    complete_arguments(complete)
    complete.set_defaults(func=complete_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
