"""Figures a classroom can read: every plotting function of ``hplab.plots`` is drawn and looked at.

Each public function of every section of ``hplab.plots`` is rendered on small real inputs (a new
function without a case fails the test), then the picture fails when two named series in one
Axes share colour and line style or marker, or take a colour outside the course's colour-blind-
safe palette; when any text is smaller than the course's minimum on screen (``MIN_TEXT_PX`` of
the style module) where the figure is shown smallest, scaled down to the narrowest output area
(``NARROWEST_OUTPUT_PX``); when a line or a point lies beyond the Axes' limits without the style's mark
where it leaves (a triangle or cross on the edge, and for a named series its true value written
there); when tick labels overlap; when an epoch axis shows fractions; when a legend covers the
data; or when a log axis carries fewer than two labels, or labels in powers-of-ten notation.
The last tests show each check failing on a figure made with the fault it is named for.
"""

import importlib
import inspect
import math
import pkgutil

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import hplab  # noqa: E402
from hplab import plots  # noqa: E402
from hplab.plots import _style as style  # noqa: E402


def history(train, val, *, status="completed", best=None, stopped=None, lr=None):
    """A History with every record a plot reads, from the losses given."""
    h = hplab.History()
    h.epoch = list(range(1, len(train) + 1))
    h.train_loss, h.val_loss = list(train), list(val)
    h.train_metric = [min(0.99, 0.5 + 0.03 * i) for i in range(len(train))]
    h.val_metric = [min(0.95, 0.5 + 0.025 * i) for i in range(len(train))]
    h.initial = dict(train_loss=0.7, val_loss=0.7, train_metric=0.5, val_metric=0.5)
    h.status, h.best_epoch, h.stopped_epoch = status, best, stopped
    h.lr = list(lr) if lr is not None else [0.01] * len(train)
    h.grad_norms = [[1e-4 * (i + 1), 1e-2, 0.5] for i in range(len(train))]
    h.dead_fraction = [0.02 * i for i in range(len(train))]
    h.batch_loss = [v for v in train for _ in range(4)]
    h.steps_per_epoch = 4
    return h


def falling(n=15, end=0.1):
    return list(np.geomspace(0.6, end, n))


def make_runs():
    """Four runs with the stories lessons tell: good, blown up, climbing high, stopped early."""
    good = history(falling(), [0.62, 0.5, 0.4, 0.33, 0.3, 0.29, 0.3, 0.32, 0.35, 0.4, 0.45, 0.5,
                               0.55, 0.6, 0.7], best=6)
    blown = history([0.6, 0.9, 3.0, 9.0, math.inf, math.nan], [0.6, 1.0, 4.0, 40.0, math.inf,
                                                                  math.nan], status="diverged")
    climbing = history(falling(12), list(np.linspace(0.6, 4.36, 12)), best=1)  # finished, high
    stopped = history(falling(10), [0.6, 0.5, 0.45, 0.44, 0.46, 0.5, 0.55, 0.6, 0.65, 0.7],
                      status="early_stopped", best=4, stopped=10)
    return dict(good=good, blown=blown, climbing=climbing, stopped=stopped)


@pytest.fixture(scope="module")
def runs():
    return make_runs()


@pytest.fixture(scope="module")
def model():
    return hplab.mlp(2, 2, depth=2, width=8, seed=0)


@pytest.fixture(scope="module")
def sweep(moons):
    return hplab.lr_sweep(moons, [1e-2, 1e-1, 1.0, 1e3], optimizer="sgd", width=8, epochs=4)


@pytest.fixture(scope="module")
def pbt_runs(moons):
    settings = dict(population=3, epochs=4, interval=2, width=8, seed=0)
    return {"PBT": hplab.pbt(moons, **settings),
            "no exploit": hplab.pbt(moons, exploit=False, **settings)}


