"""Lessons 02, 04, 05 and 06: each claim the text makes is made to happen here with the same
settings and seeds, and each lesson's dashboard is driven the way a learner drives it."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import hplab
from hplab import comparisons, playground, widgets
from hplab.models import ACTIVATIONS, linear_layers

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = ("02_learning_rate", "04_optimizers", "05_batch_size", "06_activations")


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", seed=0)


def _net(seed=0, **kw):
    return hplab.mlp(2, 2, **{"depth": 2, "width": 32, **kw}, seed=seed)


# ----------------------------------------------------------------------------- the notebooks


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean_and_reads_like_a_lesson(name):
    nb = json.loads((LESSONS / f"{name}.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    for line in code[0].splitlines():  # imports of public names only
        assert not line.strip() or line.startswith(("import ", "from hplab import ")), line
    assert "After this lesson you will be able to explain" in text
    assert text.count("Predict") >= 3 and "Takeaway" in text
    # two or three interview answers, and at most one folded answer to a prompt
    assert 2 <= text.count("<details>") == text.count("</details>") <= 4
    assert sum("widgets." in c for c in code) == 1  # one live dashboard


# ----------------------------------------------------------------------------- lesson 02


def test_02_schedule_shapes_are_what_the_table_says():
    lrs = {n: np.array(hplab.schedule_lrs(n, lr=1.0, epochs=20))  # the lesson's 20 epochs
           for n in ("constant", "step", "exponential", "cosine", "one_cycle", "warmup")}
    assert np.all(lrs["constant"] == 1.0)
    assert set(np.round(lrs["step"], 6)) == {1.0, 0.1, 0.01, 0.001}        # cut 10x at a time
    np.testing.assert_allclose(lrs["exponential"][1:] / lrs["exponential"][:-1], 0.95)
    assert lrs["cosine"][0] == 1.0 and lrs["cosine"][-1] < 1e-3             # glides to ~0
    peak = int(np.argmax(lrs["one_cycle"]))
    assert 0 < peak < 0.3 * 20 and lrs["one_cycle"][-1] < lrs["one_cycle"][0] / 100
    assert lrs["warmup"][0] < 0.5 and np.all(np.diff(lrs["warmup"]) >= 0)   # climbs, then holds
    smallest_last = min(lrs, key=lambda n: lrs[n][-1])
    assert smallest_last in ("cosine", "one_cycle")


# The lesson's claims about its runs, over six seeds: tests/test_lesson02_claims.py


# ----------------------------------------------------------------------------- lesson 04


def test_04_adam_beta1_memory_overshoots_when_long():
    paths = {b: hplab.optimizer_path("valley", "adam", lr=0.3, betas=(b, 0.999))
             for b in (0.0, 0.9, 0.99)}
    labels = {b: hplab.describe_path(p).label for b, p in paths.items()}
    assert labels == {0.0: "converged", 0.9: "converged", 0.99: "slow"}
    assert paths[0.99].points[:, 0].max() > 1.0    # sailed past the minimum at x = 0


def _closest_first(start=None):
    paths = hplab.compare_paths("valley", ["sgd", "momentum", "adam"], steps=50, start=start)
    dist = {name: p.distance_to((0, 0)) for name, p in paths.items()}
    return dist["momentum"] < 0.3 * dist["adam"] and dist["adam"] < 0.5 * dist["sgd"]


def test_04_momentum_gets_closest_then_adam_then_sgd_from_most_starts():
    assert _closest_first()  # the lesson's start
    starts = [np.random.default_rng(s).uniform([-8.5, -1.4], [-4, 1.4]) for s in range(1, 6)]
    assert sum(_closest_first(tuple(start)) for start in starts) >= 4


def _adam_pair_leads(race, i):
    rest = min(race[n][i].train_loss[-1] for n in ("sgd", "momentum", "nesterov", "rmsprop"))
    return max(race["adam"][i].train_loss[-1], race["adamw"][i].train_loss[-1]) < 0.6 * rest


SPIRAL_RATES = dict(sgd=0.3, momentum=0.03, nesterov=0.03, rmsprop=0.003, adam=0.01, adamw=0.01)


def test_04_adam_and_adamw_lead_on_the_spirals_on_almost_every_seed():
    spirals = hplab.load_dataset("spirals", n_samples=600, seed=0)
    race = comparisons.optimizer_race(spirals, SPIRAL_RATES, seeds=[0, 6, 7, 8, 9, 10],
                                      weight_decay={"adamw": 0.01})
    first = hplab.fit(_net(), spirals, optimizer="adam", lr=0.01, epochs=30, seed=0)
    assert race["adam"][0].train_loss[-1] == pytest.approx(first.train_loss[-1], rel=1e-3)
    assert _adam_pair_leads(race, 0)                                    # the lesson's seed
    assert sum(_adam_pair_leads(race, i) for i in range(1, 6)) >= 4     # and other seeds


def test_04_momentum_at_a_tenth_of_sgds_rate_moves_as_far_along_a_steady_slope():
    sgd = hplab.slope_steps("sgd", steps=100)
    momentum = hplab.slope_steps("momentum", steps=100)
    assert momentum[-1, 0] / 10 == pytest.approx(sgd[-1, 0], rel=1e-3)


# ----------------------------------------------------------------------------- lesson 05


def _batch_run(data, batch_size, lr=0.1, epochs=20):
    return hplab.fit(_net(), data, optimizer="sgd", lr=lr, batch_size=batch_size, epochs=epochs,
                     seed=0)


OTHER_SEEDS = (6, 7, 8, 9, 10)


def _batch_seeds(data, batch_size, lr=0.1, epochs=20, schedule=None, seeds=(0,) + OTHER_SEEDS):
    """The lesson's runs (fit_seeds, 2 x 32, plain SGD) on its seed 0 and five others."""
    return hplab.fit_seeds(data, seeds, optimizer="sgd", lr=lr, batch_size=batch_size,
                           epochs=epochs, schedule=schedule, depth=2, width=32)


