"""Lesson 02's sentences about its runs, checked on the lesson's seed (0) and on five others.

Each claim runs through the same ``hplab.scenarios`` functions the lesson calls; a seed changes
the data, the starting weights and the minibatch order together. A claim the lesson states as
general must hold on seed 0 and on at least 4 of seeds 1-5.
"""

import numpy as np
import pytest
from seeds_helpers import LESSON_SEED, OTHER_SEEDS, SEEDS, holds

import hplab
from hplab import playground, scenarios

NAMES = ["constant", "step", "exponential", "cosine", "one_cycle", "warmup"]


@pytest.fixture(scope="module")
def seeds():
    """Everything lesson 02 trains, for each seed."""
    out = {}
    for seed in SEEDS:
        data = scenarios.moons(seed)
        found = scenarios.range_test(data, seed)
        out[seed] = dict(
            rates=scenarios.lr_runs(data, [1e-3, 0.1, 10.0], seed=seed),
            schedules=scenarios.schedule_runs(data, NAMES, lr=1.0, seed=seed),
            found=found,
            tried=scenarios.lr_runs(data, [found.suggestion * f for f in (0.1, 1, 10)], seed=seed),
            sweep=scenarios.sweep(data, seed),
        )
    return out


def test_02_small_rate_is_slow_middle_is_good_large_diverges(seeds):
    def claim(r):
        slow, good, big = r["rates"].values()
        labels = [hplab.diagnose(h).label for h in (slow, good, big)]
        assert labels == ["slow", "good", "diverged"], labels
        assert np.diff([slow.initial["train_loss"]] + slow.train_loss).max() < 0
        assert slow.train_loss[-1] > 2 * good.train_loss[-1]
        drop = good.initial["train_loss"] - good.train_loss[-1]
        assert good.initial["train_loss"] - good.train_loss[2] > 0.5 * drop  # most of it in 3 epochs
        assert good.val_loss[-1] < 1.1 * min(good.val_loss)
        assert big.epochs_run == 1 and big.stopped_step < big.steps_per_epoch

    holds(claim, seeds)


def test_02_decaying_schedules_calm_down_while_constant_and_warmup_keep_jumping(seeds):
    def claim(r):
        rises = {n: scenarios.late_rises(h) for n, h in r["schedules"].items()}
        calm = max(rises["step"], rises["cosine"])
        assert calm < 0.01, rises
        constant = r["schedules"]["constant"]   # at 1.0 the network still learns
        assert constant.val_loss[-1] < 0.5 * constant.initial["val_loss"]
        for name in ("constant", "exponential", "warmup"):
            assert rises[name] > max(0.01, 5 * calm), (name, rises)

    holds(claim, seeds)


def test_02_one_cycle_at_a_peak_of_one_ends_above_step_and_cosine_and_sometimes_blows_up(seeds):
    def claim(r):
        final = {n: h.val_loss[-1] for n, h in r["schedules"].items()}
        assert final["one_cycle"] > 1.2 * min(final["step"], final["cosine"]), final

    holds(claim, seeds)
    assert any(seeds[s]["schedules"]["one_cycle"].diverged for s in OTHER_SEEDS)


def test_02_schedule_plot_spans_the_epochs_the_runs_use(seeds):
    lrs = {n: hplab.schedule_lrs(n, lr=1.0, epochs=scenarios.EPOCHS) for n in NAMES}
    for name, hist in seeds[LESSON_SEED]["schedules"].items():
        assert len(lrs[name]) == hist.epochs_run or hist.diverged
        if not hist.diverged:
            np.testing.assert_allclose(hist.lr, lrs[name], rtol=1e-6)
    assert lrs["exponential"][-1] > 1 / 3   # "more than a third of the base rate after 20 epochs"


def test_02_range_test_curve_is_flat_then_falls_then_shoots_up(seeds):
    def claim(r):
        found = r["found"]
        lrs, smooth = np.array(found.lrs), np.array(found.losses)
        early = smooth[lrs <= 1e-3]
        assert early.max() < 1.3 * early.min()
        assert smooth.min() < 0.7 * np.median(early)
        assert smooth[-1] > 2 * smooth.min() and found.stopped_early

    holds(claim, seeds)


def test_02_range_test_leaves_the_network_as_it_was():
    data = scenarios.moons(0)
    model, fresh = scenarios.net(data, seed=0), scenarios.net(data, seed=0)
    hplab.lr_range_test(model, data, optimizer="sgd", start_lr=1e-5, end_lr=10, seed=0)
    assert hplab.evaluate(model, data) == hplab.evaluate(fresh, data)


def test_02_range_test_suggestion_is_cautious_and_trains_well(seeds):
    def claim(r):
        found, sweep = r["found"], r["sweep"]
        assert 2 <= sweep.best_lr / found.suggestion <= 10, (sweep.best_lr, found.suggestion)
        low, mid, high = (h.train_loss[-1] for h in r["tried"].values())
        assert low > 1.1 * mid > 1.1 * 1.1 * high, (low, mid, high)
        assert all(hplab.diagnose(h).label == "good" for h in list(r["tried"].values())[1:])

    holds(claim, seeds)