def cases(runs, model, moons, sweep, pbt_runs):
    """name -> a callable drawing one picture (several per function where the data differ)."""
    sine = hplab.load_dataset("sine", n_samples=60, seed=0)
    schedules = {n: hplab.schedule_lrs(n, lr=1.0, epochs=20)
                 for n in ("constant", "step", "exponential", "cosine", "one_cycle", "warmup")}
    found = hplab.lr_range_test(hplab.mlp(2, 2, width=8, seed=0), moons, optimizer="sgd",
                                steps=40, seed=0)
    paths = hplab.compare_paths("valley", ["sgd", "momentum", "adam"], steps=15)
    wild = hplab.compare_paths("valley", ["sgd"], steps=15, lrs={"sgd": 5.0})
    r = runs

    def schedules_on_log():  # as lesson 02 draws them: a rate of exactly 0 on a log axis
        ax = plots.lr_schedule(schedules)
        ax.set_yscale("log")
        return ax

    def rates_redrawn_on_log():  # as the learning-rate lab draws its panel, run after run
        ax = None
        for end in (0.05, 0.03):  # rates within one decade: 0.1 down to 0.03
            lrs = {"previous": [0.1] * 10, "this run": list(np.linspace(0.1, end, 10))}
            if ax is not None:
                ax.cla()
            ax = plots.lr_schedule(lrs, ax, title="learning rate per epoch")
            ax.set_yscale("log")
            ax.figure.canvas.draw()  # shown after every run
        return ax

    def overlay_cut_by_hand():  # as lesson 02 does: the lesson narrows the y range afterwards
        ax = plots.overlay({"a": r["good"], "b": r["climbing"], "c": r["stopped"]})
        ax.set_ylim(0, 1)
        return ax

    def grid_of_curves():
        _, axes = plots.grid(3, ncols=3)
        for ax, key in zip(axes, ("good", "blown", "stopped")):
            plots.loss_curves(r[key], ax, title=key)
        return axes[0]

    return {
        "loss_curves": lambda: plots.loss_curves(r["good"], ghost=r["stopped"]),
        "loss_curves diverged": lambda: plots.loss_curves(r["blown"], ghost=r["good"]),
        "loss_curves after a diverged run": lambda: plots.loss_curves(r["stopped"], ghost=r["blown"]),
        "loss_curves climbing": lambda: plots.loss_curves(r["climbing"]),
        "loss_curves early stop": lambda: plots.loss_curves(r["stopped"]),
        "gradient_norms one epoch": lambda: plots.gradient_norms(history([0.6], [0.6])),
        "metric_curves": lambda: plots.metric_curves(r["good"], ghost=r["stopped"]),
        "overlay": lambda: plots.overlay({"good": r["good"], "blown": r["blown"],
                                          "climbing": r["climbing"]}),
        "overlay cut by hand": overlay_cut_by_hand,
        "decision_boundary": lambda: plots.decision_boundary(model, moons, resolution=20),
        "fitted_curve": lambda: plots.fitted_curve(hplab.mlp(1, 1, width=8, seed=0), sine),
        "gradient_norms": lambda: plots.gradient_norms(r["good"]),
        "layer_gradients": lambda: plots.layer_gradients(r["good"]),
        "dead_units": lambda: plots.dead_units(r["good"], ghost=r["stopped"]),
        "activation_histograms": lambda: plots.activation_histograms(model, moons.train.X),
        "lr_schedule": lambda: plots.lr_schedule(schedules),
        "lr_schedule log": schedules_on_log,
        "lr_schedule log redrawn": rates_redrawn_on_log,
        "lr_schedule one epoch": lambda: plots.lr_schedule({"diverged": [10.0]}),  # 0.95..1.05
        "lr_finder_curve": lambda: plots.lr_finder_curve(found),
        "optimizer_paths": lambda: plots.optimizer_paths(paths),
        "optimizer_paths wild": lambda: plots.optimizer_paths(wild),
        "batch_losses": lambda: plots.batch_losses({"a": r["good"], "b": r["climbing"]}),
        "batch_losses per step": lambda: plots.batch_losses(r["blown"], per="step"),
        "lr_sweep_curve": lambda: plots.lr_sweep_curve(sweep),
        "path_losses": lambda: plots.path_losses({**paths, **{"wild": wild["sgd"]}}),
        "activation_shapes": lambda: plots.activation_shapes(),
        "activation_shapes slope": lambda: plots.activation_shapes(derivative=True),
        "seed_bands": lambda: plots.seed_bands({"low": [r["good"], r["stopped"]],
                                                "high": [r["climbing"], r["blown"]]}),
        "lr_sweep_curves": lambda: plots.lr_sweep_curves(sweep),
        "pbt_lrs": lambda: plots.pbt_lrs(pbt_runs["PBT"]),
        "pbt_losses": lambda: plots.pbt_losses(pbt_runs),
        "grid": grid_of_curves,
    }


