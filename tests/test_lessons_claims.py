"""What lessons 00, 01, 03 and 07 say happens, made to happen and checked.

Only claims the foundation tests (test_train.py, test_diagnose.py) do not already cover.
"""

import pytest

import hplab
from hplab import widgets


def preset(name, cls=widgets.Playground):
    return widgets.train_run({**cls.VALUES, **cls.PRESETS[name].values}, track=False)


# ---------------------------------------------------------------- 00 start here


def test_00_the_first_run_by_hand_is_healthy():
    data = hplab.load_dataset("moons", n_samples=1000, noise=0.2, seed=0)
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    hist = hplab.fit(model, data, optimizer="adam", lr=1e-2, epochs=30, seed=0)
    assert hplab.diagnose(hist).label == "good"
    assert hist.val_loss[-1] < 0.3 * hist.initial["val_loss"]  # both lines fall ...
    assert abs(hist.train_metric[-1] - hist.val_metric[-1]) < 0.05  # ... and stay close


# ---------------------------------------------------------------- 01 why tune


def test_01_overfitting_train_loss_keeps_falling_while_validation_climbs():
    h = preset("overfitting").history
    best = h.best_epoch - 1
    assert h.best_epoch <= 10  # validation bottoms out early
    assert h.train_loss[-1] < 0.1 * h.train_loss[best]  # training keeps improving
    assert h.val_loss[-1] > 2 * h.val_loss[best]  # validation gets much worse
    assert h.train_metric[-1] == 1.0 and h.val_metric[-1] < 0.95


def test_01_underfitting_stays_high_and_flat_on_training_data_too():
    h = preset("underfitting").history
    assert h.train_metric[-1] < 0.7  # bad even on the examples it trains on
    assert min(h.train_loss) > 0.5 * h.initial["train_loss"]


def test_01_slow_is_smooth_and_still_falling_at_the_end():
    h = preset("slow").history
    assert all(b < a for a, b in zip(h.train_loss, h.train_loss[1:]))  # never goes back up
    assert h.train_loss[-1] > 0.5 * h.initial["train_loss"]  # far from the bottom


def test_01_unstable_loss_goes_back_up_again_and_again():
    h = preset("unstable").history
    rises = sum(b > a * 1.2 for a, b in zip(h.train_loss, h.train_loss[1:]))
    assert rises >= 5
    assert h.status == "completed"  # bounces, but does not blow up


def test_01_the_four_verdicts_are_all_different():
    labels = {preset(n).diagnosis.label for n in ("underfitting", "overfitting", "slow", "unstable")}
    assert labels == {"underfitting", "overfitting", "slow", "unstable"}


# ---------------------------------------------------------------- 03 depth and width


@pytest.fixture(scope="module")
def grown():
    base = dict(dataset="spirals", epochs=40)
    sizes = {"0": dict(depth=0), "1x4": dict(depth=1, width=4), "2x32": dict(depth=2, width=32),
             "3x128": dict(depth=3, width=128)}
    return {k: widgets.train_run({**base, **v}, track=False) for k, v in sizes.items()}


def test_03_capacity_lifts_validation_accuracy_until_it_is_enough(grown):
    acc = {k: r.val["metric"] for k, r in grown.items()}
    assert acc["0"] < 0.8 and acc["1x4"] < 0.8  # a line, or a few bends, cannot follow spirals
    assert acc["2x32"] > 0.95
    assert abs(acc["3x128"] - acc["2x32"]) < 0.03  # the bigger net is about as good ...
    weights = {k: hplab.count_parameters(r.model) for k, r in grown.items()}
    assert weights["3x128"] > 20 * weights["2x32"]  # ... for over 20 times the weights


@pytest.fixture(scope="module")
def braked():
    small = widgets.CapacityLab.PRESETS["too big for the data"].values
    runs = {"none": {}, "dropout": dict(dropout=0.5), "decay": dict(weight_decay=0.1)}
    return {k: widgets.train_run({**small, **v}, track=False) for k, v in runs.items()}


@pytest.mark.parametrize("brake", ["dropout", "decay"])
def test_03_dropout_and_weight_decay_narrow_the_gap_and_stop_the_climb(braked, brake):
    def gap(r):
        return r.history.train_metric[-1] - r.history.val_metric[-1]

    free, held = braked["none"], braked[brake]
    assert free.diagnosis.label == "overfitting"
    assert gap(held) < gap(free) - 0.05
    assert held.history.val_loss[-1] < 0.5 * free.history.val_loss[-1]
    assert held.val["metric"] > free.val["metric"]


# ---------------------------------------------------------------- 07 epochs and early stopping


def lesson_07_fit(epochs=150, **stopping):
    full = hplab.load_dataset("moons", n_samples=1000, noise=0.3, seed=0)
    data = full.subset(30, seed=0)
    model = hplab.mlp(2, 2, depth=3, width=64, seed=0)
    stopper = hplab.EarlyStopping(**stopping) if stopping else None
    hist = hplab.fit(model, data, lr=1e-3, batch_size=16, epochs=epochs, early_stopping=stopper)
    return hist, hplab.evaluate(model, data, split="val")["loss"]


def test_07_the_lesson_setup_matches_the_early_stopping_dashboard():
    hist, _ = lesson_07_fit(patience=10)
    r = preset("early stopping", widgets.EarlyStoppingLab)
    assert r.history.val_loss == hist.val_loss


def test_07_validation_loss_is_lowest_around_epoch_15_then_climbs():
    hist, val = lesson_07_fit()
    assert 8 <= hist.best_epoch <= 25
    assert hist.val_loss[-1] > 1.3 * hist.best_val_loss
    assert hist.train_loss[-1] < hist.train_loss[hist.best_epoch - 1]


def test_07_three_epochs_stop_while_the_loss_still_falls_steeply():
    hist, _ = lesson_07_fit(epochs=3)
    assert hist.train_loss[-1] < hist.train_loss[-2] - 0.02
    long, _ = lesson_07_fit()
    assert long.best_val_loss < hist.val_loss[-1] - 0.1


def test_07_patience_and_min_delta_order_the_stopping_epochs():
    p1, v1 = lesson_07_fit(patience=1)
    p10, v10 = lesson_07_fit(patience=10)
    delta, vdelta = lesson_07_fit(patience=10, min_delta=0.02)
    assert p1.stopped_epoch < delta.stopped_epoch < p10.stopped_epoch
    assert vdelta > v10  # the large min_delta stopped before the last small gains


def test_07_the_overfit_run_is_overconfident_not_less_accurate():
    """The lesson points out that loss and accuracy disagree for the 150-epoch run."""
    long = preset("too many epochs", widgets.EarlyStoppingLab)
    stopped = preset("early stopping", widgets.EarlyStoppingLab)
    assert long.val["loss"] > stopped.val["loss"] * 2
    assert long.val["metric"] >= stopped.val["metric"]