def test_02_sweep_slow_on_the_left_diverged_on_the_right(seeds):
    def claim(r):
        shape = scenarios.sweep_shape(r["sweep"])
        assert len(shape) == 6 and all(shape.values()), shape

    holds(claim, seeds)


def test_02_sweep_figure_draws_one_cross_per_diverged_run(seeds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hplab import plots

    sweep = seeds[LESSON_SEED]["sweep"]
    ax = plots.lr_sweep_curve(sweep)
    crosses = [ln for ln in ax.lines if ln.get_label() == "diverged"]
    drawn = list(crosses[0].get_xdata()) if crosses else []
    assert drawn == [lr for lr, h in zip(sweep.lrs, sweep.histories) if h.diverged]
    plt.close(ax.figure)


def test_02_the_diverged_cross_sits_where_the_loss_leaves_the_plot_with_its_value(seeds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hplab import plots

    big = seeds[LESSON_SEED]["rates"][10.0]
    ax = plots.loss_curves(big)
    (cross,) = [ln for ln in ax.lines if ln.get_label() == "diverged"]
    assert cross.get_ydata()[0] == pytest.approx(ax.get_ylim()[1])  # on the top edge
    assert f"{big.train_loss[-1]:.2g}" in " ".join(t.get_text() for t in ax.texts)
    plt.close(ax.figure)


def test_02_scenarios_refuse_bad_input_by_name():
    data = scenarios.moons(0)
    with pytest.raises(ValueError, match="rates must hold at least one learning rate"):
        scenarios.lr_runs(data, [])
    with pytest.raises(ValueError, match="rates must be > 0, got -0.1"):
        scenarios.lr_runs(data, [-0.1])
    with pytest.raises(ValueError, match="names 'linear' is unknown"):
        scenarios.schedule_runs(data, ["linear"])
    hist = scenarios.lr_runs(data, [0.1], seed=0)[0.1]
    with pytest.raises(ValueError, match="key 'val_metric' is unknown"):
        scenarios.late_rises(hist, key="val_metric")
    assert scenarios.late_rises(hist, 5, "train_loss") == pytest.approx(
        float(np.clip(np.diff(hist.train_loss[-6:]), 0, None).sum()))


def _lab_run(seed, **knobs):
    from hplab import widgets

    values = {**widgets.LearningRateLab.VALUES, **knobs, "seed": seed}
    return playground.train_run(values, track=False).history


def _first_diverging_notch(seed, optimizer):
    """The first rate on the dashboard's slider (notches of 10 ** 0.25), going up from the
    lesson's starting 0.1, at which a run diverges."""
    for k in range(-4, 7):
        if _lab_run(seed, optimizer=optimizer, lr=10 ** (k / 4)).diverged:
            return k
    return None


def test_02_dashboard_answers_sgd_diverges_six_notches_up_momentum_lower():
    def claim(seed):
        sgd, momentum = _first_diverging_notch(seed, "sgd"), _first_diverging_notch(seed, "momentum")
        assert sgd == 2, sgd                    # 10 ** 0.5 = 3.16, six notches above 0.1
        assert momentum is not None and 1 <= sgd - momentum <= 3, momentum

    holds(claim, {s: s for s in SEEDS})
    assert _first_diverging_notch(LESSON_SEED, "momentum") == 0   # 1.0 with the lesson's seed


def test_02_dashboard_answers_a_step_schedule_calms_a_rate_slightly_too_high():
    def claim(seed):
        lr = 10 ** 0.25   # 1.78
        stepped, constant = _lab_run(seed, lr=lr, schedule="step"), _lab_run(seed, lr=lr)
        assert scenarios.late_rises(stepped) < 0.001 and scenarios.late_rises(constant) > 0.03
        assert hplab.schedule_lrs("step", lr=1.0, epochs=scenarios.EPOCHS)[6] == pytest.approx(0.1)

    holds(claim, {s: s for s in SEEDS})


def test_02_the_dashboard_buttons_reproduce_the_three_rates():
    from hplab import widgets

    lab = widgets.LearningRateLab
    rates = {name: lab.PRESETS[name].values["lr"] for name in ("too low", "just right", "too high")}
    assert rates == {"too low": 1e-3, "just right": 0.1, "too high": 10.0}
    assert lab.VALUES["lr"] == 0.1 and lab.VALUES["optimizer"] == "sgd"
    assert lab.VALUES["epochs"] == scenarios.EPOCHS


def test_02_the_lessons_data_is_as_its_docstring_says():
    data = scenarios.moons(0)
    assert (data.n_train, len(data.val.y), len(data.test.y)) == (300, 100, 100)


def test_02_sweep_shape_says_when_a_sweep_does_not_show_it():
    timid = scenarios.sweep(scenarios.moons(0), lrs=[1e-3, 3e-3, 1e-2])  # nothing diverges
    assert scenarios.sweep_shape(timid) == {"some rates diverged": False}