def _holds_on_lesson_seed_and_4_of_5(flags):
    flags = list(flags)
    return flags[0] and sum(flags[1:]) >= 4


def test_05_fit_seeds_member_is_the_single_run_of_the_same_seed(moons):
    assert _batch_seeds(moons, 32, epochs=3, seeds=[0])[0].batch_loss == pytest.approx(
        _batch_run(moons, 32, epochs=3).batch_loss, rel=1e-4)


def test_05_small_batches_noisier_and_more_steps_on_almost_every_seed(moons):
    runs = {b: _batch_seeds(moons, b) for b in (8, 32, 128)}
    assert [runs[b][0].steps_per_epoch for b in (8, 32, 128)] == [38, 10, 3]
    jumps = {b: [comparisons.minibatch_jumps(h) for h in runs[b]] for b in runs}
    assert _holds_on_lesson_seed_and_4_of_5(
        j8 > j32 > j128 and j8 > 1.5 * j128 for j8, j32, j128 in zip(*jumps.values()))
    assert _holds_on_lesson_seed_and_4_of_5(   # more steps, lower loss after the same epochs
        s.train_loss[-1] < 0.7 * b.train_loss[-1] for s, b in zip(runs[8], runs[128]))


def test_05_gradient_noise_falls_like_one_over_sqrt_batch(moons):
    ratios = []
    for seed in (0,) + OTHER_SEEDS:
        noise = comparisons.gradient_noise(_net(seed), moons, [4, 16], draws=100, seed=seed)
        ratios.append(noise[4] / noise[16])
    assert _holds_on_lesson_seed_and_4_of_5(1.7 < r < 2.6 for r in ratios)   # 2, far from 4


def test_05_same_steps_same_progress_and_the_scaled_rate_closes_the_gap(moons):
    small, big = _batch_seeds(moons, 16, epochs=10), _batch_seeds(moons, 128, epochs=64)
    assert abs(len(small[0].batch_loss) - len(big[0].batch_loss)) <= 2
    assert _holds_on_lesson_seed_and_4_of_5(
        abs(b.train_loss[-1] / s.train_loss[-1] - 1) < 0.12 for s, b in zip(small, big))
    s16, b64, k64 = _batch_seeds(moons, 16), _batch_seeds(moons, 64), _batch_seeds(moons, 64, lr=0.4)
    assert _holds_on_lesson_seed_and_4_of_5(
        k.train_loss[-1] < 0.8 * b.train_loss[-1]
        and b.train_loss[-1] - k.train_loss[-1] > 0.6 * (b.train_loss[-1] - s.train_loss[-1])
        for s, b, k in zip(s16, b64, k64))


def test_05_warm_up_calms_the_first_epochs_at_sixteen_times_the_rate(moons):
    cold = [max(h.train_loss[:3]) for h in _batch_seeds(moons, 128, lr=1.6)]
    calm = [max(h.train_loss[:3]) for h in _batch_seeds(moons, 128, lr=1.6, schedule="warmup")]
    assert cold[0] > 2 * calm[0]
    assert _holds_on_lesson_seed_and_4_of_5(c > w for c, w in zip(cold, calm))
    assert np.median(cold) > 1.5 * np.median(calm)


