"""The layers import downwards: nothing below the top imports the ``lamina`` facade.

Inside ``src/lamina`` a module imports what it uses from the module that defines it, by a
relative import (``from ..autograd.grad_mode import no_grad``), not from the package's
re-exports (``import lamina`` / ``from lamina import no_grad`` / ``from .. import no_grad``),
which would tie it to everything the facade imports, nor by the absolute name
(``from lamina.autograd.function import Op``). Only the top (``cli``, ``demos``) may.
``from .. import nn`` imports a subpackage and is fine.
"""

import ast
from pathlib import Path

import lamina

ROOT = Path(lamina.__file__).parent
TOP = ("cli.py", "cli", "demos", "__main__.py")


def _is_module(package: Path, name: str) -> bool:
    return (package / f"{name}.py").exists() or (package / name / "__init__.py").exists()


def _facade_imports(path: Path, root: Path = ROOT) -> list[str]:
    rel = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "lamina"]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("lamina."):
                found.append(f"line {node.lineno}: from {node.module} import (absolute)")
                continue
            if node.level == 0:
                target = root if node.module == "lamina" else None
            else:  # the package a relative import names: up `level` from this file
                base = path.parents[node.level - 1]
                target = base if node.module is None else None
            if target == root:
                found += [
                    f"line {node.lineno}: from {'.' * node.level or 'lamina'} import {a.name}"
                    for a in node.names
                    if not _is_module(root, a.name)
                ]
    return [f"{rel}: {f}" for f in found]


def test_no_module_below_the_top_imports_the_facade():
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in TOP or rel == Path("__init__.py"):
            continue
        bad += _facade_imports(path)
    assert not bad, "imports of the lamina facade below the top:\n" + "\n".join(bad)


def test_the_check_sees_a_facade_import(tmp_path):
    """The scan itself can fail: planted facade imports are reported, a subpackage is not."""
    fake = tmp_path / "lamina"
    (fake / "train").mkdir(parents=True)
    (fake / "nn").mkdir()
    (fake / "nn" / "__init__.py").write_text("")
    mod = fake / "train" / "x.py"
    mod.write_text(
        "import lamina\nfrom lamina import no_grad\nfrom .. import no_grad, nn\n"
        "from lamina.tensor import Tensor\nfrom ..tensor import Tensor as T\n"
    )
    assert _facade_imports(mod, fake) == [
        "train/x.py: import lamina",
        "train/x.py: line 2: from lamina import no_grad",
        "train/x.py: line 3: from .. import no_grad",
        "train/x.py: line 4: from lamina.tensor import (absolute)",
    ]
