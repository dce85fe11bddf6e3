"""Live dashboards: move a knob, the network retrains, and the consequence is drawn and named.

This is the only module that imports ipywidgets. Every dashboard keeps its widgets in
``controls`` (name -> widget) and the outcome of its last run in ``last_result``, so it can be
driven from a test exactly as a learner drives it:

    >>> dash = Playground()                        # doctest: +SKIP
    >>> dash.controls["lr"].value = 3.0            # doctest: +SKIP
    >>> dash.last_result.diagnosis.label           # doctest: +SKIP
    'diverged'

The figure is rendered off-screen and swapped into an image widget in one piece, so it never
flickers; while a long run trains, live frames are drawn (after ``LIVE_FIRST`` seconds, then
every ``LIVE_INTERVAL`` seconds).
"""

from __future__ import annotations

import html
import io
import math
import textwrap
import time
from dataclasses import dataclass, field

import ipywidgets as W
from matplotlib.figure import Figure

from . import _style as style
from . import _validate as check
from . import plots
from .data import DATASETS, REGRESSION, Data, load_dataset
from .diagnose import Diagnosis, diagnose
from .models import ACTIVATIONS, mlp
from .train import OPTIMIZERS, SCHEDULES, Callback, EarlyStopping, History, evaluate, fit

HIDE_STATIC = "<style>.hplab-static {display: none}</style>"  # in the live view only
LIVE_FIRST = 0.3     # seconds of training before the first live frame (quick runs draw none)
LIVE_INTERVAL = 0.5  # seconds between later live frames
N_SAMPLES = 1000      # generated sets: 600 train / 200 validation / 200 test
DATA_SEED = 0         # the data stay fixed; the ``seed`` knob moves initialisation and batch order

DEFAULTS = dict(
    dataset="moons", noise=0.2, label_noise=0.0, n_train=200,
    depth=2, width=32, activation="relu", dropout=0.0,
    optimizer="adam", lr=1e-2, momentum=0.9, beta1=0.9, beta2=0.999, weight_decay=0.0,
    batch_size=32, epochs=30, schedule="constant",
    patience=0, min_delta=0.0, restore_best=True, seed=0, seeds=1,
)
USES_MOMENTUM = ("momentum", "nesterov")
USES_BETAS = ("adam", "adamw")
POWERS_OF_TWO = tuple(2 ** i for i in range(11))  # 1 .. 1024
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


# ----------------------------------------------------------------------------- plain training


@dataclass
class Result:
    """One finished run: the knob values, what happened, the verdict, and the trained model."""

    config: dict
    history: History
    diagnosis: Diagnosis
    model: object
    data: Data
    val: dict = field(default_factory=dict)  # evaluate(model, data, "val") after training
    seconds: float = 0.0
    seed_runs: list = field(default_factory=list)  # with seeds > 1: one History per seed


def check_config(config: dict) -> dict:
    """Fill missing knobs from :data:`DEFAULTS`; reject names that are not knobs."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of knob values, got {type(config).__name__}")
    for key in config:
        if key not in DEFAULTS:
            raise ValueError(f"knob {key!r} is unknown; choose one of: {', '.join(sorted(DEFAULTS))}")
    return {**DEFAULTS, **config}


def load_data(config: dict, cache: dict | None = None) -> Data:
    """The dataset a configuration asks for, cut down to ``n_train`` training examples."""
    key = (config["dataset"], config["noise"], config["label_noise"])
    if cache is None or key not in cache:
        name = check.choice("dataset", config["dataset"], DATASETS)
        data = load_dataset(name, n_samples=None if name in ("digits", "breast_cancer") else N_SAMPLES,
                            noise=config["noise"], label_noise=config["label_noise"], seed=DATA_SEED)
        if cache is not None:
            cache[key] = data
    data = cache[key] if cache is not None else data
    n = check.integer("n_train", config["n_train"], low=2, high=data.n_train)
    return data if n == data.n_train else data.subset(n, seed=DATA_SEED)


def train_run(config: dict | None = None, *, callbacks=(), track: bool = True,
              cache: dict | None = None) -> Result:
    """Train one configuration of knobs (missing ones come from :data:`DEFAULTS`).

    Example:
        >>> r = train_run({"lr": 10.0, "optimizer": "sgd"})  # doctest: +SKIP
        >>> r.diagnosis.label                                 # doctest: +SKIP
        'diverged'
    """
    c = check_config(config or {})
    start = time.perf_counter()
    data = load_data(c, cache)
    model = mlp(data.n_features, data.n_outputs, depth=c["depth"], width=c["width"],
                activation=c["activation"], dropout=c["dropout"], seed=c["seed"])
    patience = check.integer("patience", c["patience"], low=0)
    stopper = (EarlyStopping(patience=patience, min_delta=c["min_delta"],
                             restore_best_weights=c["restore_best"]) if patience else None)
    hist = fit(model, data, optimizer=c["optimizer"], lr=c["lr"], batch_size=c["batch_size"],
               epochs=c["epochs"],
               momentum=c["momentum"] if c["optimizer"] in USES_MOMENTUM else None,
               betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"],
               schedule=c["schedule"], early_stopping=stopper, callbacks=callbacks,
               track_gradients=track, track_dead_units=track, seed=c["seed"])
    val = evaluate(model, data, split="val")
    seed_runs = _seed_runs(c, data, stopper)
    return Result(c, hist, diagnose(hist), model, data, val, time.perf_counter() - start, seed_runs)


def _seed_runs(c: dict, data: Data, stopper) -> list:
    """The same configuration with ``seeds`` consecutive seeds, trained at once by fit_seeds."""
    k = check.integer("seeds", c["seeds"], low=1, high=20)
    if k == 1:
        return []
    from .sweep import fit_seeds

    return fit_seeds(data, seeds=range(c["seed"], c["seed"] + k), depth=c["depth"],
                     width=c["width"], activation=c["activation"], dropout=c["dropout"],
                     optimizer=c["optimizer"],
                     lr=c["lr"], batch_size=c["batch_size"], epochs=c["epochs"],
                     momentum=c["momentum"] if c["optimizer"] in USES_MOMENTUM else None,
                     betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"],
                     schedule=c["schedule"], early_stopping=stopper)


# ----------------------------------------------------------------------------- presets


def health(hist: History) -> dict:
    """Gradient health at the last epoch: the share of dead ReLU units, and how much smaller the
    first layer's gradient is than the last layer's (1 = same size; 1e-4 = vanishing)."""
    dead = hist.dead_fraction[-1] if hist.dead_fraction else math.nan
    ratio = math.nan
    if hist.grad_norms:
        g = hist.grad_norms[-1]
        ratio = g[0] / g[-1] if g[-1] > 0 and math.isfinite(g[0] / g[-1]) else math.nan
    return dict(dead_units=dead, gradient_ratio=ratio)


@dataclass(frozen=True)
class Preset:
    """One click that reproduces a symptom: knob values, and what they must produce.

    ``label`` is what :func:`hplab.diagnose` says about the run. Two symptoms have no label of
    their own and are read from :func:`health` instead: ``min_dead`` (share of dead ReLU units at
    least this) and ``max_gradient_ratio`` (first/last layer gradient at most this).
    """

    values: dict
    label: str
    story: str
    min_dead: float | None = None
    max_gradient_ratio: float | None = None

    def shows(self, result: Result) -> bool:
        """True when ``result`` really has this preset's symptom."""
        h = health(result.history)
        return (result.diagnosis.label == self.label
                and (self.min_dead is None or h["dead_units"] >= self.min_dead)
                and (self.max_gradient_ratio is None
                     or h["gradient_ratio"] <= self.max_gradient_ratio))


# The same settings, and so the same verdict, in the Playground and in the activation lab.
DYING_RELU = Preset(dict(activation="relu", optimizer="adam", lr=0.3, schedule="cosine", depth=4,
                         width=8, epochs=30, seed=1), "collapsed",
                    "Adam at 0.3 for the first epochs: most ReLU units die, and this network is "
                    "left giving the same answer to every input.", min_dead=0.5)

