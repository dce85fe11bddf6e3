"""hplab.plots: every function returns the Axes and draws what its docstring promises."""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


import hplab  # noqa: E402
from hplab import plots  # noqa: E402


@pytest.fixture(scope="module")
def run(moons):
    model = hplab.mlp(2, 2, depth=2, width=16, seed=0)
    hist = hplab.fit(model, moons, lr=1e-2, epochs=12, track_gradients=True,
                     track_dead_units=True)
    return model, hist


def fake_history(train, val, *, status="completed", best=None, stopped=None):
    h = hplab.History()
    h.epoch = list(range(1, len(train) + 1))
    h.train_loss, h.val_loss = list(train), list(val)
    h.train_metric = [0.5] * len(train)
    h.val_metric = [0.5] * len(train)
    h.initial = dict(train_loss=1.0, val_loss=1.0, train_metric=0.5, val_metric=0.5)
    h.status, h.best_epoch, h.stopped_epoch = status, best, stopped
    return h


def labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_loss_curves_draw_train_and_val_and_star_the_best_epoch(run):
    _, hist = run
    ax = plots.loss_curves(hist)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert {"train", "val"} <= set(labels(ax))
    star = [ln for ln in ax.get_lines() if ln.get_label().startswith("best epoch")]
    assert len(star) == 1
    assert star[0].get_xdata()[0] == hist.best_epoch
    assert star[0].get_ydata()[0] == pytest.approx(hist.val_loss[hist.best_epoch - 1])


def test_loss_curves_start_at_epoch_zero_with_the_initial_loss(run):
    _, hist = run
    ax = plots.loss_curves(hist)
    train = next(ln for ln in ax.get_lines() if ln.get_label() == "train")
    assert train.get_xdata()[0] == 0
    assert train.get_ydata()[0] == pytest.approx(hist.initial["train_loss"])
    assert len(train.get_xdata()) == hist.epochs_run + 1


def test_a_ghost_run_is_drawn_faded_behind_the_new_one(run):
    _, hist = run
    ghost = fake_history([0.9] * 5, [0.95] * 5)
    ax = plots.loss_curves(hist, ghost=ghost)
    faded = [ln for ln in ax.get_lines() if ln.get_label().startswith("previous")]
    assert len(faded) == 2
    assert all(ln.get_alpha() == plots.GHOST_ALPHA for ln in faded)


def test_early_stop_is_marked_with_a_vertical_line():
    h = fake_history([0.8, 0.6, 0.5, 0.5], [0.7, 0.6, 0.65, 0.7], status="early_stopped",
                     best=2, stopped=4)
    ax = plots.loss_curves(h)
    stop = [ln for ln in ax.get_lines() if "early stop" in ln.get_label()]
    assert len(stop) == 1 and list(stop[0].get_xdata()) == [4, 4]


def test_diverged_run_is_clipped_to_finite_values_and_marked():
    h = fake_history([0.9, 5.0, 1e12, math.nan], [0.9, 6.0, math.inf, math.nan], status="diverged")
    ax = plots.loss_curves(h)
    for line in ax.get_lines():
        assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()
    cross = [ln for ln in ax.get_lines() if ln.get_label() == "diverged"]
    assert len(cross) == 1
    assert cross[0].get_xdata()[0] == 2  # the first epoch whose loss left the plot
    assert ax.get_ylim()[1] < 10  # the y axis stays readable: a few times the start loss


def test_clip_values_replaces_nan_inf_and_huge_values():
    y, bad = plots.clip_values([1.0, math.nan, math.inf, 50.0, 2.0], 3.0)
    assert list(y) == [1.0, 3.0, 3.0, 3.0, 2.0]
    assert list(bad) == [False, True, True, True, False]


def test_overlay_draws_one_line_per_run(run):
    _, hist = run
    other = fake_history([0.9] * 5, [0.95] * 5)
    ax = plots.overlay({"a": hist, "b": other, "c": other}, key="train_loss")
    assert labels(ax) == ["a", "b", "c"]


def test_overlay_rejects_an_unknown_key(run):
    with pytest.raises(ValueError, match="key 'loss' is unknown"):
        plots.overlay([run[1]], key="loss")


def test_decision_boundary_shades_the_plane_and_shows_both_splits(run, moons):
    model, _ = run
    ax = plots.decision_boundary(model, moons, resolution=30)
    assert len(ax.get_images()) == 1
    assert ax.get_images()[0].get_array().shape == (30, 30)
    sizes = sorted(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")
                   and len(c.get_offsets()) in (len(moons.train.y), len(moons.val.y)))
    assert sizes == sorted([len(moons.train.y), len(moons.val.y)])