def plotting_functions() -> dict:
    """name -> function, for every public function of every public section of hplab.plots."""
    found = {}
    for info in pkgutil.iter_modules(plots.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{plots.__name__}.{info.name}")
        found.update({name: fn for name, fn in vars(module).items()
                      if inspect.isfunction(fn) and not name.startswith("_")
                      and fn.__module__ == module.__name__})
    return found


# ----------------------------------------------------------------------------- what is looked at


def _is_mark(artist) -> bool:
    """The style's mark of a value beyond the range (drawn outside the clip box, on the edge)."""
    return getattr(artist, "_hplab_mark", False) or not artist.get_clip_on()


def series_clashes(ax) -> list:
    """Pairs of named series (lines or scatters) in ``ax`` with the same colour and the same
    line style and marker: told apart by nothing a colour-blind reader can see."""
    seen, clashes = {}, []
    for artist in [*ax.get_lines(), *ax.collections]:
        label = artist.get_label()
        if label.startswith("_") or not artist.get_visible():
            continue
        if isinstance(artist, PathCollection):
            if artist.get_array() is not None:  # coloured by a value: its colours carry data
                continue
            shape = artist.get_paths()[0].vertices.round(3).tobytes() if artist.get_paths() else b""
            key = ("scatter", to_hex(artist.get_facecolor()[0]) if len(artist.get_facecolor())
                   else to_hex(artist.get_edgecolor()[0]), shape)
        elif hasattr(artist, "get_linestyle") and hasattr(artist, "get_marker"):
            dash = getattr(artist, "_unscaled_dash_pattern", None)
            key = ("line", to_hex(artist.get_color()), artist.get_linestyle(), str(dash),
                   artist.get_marker())
        else:
            continue
        if key in seen:
            clashes.append((seen[key], label))
        seen[key] = label
    return clashes


def off_palette(ax) -> list:
    """Named series (lines, or scatters of one colour) in a colour outside the course palette."""
    allowed = {c.upper() for c in style.PALETTE}
    out = []
    for artist in [*ax.get_lines(), *ax.collections]:
        label = artist.get_label()
        if label.startswith("_") or not artist.get_visible():
            continue
        if isinstance(artist, PathCollection):
            if artist.get_array() is not None or not len(artist.get_facecolor()):
                continue  # coloured by a value (a colormap), or hollow
            colors = {to_hex(artist.get_facecolor()[0])}
        elif hasattr(artist, "get_color"):
            colors = {to_hex(artist.get_color())}
        else:
            continue
        out += [(label, c) for c in colors if c.upper() not in allowed]
    return out


def legend_on_data(ax) -> list:
    """The legend's entries when its box covers a point of a data line (the style's own test)."""
    legend = ax.get_legend()
    if legend is None or not style.legend_covers_data(ax, legend):
        return []
    return [t.get_text() for t in legend.get_texts()]


def small_texts(fig, shown_dpi) -> list:
    """Texts that would be under the course's minimum on screen: drawn at ``shown_dpi`` pixels
    per inch and, when wider than the narrowest output area (JupyterLab's default layout), shown
    scaled down to fit it. Returns (text, on-screen px) pairs."""
    fig.canvas.draw()
    scale = style.shown_scale(fig.get_figwidth() * shown_dpi)
    px = {t: t.get_fontsize() * shown_dpi / 72 * scale for t in fig.findobj(Text)
          if t.get_visible() and t.get_text().strip()}
    return [(t.get_text(), round(v, 1)) for t, v in px.items() if v < style.MIN_TEXT_PX - 1e-6]


def unmarked_exits(ax) -> list:
    """Lines that reach or pass the top or bottom of ``ax`` or run past a side, and points drawn
    beyond any of its edges, with no mark where they leave (and, for a named line, no true value
    or note written there)."""
    lo, hi = sorted(ax.get_ylim())
    log = ax.get_yscale() == "log"
    tol = 1e-6 * (hi - lo)
    xlo, xhi = sorted(ax.get_xlim())
    marks = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", "", " ", None)
             and _is_mark(ln)]
    notes = [t for t in ax.texts if hasattr(t, "xy")]
    problems = []
    for line in ax.get_lines():
        if line in marks or line.get_linestyle() in ("None", "", " ") or len(line.get_xdata()) < 2:
            continue
        if _is_reference_line(line):
            continue
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        top = y >= hi * (1 - 1e-6) if log else y >= hi - tol
        bottom = y <= lo * (1 + 1e-6) if log else y < lo - tol  # a loss of 0 on an axis from 0
        for edge, out in ((hi, top), (lo, bottom)):              # rests there; it does not leave
            out = out & np.isfinite(y)
            if not out.any():
                continue
            x0 = np.clip(x[np.argmax(out)], xlo, xhi)  # a 2-D path may leave by a corner
            near = dict(rtol=1e-6, atol=0 if log else tol)
            marked = any(np.any(np.isclose(m.get_xdata(), x0) & np.isclose(
                m.get_ydata(), edge, **near)) for m in marks)
            noted = any(np.isclose(t.xy[1], edge, **near) for t in notes)
            named = not line.get_label().startswith("_")
            if not marked or (named and not noted):
                problems.append((line.get_label(), "top" if edge == hi else "bottom", x0))
        xlog = ax.get_xscale() == "log"
        for edge, out in ((xhi, x > xhi * (1 + 1e-6) if xlog else x > xhi + 1e-6 * (xhi - xlo)),
                          (xlo, x < xlo * (1 - 1e-6) if xlog else x < xlo - 1e-6 * (xhi - xlo))):
            out = out & np.isfinite(y)  # a path leaving by a side: a mark on that side
            if not out.any():
                continue
            y0 = np.clip(y[np.argmax(out)], lo, hi)
            marked = any(np.any(np.isclose(m.get_xdata(), edge) & np.isclose(m.get_ydata(), y0))
                         for m in marks)
            noted = any(np.isclose(t.xy[0], edge) for t in notes)
            if not marked or (not line.get_label().startswith("_") and not noted):
                problems.append((line.get_label(), "right" if edge == xhi else "left", y0))
    for points in ax.collections:
        if not isinstance(points, PathCollection) or _is_mark(points):
            continue
        xy = np.asarray(points.get_offsets(), dtype=float).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        span = ((xy[:, 0] >= xlo) & (xy[:, 0] <= xhi) & (xy[:, 1] >= lo) & (xy[:, 1] <= hi))
        if not span.all():  # hidden by the clip box: nothing says it is there
            problems.append((points.get_label(), "outside", int((~span).sum())))
    return problems


