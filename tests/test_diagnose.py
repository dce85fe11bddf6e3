"""diagnose(): the verdict on hand-made curves, and on real runs that show each symptom."""

import math

import numpy as np
import pytest

import hplab
from hplab import History


def history(train, val, train_metric, val_metric, status="completed", start=None):
    n = len(train)
    h = History(epoch=list(range(1, n + 1)), train_loss=list(train), val_loss=list(val),
                train_metric=list(train_metric), val_metric=list(val_metric), lr=[0.1] * n,
                status=status)
    h.initial = {"train_loss": start if start is not None else train[0] * 1.1}
    finite = [(v, e) for v, e in zip(val, h.epoch) if math.isfinite(v)]
    h.best_epoch = min(finite)[1] if finite else None
    return h


def test_curves_that_fall_and_flatten_with_high_accuracy_are_good():
    loss = [0.7 * 0.8**e + 0.05 for e in range(30)]
    d = hplab.diagnose(history(loss, loss, [0.99] * 30, [0.97] * 30))
    assert d.label == "good"
    assert "Training converged" in d.explanation


def test_nan_status_is_diverged_with_advice():
    d = hplab.diagnose(history([0.7, 5.0, math.nan], [0.7, 5.0, math.nan], [0.5, 0.5, math.nan],
                               [0.5, 0.5, math.nan], status="diverged"))
    assert d.label == "diverged"
    assert "Lower the learning rate" in d.advice


def test_zigzag_loss_is_unstable():
    loss = [0.7, 0.4, 0.8, 0.45, 0.75, 0.5, 0.8, 0.45, 0.7, 0.5]
    d = hplab.diagnose(history(loss, loss, [0.7] * 10, [0.7] * 10, start=0.7))
    assert d.label == "unstable"
    assert d.evidence["rise_ratio"] > 0.5


def test_straight_slow_descent_is_slow():
    loss = [0.70 - 0.002 * e for e in range(30)]
    d = hplab.diagnose(history(loss, loss, [0.55] * 30, [0.55] * 30, start=0.702))
    assert d.label == "slow"


def test_plateau_at_low_accuracy_is_underfitting():
    loss = [0.55 + 0.15 * 0.5**e for e in range(30)]
    d = hplab.diagnose(history(loss, loss, [0.70] * 30, [0.69] * 30, start=0.72))
    assert d.label == "underfitting"
    assert "high bias" in d.explanation


def test_val_loss_turning_up_with_a_gap_is_overfitting():
    train = [0.7 * 0.85**e for e in range(40)]
    val = [0.7 * 0.85**e if e < 10 else 0.7 * 0.85**10 * (1 + 0.05 * (e - 10)) for e in range(40)]
    d = hplab.diagnose(history(train, val, [1.0] * 40, [0.85] * 40))
    assert d.label == "overfitting"
    assert d.evidence["best_epoch"] == 11
    assert "epoch 11" in d.explanation


def test_one_class_for_every_input_after_varied_answers_is_collapsed():
    loss = [0.9, 0.8, 1.5, 0.75, 0.72, 0.71, 0.70, 0.70]
    h = history(loss, loss, [0.5] * 8, [0.5] * 8, start=0.7)
    h.predictions = dict(top_class_share=1.0, majority_share=0.5, start_top_class_share=0.6)
    d = hplab.diagnose(h)
    assert d.label == "collapsed" and "100% of the validation inputs" in d.explanation
    assert d.evidence["top_class_share"] == 1.0 and d.evidence["start_top_class_share"] == 0.6
    assert "Lower the learning rate" in d.advice


def test_a_network_that_started_with_one_answer_and_is_still_falling_is_slow_not_collapsed():
    loss = [0.70 - 0.002 * e for e in range(30)]
    h = history(loss, loss, [0.5] * 30, [0.5] * 30, start=0.702)
    h.predictions = dict(top_class_share=1.0, majority_share=0.5, start_top_class_share=1.0)
    assert hplab.diagnose(h).label == "slow"
    h.train_loss[5] = 0.8  # ... unless its loss climbed above the start on the way
    assert hplab.diagnose(h).label == "collapsed"


def test_data_that_is_nearly_one_class_is_not_a_collapse():
    loss = [0.3 * 0.8**e + 0.05 for e in range(20)]
    h = history(loss, loss, [0.97] * 20, [0.97] * 20)
    h.predictions = dict(top_class_share=0.97, majority_share=0.96, start_top_class_share=0.5)
    assert hplab.diagnose(h).label == "good"


def test_regression_predictions_that_barely_spread_are_collapsed():
    loss = [1.0, 3.0, 1.2, 1.0, 1.0, 1.0]
    h = history(loss, loss, [0.0] * 6, [0.0] * 6, start=1.0)
    h.task, h.metric_name = "regression", "r2"
    h.predictions = dict(spread=0.01, start_spread=0.3)
    d = hplab.diagnose(h)
    assert d.label == "collapsed" and "spread only 0.01" in d.explanation


