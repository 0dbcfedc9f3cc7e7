"""Regenerate the zoo's golden key files and parity fixtures (run by hand, not by pytest).

Two halves, because torchvision cannot be imported next to lamina's test torch:

1. In a venv with torch + torchvision (``/work/tvenv``)::

       /work/tvenv/bin/python tests/models/make_fixtures.py torchvision

   writes ``golden/<model>.json`` (torchvision's ``{key: shape}``), loads the NumPy recipe
   weights (``_recipe.py``) into each torchvision model and saves its eval-mode logits to
   ``fixtures/<model>_logits.npy`` plus ``fixtures/recipe.json``; also saves torchvision's
   *own* initialisation of resnet18, vgg11_bn, alexnet and resnet50 with ``torch.save`` to
   ``/tmp/lamina_tv/`` together with their logits on a 224x224 input (not checked in).

2. With lamina (any Python with numpy)::

       python3 tests/models/make_fixtures.py check

   loads those ``/tmp/lamina_tv/*.pth`` files through ``lamina.io.load`` into lamina's models
   and prints the relative error of lamina's logits against torchvision's.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _recipe as R  # noqa: E402

TMP = "/tmp/lamina_tv"
TV_INIT = ["resnet18", "vgg11_bn", "alexnet", "resnet50"]


def torchvision_half() -> None:
    import torch
    import torchvision

    torch.set_grad_enabled(False)
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    meta = {"input_seed": R.INPUT_SEED, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "models": {}}  # fmt: skip
    for name, in_shape in R.CASES.items():
        model = getattr(torchvision.models, name)().eval()
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        with open(os.path.join(HERE, "golden", f"{name}.json"), "w") as f:
            json.dump(shapes, f, indent=0)
        sd = R.state_dict_for(shapes)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=True)
        logits = model(torch.from_numpy(R.input_for(in_shape))).numpy()
        np.save(os.path.join(HERE, "fixtures", f"{name}_logits.npy"), logits)
        meta["models"][name] = {"input_shape": list(in_shape), "checksum": R.checksum(sd)}
        print(f"{name}: {len(shapes)} keys, logits {logits.shape}, |max| {abs(logits).max():.3g}")
    with open(os.path.join(HERE, "fixtures", "recipe.json"), "w") as f:
        json.dump(meta, f, indent=1)
    classes = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
    dest = os.path.join(HERE, "..", "..", "src", "lamina", "models", "imagenet_classes.json")
    with open(dest, "w") as f:
        json.dump(classes, f, indent=0)
    _preprocess_fixture()
    os.makedirs(TMP, exist_ok=True)
    x = torch.from_numpy(R.input_for((2, 3, 224, 224)))
    np.save(os.path.join(TMP, "input.npy"), x.numpy())
    for name in TV_INIT:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)().eval()
        torch.save(model.state_dict(), os.path.join(TMP, f"{name}.pth"))
        np.save(os.path.join(TMP, f"{name}_logits.npy"), model(x).numpy())
        print(f"{name}: torchvision init saved to {TMP}")


def _preprocess_fixture() -> None:
    """torchvision's ImageNet eval transform of the recipe image, sub-sampled 16x."""
    from PIL import Image
    from torchvision import transforms as T

    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])  # fmt: skip
    out = tf(Image.fromarray(R.image_array())).numpy()  # (3, 224, 224)
    np.save(os.path.join(HERE, "fixtures", "preprocess_sub16.npy"), out[:, ::16, ::16])


def check_half() -> None:
    sys.path.insert(0, os.path.join(HERE, "..", "..", "src"))
    import lamina
    from lamina import models

    x = lamina.tensor(np.load(os.path.join(TMP, "input.npy")))
    for name in TV_INIT:
        model = getattr(models, name)(weights=os.path.join(TMP, f"{name}.pth")).eval()
        want = np.load(os.path.join(TMP, f"{name}_logits.npy"))
        t0 = time.perf_counter()
        with lamina.no_grad():
            got = model(x).numpy()
        dt = time.perf_counter() - t0
        print(f"{name}: rel err {R.rel_err(got, want):.2e} (2x3x224x224 in {dt:.2f}s)")


if __name__ == "__main__":
    {"torchvision": torchvision_half, "check": check_half}[sys.argv[1]]()
