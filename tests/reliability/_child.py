"""Child process of the adversarial suite: load one hostile input, report memory as JSON.

Usage: ``python _child.py ACTION PATH``. Imports everything first, resets the peak-RSS
counter (``/proc/self/clear_refs``), caps the address space (RLIMIT_AS) at the current
size + the budget for PATH + 256 MiB, runs ACTION, and prints one JSON line: the outcome,
the exception type and message, the baseline RSS and the peak RSS (VmHWM) in KiB.
"""

import json
import os
import resource
import sys

import lamina  # noqa: F401
import lamina.data.datasets
import lamina.io
import lamina.models
import lamina.models.imagenet
from lamina.data.text import WordTokenizer
from lamina.data.transforms import Resize


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _run(action: str, path: str):
    if action == "load":
        return type(lamina.io.load(path)).__name__
    if action == "extract":
        return len(lamina.io.extract_state_dict(lamina.io.load(path)))
    if action == "model":
        return type(lamina.models.resnet18(weights=path)).__name__
    if action == "image":
        return lamina.data.datasets.folder.pil_loader(path).size
    if action == "preprocess":
        return lamina.models.imagenet.preprocess(path).shape
    if action == "transform":  # an image opened by the caller, then Resize(256)
        from PIL import Image

        with Image.open(path) as img:
            return Resize(256)(img.convert("RGB")).size
    if action == "imagefolder":
        return len(lamina.data.datasets.ImageFolder(path).samples)
    if action == "tokenizer":
        return len(WordTokenizer.load(path))
    raise SystemExit(f"unknown action {action}")


def main() -> None:
    action, path = sys.argv[1], sys.argv[2]
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    base = _status("VmRSS")
    limit = _status("VmSize") * 1024 + 4 * size + (64 << 20) + (256 << 20)  # + the budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = {"action": action, "file_size": size, "base_kb": base}
    try:
        out.update(ok=True, result=repr(_run(action, path)))
    except Exception as e:  # reported, judged by the parent
        out.update(ok=False, type=type(e).__name__, message=str(e)[:400])
        out["bases"] = [c.__name__ for c in type(e).__mro__]
    out["hwm_kb"] = _status("VmHWM")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
