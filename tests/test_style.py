"""The course style, checked by looking: every plotting function is drawn and its picture is read.

Each public function of ``hplab.plots`` that draws on an Axes is rendered with small data, then
fails the test when two named series in one Axes share colour, line style and marker; when any
text is smaller than 11 px at the displayed size; when a line leaves the plotted range without a
mark where it leaves (and, for a named series, its true value written on that edge); when an epoch
axis shows fractions; or when a log axis carries fewer than two labels.
"""

import inspect
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import hplab  # noqa: E402
from hplab import _style as style  # noqa: E402
from hplab import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def history(train, val, *, status="completed", best=None, stopped=None, lr=None):
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


@pytest.fixture(scope="module")
def runs():
    good = history(falling(), [0.62, 0.5, 0.4, 0.33, 0.3, 0.29, 0.3, 0.32, 0.35, 0.4, 0.45, 0.5,
                               0.55, 0.6, 0.7], best=6)
    blown = history([0.6, 0.9, 3.0, 9.0, math.inf, math.nan], [0.6, 1.0, 4.0, 40.0, math.inf,
                                                                  math.nan], status="diverged")
    climbing = history(falling(12), list(np.linspace(0.6, 4.36, 12)), best=1)  # finished, high
    stopped = history(falling(10), [0.6, 0.5, 0.45, 0.44, 0.46, 0.5, 0.55, 0.6, 0.65, 0.7],
                      status="early_stopped", best=4, stopped=10)
    return dict(good=good, blown=blown, climbing=climbing, stopped=stopped)


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

    def overlay_cut_by_hand():  # as lesson 02 does: the lesson narrows the y range afterwards
        ax = plots.overlay({"a": r["good"], "b": r["climbing"], "c": r["stopped"]})
        ax.set_ylim(0, 1)
        return ax

    return {
        "loss_curves": lambda: plots.loss_curves(r["good"], ghost=r["stopped"]),
        "loss_curves diverged": lambda: plots.loss_curves(r["blown"], ghost=r["good"]),
        "loss_curves climbing": lambda: plots.loss_curves(r["climbing"]),
        "loss_curves early stop": lambda: plots.loss_curves(r["stopped"]),
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
        "lr_finder_curve": lambda: plots.lr_finder_curve(found),
        "optimizer_paths": lambda: plots.optimizer_paths(paths),
        "optimizer_paths wild": lambda: plots.optimizer_paths(wild),
        "batch_losses": lambda: plots.batch_losses({"a": r["good"], "b": r["climbing"]}),
        "lr_sweep_curve": lambda: plots.lr_sweep_curve(sweep),
        "path_losses": lambda: plots.path_losses({**paths, **{"wild": wild["sgd"]}}),
        "activation_shapes": lambda: plots.activation_shapes(),
        "activation_shapes slope": lambda: plots.activation_shapes(derivative=True),
        "seed_bands": lambda: plots.seed_bands({"low": [r["good"], r["stopped"]],
                                                "high": [r["climbing"], r["blown"]]}),
        "lr_sweep_curves": lambda: plots.lr_sweep_curves(sweep),
        "pbt_lrs": lambda: plots.pbt_lrs(pbt_runs["PBT"]),
        "pbt_losses": lambda: plots.pbt_losses(pbt_runs),
    }


def drawing_functions():
    """Every public function of hplab.plots that draws on an Axes (it takes ``ax``)."""
    return sorted(name for name, fn in vars(plots).items()
                  if inspect.isfunction(fn) and not name.startswith("_")
                  and fn.__module__ == plots.__name__
                  and getattr(inspect.signature(fn).parameters.get("ax"), "default", 0) is None)


# ----------------------------------------------------------------------------- what is looked at


def series_clashes(ax) -> list:
    """Pairs of named series in ``ax`` with the same colour, line style and marker."""
    seen, clashes = {}, []
    for line in ax.get_lines():
        label = line.get_label()
        if label.startswith("_") or not line.get_visible():
            continue
        dash = getattr(line, "_unscaled_dash_pattern", None)
        key = (to_hex(line.get_color()), line.get_linestyle(), str(dash), line.get_marker())
        if key in seen:
            clashes.append((seen[key], label))
        seen[key] = label
    return clashes


def small_texts(fig, shown_dpi) -> list:
    """Texts that would be under 11 px on screen, when the figure is shown at ``shown_dpi``."""
    fig.canvas.draw()
    return [(t.get_text(), round(t.get_fontsize() * shown_dpi / 72, 1))
            for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and t.get_fontsize() * shown_dpi / 72 < style.MIN_TEXT_PX - 1e-6]