def test_slow_and_short_of_capacity_says_both():
    loss = [0.70 - 0.002 * e for e in range(30)]
    d = hplab.diagnose(history(loss, loss, [0.60] * 30, [0.59] * 30, start=0.702))
    assert d.label == "slow" and d.also == ["underfitting"]
    assert "capacity" in d.explanation and "add capacity" in d.advice
    assert str(d).startswith("SLOW (also: underfitting):")
    fast_enough = hplab.diagnose(history(loss, loss, [0.95] * 30, [0.94] * 30, start=0.702))
    assert fast_enough.label == "slow" and fast_enough.also == []
    assert "capacity" not in fast_enough.advice


def test_a_good_run_still_falling_at_its_last_epoch_is_not_called_converged():
    loss = [0.7 * 0.9**e + 0.05 for e in range(10)]
    d = hplab.diagnose(history(loss, loss, [0.99] * 10, [0.97] * 10))
    assert d.label == "good" and "has not converged" in d.explanation
    assert "Training converged" not in d.explanation and "more epochs" in d.advice


def test_ten_epochs_of_lesson_11s_baseline_are_not_called_converged_on_any_seed():
    data = hplab.load_dataset("digits", n_samples=700, seed=0)
    for h in hplab.fit_seeds(data, seeds=range(6), depth=1, width=32, lr=1e-3, epochs=10):
        d = hplab.diagnose(h)
        assert h.best_epoch == 10 and "has not converged" in d.explanation


def test_diagnosis_renders_in_words():
    loss = [0.7 * 0.8**e + 0.05 for e in range(10)]
    d = hplab.diagnose(history(loss, loss, [0.99] * 10, [0.97] * 10))
    assert str(d).startswith("GOOD:")
    assert "**good**" in d._repr_markdown_()


# real runs -------------------------------------------------------------------------------


def test_real_runs_get_the_right_labels(spirals, noisy_small):
    def label(data, **kw):
        arch = {k: kw.pop(k) for k in ("depth", "width", "activation") if k in kw}
        model = hplab.mlp(data.n_features, data.n_outputs, seed=0, **arch)
        return hplab.diagnose(hplab.fit(model, data, **kw)).label

    assert label(spirals, optimizer="adam", lr=3.0, epochs=20) == "diverged"
    assert label(spirals, optimizer="sgd", lr=1e-5, epochs=30) == "slow"
    assert label(spirals, depth=1, width=2, lr=1e-2, epochs=50) == "underfitting"
    assert label(noisy_small, depth=3, width=128, lr=1e-2, epochs=100) == "overfitting"
    assert label(spirals, lr=1e-2, epochs=50) == "good"


def test_lesson_02s_rate_of_20_is_caught_on_every_seed():
    data = hplab.load_dataset("moons", seed=0)  # SGD, two layers of 32, 20 epochs, as lesson 02
    hists = hplab.fit_seeds(data, seeds=range(6), optimizer="sgd", lr=20.0, epochs=20,
                            depth=2, width=32)
    for h in hists:
        assert hplab.diagnose(h).label in ("diverged", "collapsed")
        assert h.status == "diverged" and h.stopped_step < h.steps_per_epoch  # within epoch 1


def test_lesson_02s_sweep_counts_no_dead_network_as_healthy():
    data = hplab.load_dataset("moons", seed=0)
    for seed in (0, 1, 2):
        sweep = hplab.lr_sweep(data, np.logspace(-3, 1.5, 24), optimizer="sgd", epochs=20,
                               depth=2, width=32, seed=seed)
        labels = [hplab.diagnose(h).label for h in sweep.histories]
        assert all(lab in ("diverged", "collapsed") for lab in labels[-4:])  # 8.2 and up
        for h, lab in zip(sweep.histories, labels):
            if lab not in ("diverged", "collapsed", "slow"):  # a live, trained network ...
                assert h.predictions["top_class_share"] < 0.9  # ... gives varied answers


def test_a_network_killed_by_a_large_rate_without_blowing_up_is_collapsed():
    data = hplab.load_dataset("digits", seed=0)
    hists = hplab.fit_seeds(data, seeds=range(5), optimizer="momentum", lr=1.0, epochs=5)
    for h in hists:
        d = hplab.diagnose(h)
        assert h.status == "completed" and d.label == "collapsed"
        assert d.evidence["top_class_share"] > 0.95 > d.evidence["start_top_class_share"]


def test_a_real_slow_run_of_a_tiny_network_says_both(spirals):
    model = hplab.mlp(spirals.n_features, spirals.n_outputs, depth=1, width=2, seed=0)
    d = hplab.diagnose(hplab.fit(model, spirals, optimizer="sgd", lr=1e-3, epochs=20))
    assert d.label == "slow" and d.also == ["underfitting"]


def test_bad_input():
    with pytest.raises(TypeError, match="history must be an hplab History"):
        hplab.diagnose({"loss": [1, 2]})
    with pytest.raises(ValueError, match="no epochs"):
        hplab.diagnose(History())
