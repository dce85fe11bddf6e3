"""The learning-rate range test: geometric sweep, early stop, a useful suggestion, nothing changed."""

import math

import numpy as np
import pytest
import torch

import hplab
from hplab.lr_finder import lr_range_test, suggest_lr


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=400, noise=0.2, seed=0)


def _same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_weights_and_mode_are_restored(moons):
    model = hplab.mlp(2, 2, depth=2, width=16, seed=0)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    found = lr_range_test(model, moons, optimizer="sgd", steps=40)
    assert len(found.lrs) > 10  # it really trained, and moved the weights while it did
    assert _same_state(model.state_dict(), before)
    assert model.training


def test_a_given_optimizers_state_is_restored(moons):
    model = hplab.mlp(2, 2, depth=1, width=16, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(5):  # give Adam some moment estimates worth keeping
        loss = torch.nn.functional.cross_entropy(model(moons.train.X), moons.train.y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    saved = opt.state_dict()
    moments = {i: {k: v.clone() for k, v in s.items()} for i, s in saved["state"].items()}
    found = lr_range_test(model, moons, optimizer=opt, steps=30)
    assert found.config["optimizer"] == "adam"
    after = opt.state_dict()
    assert after["param_groups"] == saved["param_groups"]   # lr, betas, ... all as before
    assert after["param_groups"][0]["lr"] == 3e-3
    for i, s in moments.items():
        assert _same_state(after["state"][i], s)
    assert _same_state(model.state_dict(), weights)


def test_rate_grows_geometrically_from_start_to_end(moons):
    found = lr_range_test(hplab.mlp(2, 2, seed=0), moons, optimizer="sgd", start_lr=1e-4,
                          end_lr=1e-2, steps=25, stop_factor=1e9)
    lrs = np.array(found.lrs)
    assert not found.stopped_early and len(lrs) == 25
    assert lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(1e-2)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], (1e-2 / 1e-4) ** (1 / 24))


def test_sweep_stops_when_the_loss_blows_up(moons):
    found = lr_range_test(hplab.mlp(2, 2, seed=0), moons, optimizer="sgd", end_lr=1e3,
                          steps=100, stop_factor=4.0)
    assert found.stopped_early and len(found.lrs) < 100
    assert found.losses[-1] > 4.0 * min(found.losses[:-1])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_suggested_rate_trains_well_and_brackets_the_failures(moons, optimizer):
    found = lr_range_test(hplab.mlp(2, 2, seed=0), moons, optimizer=optimizer, seed=0)

    def final_loss(lr):
        hist = hplab.fit(hplab.mlp(2, 2, seed=0), moons, optimizer=optimizer, lr=lr, epochs=15,
                         batch_size=32, seed=0)
        return hist.status, hist.train_loss[-1]

    status, good = final_loss(found.suggestion)
    slow_status, slow = final_loss(found.suggestion / 100)
    high_status, _ = final_loss(found.suggestion * 100)
    assert status == "completed" and slow_status == "completed"
    assert good < 0.6 * slow          # 100x smaller: far less progress in the same epochs
    assert high_status == "diverged"  # 100x larger: past the blow-up on the curve
    assert found.suggestion < found.min_loss_lr


def test_steepest_rule_finds_the_steepest_point_of_a_known_curve():
    lrs = np.logspace(-5, 1, 61)
    centre = 1e-2
    losses = 1.0 - 0.8 * np.tanh(np.log(lrs / centre)) + np.where(lrs > 0.5, 50 * lrs, 0)
    assert suggest_lr(lrs, losses, "steepest") == pytest.approx(centre, rel=0.1)
    lowest = lrs[int(np.argmin(losses))]
    assert suggest_lr(lrs, losses, "min_tenth") == pytest.approx(lowest / 10)


def test_same_seed_same_curve_and_other_seed_other_batches(moons):
    a, b, c = (lr_range_test(hplab.mlp(2, 2, seed=0), moons, steps=30, seed=s) for s in (3, 3, 4))
    assert a.raw_losses == b.raw_losses and a.suggestion == b.suggestion
    assert a.raw_losses != c.raw_losses


def test_explanation_names_the_rule(moons):
    found = lr_range_test(hplab.mlp(2, 2, seed=0), moons, steps=40, rule="min_tenth")
    assert found.rule == "min_tenth" and "tenth" in found.explanation
    assert found.suggestion == pytest.approx(found.suggestions["min_tenth"])
    assert math.isfinite(found.suggestions["steepest"])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, "end_lr must be > start_lr"),
    ({"start_lr": -1}, ValueError, "start_lr must be > 0"),
    ({"steps": 3}, ValueError, "steps must be >= 10, got 3"),
    ({"rule": "fastest"}, ValueError, "rule 'fastest' is unknown; choose one of"),
    ({"optimizer": 3}, TypeError, "optimizer must be a name"),
    ({"optimizer": "lion"}, ValueError, "optimizer 'lion' is unknown"),
    ({"batch_size": 10_000}, ValueError, "batch_size must be <="),
    ({"smoothing": 1.0}, ValueError, "smoothing must be < 1"),
])
def test_bad_input_names_parameter_rule_and_value(moons, kwargs, error, words):
    with pytest.raises(error, match=words):
        lr_range_test(hplab.mlp(2, 2, seed=0), moons, **kwargs)