def test_decision_boundary_shading_agrees_with_the_model(run, moons):
    """The shade at a point is the model's probability of class 1 there."""
    import torch

    model, _ = run
    ax = plots.decision_boundary(model, moons, resolution=20)
    img = ax.get_images()[0]
    x0, x1, y0, y1 = img.get_extent()
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor([[x0, y0], [x1, y1]])), dim=1)[:, 1]
    z = img.get_array()
    assert z[0, 0] == pytest.approx(float(probs[0]), abs=1e-5)
    assert z[-1, -1] == pytest.approx(float(probs[1]), abs=1e-5)


def test_decision_boundary_refuses_data_that_is_not_2d():
    sine = hplab.load_dataset("sine", n_samples=60, seed=0)
    with pytest.raises(ValueError, match="2-D classification"):
        plots.decision_boundary(hplab.mlp(1, 1), sine)


def test_fitted_curve_draws_the_model_over_the_data():
    sine = hplab.load_dataset("sine", n_samples=60, seed=0)
    model = hplab.mlp(1, 1, depth=1, width=8, seed=0)
    ax = plots.fitted_curve(model, sine)
    curve = next(ln for ln in ax.get_lines() if ln.get_label() == "model")
    import torch

    x = torch.tensor(curve.get_xdata()[[0, -1]], dtype=torch.float32)[:, None]
    expected = model(x)[:, 0].detach().numpy()
    assert curve.get_ydata()[[0, -1]] == pytest.approx(expected, abs=1e-5)
    assert len(ax.collections) == 2  # train and validation points


def test_gradient_norms_draw_one_line_per_layer_on_a_log_scale(run):
    _, hist = run
    ax = plots.gradient_norms(hist)
    assert len(ax.get_lines()) == len(hist.grad_norms[0]) == 3
    assert ax.get_yscale() == "log"


def test_gradient_plots_explain_a_missing_record():
    h = fake_history([0.5], [0.5])
    with pytest.raises(ValueError, match="track_gradients=True"):
        plots.gradient_norms(h)
    with pytest.raises(ValueError, match="track_dead_units=True"):
        plots.dead_units(h)


def test_layer_gradients_draw_one_bar_per_layer(run):
    _, hist = run
    ax = plots.layer_gradients(hist)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(hist.grad_norms[-1])


def test_dead_units_follow_the_history(run):
    _, hist = run
    ax = plots.dead_units(hist)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "this run")
    assert list(line.get_ydata()) == pytest.approx(hist.dead_fraction)


def test_activation_histograms_one_outline_per_hidden_layer(run, moons):
    model, _ = run
    ax = plots.activation_histograms(model, moons.train.X)
    assert len(ax.patches) == 2  # depth=2: two step outlines


def test_lr_schedule_draws_each_named_schedule(run):
    _, hist = run
    ax = plots.lr_schedule({"constant": hist, "halving": [0.1, 0.05, 0.025]})
    assert labels(ax) == ["constant", "halving"]
    assert list(ax.get_lines()[1].get_ydata()) == [0.1, 0.05, 0.025]


def test_lr_schedule_rejects_a_negative_rate():
    with pytest.raises(ValueError, match="lr must be >= 0"):
        plots.lr_schedule([0.1, -0.1])


def test_functions_draw_on_the_axes_they_are_given(run):
    _, hist = run
    fig, axes = plots.grid(3, ncols=2)
    assert len(axes) == 3
    assert plots.loss_curves(hist, axes[1]) is axes[1]
    assert plots.metric_curves(hist, axes[2]).get_ylabel() == "accuracy"


def test_type_errors_name_the_parameter():
    with pytest.raises(TypeError, match="hist must be an hplab History"):
        plots.loss_curves([0.1, 0.2])
    with pytest.raises(TypeError, match="data must be an hplab Data"):
        plots.decision_boundary(hplab.mlp(2, 2), None)


def test_every_name_the_course_takes_from_plots_is_there():
    """Lessons, solutions, exercises, tests, docs and the package itself keep working now that
    plots is a package: every name they take from it, as an attribute or by import, exists."""
    import importlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = [p for folder in ("hplab", "source", "lessons", "solutions", "exercises", "tests",
                              "benchmarks", "tools", "docs")
             for p in (root / folder).rglob("*") if p.suffix in (".py", ".ipynb", ".md")]
    files += [root / "README.md"]
    used = {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in re.findall(r"(?<![\w.])(?:hplab\.)?plots\.([A-Za-z_]\w*)", text):
            used.setdefault(name, path.relative_to(root))
        for names in re.findall(r"from hplab\.plots import \(?([\w, \n]+)\)?", text):
            for part in names.split(","):
                if part.split():
                    used.setdefault(part.split()[0], path.relative_to(root))  # "x as y": x
    used.pop("py", None)  # the old file's name, in prose
    assert {"loss_curves", "decision_boundary", "lr_schedule", "grid"} <= set(used)
    missing = {}
    for name, where in used.items():
        if not hasattr(plots, name):
            try:
                importlib.import_module(f"hplab.plots.{name}")  # a section or the style module
            except ModuleNotFoundError:
                missing[name] = str(where)
    assert not missing, missing