PRESETS = {
    "good": Preset({}, "good", "A sensible start: Adam, learning rate 0.01, two hidden layers."),
    "divergence": Preset(dict(optimizer="sgd", lr=10.0), "diverged",
                         "Plain SGD with a learning rate of 10: every step overshoots further."),
    "unstable": Preset(dict(optimizer="sgd", lr=5.0, depth=0), "unstable",
                       "A huge step on a simple model: the loss jumps up and down instead of "
                       "settling."),
    "slow": Preset(dict(optimizer="sgd", lr=3e-4), "slow",
                   "Plain SGD with tiny steps: after 30 epochs the loss is still creeping down."),
    "underfitting": Preset(dict(dataset="circles", depth=0), "underfitting",
                           "A straight-line model (no hidden layer) on rings it cannot separate."),
    "overfitting": Preset(dict(n_train=30, depth=3, width=64, epochs=60, batch_size=16),
                          "overfitting",
                          "A big network, only 30 examples, 60 epochs: it memorizes them."),
    "vanishing gradients": Preset(dict(activation="sigmoid", depth=8, optimizer="sgd", lr=0.1),
                                  "underfitting",
                                  "Eight sigmoid layers: the first layers get almost no gradient, "
                                  "so they barely learn.", max_gradient_ratio=1e-3),
    "dying ReLU": DYING_RELU,
}


# ----------------------------------------------------------------------------- controls


def _slider_style():
    return dict(style={"description_width": "110px"}, layout=W.Layout(width="330px"))


def make_control(name: str, value):
    """The widget for one knob, set to ``value``; sliders only report when released."""
    s = _slider_style()
    quiet = dict(continuous_update=False, **s)
    if name == "lr":
        return W.FloatLogSlider(value=value, base=10, min=-4, max=1.5, step=0.25,
                                description="learning rate", readout_format=".3g", **quiet)
    if name in ("batch_size", "width"):
        return W.SelectionSlider(options=POWERS_OF_TWO[:9] if name == "width" else POWERS_OF_TWO,
                                 value=value, description=name.replace("_", " "), **quiet)
    if name == "weight_decay":
        return W.SelectionSlider(options=WEIGHT_DECAYS, value=value, description="weight decay",
                                 **quiet)
    ints = dict(depth=(0, 10, 1), epochs=(1, 300, 1), n_train=(10, 600, 10), patience=(0, 50, 1),
                seed=(0, 99, 1))
    if name == "seeds":
        return W.Dropdown(options=(1, 3, 5), value=value, description="seeds (band)", **s)
    if name in ints:
        lo, hi, step = ints[name]
        labels = dict(n_train="training size", patience="patience (0=off)", depth="hidden layers")
        return W.IntSlider(value=value, min=lo, max=hi, step=step,
                           description=labels.get(name, name), **quiet)
    floats = dict(noise=(0, 1, 0.05, ".2f"), label_noise=(0, 0.45, 0.05, ".2f"),
                  dropout=(0, 0.8, 0.05, ".2f"), momentum=(0, 0.99, 0.01, ".2f"),
                  beta1=(0, 0.99, 0.01, ".2f"), beta2=(0.9, 0.9999, 0.0001, ".4f"),
                  min_delta=(0, 0.1, 0.005, ".3f"))
    if name in floats:
        lo, hi, step, fmt = floats[name]
        return W.FloatSlider(value=value, min=lo, max=hi, step=step, readout_format=fmt,
                             description=name.replace("_", " "), **quiet)
    choices = dict(dataset=DATASETS, activation=tuple(ACTIVATIONS), optimizer=OPTIMIZERS,
                   schedule=SCHEDULES)
    if name in choices:
        return W.Dropdown(options=choices[name], value=value, description=name, **s)
    if name == "restore_best":
        return W.Checkbox(value=value, description="restore best weights", indent=False)
    raise ValueError(f"knob {name!r} is unknown; choose one of: {', '.join(sorted(DEFAULTS))}")


# ----------------------------------------------------------------------------- the dashboard


def _val_band(ax, runs: list) -> None:
    """Shade the validation loss's mean ± one standard deviation over seeds."""
    from .sweep import seed_band

    band = seed_band(runs, "val_loss")
    top = ax.get_ylim()[1]
    ax.fill_between(band.epoch, band.mean - band.std, (band.mean + band.std).clip(max=top),
                    color=plots.VAL_COLOR, alpha=0.25, lw=0,
                    label=f"val ± 1 std, {len(runs)} seeds")
    ax.legend(fontsize="small", loc="upper right")
    ax.set_title(f"loss (band: {len(runs)} seeds)")


def _evidence_html(d: Diagnosis) -> str:
    """The numbers behind a verdict as a folded table of plain words and thresholds."""
    rows = [(w, "none" if v is None else v, rule) for w, v, rule in style.evidence_rows(d)]
    return ("<details><summary>the numbers behind this verdict</summary>"
            + style.table_html(rows, ("measured", "value", "compared with")) + "</details>")