def _is_reference_line(line) -> bool:
    """axhline/axvline: drawn in axes coordinates on one side, not data."""
    x, y = line.get_xdata(), line.get_ydata()
    return len(x) == 2 and (x[0] == x[1] or y[0] == y[1])


def _shown_ticks(axis) -> list:
    """The major ticks of ``axis`` inside its limits, as drawn."""
    lo, hi = sorted(axis.get_view_interval())
    pad = 1e-9 * max(abs(lo), abs(hi), 1e-300)
    return [t for t in axis.get_major_ticks() if lo - pad <= t.get_loc() <= hi + pad]


def fractional_epochs(ax) -> list:
    """Tick values with a fraction on an axis labelled with epochs."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        if "epoch" in axis.label.get_text() and axis.get_scale() == "linear":
            out += [t.get_loc() for t in _shown_ticks(axis) if abs(t.get_loc() - round(t.get_loc()))
                    > 1e-9]
    return out


def unreadable_log_axes(ax) -> list:
    """Log axes with fewer than two labels, or with labels in powers-of-ten notation (``$10^{-2}$``,
    ``2×10^{-2}`` on every minor tick) instead of plain numbers."""
    out = []
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if axis.get_scale() != "log" or not axis.get_visible():
            continue
        shown = [t.label1.get_text() for t in _shown_ticks(axis) if t.label1.get_text()]
        minor = [t.label1.get_text() for t in axis.get_minor_ticks() if t.label1.get_text()]
        if len(shown) < 2:
            out.append((name, "fewer than two labels", shown))
        if any("$" in text for text in shown + minor):
            out.append((name, "powers-of-ten notation", shown + minor))
    return out


def overlapping_tick_labels(ax) -> list:
    """Pairs of tick labels on one axis whose boxes overlap: crowded, unreadable."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
        lo, hi = sorted(axis.get_view_interval())
        pad = 1e-9 * max(abs(lo), abs(hi), 1e-300)
        labels = [t.label1 for t in ticks if lo - pad <= t.get_loc() <= hi + pad
                  and t.label1.get_visible() and t.label1.get_text()]
        boxes = [(lab.get_text(), lab.get_window_extent(renderer)) for lab in labels]
        out += [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
                if box_a.overlaps(box_b)]
    return out


