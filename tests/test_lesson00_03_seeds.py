"""Lessons 00, 01 and 03: what each says about its runs, on the lesson's seed and on five others.

The runs go through the same functions the lessons call (``playground.train_run`` behind
``compare_presets``/``compare_configs``, with the presets and ``hplab.scenarios``' settings).
The ``seed`` knob moves the starting weights and the minibatch order; a claim the lesson states
as general must hold on seed 0 and on at least 4 of seeds 1-5.
"""

import pytest
from seeds_helpers import LESSON_SEED, SEEDS, holds

import hplab
from hplab import playground, scenarios, widgets


def run(values, seed, cls=widgets.Playground, track=False):
    return playground.train_run({**cls.VALUES, **values, "seed": seed}, track=track)


def preset(name, seed, cls=widgets.Playground, track=False):
    return run(cls.PRESETS[name].values, seed, cls, track)


# ---------------------------------------------------------------- 00 start here


def test_00_the_first_run_by_hand_is_healthy():
    def claim(seed):
        data = hplab.load_dataset("moons", n_samples=1000, noise=0.2, seed=seed)
        model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=seed)
        hist = hplab.fit(model, data, optimizer="adam", lr=1e-2, epochs=30, seed=seed)
        assert hplab.diagnose(hist).label == "good"
        assert hist.val_loss[-1] < 0.3 * hist.initial["val_loss"]
        assert hist.train_loss[-1] < 0.3 * hist.initial["train_loss"]
        assert abs(hist.train_metric[-1] - hist.val_metric[-1]) < 0.05

    holds(claim, {s: s for s in SEEDS})


def test_00_adam_at_a_rate_of_three_diverges_in_the_first_epoch():
    def claim(seed):
        r = run({"lr": 10 ** 0.5}, seed)   # "about 3" on the slider's notches
        assert r.history.status == "diverged" and r.history.epochs_run == 1

    holds(claim, {s: s for s in SEEDS})


def test_00_three_presets_healthy_exploding_and_first_layers_starved():
    def claim(seed):
        assert preset("good", seed).diagnosis.label == "good"
        assert preset("divergence", seed).history.status == "diverged"
        deep = preset("vanishing gradients", seed, track=True)
        assert playground.health(deep.history)["gradient_ratio"] < 1e-3   # thousands of times smaller

    holds(claim, {s: s for s in SEEDS})


def test_00_a_batch_larger_than_the_training_set_is_refused_and_the_playground_keeps_working():
    dash = widgets.Playground(live=False)
    kept = dash.last_result
    dash.controls["batch_size"].value = 512
    assert dash.last_result is kept and "batch_size must be" in dash.error
    dash.controls["batch_size"].value = 32
    assert dash.error is None


def _in_view(widget, *, open_only=True):
    """Every widget under ``widget``; with ``open_only``, none inside a closed Accordion."""
    import ipywidgets as W

    found = [widget]
    if open_only and isinstance(widget, W.Accordion) and widget.selected_index is None:
        return found
    for child in getattr(widget, "children", ()):
        found += _in_view(child, open_only=open_only)
    return found


def test_00_the_playground_opens_with_the_essential_knobs_and_folds_the_rest():
    dash = widgets.Playground(live=False)
    assert set(dash.controls) == set(widgets.Playground.KNOBS)   # every knob still reachable
    visible = _in_view(dash.view)
    shown = {k for k, w in dash.controls.items() if any(w is v for v in visible)}
    assert shown == set(widgets.Playground.ESSENTIAL) and len(shown) <= 10
    assert dash.more is not None and dash.more.selected_index is None   # folded at first
    everything = _in_view(dash.view, open_only=False)
    assert all(any(w is v for v in everything) for w in dash.controls.values())
    assert "momentum" not in shown and "lr" in shown
    dash.controls["weight_decay"].value = 1e-3   # a folded knob still retrains
    assert dash.last_result.config["weight_decay"] == 1e-3


def test_00_the_learning_rate_readout_shows_three_digits():
    dash = widgets.LearningRateLab(live=False)
    fmt = dash.controls["lr"].readout_format
    assert format(10 ** 0.25, fmt) == "1.78" and format(0.1, fmt) == "0.1"


# ---------------------------------------------------------------- 01 why tune