def _layout_key(figure) -> tuple:
    """What decides the layout of a dashboard's figure: texts around each Axes, legends, and
    the longest tick label on each axis."""
    def size(texts):  # a few characters more or less do not move anything
        return tuple(len(t) // 6 for t in texts)

    key = []
    for ax in figure.axes:
        legend = ax.get_legend()
        key += [size([ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]), ax.get_yscale(),
                size(t.get_text() for t in legend.get_texts()) if legend else (),
                (legend._loc, legend._bbox_to_anchor is None) if legend else (),
                max((len(t.get_text()) for t in ax.get_yticklabels()), default=0),
                max((len(t.get_text()) for t in ax.get_xticklabels()), default=0)]
    return tuple(key)


def _fix_title(ax) -> None:
    """Pin the title just above the Axes: matplotlib otherwise measures every tick label to place
    it, which is a large share of the drawing time of a small figure."""
    ax.set_title(ax.get_title(), y=1.0)


def render_png(figure: Figure) -> bytes:
    """Draw ``figure`` off-screen and encode it as PNG, favouring speed over file size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB").save(
        buf, format="png", compress_level=1)  # no alpha: a sixth less to encode and to send
    return buf.getvalue()


class _LiveFrames(Callback):
    """Redraws the curves while a run trains: first after ``first`` seconds, then at most once
    every ``interval`` seconds."""

    def __init__(self, dashboard, first, interval):
        self.dashboard, self.first, self.interval = dashboard, first, interval

    def on_train_begin(self, trainer):
        self.due = time.perf_counter() + self.first

    def on_epoch_end(self, trainer, epoch, logs):
        if time.perf_counter() >= self.due:
            self.dashboard._draw_live(trainer.history)
            self.due = time.perf_counter() + self.interval


class Dashboard:
    """Knobs on the left, the run's picture and its diagnosis on the right, presets on top.

    Subclasses choose the knobs they show (``KNOBS``), the panels of the figure (``PANELS``:
    "loss", "metric", "model", "health" (gradient per layer), "dead"), their ``PRESETS`` and default values
    (``VALUES``). Knobs not shown keep their value from ``VALUES``/``DEFAULTS`` or the keyword
    arguments. Every change of a control retrains and redraws; so do the Train button and the
    preset buttons. The previous run stays as a faded ghost until Reset.

    Args:
        live: draw live frames while a long run trains.
        **values: starting knob values, e.g. ``Playground(lr=0.1, dataset="spirals")``.
    """

    TITLE = "Dashboard"
    KNOBS: tuple = ()
    ESSENTIAL: tuple = ()  # if set, only these knobs show at first; the rest fold under "more knobs"
    PANELS: tuple = ("loss", "metric", "model", "health")
    PRESETS: dict = {}
    VALUES: dict = {}
    FIGSIZE = (11.5, 3.4)  # inches at DPI: as wide as the notebook's output area
    BOTTOM = 0.3  # share of the height kept under the Axes for the static picture's caption
    DPI = style.DPI  # displayed pixels per inch; drawn style.RETINA times as sharp

    def __init__(self, *, live: bool = True, **values):
        config = check_config({**self.VALUES, **values})
        self.live = check.boolean("live", live)
        self.fixed = {k: v for k, v in config.items() if k not in self.KNOBS}
        self.controls = {name: make_control(name, config[name]) for name in self.KNOBS}
        self.last_result: Result | None = None
        self.ghost: Result | None = None
        self.error: str | None = None
        self.runs = 0          # finished runs
        self.live_frames = 0   # live frames drawn during the last run
        self.last_seconds = 0.0  # control change -> finished figure, last run
        self._cache: dict = {}
        self._busy = False
        self.figure = Figure(figsize=self.FIGSIZE, dpi=self.DPI * style.RETINA,
                             layout="constrained")  # room for labels, titles, outside legends
        self.axes = dict(zip(self.PANELS, self.figure.subplots(1, len(self.PANELS))))
        self.image = W.Image(format="png", width=str(self.width_px),  # shown at half its pixels
                             layout=W.Layout(max_width="100%", height="auto"))
        self.status = W.HTML()
        self.image.add_class("hplab-figure")  # stable hooks for the browser tests
        self.status.add_class("hplab-diagnosis")
        self.view = self._layout()
        self.view.children += (W.HTML(HIDE_STATIC),)  # live widgets hide the static copy
        self._static = None  # the display of that copy, updated after every run
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        self._sync_enabled()
        self.run()

    # -- what a learner can do ------------------------------------------------------------

    @property
    def config(self) -> dict:
        """The knob values the next run will use."""
        return {**self.fixed, **{k: w.value for k, w in self.controls.items()}}

    def run(self) -> Result | None:
        """Train with the current knobs and draw the result; errors are shown, not raised."""
        start = time.perf_counter()
        callbacks = [_LiveFrames(self, LIVE_FIRST, LIVE_INTERVAL)] if self.live else []
        self.live_frames = 0
        try:
            track = bool({"health", "dead"} & set(self.PANELS))  # gradient records cost time
            result = train_run(self.config, callbacks=callbacks, cache=self._cache, track=track)
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
            return None
        self.error = None
        if self.last_result is not None:
            self.ghost = self.last_result
        self.last_result = result
        self.runs += 1
        self._draw_final()
        self.last_seconds = time.perf_counter() - start
        return result

    def apply_preset(self, name: str) -> Result | None:
        """Set the knobs of a preset (the others back to their defaults) and train once."""
        if name not in self.PRESETS:
            raise ValueError(f"preset {name!r} is unknown; choose one of: {', '.join(self.PRESETS)}")
        target = check_config({**self.VALUES, **self.PRESETS[name].values})
        self._busy = True
        try:
            for key, widget in self.controls.items():
                widget.value = target[key]
            self.fixed.update({k: v for k, v in target.items() if k not in self.controls})
        finally:
            self._busy = False
        self._sync_enabled()
        return self.run()

    def reset(self) -> None:
        """Forget the previous run (the ghost) and redraw."""
        self.ghost = None
        if self.last_result is not None:
            self._draw_final()

    def png(self) -> bytes:
        """The current figure as PNG bytes (``style.RETINA`` pixels per displayed pixel)."""
        self._lay_out()
        return render_png(self.figure)

    def _lay_out(self) -> None:
        """Constrained layout costs about a third of a redraw, so it runs only when what sits
        around the Axes (titles, labels, legends, the width of tick labels) has changed; the
        panels otherwise keep the places it gave them last time."""
        key = _layout_key(self.figure)
        if key == getattr(self, "_laid_out", None):
            self.figure.set_layout_engine("none")  # keeps the positions
        else:
            self.figure.set_layout_engine("constrained")
            self._laid_out = key

    @property
    def width_px(self) -> int:
        """The figure's displayed width in screen pixels."""
        return round(self.FIGSIZE[0] * self.DPI)

    # -- drawing -------------------------------------------------------------------------

    def _draw_panel(self, panel, ax, result, ghost):
        h, g = result.history, ghost.history if ghost is not None else None
        if panel == "loss":
            plots.loss_curves(h, ax, ghost=g)
            if result.seed_runs:  # is the difference from the ghost real, or luck?
                _val_band(ax, result.seed_runs)
        elif panel == "metric":
            plots.metric_curves(h, ax, ghost=g, legend=False)
        elif panel == "health":
            dead = health(h)["dead_units"]
            plots.gradient_norms(h, ax, title="gradients" + (
                f" ({dead:.0%} units dead)" if dead > 0 else ""))
        elif panel == "dead":
            plots.dead_units(h, ax, ghost=g if g is not None and g.dead_fraction else None)
        elif panel == "model":
            _model_panel(result, ax)

    def facts(self, result: Result) -> str:
        """The run in numbers: epochs, how it ended, best epoch, validation score, time."""
        h = result.history
        text = (f"{h.epochs_run} epochs ({h.status.replace('_', ' ')}), best epoch {h.best_epoch}, "
                f"validation {h.metric_name} {result.val.get('metric', math.nan):.2f}")
        dead = health(h)["dead_units"]
        if dead > 0:
            text += f", {dead:.0%} of ReLU units dead"
        if result.seed_runs:
            finals = [s.val_metric[-1] for s in result.seed_runs]
            mean = sum(finals) / len(finals)
            std = (sum((f - mean) ** 2 for f in finals) / len(finals)) ** 0.5
            text += (f", over {len(finals)} seeds validation {h.metric_name} "
                     f"{mean:.2f} ± {std:.2f}")
        return text + f", trained in {result.seconds:.2f} s"

    def caption(self, result: Result) -> str:
        """The words under the figure: the verdict, what it means, what to try."""
        d = result.diagnosis
        return f"{d.label.upper()}: {d.explanation}  Next: {d.advice}  [{self.facts(result)}]"

    def static_png(self) -> bytes:
        """The figure with the diagnosis written under it, for viewers without widgets."""
        if self.last_result is None:
            return self.png()
        text = "\n".join(textwrap.wrap(self.caption(self.last_result), 150))
        self.figure.set_layout_engine("constrained", rect=(0, self.BOTTOM, 1, 1 - self.BOTTOM))
        note = self.figure.text(0.01, 0.02, text, fontsize=style.SMALL_PT, va="bottom", ha="left")
        try:  # the Axes move up to leave the caption its room
            return render_png(self.figure)
        finally:
            note.remove()
            self._laid_out = None  # the next picture is laid out afresh, full height

    def _draw_final(self):
        r = self.last_result
        for panel, ax in self.axes.items():
            ax.cla()
            self._draw_panel(panel, ax, r, self.ghost)
            if ax.get_legend() is not None:  # beside the panel, run after run: nothing jumps
                style.place_legend(ax, loc="outside")
            _fix_title(ax)
        self.figure.suptitle(f"{self.TITLE}: {r.diagnosis.label}", fontsize=style.TEXT_PT, x=0.01,
                             ha="left", color="black" if r.diagnosis.label == "good" else style.BAD)
        self.image.value = self.png()
        d = r.diagnosis
        self.status.value = (f"<div style='max-width:900px'><b>{html.escape(d.label.upper())}</b>: "
                             f"{html.escape(d.explanation)}<br><i>Next:</i> "
                             f"{html.escape(d.advice)}<br><span style='color:grey'>"
                             f"{html.escape(self.facts(r))}</span>{_evidence_html(d)}</div>")
        self._update_static()

    def _draw_live(self, hist: History):
        ax = self.axes.get("loss")
        if ax is None or not hist.epoch:
            return
        ax.cla()
        plots.loss_curves(hist, ax, ghost=self.ghost.history if self.ghost else None,
                          title=f"training... epoch {hist.epoch[-1]}")
        _fix_title(ax)
        self.image.value = self.png()
        self.live_frames += 1

    def _show_error(self):
        self.status.value = ("<div style='color:#b00020;font-weight:bold'>This run could not start: "
                             f"{html.escape(self.error)}</div><div>Change the setting and the "
                             "dashboard trains again.</div>")
        self._update_static()

    # -- wiring --------------------------------------------------------------------------

    def _on_change(self, change):
        if self._busy:
            return
        self._sync_enabled()
        self.run()

    def _sync_enabled(self):
        opt = self.config["optimizer"]
        if "momentum" in self.controls:
            self.controls["momentum"].disabled = opt not in USES_MOMENTUM
        for beta in ("beta1", "beta2"):
            if beta in self.controls:
                self.controls[beta].disabled = opt not in USES_BETAS
        if "min_delta" in self.controls and "patience" in self.controls:
            off = self.controls["patience"].value == 0
            self.controls["min_delta"].disabled = off
            if "restore_best" in self.controls:
                self.controls["restore_best"].disabled = off

    def _buttons(self):
        train = W.Button(description="Train again", icon="play", button_style="primary")
        train.on_click(lambda _b: self.run())
        reset = W.Button(description="Reset ghost", icon="eraser")
        reset.on_click(lambda _b: self.reset())
        self.buttons = {"train": train, "reset": reset}
        presets = []
        for name in self.PRESETS:
            b = W.Button(description=name, tooltip=self.PRESETS[name].story,
                         layout=W.Layout(width="auto"))
            b.on_click(lambda _b, n=name: self.apply_preset(n))
            presets.append(b)
            self.buttons[name] = b
        return train, reset, presets

    def _layout(self):
        train, reset, presets = self._buttons()
        top = [W.HTML(f"<b>{html.escape(self.TITLE)}</b>")]
        if presets:
            top.append(W.HBox([W.Label("Show me:")] + presets, layout=W.Layout(flex_flow="row wrap")))
        first = [w for k, w in self.controls.items() if not self.ESSENTIAL or k in self.ESSENTIAL]
        rest = [w for k, w in self.controls.items() if self.ESSENTIAL and k not in self.ESSENTIAL]
        self.more = None  # the folded knobs, closed until the learner opens them
        wrap = dict(layout=W.Layout(flex_flow="row wrap"))  # knobs in rows above the figure,
        if rest:                                             # so the figure gets the full width
            self.more = W.Accordion(children=[W.HBox(rest, **wrap)],
                                    titles=(f"more knobs ({len(rest)})",), selected_index=None)
        knobs = [W.HBox(first, **wrap)] + ([self.more] if rest else []) + [W.HBox([train, reset])]
        return W.VBox(top + knobs + [self.image, self.status])

    def _repr_mimebundle_(self, **kwargs):
        """Live widgets where a widget front end exists; everywhere else (a notebook exported to
        HTML, a repository page) the last figure and its verdict, as HTML and as a picture."""
        bundle = self.view._repr_mimebundle_(**kwargs) or {}
        bundle = dict(bundle)
        png = self.static_png()
        bundle["image/png"] = png
        r = self.last_result
        bundle["text/plain"] = self.caption(r) if r is not None else self.TITLE
        bundle["text/html"] = self.static_html(png)  # sized for the screen, verdict under it
        return bundle

    def static_html(self, png: bytes | None = None) -> str:
        """The last figure and verdict as a self-contained HTML block (no widgets needed)."""
        import base64

        png = self.image.value if png is None else png
        src = base64.b64encode(png).decode("ascii")
        verdict = self.status.value if self.last_result is not None or self.error else ""
        return (f"<div class='hplab-static'><b>{html.escape(self.TITLE)}</b><br>"
                f"<img src='data:image/png;base64,{src}' width='{self.width_px}' "
                f"style='max-width:100%;height:auto' alt='{html.escape(self.TITLE)}: last run'>"
                f"{verdict}</div>")

    def _ipython_display_(self):
        """Show the live widgets, and after them a static copy of the last figure and verdict.

        The copy is what a notebook exported to HTML, or opened where widgets cannot run,
        shows; wherever the widgets are live they hide it (``HIDE_STATIC``). It is updated
        after every run, so an exported notebook shows the dashboard's last run.
        """
        from IPython.display import HTML, display

        display(self.view)
        self._static = display(HTML(self.static_html()), display_id=True)

    def _update_static(self):
        if self._static is not None:
            from IPython.display import HTML

            self._static.update(HTML(self.static_html()))


# ----------------------------------------------------------------------------- the dashboards


class Playground(Dashboard):
    """Every knob of the course on one network, with presets for each symptom.

    Example:
        >>> dash = Playground()                        # doctest: +SKIP
        >>> dash.apply_preset("overfitting").diagnosis.label   # doctest: +SKIP
        'overfitting'
    """

    TITLE = "Playground"
    KNOBS = ("dataset", "noise", "label_noise", "n_train", "depth", "width", "activation",
             "dropout", "optimizer", "lr", "momentum", "beta1", "beta2", "weight_decay",
             "batch_size", "epochs", "schedule", "patience", "min_delta", "seed", "seeds")
    ESSENTIAL = ("dataset", "n_train", "depth", "width", "optimizer", "lr", "batch_size",
                 "epochs", "seeds")
    PANELS = ("loss", "model", "health")  # accuracies are in the line under the figure
    FIGSIZE = (11.0, 3.3)
    PRESETS = PRESETS


class CapacityLab(Dashboard):
    """Lesson 03: how big a network the data can support; dropout and weight decay as brakes.

    Example:
        >>> lab = CapacityLab()                        # doctest: +SKIP
        >>> lab.controls["depth"].value = 3            # doctest: +SKIP
    """

    TITLE = "Depth and width"
    KNOBS = ("dataset", "noise", "label_noise", "n_train", "depth", "width", "dropout",
             "weight_decay", "epochs", "seed", "seeds")
    PANELS = ("loss", "metric", "model")
    FIGSIZE = (11.0, 3.4)
    VALUES = dict(dataset="spirals", depth=0, epochs=40)
    _SMALL_NOISY = dict(dataset="moons", noise=0.3, label_noise=0.1, n_train=30, depth=3,
                        width=128, epochs=60, batch_size=16, lr=3e-3)
    PRESETS = {
        "too simple": Preset(dict(depth=0), "underfitting",
                             "No hidden layer: a straight line cannot follow two spirals."),
        "big enough": Preset(dict(depth=2, width=32), "good",
                             "Two hidden layers of 32: the spirals are separated."),
        "too big for the data": Preset(_SMALL_NOISY, "overfitting",
                                       "A big network on 30 noisy examples: it memorizes them."),
        "same, with weight decay": Preset(dict(_SMALL_NOISY, weight_decay=0.1), "good",
                                          "The same big network, with its weights pulled "
                                          "towards zero: the validation loss stops climbing."),
    }


class EarlyStoppingLab(Dashboard):
    """Lesson 07: too few epochs, too many, and early stopping with patience and min_delta.

    Example:
        >>> lab = EarlyStoppingLab()                   # doctest: +SKIP
        >>> lab.controls["patience"].value = 10        # doctest: +SKIP
        >>> lab.last_result.history.status             # doctest: +SKIP
        'early_stopped'
    """

    TITLE = "Epochs and early stopping"
    KNOBS = ("epochs", "patience", "min_delta", "restore_best", "n_train", "label_noise", "seed",
             "seeds")
    PANELS = ("loss", "metric", "model")
    FIGSIZE = (11.0, 3.4)
    VALUES = dict(dataset="moons", noise=0.3, n_train=30, depth=3, width=64, epochs=60,
                  batch_size=16, lr=1e-3)
    PRESETS = {
        "too few epochs": Preset(dict(epochs=3), "slow",
                                 "Three epochs: the loss is still falling fast when training ends."),
        "too many epochs": Preset(dict(epochs=150), "overfitting",
                                  "150 epochs, no stopping: validation loss turns and climbs."),
        "early stopping": Preset(dict(epochs=150, patience=10), "good",
                                 "Stop after 10 epochs without improvement and restore the best "
                                 "weights."),
    }

    def facts(self, result: Result) -> str:
        h = result.history
        text = super().facts(result)
        if h.status == "early_stopped" and h.best_epoch is not None:
            kept = ("restored from best epoch" if result.config["restore_best"]
                    else "kept from the last epoch")
            text += (f"; stopped at epoch {h.stopped_epoch}, weights {kept} {h.best_epoch}: "
                     f"validation loss {result.val['loss']:.3f} (best seen "
                     f"{h.best_val_loss:.3f}, last epoch {h.val_loss[-1]:.3f})")
        return text


def compare_configs(runs: dict, *, base: dict | None = None):
    """Train several configurations and draw them side by side: loss curves above, the model
    below, each titled with its diagnosis. Returns the figure and a dict name -> :class:`Result`.

    Example:
        >>> fig, results = compare_configs({"small": {"depth": 1}, "big": {"depth": 4}})  # doctest: +SKIP
    """
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"runs must be a non-empty dict name -> knob values, got {runs!r}")
    base = dict(base or {})
    results = {name: train_run({**base, **values}, track=False) for name, values in runs.items()}
    import matplotlib.pyplot as plt

    k = len(results)
    with style.course_style():  # as wide as the notebook, whatever the number of columns
        fig, axes = plt.subplots(2, k, figsize=(style.WIDTH, 5.8), squeeze=False,
                                 layout="constrained", dpi=style.DPI)
    for j, (name, r) in enumerate(results.items()):
        verdict = " + ".join([r.diagnosis.label, *r.diagnosis.also])  # e.g. slow + underfitting
        plots.loss_curves(r.history, axes[0, j], title=f"{name}\n-> {verdict}", legend=j == 0)
        _model_panel(r, axes[1, j], title=f"validation {r.history.metric_name} "
                                          f"{r.val['metric']:.2f}")
    return fig, results


