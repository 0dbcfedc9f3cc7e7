"""A well-formed checkpoint file with a malformed training part: LaminaFileError naming it.

``Trainer.load_checkpoint`` / ``fit(resume_from=...)`` read files that may have been edited
or crafted; every part they restore (epoch, optimizer, RNG, history) is checked.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
import lamina.random
from lamina import nn, optim
from lamina.io import LaminaFileError, save_checkpoint
from lamina.train import Trainer
from lamina.train.checkpoint import training_state


def _trainer():
    lamina.manual_seed(0)
    model = nn.Linear(2, 2)
    return Trainer(model, nn.MSELoss(), optimizer=optim.Adam(model.parameters()))


BAD_PARTS = [
    ("epoch", "3", "part 'epoch', key 'epoch': '3'"),
    ("epoch", -1, "part 'epoch', key 'epoch': -1"),
    ("epoch", True, "part 'epoch', key 'epoch': True"),
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


def _snapshot(trainer):
    return (
        {k: np.array(v, copy=True) for k, v in trainer.model.state_dict().items()},
        repr(trainer.optimizer.state_dict()),
        repr(lamina.random.get_rng_state()),
        repr(trainer.history.state_dict()),
    )


def _trained():
    trainer = _trainer()
    x = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    trainer.fit(x, x, epochs=2, batch_size=4, verbose=0)
    return trainer


def _bad_lr(value):
    def edit(state):
        state["optimizer"]["param_groups"][0]["lr"] = value

    return edit


def _sgd(state):
    model = nn.Linear(2, 2)
    state["optimizer"] = optim.SGD(model.parameters(), lr=0.1, momentum=0.9).state_dict()
    state["optimizer_class"] = "SGD"


def _sgd_old_file(state):  # a checkpoint written before optimizer_class was recorded
    _sgd(state)
    del state["optimizer_class"]


def _model_strings(state):
    state["model"]["weight"] = "not an array"


def _model_shape(state):
    state["model"]["bias"] = np.zeros(5, np.float32)


def _rng_huge(state):
    state["rng"]["state"]["state"] = 2**200


def _history_bad(state):  # the model and optimizer parts are fine: they must stay untouched
    state["history"]["history"]["loss"] = ["x"]


VALUE_CASES = [
    ("lr NaN", _bad_lr(float("nan")), r"part 'optimizer', key 'param_groups\.0\.lr': nan"),
    ("lr str", _bad_lr("0.001"), r"part 'optimizer', key 'param_groups\.0\.lr': '0\.001' \(str\)"),
    ("lr < 0", _bad_lr(-1.0), r"key 'param_groups\.0\.lr': -1\.0, expected a number >= 0"),
    (
        "SGD into Adam",
        _sgd,
        r"part 'optimizer', key 'optimizer_class': 'SGD', the trainer's is 'Adam'",
    ),
    (
        "SGD, old file",
        _sgd_old_file,
        r"part 'optimizer', key 'param_groups\.0': keys differ: missing \['betas'",
    ),
    ("model strings", _model_strings, r"part 'model', key 'weight': str, expected an array"),
    ("model shape", _model_shape, r"part 'model', key 'bias': shape \(5,\), expected \(2,\)"),
    ("rng 2**200", _rng_huge, r"part 'rng', key 'state\.state'"),
    ("history", _history_bad, r"part 'history', key 'history\.loss\.0'"),
]


@pytest.mark.parametrize("name,edit,match", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_bad_values_refused_and_nothing_changes(tmp_path, name, edit, match):
    state = training_state(_trained(), 2)
    edit(state)
    path = tmp_path / "c.safetensors"
    save_checkpoint(state, path)
    victim = _trainer()
    before = _snapshot(victim)
    with pytest.raises(LaminaFileError, match=match) as info:
        victim.load_checkpoint(path)
    assert str(path) in str(info.value)
    after = _snapshot(victim)
    for k in before[0]:
        np.testing.assert_array_equal(before[0][k], after[0][k])
    assert before[1:] == after[1:]
    # and through fit(resume_from=...): refused before the first epoch, nothing trained
    with pytest.raises(LaminaFileError, match=match):
        victim.fit(np.zeros((4, 2), np.float32), np.zeros((4, 2), np.float32), resume_from=path)
    after = _snapshot(victim)
    for k in before[0]:
        np.testing.assert_array_equal(before[0][k], after[0][k])


def test_bad_callback_state_refused_before_anything_changes(tmp_path):
    from lamina.train import EarlyStopping

    trainer = _trained()
    trainer._callbacks = [EarlyStopping(monitor="loss")]
    trainer._callbacks[0].set_trainer(trainer)
    trainer._callbacks[0].on_train_begin()
    state = training_state(trainer, 2)
    state["callbacks"][0]["state"]["wait"] = "three"
    path = tmp_path / "c.safetensors"
    save_checkpoint(state, path)
    victim = _trainer()
    before = _snapshot(victim)
    with pytest.raises(LaminaFileError, match=r"part 'callbacks\.0 \(EarlyStopping\)', key 'wait'"):
        victim.fit(
            np.zeros((4, 2), np.float32),
            np.zeros((4, 2), np.float32),
            verbose=0,
            resume_from=path,
            callbacks=[EarlyStopping(monitor="loss")],
        )
    after = _snapshot(victim)
    for k in before[0]:
        np.testing.assert_array_equal(before[0][k], after[0][k])
    assert before[1:] == after[1:]


def test_composite_optimizer_parts_are_checked_each():
    from lamina.train.checkpoint import _check_one_optimizer
    from lamina.train.conform import PartError
    from lamina.train.gan import _Pair

    d, g = nn.Linear(2, 1), nn.Linear(3, 2)
    pair = _Pair(optim.Adam(d.parameters()), optim.Adam(g.parameters()))
    good = pair.state_dict()
    _check_one_optimizer(good, pair, "")  # its own state passes
    bad = pair.state_dict()
    bad["g"]["param_groups"][0]["lr"] = float("nan")
    with pytest.raises(PartError, match=r"key 'g\.param_groups\.0\.lr': nan"):
        _check_one_optimizer(bad, pair, "")
    with pytest.raises(PartError, match=r"expected a dict with keys \['d', 'g'\]"):
        _check_one_optimizer({"d": good["d"]}, pair, "")