def test_05_a_batch_larger_than_the_data_is_refused_with_the_rule_and_value(moons):
    with pytest.raises(ValueError, match=r"batch_size must be <= the training split size \(300\)"):
        _batch_run(moons, 301, epochs=1)


# ----------------------------------------------------------------------------- lesson 06


def _slope(name):
    x = torch.linspace(-6, 6, 1201, requires_grad=True)
    (g,) = torch.autograd.grad(ACTIVATIONS[name]()(x).sum(), x)
    return g


def test_06_slopes_sigmoid_at_most_a_quarter_leaky_never_zero_relu_zero_below():
    assert _slope("sigmoid").max() <= 0.25 + 1e-6
    assert 1.1 < _slope("gelu").max() < 1.15                       # the largest slope of the five
    assert max(_slope(n).max() for n in ("relu", "leaky_relu", "tanh")) < _slope("gelu").max()
    assert _slope("tanh").max() == pytest.approx(1.0, abs=1e-4)
    assert _slope("leaky_relu").min() > 0.05
    assert (_slope("relu")[:600] == 0).all()


@pytest.fixture(scope="module")
def small_moons():
    return hplab.load_dataset("moons", n_samples=1000, seed=0).subset(200)


def _deep(data, act, seed):
    return hplab.fit(hplab.mlp(2, 2, depth=8, width=32, activation=act, seed=seed), data,
                     optimizer="sgd", lr=0.1, epochs=20, track_gradients=True, seed=seed)


def _vanishes(data, seed) -> bool:
    sig, relu = (np.array(_deep(data, act, seed).grad_norms) for act in ("sigmoid", "relu"))
    return ((sig[:, 0] / sig[:, -1]).max() < 1e-3                # first layer starved, every epoch
            and (sig.max(axis=1) / sig.min(axis=1)).min() > 1e4   # 4-5 orders across layers
            and (relu.max(axis=1) / relu.min(axis=1)).max() < 10)  # ReLU: within a factor of ten


def test_06_deep_sigmoid_gradients_vanish_and_relu_ones_do_not_on_almost_every_seed(small_moons):
    assert _vanishes(small_moons, 0)
    assert sum(_vanishes(small_moons, seed) for seed in (6, 7, 8, 9, 10)) >= 4
    sigmoid, relu = _deep(small_moons, "sigmoid", 0), _deep(small_moons, "relu", 0)
    assert sigmoid.train_loss[-1] == pytest.approx(math.log(2), abs=0.03)   # a fifty-fifty guess
    assert relu.train_loss[-1] < 0.5 * sigmoid.train_loss[-1]


def _silent_rows(model, data) -> int:
    """Hidden units whose incoming weights get exactly zero gradient on the whole training set."""
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(data.train.X), data.train.y).backward()
    return sum(int((layer.weight.grad.abs().sum(dim=1) == 0).sum())
               for layer in linear_layers(model)[:-1])


def test_06_high_rate_kills_relu_units_for_good_and_leaky_relu_learns_on_almost_every_seed(
        small_moons):
    seeds = (1, 7, 8, 9, 10, 11)   # the lesson's seed, then five it does not show
    relu = comparisons.rough_start(small_moons, "relu", seeds=seeds)
    leaky = comparisons.rough_start(small_moons, "leaky_relu", seeds=seeds)
    killed = [h.dead_fraction[-1] >= 0.5 and h.dead_fraction[-1] >= max(h.dead_fraction) - 0.1
              and _silent_rows(m, small_moons) >= 16 for m, h in relu]   # few ever come back
    learned = [h.dead_fraction == [0.0] * 30 and h.val_metric[-1] > 0.85
               and _silent_rows(m, small_moons) == 0 for m, h in leaky]
    assert killed[0] and sum(killed[1:]) >= 4
    assert learned[0] and sum(learned[1:]) >= 4
    stuck = relu[0][1]   # on the lesson's seed the survivors cannot separate the moons
    assert stuck.train_loss[-1] == pytest.approx(math.log(2), abs=0.02) and stuck.val_metric[-1] < 0.6