def faults(fig, shown_dpi=None) -> dict:
    """Everything unreadable in ``fig``, by kind and Axes (empty when the figure is fine)."""
    found = {"small": small_texts(fig, shown_dpi or fig.dpi)}  # draws the figure first
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        for kind, check in (("clashes", series_clashes), ("palette", off_palette),
                            ("unmarked", unmarked_exits), ("legend", legend_on_data),
                            ("fractions", fractional_epochs), ("log", unreadable_log_axes),
                            ("crowded", overlapping_tick_labels)):
            problems = check(ax)
            if problems:
                found[f"{kind} in axes {i}"] = problems
    return {k: v for k, v in found.items() if v}


# ----------------------------------------------------------------------------- the tests


def test_every_plotting_function_is_exported_and_has_a_case(runs, model, moons, sweep,
                                                             pbt_runs):
    functions = plotting_functions()
    assert len(functions) >= 20  # the sections were found
    assert set(functions) <= set(plots.__all__)
    assert all(getattr(plots, name) is fn for name, fn in functions.items())
    covered = {name.split(" ")[0] for name in cases(runs, model, moons, sweep, pbt_runs)}
    assert set(functions) - covered == set()


def test_every_figure_is_readable(runs, model, moons, sweep, pbt_runs):
    failures = {}
    for name, draw in cases(runs, model, moons, sweep, pbt_runs).items():
        fig = draw().figure
        found = faults(fig)
        if found:
            failures[name] = found
        # as wide as the notebook: at least 80 % of its output area
        assert fig.get_figwidth() * fig.dpi >= 0.8 * style.WIDTH * style.DPI, name
        plt.close(fig)
    assert not failures, failures


