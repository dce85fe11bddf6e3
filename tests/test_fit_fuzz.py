"""Random configurations thrown at fit(): only a clear ValueError/TypeError may ever escape."""

import math

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

import hplab

DATA = hplab.load_dataset("moons", n_samples=60, seed=0)

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                    st.sampled_from([0, 1e-4, 0.1, 1.0, 1e3]), st.text(max_size=3), st.none())
names = st.one_of(st.sampled_from(["adam", "sgd", "momentum", "rmsprop", "adamw", "nesterov",
                                   "Adam", "bogus", ""]), st.integers(), st.none())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lr=numbers, batch_size=st.one_of(st.integers(-3, 100), st.floats(), st.text(max_size=2)),
       epochs=st.one_of(st.integers(-2, 3), st.floats(0, 3)), optimizer=names,
       momentum=st.one_of(st.none(), numbers), weight_decay=numbers,
       schedule=st.one_of(st.none(), st.sampled_from(["cosine", "step", "one-cycle", "warmup",
                                                      "nope"]), st.integers()),
       seed=st.one_of(st.integers(-2, 2**64), st.floats(), st.text(max_size=2)),
       depth=st.integers(-1, 3), width=st.one_of(st.integers(-1, 8), st.floats(0, 8)),
       activation=st.sampled_from(["relu", "tanh", "gelu", "swish", "linear"]),
       dropout=st.one_of(st.floats(-1, 2), st.integers(-1, 2)))
def test_random_configurations_never_crash_obscurely(lr, batch_size, epochs, optimizer, momentum,
                                                     weight_decay, schedule, seed, depth, width,
                                                     activation, dropout):
    try:
        model = hplab.mlp(2, 2, depth=depth, width=width, activation=activation, dropout=dropout)
        hist = hplab.fit(model, DATA, lr=lr, batch_size=batch_size, epochs=epochs,
                         optimizer=optimizer, momentum=momentum, weight_decay=weight_decay,
                         schedule=schedule, seed=seed)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert " must " in message or "unknown" in message or "applies" in message, message
        return
    assert hist.status in ("completed", "diverged")
    assert all(math.isfinite(v) for v in hist.train_loss[:-1])


@pytest.mark.parametrize("value", [True, None, [0.1], "0.1"])
def test_lr_of_the_wrong_type_is_a_type_error(value):
    with pytest.raises(TypeError, match="lr must be a number"):
        hplab.fit(hplab.mlp(2, 2), DATA, lr=value)
