"""What lesson 07 says happens, made to happen and checked.

Only claims the foundation tests (test_train.py, test_diagnose.py) do not already cover.
"""

import hplab
from hplab import widgets


def preset(name, cls=widgets.Playground):
    return widgets.train_run({**cls.VALUES, **cls.PRESETS[name].values}, track=False)


# Lessons 00, 01 and 03 are checked over six seeds in tests/test_lesson00_03_seeds.py.


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