def test_the_tuning_plots_in_the_same_style_are_readable(moons):
    """hplab.tune draws with the same style module: its axis plots and best-so-far curves pass
    the same checks (a log rate axis, a log width axis, categories, diverged trials on top)."""
    from hplab import tune

    space = {"lr": tune.LogUniform(1e-2, 50.0), "width": tune.Int(4, 64, log=True),
             "activation": tune.Choice(["relu", "tanh"])}
    result = tune.search(moons, space, method="random", n_trials=6, epochs=3, seed=0,
                         fixed={"optimizer": "sgd"})
    figures = {"plot_axes": result.plot_axes()[0].figure,
               "plot_best_so_far": result.plot_best_so_far().figure,
               "plot_best_so_far epochs": result.plot_best_so_far(x="epochs").figure}
    failures = {name: faults(fig) for name, fig in figures.items()}
    assert not {name: found for name, found in failures.items() if found}



def _own_figure(runs):
    """What a solution notebook draws with plain matplotlib: runs as lines, and a legend."""
    fig, ax = plt.subplots()
    for name in ("good", "climbing", "stopped"):
        ax.plot(runs[name].epoch, runs[name].val_loss, marker=".", label=name)
    ax.set(xlabel="epoch", ylabel="validation loss", title="Three runs")
    ax.legend()
    return fig


def test_a_figure_of_ones_own_in_plots_style_is_readable_and_nothing_else_changes(runs):
    """plots.style(): a plain matplotlib figure drawn inside it is as wide as the notebook and
    passes every check; matplotlib's settings are as they were once the block ends."""
    before = {k: v for k, v in plt.rcParams.items() if k != "interactive"}
    with plots.style():
        fig = _own_figure(runs)
    assert fig.get_figwidth() * fig.dpi == style.WIDTH * style.DPI
    assert not {k: v for k, v in faults(fig).items() if v}
    assert {k: v for k, v in plt.rcParams.items() if k != "interactive"} == before
    plain = _own_figure(runs)  # the same code outside the block: a narrow figure, in
    assert plain.get_figwidth() * plain.dpi < 0.8 * style.NARROWEST_OUTPUT_PX  # colours some
    assert any(k.startswith("palette") for k in faults(plain))  # colour-blind readers confuse