FOUR = ("underfitting", "overfitting", "slow", "unstable")


@pytest.fixture(scope="module")
def four():
    return {s: {name: preset(name, s).history for name in FOUR} for s in SEEDS}


def test_01_each_failure_gets_its_own_verdict(four):
    def claim(runs):
        from hplab import diagnose

        assert [diagnose(runs[n]).label for n in FOUR] == list(FOUR)

    holds(claim, four)


def test_01_underfitting_stays_high_and_level_even_on_training_data(four):
    def claim(runs):
        h = runs["underfitting"]
        assert h.train_metric[-1] < 0.7
        assert min(h.train_loss) > 0.7 * h.initial["train_loss"]

    holds(claim, four)


def test_01_overfitting_fits_every_example_while_validation_climbs(four):
    def claim(runs):
        h = runs["overfitting"]
        assert h.train_metric[-1] == 1.0 and h.train_loss[-1] < 0.01
        assert h.best_epoch <= 5 and h.val_loss[-1] > 3 * h.best_val_loss

    holds(claim, four)


def test_01_slow_falls_every_epoch_and_is_still_high_at_the_end(four):
    def claim(runs):
        h = runs["slow"]
        losses = [h.initial["train_loss"]] + h.train_loss
        assert all(b < a for a, b in zip(losses, losses[1:]))
        assert h.train_loss[-1] > 0.5 * h.initial["train_loss"]

    holds(claim, four)


def test_01_unstable_jumps_back_up_again_and_again(four):
    def claim(runs):
        h = runs["unstable"]
        assert sum(b > 1.2 * a for a, b in zip(h.train_loss, h.train_loss[1:])) >= 3
        assert h.status == "completed"   # it bounces, but does not blow up

    holds(claim, four)


def test_01_answers_more_data_cures_overfitting_brakes_stop_it_smaller_changes_do_not():
    base = widgets.Playground.PRESETS["overfitting"].values

    def claim(seed):
        def change(**knob):
            return run({**base, **knob}, seed)

        more = change(n_train=600)
        assert more.diagnosis.label == "good" and more.val["metric"] >= 0.95
        for knob in (dict(patience=5), dict(weight_decay=0.1)):
            r = change(**knob)
            assert r.diagnosis.label == "good" and r.val["metric"] < 0.9, knob
        for knob in (dict(epochs=5), dict(dropout=0.5), dict(depth=1), dict(width=4)):
            assert change(**knob).diagnosis.label == "overfitting", knob

    holds(claim, {s: s for s in SEEDS})


# ---------------------------------------------------------------- 03 depth and width


@pytest.fixture(scope="module")
def grown():
    base, sizes = scenarios.CAPACITY_BASE, scenarios.CAPACITY_SIZES
    return {s: {n: playground.train_run({**base, **v, "seed": s}, track=False)
                for n, v in sizes.items()} for s in SEEDS}


def test_03_capacity_lifts_accuracy_from_underfitting_until_it_is_enough(grown):
    def claim(runs):
        acc = {n: r.val["metric"] for n, r in runs.items()}
        train = {n: r.history.train_metric[-1] for n, r in runs.items()}
        assert runs["no hidden layer"].diagnosis.label == "underfitting"
        four = runs["1 x 4"].diagnosis
        assert "underfitting" in [four.label, *four.also]
        assert train["no hidden layer"] < 0.7 and train["1 x 4"] < 0.8
        assert acc["2 x 32"] > 0.93 and abs(acc["3 x 128"] - acc["2 x 32"]) < 0.03
        weights = {n: hplab.count_parameters(r.model) for n, r in runs.items()}
        assert weights["3 x 128"] > 20 * weights["2 x 32"]

    holds(claim, grown)


def test_03_four_units_stay_short_of_the_spirals_with_four_times_the_epochs():
    def claim(seed):
        base = {**scenarios.CAPACITY_BASE, "epochs": 4 * scenarios.CAPACITY_BASE["epochs"]}
        r = playground.train_run({**base, **scenarios.CAPACITY_SIZES["1 x 4"], "seed": seed},
                              track=False)
        assert r.history.train_metric[-1] < 0.8

    holds(claim, {s: s for s in SEEDS})


