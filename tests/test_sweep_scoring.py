"""fit_many's stacked passes and scoring, with hplab.fit and hplab.evaluate as the oracles: the
small-data study of benchmarks/run.py, several regression targets, and outputs that blow up."""

import math

import numpy as np
import pytest
import torch
from test_sweep import assert_same_run, sequential

import hplab
from hplab.sweep import _Stack, fit_many


@pytest.fixture(scope="module")
def small_digits():
    """The benchmark's few-steps-per-epoch case: 480 training examples, 15 minibatches of 32."""
    return hplab.load_dataset("digits", n_samples=800, seed=0)


def test_the_small_data_study_matches_fit_member_by_member(small_digits):
    assert small_digits.n_train == 480
    members = [dict(lr=float(lr), seed=i) for i, lr in enumerate(np.logspace(-4, -2, 4))]
    hists, nets = fit_many(small_digits, members, depth=2, width=64, epochs=3,
                           return_models=True)
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(small_digits, member, depth=2, width=64, epochs=3)
        assert_same_run(hist, want, net, want_net)


def test_shared_minibatches_match_fit_with_a_last_short_batch(small_digits):
    """One data seed for every member: the stack reads each minibatch once; 480 = 6 x 75 + 30."""
    members = [dict(lr=lr, seed=s, data_seed=3) for s, lr in ((0, 1e-3), (1, 3e-3))]
    hists = fit_many(small_digits, members, width=16, batch_size=75, epochs=2)
    for member, hist in zip(members, hists):
        want, _ = sequential(small_digits, member, width=16, batch_size=75, epochs=2)
        assert_same_run(hist, want)
        assert hist.steps_per_epoch == 7


@pytest.fixture(scope="module")
def three_targets():
    """Regression with three targets of unequal difficulty (each near unit scale)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ (rng.normal(size=(4, 3)) * [1.0, 0.1, 0.5]) + 0.3 * rng.normal(size=(300, 3))
    return hplab.Data.from_arrays(X, y / y.std(axis=0), task="regression", seed=0)


def test_several_regression_targets_score_r2_per_target_as_fit_does(three_targets):
    members = [dict(lr=1e-2, seed=0), dict(lr=3e-3, seed=1)]
    hists, nets = fit_many(three_targets, members, width=16, epochs=4, return_models=True)
    for member, hist, net in zip(members, hists, nets):
        want, _ = sequential(three_targets, member, epochs=4)
        assert_same_run(hist, want)
        with torch.no_grad():  # and scikit-learn's r2_score, the average over the targets
            out = net(three_targets.val.X)
        from sklearn.metrics import r2_score
        assert hist.val_metric[-1] == pytest.approx(
            r2_score(three_targets.val.y.numpy(), out.numpy()), abs=1e-5)


def _nets_with_blown_outputs(data):
    """Three networks: a plain one, one whose class-1 logit is always -inf, one answering NaN."""
    nets = [hplab.mlp(data.n_features, data.n_outputs, width=8, seed=s) for s in range(3)]
    with torch.no_grad():
        nets[1][-1].bias[1] = -math.inf
        nets[2][-1].weight[0, 0] = math.nan
    return nets


def test_scoring_keeps_evaluates_rules_for_infinite_and_nan_outputs():
    data = hplab.load_dataset("moons", n_samples=200, seed=0)
    nets = _nets_with_blown_outputs(data)
    stack = _Stack(nets, "adam", "relu", data.task)
    (train_loss, train_metric), (val_loss, val_metric) = stack.score(data.train, data.val)
    for k, net in enumerate(nets):
        for split, loss, metric in (("train", train_loss, train_metric),
                                    ("val", val_loss, val_metric)):
            want = hplab.evaluate(net, data, split)
            assert loss[k] == pytest.approx(want["loss"], rel=1e-5, nan_ok=True), (k, split)
            assert metric[k] == pytest.approx(want["metric"], rel=1e-5, nan_ok=True), (k, split)
    assert math.isfinite(val_loss[0]) and val_loss[1] == math.inf and math.isnan(val_loss[2])
    assert math.isnan(val_metric[1]) and math.isnan(val_metric[2])


def test_scoring_in_small_chunks_gives_the_same_numbers(monkeypatch):
    """Scoring runs in chunks of rows; their size changes nothing but the memory it takes."""
    data = hplab.load_dataset("moons", n_samples=400, seed=0)
    nets = [hplab.mlp(2, 2, width=16, seed=s) for s in range(3)]
    whole = _Stack(nets, "adam", "relu", data.task).score(data.train, data.val)
    monkeypatch.setattr(hplab.sweep, "_EVAL_BYTES", 1)  # the smallest chunk: 32 rows
    chunked = _Stack(nets, "adam", "relu", data.task).score(data.train, data.val)
    np.testing.assert_allclose(np.array(chunked, dtype=float), np.array(whole, dtype=float),
                               rtol=1e-6)