def test_06_hplab_mlp_uses_he_init_for_relu_while_pytorch_default_is_uniform_over_sqrt_fan_in():
    fan_in = 256
    default = torch.nn.Linear(fan_in, 256).weight
    assert default.abs().max() <= 1 / math.sqrt(fan_in)                   # U(±1/sqrt(fan_in))
    assert default.var().item() == pytest.approx(1 / (3 * fan_in), rel=0.05)
    ours = hplab.mlp(fan_in, 2, depth=2, width=256, activation="relu", seed=0)
    he = linear_layers(ours)[1].weight                                     # a hidden 256 -> 256
    assert he.var().item() == pytest.approx(2 / fan_in, rel=0.05)         # six times the default
    glorot = linear_layers(hplab.mlp(fan_in, 2, depth=2, width=256, activation="sigmoid"))[1]
    assert glorot.weight.var().item() == pytest.approx(2 / (fan_in + 256), rel=0.05)


def test_06_dying_relu_preset_gives_the_same_verdict_in_the_playground_and_the_lab():
    lab = widgets.ActivationLab.PRESETS["dying ReLU"]
    play = playground.PRESETS["dying ReLU"]
    lab_config = playground.check_config({**widgets.ActivationLab.VALUES, **lab.values})
    assert playground.check_config(play.values) == lab_config
    assert play.label == lab.label


# ----------------------------------------------------------------------------- dashboards


DASHBOARDS = (widgets.LearningRateLab, widgets.BatchSizeLab, widgets.ActivationLab,
              widgets.PathExplorer)
DEFAULT_LABEL = {"LearningRateLab": "good", "BatchSizeLab": "good", "ActivationLab": "good",
                 "PathExplorer": "zig-zag"}


@pytest.fixture(scope="module")
def dashes():
    return {cls.__name__: cls(live=False) for cls in DASHBOARDS}


@pytest.mark.parametrize("name", [c.__name__ for c in DASHBOARDS])
def test_dashboard_default_run_and_static_picture(dashes, name):
    dash = dashes[name]
    assert dash.error is None and dash.last_result.diagnosis.label == DEFAULT_LABEL[name]
    assert set(dash.KNOBS) <= set(dash.controls)
    bundle = dash._repr_mimebundle_()
    assert bundle["image/png"][:4] == b"\x89PNG"
    assert DEFAULT_LABEL[name].upper() in bundle["text/plain"]


@pytest.mark.parametrize("cls, preset", [(c, p) for c in DASHBOARDS for p in c.PRESETS])
def test_every_preset_shows_the_symptom_it_promises(dashes, cls, preset):
    dash = dashes[cls.__name__]  # presets reset every knob, so one dashboard serves them all
    result = dash.apply_preset(preset)
    assert result is not None and result.diagnosis.label == cls.PRESETS[preset].label
    for key, value in cls.PRESETS[preset].values.items():
        assert result.config[key] == value


def test_learning_rate_slider_retrains_with_the_new_rate(dashes):
    lab = dashes["LearningRateLab"]
    before, runs = lab.last_result, lab.runs
    lab.controls["lr"].value = 10.0
    r = lab.last_result
    assert lab.runs == runs + 1 and lab.ghost is before
    assert r.config["lr"] == 10.0 and r.history.config["lr"] == 10.0
    assert r.diagnosis.label == "diverged"
    lab.controls["lr"].value = 1.0
    lab.controls["schedule"].value = "step"
    assert lab.last_result.history.config["schedule"] == "step"
    assert lab.last_result.history.lr[-1] < lab.last_result.history.lr[0]


def test_batch_size_lab_shows_a_bad_batch_size_and_keeps_working(dashes):
    lab = dashes["BatchSizeLab"]
    kept = lab.last_result
    lab.controls["batch_size"].value = 256   # more than the 200 training examples
    assert lab.last_result is kept
    assert "batch_size must be &lt;= the training split size (200), got 256" in lab.status.value
    lab.controls["batch_size"].value = 64
    assert lab.error is None and lab.last_result.history.steps_per_epoch == math.ceil(200 / 64)
    assert "4 updates per epoch" in lab.caption(lab.last_result)


def test_activation_lab_shows_gradients_and_dead_units(dashes):
    lab = dashes["ActivationLab"]
    lab.controls["activation"].value = "tanh"
    hist = lab.last_result.history
    assert lab.last_result.config["activation"] == "tanh"
    assert len(hist.grad_norms[-1]) == lab.controls["depth"].value + 1
    assert hist.dead_fraction and all(f == 0.0 for f in hist.dead_fraction)