@pytest.fixture(scope="module")
def braked():
    small = widgets.CapacityLab.PRESETS["too big for the data"].values
    return {s: {n: run({**small, **v}, s, widgets.CapacityLab) for n, v in scenarios.BRAKES.items()}
            for s in SEEDS}


def test_03_the_big_net_overfits_thirty_examples(braked):
    def claim(runs):
        free = runs["no brake"]
        assert free.diagnosis.label == "overfitting" and free.history.train_metric[-1] > 0.95
        assert free.history.val_loss[-1] > 3 * min(free.history.val_loss)

    holds(claim, braked)


@pytest.mark.parametrize("brake", ["dropout 0.5", "L2 penalty 0.1"])
def test_03_dropout_and_the_l2_penalty_narrow_the_gap_and_stop_the_climb(braked, brake):
    def claim(runs):
        free, held = runs["no brake"].history, runs[brake].history
        gap = {k: h.train_metric[-1] - h.val_metric[-1] for k, h in (("free", free), ("held", held))}
        assert gap["held"] < gap["free"] - 0.1, gap
        assert held.val_loss[-1] < 0.35 * free.val_loss[-1]
        assert held.val_metric[-1] > free.val_metric[-1]
        if brake.startswith("L2"):
            assert held.val_loss[-1] < 1.15 * min(held.val_loss)

    holds(claim, braked)


def test_03_adams_weight_decay_is_an_l2_penalty_and_adamw_decays_directly():
    """Why lesson 03 calls Adam's weight_decay an L2 penalty: it enters the gradient, which Adam
    then normalizes, while AdamW shrinks the weight by lr * weight_decay directly."""
    import torch

    moved = {}
    for name in ("adam", "adamw"):
        w = torch.nn.Parameter(torch.tensor([2.0]))
        opt = hplab.make_optimizer([w], name, lr=0.1, weight_decay=0.1)
        w.grad = torch.zeros(1)   # no gradient from the data: only the decay acts
        opt.step()
        moved[name] = 2.0 - w.item()
    assert moved["adam"] == pytest.approx(0.1, rel=1e-3)          # a full, normalized step
    assert moved["adamw"] == pytest.approx(0.1 * 0.1 * 2.0, rel=1e-3)  # lr * wd * w
    assert scenarios.BRAKES["L2 penalty 0.1"] == {"weight_decay": 0.1}
    assert widgets.DEFAULTS["optimizer"] == "adam"   # the lab's runs use Adam


def test_03_the_figure_titles_say_every_verdict_diagnose_gives():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, runs = widgets.compare_configs({"1 x 4": scenarios.CAPACITY_SIZES["1 x 4"]},
                                        base=scenarios.CAPACITY_BASE)
    d = runs["1 x 4"].diagnosis
    assert fig.axes[0].get_title().endswith(" + ".join([d.label, *d.also]))
    plt.close(fig)


def test_03_a_finished_run_is_drawn_at_its_true_height_however_high_it_climbs(braked):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hplab import plots

    free = braked[LESSON_SEED]["no brake"].history
    assert max(free.val_loss) > 3 * free.initial["train_loss"]   # above the diverged-run cap
    ax = plots.loss_curves(free)
    val = next(ln for ln in ax.lines if ln.get_label() == "val")
    assert val.get_ydata()[-1] == pytest.approx(free.val_loss[-1])
    assert ax.get_ylim()[1] > max(free.val_loss)
    plt.close(ax.figure)


def test_03_lab_answers_two_layers_are_enough_and_the_smallest_decay_that_holds_is_0_1():
    lab = widgets.CapacityLab
    small = lab.PRESETS["too big for the data"].values

    def claim(seed):
        acc = [run({"depth": d}, seed, lab).val["metric"] for d in range(5)]
        assert acc[0] < 0.75 and acc[1] > 0.8 and acc[2] > 0.93, acc
        assert max(acc[3:]) < acc[2] + 0.04, acc

        def climb(wd):
            h = run({**small, "weight_decay": wd}, seed, lab).history
            return h.val_loss[-1] / min(h.val_loss)

        assert climb(0.03) > 1.15 and climb(0.1) < 1.12
        assert widgets.WEIGHT_DECAYS[widgets.WEIGHT_DECAYS.index(0.1) - 1] == 0.03

    holds(claim, {s: s for s in SEEDS})
