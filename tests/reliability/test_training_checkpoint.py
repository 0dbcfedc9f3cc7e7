"""A well-formed checkpoint file with a malformed training part: LaminaFileError naming it.

``Trainer.load_checkpoint`` / ``fit(resume_from=...)`` read files that may have been edited
or crafted; every part they restore (epoch, optimizer, RNG, history) is checked.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from lamina import nn, optim
from lamina.io import LaminaFileError, save_checkpoint
from lamina.train import Trainer
from lamina.train.checkpoint import training_state


def _trainer():
    lamina.manual_seed(0)
    model = nn.Linear(2, 2)
    return Trainer(model, nn.MSELoss(), optimizer=optim.Adam(model.parameters()))


BAD_PARTS = [
    ("epoch", "3", "epoch '3'"),
    ("epoch", -1, "epoch -1"),
    ("epoch", True, "epoch True"),
    ("rng", {"bit_generator": "MT19937"}, "'rng'"),
    ("rng", "seed", "'rng'"),
    ("optimizer", "x", "'optimizer'"),
    ("optimizer", {"state": {}, "param_groups": [{"params": [9]}]}, "'optimizer'"),
    ("history", [1, 2], "'history'"),
    ("history", {"epoch": 1}, "'history'"),
]


@pytest.mark.parametrize("part,value,match", BAD_PARTS, ids=[f"{p}-{v!r}" for p, v, _ in BAD_PARTS])
def test_malformed_part_is_named(tmp_path, part, value, match):
    trainer = _trainer()
    state = training_state(trainer, 1)
    state[part] = value
    path = tmp_path / "c.safetensors"
    save_checkpoint(state, path)
    with pytest.raises(LaminaFileError, match=match) as info:
        _trainer().load_checkpoint(path)
    assert str(path) in str(info.value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats() | st.text(max_size=3),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=8,
)


PARTS = st.sampled_from(["epoch", "optimizer", "rng", "history"])


def test_fuzz_training_parts(tmp_path):
    good, count, loaded = training_state(_trainer(), 2), 0, 0

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(part=PARTS, value=st.integers(0, 5) | _JSON)
    def case(part, value):
        nonlocal count, loaded
        count += 1
        path = tmp_path / "f.safetensors"
        save_checkpoint({**good, part: value}, path)
        try:
            epoch = _trainer().load_checkpoint(path)
        except ValueError as e:  # LaminaFileError, or the documented "does not fit" ValueError
            assert str(path) in str(e)
            return
        loaded += 1
        assert isinstance(epoch, int)

    case()
    print(f"\nfuzz training-checkpoint part cases: {count} ({loaded} loaded, the rest refused)")
    assert count >= 100
