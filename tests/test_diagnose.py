"""diagnose(): the verdict on hand-made curves, and on real runs that show each symptom."""

import math

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


def test_bad_input():
    with pytest.raises(TypeError, match="history must be an hplab History"):
        hplab.diagnose({"loss": [1, 2]})
    with pytest.raises(ValueError, match="no epochs"):
        hplab.diagnose(History())