def unmarked_exits(ax) -> list:
    """Lines that reach or pass the top or bottom of ``ax`` with no mark where they do."""
    lo, hi = sorted(ax.get_ylim())
    log = ax.get_yscale() == "log"
    tol = 1e-6 * (hi - lo)
    xlo, xhi = sorted(ax.get_xlim())
    marks = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", "", " ", None)
             and not ln.get_clip_on()]
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
    return problems


def _is_reference_line(line) -> bool:
    """axhline/axvline: drawn in axes coordinates on one side, not data."""
    x, y = line.get_xdata(), line.get_ydata()
    return len(x) == 2 and (x[0] == x[1] or y[0] == y[1])


def fractional_epochs(ax) -> list:
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        if "epoch" in axis.label.get_text() and axis.get_scale() == "linear":
            lo, hi = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_majorticklocs() if lo - 1e-9 <= t <= hi + 1e-9]
            out += [t for t in ticks if abs(t - round(t)) > 1e-9]
    return out


def log_axes_with_few_labels(ax) -> list:
    out = []
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if axis.get_scale() != "log":
            continue
        lo, hi = sorted(axis.get_view_interval())
        shown = [t.label1.get_text() for t in axis.get_major_ticks()
                 if lo * (1 - 1e-9) <= t.get_loc() <= hi * (1 + 1e-9) and t.label1.get_text()]
        if len(shown) < 2:
            out.append((name, shown))
    return out


# ----------------------------------------------------------------------------- the tests


def test_every_drawing_function_has_a_case(runs, model, moons, sweep, pbt_runs):
    covered = {name.split(" ")[0] for name in cases(runs, model, moons, sweep, pbt_runs)}
    assert set(drawing_functions()) <= covered


def test_every_figure_follows_the_course_style(runs, model, moons, sweep, pbt_runs):
    failures = {}
    for name, draw in cases(runs, model, moons, sweep, pbt_runs).items():
        ax = draw()
        fig = ax.figure
        found = dict(clashes=series_clashes(ax), small=small_texts(fig, fig.dpi),
                     unmarked=unmarked_exits(ax), fractions=fractional_epochs(ax),
                     few_log_labels=log_axes_with_few_labels(ax))
        found = {k: v for k, v in found.items() if v}
        if found:
            failures[name] = found
        # as wide as the notebook: at least 80 % of a 1150 px output area
        assert fig.get_figwidth() * fig.dpi >= 0.8 * style.WIDTH * style.DPI, name
        plt.close(fig)
    assert not failures, failures


def test_the_checks_catch_what_they_are_named_for():
    """The looking functions above fail on the faults of the old style."""
    fig, ax = plt.subplots(dpi=72)
    ax.plot([0, 1, 2], [1, 2, 3], color="tab:blue", label="a")
    ax.plot([0, 1, 2], [1, 2, 4], color="tab:blue", label="b")
    ax.plot([0, 1, 2], [1, 9, 9], color="tab:red", label="c")
    ax.set_ylim(0, 5)  # c leaves the top, silently
    ax.legend(fontsize=7)
    ax.set_xlabel("epoch")
    ax.set_xlim(0, 2)
    assert series_clashes(ax) == [("a", "b")]
    assert small_texts(fig, fig.dpi)
    assert [p[0] for p in unmarked_exits(ax)] == ["c"]
    assert fractional_epochs(ax)
    ax.set_yscale("log")
    ax.set_ylim(2, 4)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.canvas.draw()
    assert log_axes_with_few_labels(ax)


def test_a_value_beyond_the_range_is_marked_with_its_true_value(runs):
    ax = plots.overlay({"good": runs["good"], "blown": runs["blown"]}, key="train_loss")
    ax.figure.canvas.draw()
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "9, then infinite" in texts  # how far it got, then what it became
    ax.set_ylim(0, 0.5)  # narrower by hand: the good run now leaves at its start, marked too
    ax.figure.canvas.draw()
    assert not unmarked_exits(ax)
    assert "0.7" in " ".join(t.get_text() for t in ax.texts)  # its true starting loss


def test_a_zero_rate_on_a_log_axis_is_marked_at_the_bottom():
    ax = plots.lr_schedule({"cosine": [1.0, 0.5, 0.1, 0.0], "flat": [1.0] * 4})
    ax.set_yscale("log")
    ax.figure.canvas.draw()
    lo = ax.get_ylim()[0]
    downs = [ln for ln in ax.get_lines() if ln.get_marker() == "v"]
    assert downs and np.isclose(downs[0].get_ydata()[0], lo)
    assert "0" in [t.get_text() for t in ax.texts]