def test_a_figure_another_library_drew_is_fitted_to_the_notebook():
    """Optuna's own plots (10 pt text, its own size and layout): widened to the notebook, their
    text no smaller than the course's minimum on screen, nothing drawn outside the figure."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("lr", 1e-4, 1.0, log=True) - 0.01) ** 2, n_trials=12)
    drawn = optuna.visualization.matplotlib
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        figures = [drawn.plot_optimization_history(study).figure,
                   drawn.plot_slice(study, params=["lr"]).figure]
    plt.style.use("default")  # Optuna switches matplotlib to its own style
    wide = [f for f in figures if f.get_figwidth() * f.dpi >= 0.8 * style.WIDTH * style.DPI]
    assert not wide  # as Optuna draws them: narrower than the notebook
    for fig in figures:
        assert plots.fit_to_notebook(fig, height=4) is fig
        assert fig.get_figwidth() * fig.dpi == style.WIDTH * style.DPI
        assert small_texts(fig, fig.dpi) == []
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= fig.get_figwidth() + 1e-6
        plt.close(fig)

def test_a_log_axis_keeps_two_plain_labels_over_any_range():
    for lo, hi in ((1e-5, 10.0), (0.009, 0.12), (0.028, 0.106), (0.03, 0.045), (0.031, 0.039),
                   (2.0, 3.0), (0.5, 0.52), (0.386, 0.79), (1e-12, 1e12)):
        ax = style.new_axes()
        ax.plot([1, 2], [lo, hi])
        style.log_axis(ax, "y")
        ax.set_ylim(lo, hi)
        ax.set_xlabel("epoch")
        style.finish(ax)
        ax.figure.canvas.draw()
        assert not unreadable_log_axes(ax), (lo, hi)
        assert not overlapping_tick_labels(ax), (lo, hi)
        assert len(_shown_ticks(ax.yaxis)) <= 10, (lo, hi)  # not crowded
        plt.close(ax.figure)


# ----------------------------------------------------------------------------- the checks work


def test_the_checks_catch_what_they_are_named_for():
    """Each check fails on a figure drawn with the fault it looks for."""
    fig, ax = plt.subplots(dpi=72)
    ax.plot([0, 1, 2], [1, 2, 3], color="tab:blue", label="a")
    ax.plot([0, 1, 2], [1, 2, 4], color="tab:blue", label="b")
    ax.plot([0, 1, 2], [1, 9, 9], color="tab:red", label="c")
    ax.scatter([0.5, 1.5], [2, 3], color="tab:green", label="d")
    ax.scatter([1.0, 1.2], [2.5, 30], color="tab:green", label="e")  # also beyond the top
    ax.set_ylim(0, 5)  # c leaves the top, silently
    ax.legend(fontsize=7)
    ax.set_xlabel("epoch")
    ax.set_xlim(0, 2)
    assert series_clashes(ax) == [("a", "b"), ("d", "e")]
    assert [label for label, _ in off_palette(ax)] == ["a", "b", "c", "d", "e"]  # tab10
    assert small_texts(fig, fig.dpi)
    assert [p[0] for p in unmarked_exits(ax)] == ["c", "e"]
    ax.set_xlim(0, 1.5)  # and now all three lines run past the right side
    assert [p[:2] for p in unmarked_exits(ax)] == [("a", "right"), ("b", "right"), ("c", "top"),
                                                   ("c", "right"), ("e", "outside")]
    ax.set_xlim(0, 2)
    assert fractional_epochs(ax)
    ax.set_yscale("log")
    ax.set_ylim(2, 4)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.canvas.draw()
    assert ("y", "fewer than two labels", []) in unreadable_log_axes(ax)


def test_the_checks_catch_the_old_learning_rate_panel():
    """The learning-rate lab's panel before the fix: made log after drawing, within less than a
    decade, matplotlib labels every minor tick in powers of ten, crowded on a short panel."""
    fig, ax = plt.subplots(figsize=(4, 1.6), dpi=100)
    ax.plot(np.arange(1, 11), np.linspace(0.1, 0.03, 10), label="this run")
    ax.set_yscale("log")
    fig.canvas.draw()
    found = {kind: labels for _, kind, labels in unreadable_log_axes(ax)}
    assert len(found["fewer than two labels"]) == 1  # 10^-1 alone among the major ticks
    assert len(found["powers-of-ten notation"]) > 2  # and 2x10^-2, 3x10^-2 ... on minor ticks
    style.log_axis(ax, "y")  # the course style: plain numbers, two or more
    fig.canvas.draw()
    assert not unreadable_log_axes(ax) and not overlapping_tick_labels(ax)


def test_the_checks_catch_a_series_silently_flattened_at_the_top(runs):
    """Before the marks, a blown-up run was clipped at three times its starting loss and drawn
    flat there (lesson 01's unstable run at 2.50 where the real value was 4.36)."""
    fig, ax = plt.subplots()
    ceiling = 3 * runs["climbing"].initial["val_loss"]
    ax.plot(runs["climbing"].epoch, np.minimum(runs["climbing"].val_loss, ceiling), label="val")
    ax.set_ylim(0, ceiling)
    assert unmarked_exits(ax)
    ax.cla()
    plots.loss_curves(runs["climbing"], ax)
    ax.set_ylim(0, ceiling)
    fig.canvas.draw()
    assert not unmarked_exits(ax)
    assert "4.36" in " ".join(t.get_text() for t in ax.texts)  # the true value, written


def test_the_checks_catch_tick_labels_that_overlap():
    fig, ax = plt.subplots(figsize=(2, 2), dpi=100)
    ax.plot([0, 1000], [0, 1])
    ax.set_xticks(np.arange(0, 1001, 50))
    fig.canvas.draw()
    assert overlapping_tick_labels(ax)


def test_the_checks_catch_a_legend_over_the_data():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 2], label="rising")
    ax.legend(loc="center")  # right on the line
    assert legend_on_data(ax) == ["rising"]
    style.place_legend(ax)  # the course's placement moves it off
    assert not legend_on_data(ax)