def test_path_explorer_follows_the_optimizer_and_surface_knobs(dashes):
    paths = dashes["PathExplorer"]
    paths.controls["optimizer"].value = "adam"
    r = paths.last_result
    assert paths.controls["lr"].value == hplab.SURFACES["valley"].lrs["adam"]
    assert r.path.optimizer == "adam" and r.path.lr == 0.3 and r.diagnosis.label == "converged"
    paths.controls["surface"].value = "rosenbrock"
    paths.controls["steps"].value = 300
    r = paths.last_result
    assert r.path.surface == "rosenbrock" and len(r.path.points) == 301
    assert r.path.lr == hplab.SURFACES["rosenbrock"].lrs["adam"]
    paths.controls["beta1"].value = 0.5
    assert paths.last_result.path.config["betas"][0] == 0.5


def test_path_explorer_shows_a_failure_and_recovers(monkeypatch):
    paths = widgets.PathExplorer(live=False)
    kept = paths.last_result

    def broken(*args, **kwargs):
        raise RuntimeError("the surface could not be evaluated")

    monkeypatch.setattr(widgets.paths, "optimizer_path", broken)
    paths.controls["lr"].value = 0.1
    assert paths.last_result is kept
    assert "RuntimeError: the surface could not be evaluated" in paths.status.value
    monkeypatch.undo()
    paths.controls["lr"].value = 0.2
    assert paths.error is None and paths.last_result.path.lr == 0.2


# ----------------------------------------------------------------------------- their plots


@pytest.fixture()
def ax():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_lr_finder_curve_marks_each_rule_at_its_rate(moons, ax):
    from hplab import plots

    found = hplab.lr_range_test(_net(), moons, optimizer="sgd", steps=60, seed=0)
    plots.lr_finder_curve(found, ax)
    assert ax.get_xscale() == "log"
    vlines = {line.get_label().split(":")[0]: line.get_xdata()[0] for line in ax.lines
              if len(set(line.get_xdata())) == 1}
    assert vlines["min_tenth"] == pytest.approx(found.suggestion)
    assert vlines["steepest"] == pytest.approx(found.suggestions["steepest"])
    assert vlines["lowest loss"] == pytest.approx(found.min_loss_lr)
    with pytest.raises(TypeError, match="found must be the result of hplab.lr_range_test"):
        plots.lr_finder_curve([1, 2, 3], ax)


def test_optimizer_paths_draws_each_path_through_its_points(ax):
    from hplab import plots

    paths = hplab.compare_paths("valley", ["sgd", "adam"], steps=20)
    plots.optimizer_paths(paths, ax)
    drawn = {line.get_label().split(" ")[0]: line for line in ax.lines
             if len(line.get_xdata()) == 21}
    for name, path in paths.items():
        np.testing.assert_allclose(drawn[name].get_xdata(), path.points[:, 0])
        np.testing.assert_allclose(drawn[name].get_ydata(), path.points[:, 1])
    assert ax.get_xlim() == hplab.SURFACES["valley"].xlim
    with pytest.raises(TypeError, match=r"paths\['x'\] must be an OptimizerPath"):
        plots.optimizer_paths({"x": 3}, ax)


def test_batch_losses_puts_runs_on_epochs_or_steps(moons, ax):
    from hplab import plots

    runs = {"8": _batch_run(moons, 8, epochs=2), "128": _batch_run(moons, 128, epochs=2)}
    plots.batch_losses(runs, ax)
    assert [line.get_xdata()[-1] for line in ax.lines] == [2.0, 2.0]
    assert [len(line.get_xdata()) for line in ax.lines] == [76, 6]
    ax.cla()
    plots.batch_losses(runs, ax, per="step")
    assert [line.get_xdata()[-1] for line in ax.lines] == [76, 6]
    with pytest.raises(ValueError, match="per 'batch' is unknown"):
        plots.batch_losses(runs, ax, per="batch")


def test_lr_sweep_curve_marks_the_diverged_rates(moons, ax):
    from hplab import plots

    sweep = hplab.lr_sweep(moons, [1e-2, 1e-1, 1.0, 100.0], optimizer="sgd", epochs=3, seed=0)
    plots.lr_sweep_curve(sweep, ax)
    crosses = [line for line in ax.lines if line.get_label() == "diverged"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [100.0]


def test_activation_shapes_draws_the_slopes(ax):
    from hplab import plots

    plots.activation_shapes(ax, names=["sigmoid", "relu"], derivative=True)
    sigmoid, relu = ax.lines[:2]
    assert max(sigmoid.get_ydata()) == pytest.approx(0.25, abs=1e-3)
    assert set(np.unique(relu.get_ydata())) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="names 'swish' is unknown"):
        plots.activation_shapes(ax, names=["swish"])