def test_dashboards_render_sharp_and_full_width():
    from hplab import widgets

    dash = widgets.Playground(epochs=5, live=False)
    fig = dash.figure
    shown = dash.DPI  # the picture is shown at its figure size; rendered at RETINA times that
    assert not small_texts(fig, shown)
    for ax in dash.axes.values():
        assert not series_clashes(ax)
    png = dash.png()
    from io import BytesIO

    from PIL import Image

    width, _ = Image.open(BytesIO(png)).size
    assert width >= style.RETINA * fig.get_figwidth() * shown - 1
    assert int(dash.image.width) == round(fig.get_figwidth() * shown)
    assert int(dash.image.width) >= 0.8 * style.WIDTH * style.DPI


@pytest.mark.parametrize("value,words", [
    (0.8672825694084167, "0.867"), (1e-05, "1e-5"), (12345.678, "12,346"), (math.nan, "not a number"),
    (math.inf, "infinite"), (3, "3"), (0.0, "0"), (2.5e-3, "0.0025"), (True, "yes")])
def test_numbers_are_written_for_people(value, words):
    assert style.number(value) == words


def test_rounded_walks_dicts_and_lists():
    assert style.rounded({"loss": 0.8672825694084167, "n": [0.123456, 7]}) == \
        {"loss": 0.867, "n": [0.123, 7]}


def test_diagnosis_evidence_is_a_table_with_plain_words_and_thresholds(runs):
    d = hplab.diagnose(runs["good"])
    page = style.diagnosis_html(d)
    assert "<table" in page and "rise_ratio" not in page and "end_pace" not in page
    assert "upward jumps of the training loss" in page
    assert f"unstable above {hplab.diagnose.__globals__['UNSTABLE_RISE']}" in page
    assert "0.8672825694084167" not in page
    assert d._repr_html_() == page  # what a notebook shows for a Diagnosis
    for _, value, _ in style.evidence_rows(d):
        if isinstance(value, float) and math.isfinite(value):
            assert len(style.number(value).replace("-", "").replace(".", "")) <= 6


# ----------------------------------------------------------------------------- static export


def _export(nb, path):
    """Execute ``nb`` in a fresh kernel and export it to HTML as nbconvert does."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


def _static_blocks(body):
    """The dashboards' static copies in an exported page: (picture bytes, text) for each."""
    import base64
    import re

    blocks = []
    for block in re.findall(r'<div class="hplab-static">(.*?)</div>\s*</div>', body, flags=re.S):
        pics = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', block)
        blocks.append(([base64.b64decode(p) for p in pics], re.sub("<[^>]+>", " ", block)))
    return blocks


def test_an_exported_notebook_shows_the_dashboards_last_figure_and_verdict(tmp_path):
    """Where widgets cannot run (nbconvert's HTML, a repository page) the dashboard is not
    blank: its last figure and verdict are there, and only the live widgets hide them."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from hplab import widgets\n"
                                  "lab = widgets.EarlyStoppingLab(epochs=5, live=False)\nlab"),
        nbformat.v4.new_code_cell("lab.apply_preset('too few epochs').diagnosis.label")])
    body = _export(nb, tmp_path)
    (block,) = _static_blocks(body)
    pictures, text = block
    assert len(pictures) == 1 and pictures[0].startswith(b"\x89PNG")
    assert "SLOW" in text and "3 epochs" in text  # the last run (the preset), not the first
    assert "the numbers behind this verdict" in text
    hiders = body.count(".hplab-static {display: none}")
    assert hiders >= 1 and body.index(".hplab-static {display: none}") > body.index(
        "application/vnd.jupyter.widget-state+json")  # only the live widgets' state hides it


@pytest.mark.slow
def test_the_exported_first_lesson_shows_its_playground(tmp_path):
    from pathlib import Path

    import nbformat

    lessons = Path(__file__).resolve().parent.parent / "lessons"
    nb = nbformat.read(lessons / "00_start_here.ipynb", as_version=4)
    blocks = _static_blocks(_export(nb, lessons))
    assert blocks and all(pics and pics[0].startswith(b"\x89PNG") for pics, _ in blocks)
    assert any("Playground" in text for _, text in blocks)


def test_marks_follow_a_cleared_and_redrawn_axes(runs):
    """Dashboards clear their Axes and draw again on every run: the marks must follow."""
    ax = plots.overlay({"good": runs["good"], "blown": runs["blown"]}, key="train_loss")
    for _ in range(2):
        ax.cla()
        plots.overlay({"good": runs["good"], "blown": runs["blown"]}, ax, key="train_loss")
        ax.set_ylim(0, 0.5)
        ax.figure.canvas.draw()
        assert not unmarked_exits(ax)