def compare_presets(names, *, cls=Playground):
    """Train several of a dashboard's presets and draw them side by side (see
    :func:`compare_configs`). Returns the figure and a dict name -> :class:`Result`."""
    names = list(names)
    for name in names:
        if name not in cls.PRESETS:
            raise ValueError(f"preset {name!r} is unknown; choose one of: {', '.join(cls.PRESETS)}")
    return compare_configs({n: cls.PRESETS[n].values for n in names}, base=cls.VALUES)


def _model_panel(r: Result, ax, title: str | None = None):
    """What the model learned: its decision boundary, its fitted curve, or its metric curves."""
    d = r.data
    if d.n_features == 2 and d.task != REGRESSION:
        return plots.decision_boundary(r.model, d, ax, resolution=60, title=title)
    if d.n_features == 1 and d.task == REGRESSION:
        return plots.fitted_curve(r.model, d, ax, title=title)
    return plots.metric_curves(r.history, ax, title=title, legend=title is None)


# ---- lessons 02, 04, 05, 06 ----

from .surfaces import SURFACES, describe_path, get_surface, optimizer_path  # noqa: E402


class LearningRateLab(Dashboard):
    """Lesson 02: one knob that matters most. Too large diverges, too small crawls.

    Example:
        >>> lab = LearningRateLab()                     # doctest: +SKIP
        >>> lab.controls["lr"].value = 10.0             # doctest: +SKIP
        >>> lab.last_result.diagnosis.label             # doctest: +SKIP
        'diverged'
    """

    TITLE = "Learning rate"
    KNOBS = ("lr", "optimizer", "momentum", "schedule", "epochs")
    PANELS = ("loss", "lr", "model")
    VALUES = dict(optimizer="sgd", lr=0.1, epochs=20)
    PRESETS = {
        "too high": Preset(dict(lr=10.0), "diverged",
                           "Plain SGD at 10: every step overshoots and the loss explodes."),
        "too low": Preset(dict(lr=1e-3), "slow",
                          "Plain SGD at 0.001: safe, but the loss has barely moved after 20 "
                          "epochs."),
        "just right": Preset(dict(lr=0.1), "good",
                             "Plain SGD at 0.1 on this small, standardized problem: a fast drop, "
                             "then a smooth settle."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "lr":
            return super()._draw_panel(panel, ax, result, ghost)
        runs = {"this run": result.history}
        if ghost is not None:
            runs = {"previous": ghost.history, **runs}
        plots.lr_schedule(runs, ax, title="learning rate per epoch")
        ax.set_yscale("log")
        return ax


class BatchSizeLab(Dashboard):
    """Lesson 05: batch size changes how noisy each step is and how many steps an epoch holds."""

    TITLE = "Batch size"
    KNOBS = ("batch_size", "lr", "optimizer", "epochs")
    PANELS = ("loss", "batches", "model")
    VALUES = dict(optimizer="sgd", lr=0.3, batch_size=32, epochs=20)
    PRESETS = {
        "small batches": Preset(dict(batch_size=8, lr=0.1), "good",
                                "8 examples per step: 25 noisy steps per epoch."),
        "one big batch, same rate": Preset(dict(batch_size=128, lr=0.1), "good",
                                           "128 per step at the small batches' rate (0.1): "
                                           "smooth, but only 2 steps per epoch."),
        "big batch, scaled rate": Preset(dict(batch_size=128, lr=1.6), "good",
                                         "128 per step, 16 times the batch of 8, with the rate "
                                         "raised 16 times to 1.6."),
        "too big a rate": Preset(dict(batch_size=128, lr=10.0), "diverged",
                                 "Scaling the rate up has a limit: past it, training blows up."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "batches":
            return super()._draw_panel(panel, ax, result, ghost)
        runs = {f"batch {result.config['batch_size']}": result.history}
        if ghost is not None:
            runs = {f"previous (batch {ghost.config['batch_size']})": ghost.history, **runs}
        return plots.batch_losses(runs, ax)

    def facts(self, result) -> str:
        h = result.history
        per_epoch = sum(h.seconds) / max(len(h.seconds), 1)
        return (f"{super().facts(result)}; {h.steps_per_epoch} updates per epoch, "
                f"{h.steps_per_epoch * h.epochs_run} in all, {per_epoch * 1000:.0f} ms per epoch")


class ActivationLab(Dashboard):
    """Lesson 06: activations, vanishing gradients in deep sigmoid nets, and dying ReLUs."""

    TITLE = "Activations and gradient health"
    KNOBS = ("activation", "depth", "width", "optimizer", "lr", "schedule", "epochs", "seed")
    PANELS = ("loss", "health", "dead")
    VALUES = dict(optimizer="adam", lr=0.01, depth=4, width=8, epochs=15)
    _SPIKE = {k: v for k, v in DYING_RELU.values.items() if k != "activation"}
    PRESETS = {
        "vanishing gradients": Preset(
            dict(activation="sigmoid", depth=8, width=32, optimizer="sgd", lr=0.1, epochs=20),
            "underfitting", "Eight sigmoid layers: the first layers get almost no gradient."),
        "dying ReLU": DYING_RELU,
        "leaky ReLU survives": Preset(
            dict(_SPIKE, activation="leaky_relu"), "good",
            "The same rough start with leaky ReLU: every unit keeps a gradient and recovers."),
        "healthy ReLU": Preset({}, "good", "ReLU at a sensible rate: gradients of similar size."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "dead" or result.config["activation"] == "relu":
            return super()._draw_panel(panel, ax, result, ghost)
        act = result.config["activation"].replace("_", " ")
        plots.dead_units(result.history, ax, title=f"dead ReLU units (none here: {act})")
        return ax


@dataclass
class PathResult:
    """One path on a loss surface: the knob values, the path, and what it did in words."""

    config: dict
    path: object  # an hplab.OptimizerPath
    diagnosis: Diagnosis
    seconds: float = 0.0


class PathExplorer(Dashboard):
    """Lesson 04: watch one PyTorch optimizer walk a 2-parameter loss surface.

    Changing the optimizer (or the surface) also sets the learning rate to one that suits it
    there; move the rate afterwards to see what too much and too little do.

    Example:
        >>> paths = PathExplorer()                          # doctest: +SKIP
        >>> paths.controls["optimizer"].value = "adam"      # doctest: +SKIP
        >>> paths.last_result.diagnosis.label               # doctest: +SKIP
        'converged'
    """

    TITLE = "Optimizer paths"
    KNOBS = ("optimizer", "lr", "momentum", "beta1", "beta2", "weight_decay")
    PANELS = ("path", "loss")
    VALUES = dict(optimizer="sgd", lr=0.45, momentum=0.9)
    SURFACE_VALUES = dict(surface="valley", steps=50)
    FIGSIZE = (11.0, 4.6)
    PRESETS = {
        "SGD zig-zags": Preset(dict(optimizer="sgd", lr=0.45), "zig-zag",
                               "Plain SGD bounces between the valley walls and crawls along it."),
        "SGD too big a step": Preset(dict(optimizer="sgd", lr=0.6), "diverged",
                                     "A little more and the bouncing grows instead of fading."),
        "SGD tiny steps": Preset(dict(optimizer="sgd", lr=0.01), "slow",
                                 "No bouncing, but it barely moves."),
        "momentum": Preset(dict(optimizer="momentum", lr=0.12), "converged",
                           "Momentum cancels the bouncing and speeds along the floor."),
        "Adam": Preset(dict(optimizer="adam", lr=0.3), "converged",
                       "Equal-sized steps on both weights: Adam dives diagonally into the "
                       "valley, then swings along its floor."),
    }

    def __init__(self, *, surface: str = "valley", steps: int = 50, live: bool = False,
                 **values):
        surf = get_surface(surface)
        steps = check.integer("steps", steps, low=5, high=500)
        self._extra = {
            "surface": W.Dropdown(options=list(SURFACES), value=surf.name, description="surface",
                                  **_slider_style()),
            "steps": W.IntSlider(value=steps, min=5, max=500, step=5, description="steps",
                                 continuous_update=False, **_slider_style()),
        }
        super().__init__(live=live, **values)
        self.controls["lr"].step = 0.05  # finer than the network dashboards: 12% per notch

    def run(self) -> PathResult | None:
        """Walk the surface with the current knobs and draw it; errors are shown, not raised."""
        start = time.perf_counter()
        try:
            c = self.config
            momentum = c["momentum"] if c["optimizer"] in USES_MOMENTUM else None
            path = optimizer_path(c["surface"], c["optimizer"], lr=c["lr"], steps=c["steps"],
                                  momentum=momentum, betas=(c["beta1"], c["beta2"]),
                                  weight_decay=c["weight_decay"])
            result = PathResult(c, path, describe_path(path), time.perf_counter() - start)
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
            return None
        self.error = None
        self.ghost, self.last_result = self.last_result, result
        self.runs += 1
        self._draw_final()
        self.last_seconds = time.perf_counter() - start
        return result

    def apply_preset(self, name: str) -> PathResult | None:
        """Back to the valley and 50 steps, set the preset's knobs, and run once."""
        if name not in self.PRESETS:
            raise ValueError(f"preset {name!r} is unknown; choose one of: {', '.join(self.PRESETS)}")
        target = {**check_config({**self.VALUES, **self.PRESETS[name].values}),
                  **self.SURFACE_VALUES}
        self._busy = True
        try:
            for key, widget in self.controls.items():
                widget.value = target[key]
        finally:
            self._busy = False
        self._sync_enabled()
        return self.run()

    def facts(self, result) -> str:
        p = result.path
        return (f"{p.optimizer} on the {p.surface.replace('_', ' ')}, lr {p.lr:g}, "
                f"{len(p.points) - 1} steps, final loss {p.final_loss:.3g}")

    def _draw_panel(self, panel, ax, result, ghost):
        runs = {f"now: {result.path.optimizer}": result.path}
        if ghost is not None:
            runs = {f"before: {ghost.path.optimizer}": ghost.path, **runs}
        if panel == "path":
            plots.optimizer_paths(runs, ax, surface=result.path.surface)
        else:
            plots.path_losses(runs, ax)

    def _layout(self):
        self.controls.update(self._extra)  # the surface knobs sit with the others
        return super()._layout()

    def _on_change(self, change):
        if not self._busy and change["owner"] in (self.controls["optimizer"],
                                                  self._extra["surface"]):
            c = self.config
            self._busy = True
            try:
                self.controls["lr"].value = get_surface(c["surface"]).lrs[c["optimizer"]]
            finally:
                self._busy = False
        super()._on_change(change)


# ---- interview prep ----
# Flash cards and a self-scoring quiz over hplab.interview's questions. Both keep their state
# in an interview.Quiz and expose the buttons' actions as methods, so a test can drive them.


def _card_html(card, answer: bool) -> str:
    from .interview import lesson_notebook

    text = (f"<div style='font-size:0.85em;color:#666'>{html.escape(card.topic)}</div>"
            f"<div style='font-size:1.15em;margin:6px 0'><b>{html.escape(card.question)}</b></div>")
    if answer:
        text += f"<div style='margin:6px 0'>{html.escape(card.answer)}</div>"
    if answer and card.pointer:
        path = lesson_notebook(card.lesson)
        where = f" ({path.name})" if path else ""
        text += (f"<div style='font-size:0.85em;color:#1a5fb4'>See it live: "
                 f"{html.escape(card.pointer)}{html.escape(where)}</div>")
    return text


def _feedback_html(feedback) -> str:
    if feedback is None:
        return ""
    score, missed = feedback
    text = f"<div style='margin:6px 0'><b>Your answer covered {score:.0%} of the points.</b>"
    if missed:
        text += " Missed: " + "; ".join(html.escape(m) for m in missed) + "."
    return text + "</div>"


class InterviewQuiz:
    """Interview drill: type an answer, check it against the card's must-mention points.

    Args:
        topic: one of ``hplab.interview.TOPICS`` or None for all questions.
        seed: the order of the cards.

    Example:
        >>> quiz = InterviewQuiz(topic="batch size")     # doctest: +SKIP
        >>> quiz.reply.value = "fewer, less noisy steps"; quiz.check(); quiz.next()
        >>> quiz.quiz.score
        (0, 1)
    """

    ALL = "all topics"

    def __init__(self, topic: str | None = None, *, seed: int = 0):
        from . import interview

        self._interview = interview
        self.seed = check.seed(seed)
        self.error: str | None = None
        self.card = W.HTML()
        self.status = W.HTML()
        self.topic = W.Dropdown(options=(self.ALL,) + interview.TOPICS, description="topic")
        self.reply = W.Textarea(placeholder="Type your answer, then check it",
                                layout=W.Layout(width="100%", height="6em"))
        self.buttons = {name: W.Button(description=label) for name, label in
                        (("check", "Check my answer"), ("continue", "Next card"),
                         ("retry", "Drill the missed ones"))}
        self.buttons["check"].on_click(lambda _b: self.check())
        self.buttons["continue"].on_click(lambda _b: self.next())
        self.buttons["retry"].on_click(lambda _b: self.retry_missed())
        self.quiz = interview.Quiz(interview.questions(topic), seed=self.seed)  # bad topic: raise
        self.topic.value = self.ALL if topic is None else topic
        self._draw()
        self.topic.observe(lambda change: self.choose_topic(change["new"]), names="value")
        self.view = W.VBox([self.topic, self.card, self.reply,
                            W.HBox(list(self.buttons.values())), self.status])

    def choose_topic(self, topic: str) -> None:
        """Start over with the questions of one topic (or all of them)."""
        try:
            cards = self._interview.questions(None if topic == self.ALL else topic)
        except (TypeError, ValueError) as exc:
            return self._fail(exc)
        self.quiz = self._interview.Quiz(cards, seed=self.seed)
        self.error = None
        self._draw()

    def reveal(self) -> None:
        if self.quiz.done:
            return self._fail(ValueError("no card left: drill the missed ones or pick a topic"))
        self.quiz.reveal()
        self.error = None
        self._draw()

    def check(self) -> None:
        """Score the typed answer against the card's points and show the model answer."""
        try:
            self.quiz.answer(self.reply.value)
        except (TypeError, ValueError) as exc:
            return self._fail(exc)
        self.error = None
        self._draw()

    def next(self) -> None:
        """The next card (one left unanswered counts as missing every point)."""
        try:
            self.quiz.next()
        except ValueError as exc:
            return self._fail(exc)
        self.reply.value = ""
        self.error = None
        self._draw()

    def retry_missed(self) -> None:
        if not self.quiz.missed:
            return self._fail(ValueError("no missed cards to drill yet"))
        self.quiz = self.quiz.retry_missed()
        self.error = None
        self._draw()

    def _fail(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        self._draw()

    def _draw(self) -> None:
        q = self.quiz
        if q.done:
            self.card.value = f"<b>Done.</b> {html.escape(q.summary())}"
        else:
            self.card.value = _card_html(q.current, q.revealed) + _feedback_html(q.feedback)
        self.buttons["check"].disabled = q.done or q.feedback is not None
        self.buttons["continue"].disabled = q.done
        known, seen = q.score
        text = (f"card {min(q.position + 1, len(q.cards))} of {len(q.cards)} · "
                f"every point covered {known}/{seen}")
        if self.error:
            text = f"<span style='color:#b00'>{html.escape(self.error)}</span><br>{text}"
        self.status.value = text

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        q = self.quiz
        bundle["text/plain"] = q.current.question if not q.done else q.summary()
        return bundle


class FlashCards(InterviewQuiz):
    """Flash cards: flip through the questions, reveal each answer; no score kept.

    ``next()`` and ``previous()`` move between cards; ``reveal()`` shows the answer.
    """

    def __init__(self, topic: str | None = None, *, seed: int = 0):
        super().__init__(topic, seed=seed)
        self.buttons = {"previous": W.Button(description="Previous"),
                        "reveal": W.Button(description="Reveal answer"),
                        "next": W.Button(description="Next")}
        self.buttons["previous"].on_click(lambda _b: self.previous())
        self.buttons["reveal"].on_click(lambda _b: self.reveal())
        self.buttons["next"].on_click(lambda _b: self.next())
        self.view.children = (self.topic, self.card, W.HBox(list(self.buttons.values())),
                              self.status)
        self._draw()

    def next(self) -> None:
        self._move(+1)

    def previous(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        q = self.quiz
        q.position = (q.position + step) % len(q.cards)
        q.revealed = False
        self.error = None
        self._draw()

    def _draw(self) -> None:
        q = self.quiz
        self.card.value = _card_html(q.current, q.revealed)
        if "next" in self.buttons:
            self.buttons["reveal"].disabled = q.revealed
        text = f"card {q.position + 1} of {len(q.cards)}"
        if self.error:
            text = f"<span style='color:#b00'>{html.escape(self.error)}</span><br>{text}"
        self.status.value = text


# ---- tuning ----
# Lesson 09's budget calculator: pure arithmetic from hplab.tune (nothing trains), so it is a
# small panel of its own rather than a Dashboard. Moving a slider calls update(); a test can set
# controls[...].value exactly as a learner does.


class BudgetCalculator:
    """Sliders for a tuning budget: what a full grid costs, and what random trials buy.

    Example:
        >>> calc = BudgetCalculator()                  # doctest: +SKIP
        >>> calc.controls["n_trials"].value = 60       # doctest: +SKIP
        >>> round(calc.last_result["random_hit_chance"], 2)   # doctest: +SKIP
        0.95
    """

    def __init__(self, *, points_per_axis: int = 3, n_hyperparameters: int = 4,
                 n_trials: int = 30, top: float = 0.05):
        check.integer("points_per_axis", points_per_axis, low=2, high=10)
        check.integer("n_hyperparameters", n_hyperparameters, low=1, high=10)
        check.integer("n_trials", n_trials, low=1, high=500)
        check.number("top", top, low=0.01, high=0.25)
        s = dict(continuous_update=False, **_slider_style())
        self.controls = {
            "points_per_axis": W.IntSlider(value=points_per_axis, min=2, max=10,
                                           description="values per axis", **s),
            "n_hyperparameters": W.IntSlider(value=n_hyperparameters, min=1, max=10,
                                             description="hyperparameters", **s),
            "n_trials": W.IntSlider(value=n_trials, min=1, max=500, description="random trials",
                                    **s),
            "top": W.FloatSlider(value=top, min=0.01, max=0.25, step=0.01, readout_format=".0%",
                                 description="top share", **s),
        }
        self.output = W.HTML()
        self.error: str | None = None
        self.last_result: dict | None = None
        for widget in self.controls.values():
            widget.observe(lambda _change: self.update(), names="value")
        self.view = W.VBox([W.HTML("<b>Budget calculator</b>"), *self.controls.values(),
                            self.output])
        self.update()

    def update(self) -> dict | None:
        """Recompute from the sliders; an error is shown in the panel, which keeps working."""
        from . import tune

        values = {k: w.value for k, w in self.controls.items()}
        try:
            result = tune.budget(**values)
        except (TypeError, ValueError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.output.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            return None
        self.error, self.last_result = None, result
        self.output.value = self.text(values, result).replace("\n", "<br>")
        return result

    @staticmethod
    def text(values: dict, result: dict) -> str:
        k, d, n, top = (values[key] for key in ("points_per_axis", "n_hyperparameters",
                                                "n_trials", "top"))
        return (f"A full grid of {k} values on each of {d} hyperparameters: "
                f"{k}^{d} = {result['grid_trials']:,} trials.\n"
                f"{n} random trials land at least one in the best {top:.0%} with chance "
                f"1 - {1 - top:.2f}^{n} = {result['random_hit_chance']:.1%}.\n"
                f"For a 95% chance: {result['random_trials_for_95']} random trials, "
                f"however many hyperparameters there are.")

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        if self.last_result is not None:
            values = {k: w.value for k, w in self.controls.items()}
            bundle["text/plain"] = self.text(values, self.last_result)
        return bundle


def leaderboard_snapshot(storage=None, study_name: str = "hplab", *, top: int = 10) -> dict:
    """What the leaderboard widget shows, read fresh from a shared study: ``table`` (the ``top``
    finished trials, best first, with who ran each) and ``curves`` (each learner's best
    validation loss so far, by trial number). ``storage`` None reads ``$HPLAB_STORAGE``."""
    from . import tune

    return {"table": tune.leaderboard(storage, study_name, top=top),
            "curves": tune.best_so_far(storage, study_name)}


class Leaderboard:
    """A shared study's leaderboard that refreshes itself every ``every`` seconds: the best
    trials with the learner who ran each, beside everyone's best-so-far curve. Learners name
    their trials with ``python -m hplab.tune join --learner NAME``.

        board = widgets.Leaderboard(study_name="class", every=10)   # storage from $HPLAB_STORAGE
        board.stop()                                                # no more refreshes

    ``every=None`` refreshes only when ``refresh()`` is called. A refresh that fails (the
    database restarting) keeps the last board and says why; the next one tries again."""

    COLUMNS = ("learner", "val_loss")

    def __init__(self, storage=None, study_name: str = "hplab", *, top: int = 10,
                 every: float | None = 10):
        import threading

        if every is not None and (isinstance(every, bool) or not isinstance(every, (int, float))
                                  or not every >= 1):
            raise ValueError(f"every must be a number of seconds >= 1 or None, got {every!r}")
        self.storage, self.study_name, self.top, self.every = storage, study_name, top, every
        self.last_result, self.error = None, None
        self.status, self.table = W.HTML(), W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.view = W.VBox([self.status, W.HBox([self.table, self.image])])
        self.last_result = leaderboard_snapshot(storage, study_name, top=top)  # bad input raises here
        self._draw(self.last_result)
        self._stopped, self._thread = threading.Event(), None
        if every is not None:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self):
        while not self._stopped.wait(self.every):
            self.refresh()

    def stop(self) -> None:
        """No more automatic refreshes (a board left running reads the study every ``every`` s)."""
        self._stopped.set()

    def refresh(self) -> dict | None:
        """Read the study again and redraw; returns the snapshot, or None when it could not be read."""
        try:
            result = leaderboard_snapshot(self.storage, self.study_name, top=self.top)
        except Exception as exc:  # an outage or a locked file: keep the last board, say why
            self.error = f"{type(exc).__name__}: {exc}"
            self.status.value = (f"<span style='color:#b00'>not refreshed ({time.strftime('%H:%M:%S')}):"
                                 f" {html.escape(self.error)}</span>")
            return None
        self.error, self.last_result = None, result
        self._draw(result)
        return result

    def _draw(self, result: dict) -> None:
        table, curves = result["table"], result["curves"]
        params = [c for c in table.columns if c not in self.COLUMNS and c in self._params(table)]
        shown = table[[*self.COLUMNS, *params]].rename_axis("trial")
        self.table.value = shown.to_html(float_format=lambda v: f"{v:.4g}", border=0)
        self.status.value = (f"<b>{html.escape(self.study_name)}</b>: {len(curves.columns)} learners,"
                             f" best {len(table)} shown; refreshed {time.strftime('%H:%M:%S')}")
        with style.course_style():
            figure = Figure(figsize=(6, 3.6), dpi=style.DPI * style.RETINA, layout="constrained")
            ax = figure.add_subplot()
            for i, name in enumerate(curves.columns):
                ax.step(curves.index, curves[name], where="post", label=name,
                        **style.series(i, len(curves.columns)))
            ax.set(xlabel="trial", ylabel="best val loss so far", title="everyone's best so far")
            style.finish(ax, legend=len(curves.columns) > 0)
        self.image.value = render_png(figure)

    @staticmethod
    def _params(table) -> list[str]:
        # the hyperparameters are the columns before the outcome columns the study reports
        end = list(table.columns).index("val_loss") if "val_loss" in table.columns else 0
        return [c for c in list(table.columns)[:end] if c != "learner"]

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        if self.last_result is not None:
            bundle["text/plain"] = self.last_result["table"].to_string()
        return bundle


# ---- lesson 13 ----


@dataclass
class StudyResult:
    """One playbook study: the knob values, the comparison, and its verdict in words."""

    config: dict
    study: object  # an hplab.playbook.Comparison
    diagnosis: Diagnosis
    seconds: float = 0.0


class PlaybookLab(Dashboard):
    """Lesson 13: pick a scientific hyperparameter; the lab re-tunes the learning rate for each
    of its values (one ``fit_many`` sweep per value) and compares best with best, beside the
    naive comparison at the rate that is best for the first value.

    Example:
        >>> lab = PlaybookLab(live=False)                       # doctest: +SKIP
        >>> lab.controls["study"].value = "width 8 vs 128"      # doctest: +SKIP
        >>> lab.last_result.diagnosis.label                     # doctest: +SKIP
    """

    TITLE = "Best with best"
    KNOBS = ("optimizer", "epochs", "seed")
    PANELS = ("isolation", "verdicts")
    VALUES = dict(optimizer="momentum", epochs=30)
    STUDIES = {"depth 1 vs 4": ("depth", (1, 4)), "width 8 vs 128": ("width", (8, 128)),
               "weight decay 0 vs 0.01": ("weight_decay", (0.0, 0.01)),
               "batch size 16 vs 128": ("batch_size", (16, 128))}
    LRS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    FIGSIZE = (11.5, 4.2)

    def __init__(self, *, study: str = "depth 1 vs 4", live: bool = False, **values):
        if study not in self.STUDIES:
            raise ValueError(f"study {study!r} is unknown; choose one of: {', '.join(self.STUDIES)}")
        self._extra = {"study": W.Dropdown(options=list(self.STUDIES), value=study,
                                           description="study", **_slider_style())}
        self._data = load_dataset("spirals", n_samples=600, noise=0.2, seed=DATA_SEED)
        super().__init__(live=live, **values)

    def run(self) -> StudyResult | None:
        """Sweep the rate for each value of the chosen knob and draw the isolation plot."""
        start = time.perf_counter()
        try:
            result = self._study(self.config)
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
            return None
        result.seconds = time.perf_counter() - start
        self.error, self.ghost, self.last_result = None, self.last_result, result
        self.runs += 1
        self._draw_final()
        self.last_seconds = time.perf_counter() - start
        return result

    def _study(self, c: dict) -> StudyResult:
        from .playbook import compare_values

        param, values = self.STUDIES[c["study"]]
        fixed = {} if param == "width" else {"width": 64}  # 2 hidden layers unless depth is studied
        study = compare_values(self._data, param, values, lrs=self.LRS, optimizer=c["optimizer"],
                               epochs=c["epochs"], seed=c["seed"], **fixed)
        return StudyResult(c, study, self._verdict(study))

    @staticmethod
    def _verdict(study) -> Diagnosis:
        naive, tuned, p = study.naive_winner, study.tuned_winner, study.param.replace("_", " ")
        if naive != tuned:
            return Diagnosis("misleading", {}, (
                f"At the fixed rate {study.fixed_lr:g}, {p} {naive} wins; each at its own best rate, "
                f"{p} {tuned} wins. The fixed rate suited one value and not the other."),
                "Trust the best-with-best verdict; check it over a few seeds.")
        return Diagnosis("agree", {}, (
            f"Both comparisons pick {p} {tuned}: here the fixed rate did not change the verdict."),
            "Check whether any best rate sits on the edge of the searched range.")

    def facts(self, result) -> str:
        s = result.study
        rates = ", ".join(f"{v}: {lr}" for v, lr in zip(s.values, s.best_lrs))
        return (f"{len(s.values)} values x {len(self.LRS)} rates = {len(s.values) * len(self.LRS)} "
                f"runs; best rates {rates}; trained in {result.seconds:.1f} s")

    def _draw_panel(self, panel, ax, result, ghost):
        from .playbook import isolation_plot

        s = result.study
        if panel == "isolation":
            isolation_plot(s, ax, title="final validation loss against the rate")
            return
        top = 1.15 * max(v for v in s.tuned + s.naive if math.isfinite(v))
        for k, (label, losses) in enumerate((("at the fixed rate", s.naive),
                                            ("each at its best rate", s.tuned))):
            xs = [i + (k - 0.5) * 0.38 for i in range(len(s.values))]  # colours unlike the lines
            color = style.GREY if k == 0 else style.OKABE_ITO["green"]
            ax.bar(xs, [min(v, top) for v in losses], width=0.36, color=color, label=label,
                   hatch="//" if k == 0 else None, edgecolor="black")
        ax.set_xticks(range(len(s.values)), [f"{s.param.replace('_', ' ')} {v}" for v in s.values])
        ax.set_ylim(0, top * 1.05)
        ax.set(ylabel="final validation loss", title=f"lower wins; fixed rate {s.fixed_lr:g}")
        style.finish(ax, legend=True, loc="outside")

    def _layout(self):
        self.controls.update(self._extra)
        return super()._layout()

    def _sync_enabled(self):
        pass  # no knob here depends on another
