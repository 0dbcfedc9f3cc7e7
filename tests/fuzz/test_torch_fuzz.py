"""Differential fuzzing against torch 2.13: seeded random programs of 2-6 ops.

Every disagreement fails the test unless its class is listed in KNOWN (KNOWN_WIDE for the
wide families) with the reason lamina differs; a failure prints each new class's first
program as a runnable reproducer. ``python -m tests.fuzz.torchfuzz 3000`` prints the table
of classes, ``python -m tests.fuzz.torchfuzz 3000 0 wide`` the wide families' table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.fuzz import torchfuzz as F

pytest.importorskip("torch")  # every test here runs the programs under torch too

# class prefix -> why lamina still differs from torch there. Every entry names the work
# that removes it; a class not listed fails the test with a reproducer.
KNOWN: dict[str, str] = {}
# issue 12's bar; 3300/3300 programs agreed at the last measurement
MIN_AGREEMENT = 0.995


# The wide families (families_*.py: in-place ops through views, indexing and setitem,
# promotion, rounding/bitwise/selection ops, nn.functional): classes still open, each with
# why. Measured 3254/3300 (98.6%) on seeds 0-3299, 2956/3000 (98.5%) on seeds 10000-12999
# (docs/pytorch.md, "Semantics checked by fuzzing"); after torch's partial-overlap check for
# in-place operands and its index_put_ dtype rule, 3258/3300 (98.7%) and 2969/3000 (99.0%) on
# seeds 20000-22999.
KNOWN_WIDE: dict[str, str] = {
    "lamina-accepts:backward": (
        "torch's backward raises where lamina's computes: a saved tensor modified in place "
        "that lamina's op did not save in the same form (reductions with 0-d outputs such "
        "as amax/norm/std/median, losses that save x - t, .data writes), and torch's own "
        "dtype errors in some loss backwards (huber/bce with mixed or integer dtypes)"
    ),
    "grad": (
        "the index torch picks among ties in topk/kthvalue/sort (implementation-defined), "
        "signed zeros (pow's gradient at -0.0), which leaves got a gradient before a "
        "backward raised, cross_entropy with every target ignored (NaN vs 0 gradient)"
    ),
    "value:": (
        "topk's order among ties, signed zeros and last-bit differences of remainder/fmod "
        "(torch's vectorized and scalar kernels round differently), float32 noise "
        "amplified by a later float64 op"
    ),
    "lamina-raises:T.nn.functional.pad": "circular pad that crops a dim to nothing",
    "lamina-accepts:setitem": "torch's partial-overlap check between source and target",
    "lamina-accepts:copy_": "torch's partial-overlap check between source and target",
    "raise-line:setitem": "a saved-tensor version error raised one line later in lamina",
}
# 0.98: the measured 98.6% less a margin for the classes above on other seeds
MIN_WIDE_AGREEMENT = 0.98


def _known(cls: str, known=KNOWN) -> bool:
    return any(cls.startswith(k) for k in known)


def _run(seeds, min_agreement, wide=False):
    failures, agree = {}, 0
    known = KNOWN_WIDE if wide else KNOWN
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for s in seeds:
            prog, cls, detail = F.check(s, wide)
            if cls is None:
                agree += 1
            elif not _known(cls, known):
                failures.setdefault(cls, (prog, detail))
    report = "\n\n".join(F.reproducer(p, c, d) for c, (p, d) in list(failures.items())[:8])
    assert not failures, f"{len(failures)} classes of disagreement with torch:\n\n{report}"
    assert agree / len(seeds) >= min_agreement, f"only {agree}/{len(seeds)} programs agree"


def test_fuzz_few_hundred():
    _run(range(300), MIN_AGREEMENT)


@pytest.mark.slow
def test_fuzz_thousands():
    _run(range(300, 3300), MIN_AGREEMENT)


def test_fuzz_wide_families_few_hundred():
    _run(range(300), MIN_WIDE_AGREEMENT, wide=True)


@pytest.mark.slow
def test_fuzz_wide_families_thousands():
    _run(range(300, 3300), MIN_WIDE_AGREEMENT, wide=True)


def test_wide_programs_use_the_new_families():
    """The wide generator reaches its families: in-place through views, setitem, no_grad
    blocks, nn.functional, and keeps the core generator's programs unchanged."""
    src = "\n".join(F.generate(s, wide=True).source() for s in range(200))
    for token in ("_(", "] = ", "with T.no_grad(): ", "T.nn.functional.", "T.remainder"):
        assert token in src, token
    assert F.generate(5).source() == F.generate(5, wide=False).source()


def test_reproducer_is_runnable_source():
    prog = F.generate(7)
    src = F.reproducer(prog, "example", "detail")
    compile(src, "<reproducer>", "exec")
    assert "import lamina as T" in src and prog.lines[0] in src
