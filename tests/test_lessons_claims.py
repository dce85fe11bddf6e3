"""What lesson 07 says happens, made to happen and checked.

Only claims the foundation tests (test_train.py, test_diagnose.py) do not already cover.
"""

import hplab
from hplab import playground, widgets


def preset(name, cls=widgets.Playground):
    return playground.train_run({**cls.VALUES, **cls.PRESETS[name].values}, track=False)


# Lessons 00, 01 and 03 are checked over six seeds in tests/test_lesson00_03_seeds.py.


# ---------------------------------------------------------------- 07 epochs and early stopping


def lesson_07_fit(epochs=150, seed=0, **stopping):
    full = hplab.load_dataset("moons", n_samples=1000, noise=0.3, seed=0)
    data = full.subset(30, seed=0)
    model = hplab.mlp(2, 2, depth=3, width=64, seed=seed)
    stopper = hplab.EarlyStopping(**stopping) if stopping else None
    hist = hplab.fit(model, data, lr=1e-3, batch_size=16, epochs=epochs, early_stopping=stopper,
                     seed=seed)
    return hist, hplab.evaluate(model, data, split="val")["loss"]


OTHER_SEEDS_07 = (1, 2, 3, 4, 5)


def _turns_up(seed) -> bool:
    hist, _ = lesson_07_fit(seed=seed)
    best = hist.best_epoch - 1
    return (8 <= hist.best_epoch <= 25 and hist.val_loss[-1] > 2 * hist.best_val_loss
            and hist.train_loss[-1] < 0.3 * hist.train_loss[best])


def test_07_validation_loss_turns_up_while_training_loss_sinks_on_almost_every_seed():
    assert _turns_up(0)
    assert sum(_turns_up(seed) for seed in OTHER_SEEDS_07) >= 4


def _stops_at_best_plus_patience_and_restores(seed) -> bool:
    hist, now = lesson_07_fit(seed=seed, patience=10)
    return (hist.status == "early_stopped" and hist.stopped_epoch == hist.best_epoch + 10
            and abs(now - hist.best_val_loss) < 1e-5 and hist.val_loss[-1] > hist.best_val_loss)


def test_07_early_stopping_stops_at_best_plus_patience_and_restores_the_best_on_almost_every_seed():
    assert _stops_at_best_plus_patience_and_restores(0)
    assert sum(_stops_at_best_plus_patience_and_restores(s) for s in OTHER_SEEDS_07) >= 4


def test_07_the_prompt_no_longer_lists_its_answer():
    """The predict-first prompt asks for a sketch and a reason, not a pick among 3, 15 and 150."""
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "source/lessons/07_epochs_and_early_stopping.py"
    prompt = source.read_text().split("Predict first.")[1].split("# %%")[0]
    assert "about 15" not in prompt and "150-epoch" in prompt and "reasons" in prompt


def test_07_the_lesson_setup_matches_the_early_stopping_dashboard():
    hist, _ = lesson_07_fit(patience=10)
    r = preset("early stopping", widgets.EarlyStoppingLab)
    assert r.history.val_loss == hist.val_loss


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


def _overconfident_not_less_accurate(seed) -> bool:
    lab = widgets.EarlyStoppingLab
    long, stopped = (playground.train_run({**lab.VALUES, **lab.PRESETS[name].values, "seed": seed},
                                       track=False) for name in ("too many epochs", "early stopping"))
    return (long.val["loss"] > 2 * stopped.val["loss"]
            and long.val["metric"] >= stopped.val["metric"] - 0.02)


def test_07_the_overfit_run_is_overconfident_not_less_accurate_on_almost_every_seed():
    """The lesson points out that loss and accuracy disagree for the 150-epoch run."""
    long = preset("too many epochs", widgets.EarlyStoppingLab)
    stopped = preset("early stopping", widgets.EarlyStoppingLab)
    assert long.val["metric"] >= stopped.val["metric"]   # the lesson's seed: "even a little higher"
    assert _overconfident_not_less_accurate(0)
    assert sum(_overconfident_not_less_accurate(s) for s in OTHER_SEEDS_07) >= 4
