"""The dashboard base: knobs on top, the run's picture and its diagnosis below, presets, a ghost
of the previous run, and a replay of the run epoch by epoch.

A dashboard supplies two things: ``compute(config)``, which turns the knob values into a result,
and ``draw(result, axes)``, which draws that result into the figure's panels. Everything else
(retraining when a knob moves, presets, errors shown in place, the static copy for viewers
without widgets, play and the epoch scrubber) lives here, once.

Nothing trains when a dashboard is made: the first run happens when it is displayed, or when
asked for (``run()``, ``result``).
"""

from __future__ import annotations

import asyncio
import html
import io
import math
import textwrap
import threading
import time

import ipywidgets as W
from matplotlib.figure import Figure

from .. import _validate as check
from .. import plots
from ..data import DATASETS, REGRESSION
from ..diagnose import Diagnosis
from ..models import ACTIVATIONS
from ..playground import (
    DEFAULTS,
    POWERS_OF_TWO,
    USES_BETAS,
    USES_MOMENTUM,
    WEIGHT_DECAYS,
    Result,
    check_config,
    health,
    train_run,
)
from ..plots import _style as style
from ..train import OPTIMIZERS, SCHEDULES, Callback, History

HIDE_STATIC = "<style>.hplab-static {display: none}</style>"  # in the live view only
LIVE_FIRST = 0.3     # seconds of training before the first live frame (quick runs draw none)
LIVE_INTERVAL = 0.5  # seconds between later live frames
FPS = 6  # play: frames per second, a steady pace the eye can follow
VEIL = 0.75  # how much of the curves after the scrubbed epoch is hidden (white, this opaque)
VEIL_GID = "hplab-veil"
KEEP = 120  # pictures kept per run at most (about 35 MB); the farthest from the step asked go first
AHEAD_PAUSE = 0.02  # s the kernel stays free between two frames drawn ahead of the scrubber
AHEAD_IDLE = 1.0  # s without a knob or scrubber move before frames are drawn ahead: a learner
                  # still moving things is never kept waiting for a frame nobody asked for


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
    from ..sweep import seed_band

    band = seed_band(runs, "val_loss")
    top = ax.get_ylim()[1]
    ax.fill_between(band.epoch, band.mean - band.std, (band.mean + band.std).clip(max=top),
                    color=plots.VAL_COLOR, alpha=0.25, lw=0,
                    label=f"val ± 1 std, {len(runs)} seeds")
    ax.legend(fontsize="small", loc="upper right")
    ax.set_title(f"loss (band: {len(runs)} seeds)")


def _model_panel(r: Result, ax, title: str | None = None):
    """What the model learned: its decision boundary, its fitted curve, or its metric curves."""
    d = r.data
    if d.n_features == 2 and d.task != REGRESSION:
        return plots.decision_boundary(r.model, d, ax, resolution=60, title=title)
    if d.n_features == 1 and d.task == REGRESSION:
        return plots.fitted_curve(r.model, d, ax, title=title)
    return plots.metric_curves(r.history, ax, title=title, legend=title is None)


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


def _veil(ax) -> list:
    """A white veil over what comes after a step on a curves panel, and a line marking the step."""
    from ..frames import mark_epoch

    for old in [p for p in ax.patches if p.get_gid() == VEIL_GID]:  # from a replay before
        old.remove()
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    veil = ax.axvspan(xlim[0], xlim[1], color="white", alpha=VEIL, lw=0, zorder=4, gid=VEIL_GID)
    mark = mark_epoch(ax, xlim[1])
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return [veil, mark]


def _move_veil(veil, mark, step: int) -> None:
    x1 = veil.axes.get_xlim()[1]
    veil.set_x(step)
    veil.set_width(max(x1 - step, 0))
    mark.set_xdata([step, step])


def render_png(figure: Figure) -> bytes:
    """Draw ``figure`` off-screen and encode it as PNG, favouring speed over file size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return _encode(canvas)


def _encode(canvas) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB").save(
        buf, format="png", compress_level=1)  # no alpha: a sixth less to encode and to send
    return buf.getvalue()


class _Blitter:
    """Draws a figure once without its ``moving`` artists, keeps that picture, and afterwards
    draws only the moving artists over a copy of it: a frame costs a fraction of a full draw."""

    def __init__(self, figure: Figure, moving: list):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)  # left out of the full draw below
        self.canvas = FigureCanvasAgg(figure)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(figure.bbox)

    def render(self) -> bytes:
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self.moving:
            artist.draw(renderer)
        return _encode(self.canvas)

    def close(self) -> None:
        for artist in self.moving:
            artist.set_animated(False)


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
    """Presets and knobs on top, then play and the scrubber, the run's picture and its diagnosis.

    Subclasses choose the knobs they show (``KNOBS``), the panels of the figure (``PANELS``:
    "loss", "metric", "model", "health" (gradient per layer), "dead"), their ``PRESETS`` and default values
    (``VALUES``). Knobs not shown keep their value from ``VALUES``/``DEFAULTS`` or the keyword
    arguments. Every change of a control retrains and redraws; so do the Train button and the
    preset buttons. The previous run stays as a faded ghost until Reset.

    A dashboard that is not about training a network overrides ``compute(config)`` and
    ``draw(result, axes)``; one whose run is replayed differently overrides ``steps``,
    ``replay_artists`` and ``update_step`` (see PathExplorer). Play and the scrubber
    (``player``, ``scrubber``) show a finished run step by step from what was stored while it
    ran; :meth:`show_step` does the same from code. Each step's picture is drawn once per run
    and kept (``frames_png``); in a running kernel the rest are drawn ahead while it is idle.

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
    PRESET_BASE: dict = {}  # knob values every preset starts from, beyond VALUES
    STEP = "epoch"  # what the scrubber counts
    _extra: dict = {}  # name -> widget: knobs a subclass adds (set before the base __init__)

    def __init__(self, *, live: bool = True, **values):
        config = check_config({**self.VALUES, **values})
        self.live = check.boolean("live", live)
        self.fixed = {k: v for k, v in config.items() if k not in self.KNOBS}
        self.controls = {name: make_control(name, config[name]) for name in self.KNOBS}
        self.controls.update(self._extra)  # knobs a dashboard adds beyond the training ones
        self._last = None  # the last result; read through ``result``, which trains if none yet
        self._started = False
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
        self.player = W.Play(value=0, min=0, max=0, step=1, interval=round(1000 / FPS),
                             description="play", tooltip=f"replay the run {self.STEP} by {self.STEP}")
        self.scrubber = W.IntSlider(value=0, min=0, max=0, description=self.STEP,
                                    continuous_update=True, **_slider_style())
        self.player.add_class("hplab-play")
        self.scrubber.add_class("hplab-scrubber")
        W.link((self.player, "value"), (self.scrubber, "value"))  # play moves the scrubber
        self.scrubber.observe(self._on_scrub, names="value")
        self.shown_step: int | None = None  # the step the picture shows; None: the finished run
        self._heading = 1  # the way the scrubber last moved: +1 forward, -1 back
        self.step_seconds = 0.0  # scrubber move -> new frame, last time
        self._replay = None  # (_Blitter, what update_step needs) while scrubbing one run
        self._finished_png = b""  # the finished run's picture, shown when no step is
        self.frames_png: dict[int, bytes] = {}  # step -> picture of the run shown, drawn once
        self._ahead_run = 0  # which picture the frames drawn ahead belong to; a new one cancels
        self._lock = threading.RLock()  # held while the figure is drawn (see _draw_ahead_when_idle)
        self._moved = 0.0  # time.monotonic() of the last picture shown for a learner's move
        self.view = self._layout()
        self.view.children += (W.HTML(HIDE_STATIC),)  # live widgets hide the static copy
        self._static = None  # the display of that copy, updated after every run
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        self._sync_enabled()

    # -- what a learner can do ------------------------------------------------------------

    @property
    def config(self) -> dict:
        """The knob values the next run will use."""
        return {**self.fixed, **{k: w.value for k, w in self.controls.items()}}

    @property
    def result(self):
        """The last finished run; the first access trains one if none has run yet."""
        if not self._started:
            self.run()
        return self._last

    @property
    def last_result(self):
        """The same as :attr:`result`."""
        return self.result

    def compute(self, config: dict):
        """Turn knob values into a result: here, train the network they describe."""
        callbacks = [_LiveFrames(self, LIVE_FIRST, LIVE_INTERVAL)] if self.live else []
        track = bool({"health", "dead"} & set(self.PANELS))  # gradient records cost time
        return train_run(config, callbacks=callbacks, cache=self._cache, track=track,
                         frames="model" in self.PANELS)  # snapshots for the scrubber

    def draw(self, result, axes: dict) -> None:
        """Draw ``result`` into ``axes`` (panel name -> Axes), beside the ghost of the run before."""
        for panel, ax in axes.items():
            self._draw_panel(panel, ax, result, self.ghost)

    def run(self):
        """Compute with the current knobs and draw the result; errors are shown, not raised."""
        with self._lock:
            return self._run()

    def _run(self):
        self._started = True
        start = time.perf_counter()
        self.live_frames = 0
        self.player.playing = False
        self._stop_replay()
        try:
            result = self.compute(self.config)
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
            return None
        if not result.seconds:
            result.seconds = time.perf_counter() - start
        self.error = None
        if self._last is not None:
            self.ghost = self._last
        self._last = result
        self.runs += 1
        self._draw_final()
        self.last_seconds = time.perf_counter() - start
        return result

    def apply_preset(self, name: str):
        """Set the knobs of a preset (the others back to their defaults) and run once."""
        if name not in self.PRESETS:
            raise ValueError(f"preset {name!r} is unknown; choose one of: {', '.join(self.PRESETS)}")
        target = {**check_config({**self.VALUES, **self.PRESETS[name].values}), **self.PRESET_BASE}
        self._busy = True
        try:
            for key, widget in self.controls.items():
                if key in target:
                    widget.value = target[key]
            self.fixed.update({k: v for k, v in target.items() if k not in self.controls})
        finally:
            self._busy = False
        self._sync_enabled()
        return self.run()

    def reset(self) -> None:
        """Forget the previous run (the ghost) and redraw."""
        with self._lock:
            self.ghost = None
            if self._last is not None:
                self._draw_final()

    def png(self) -> bytes:
        """The current figure as PNG bytes (``style.RETINA`` pixels per displayed pixel)."""
        self.result  # noqa: B018 -- a dashboard not yet run trains first
        if self.shown_step is not None:  # the step the scrubber shows
            return self.frame_png(self.shown_step)
        if self._replay is not None:  # frames drawn ahead have changed the figure since
            return self._finished_png
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
        with self._lock:
            return self._static_png()

    def _static_png(self) -> bytes:
        if self.result is None:
            return self.png()
        if self._replay is not None:
            self._draw_final()  # the finished run, not the step last scrubbed to
        per_line = round(self.FIGSIZE[0] * 72 / (0.6 * style.SMALL_PT))  # characters that fit the width
        text = "\n".join(textwrap.wrap(self.caption(self.result), per_line))
        self.figure.set_layout_engine("constrained", rect=(0, self.BOTTOM, 1, 1 - self.BOTTOM))
        note = self.figure.text(0.01, 0.02, text, fontsize=style.SMALL_PT, va="bottom", ha="left")
        try:  # the Axes move up to leave the caption its room
            return render_png(self.figure)
        finally:
            note.remove()
            # back to the full height at once: a replay keeps the places the panels have now
            self.figure.set_layout_engine("constrained")
            self.figure.draw_without_rendering()
            self._laid_out = _layout_key(self.figure)

    def _draw_final(self):
        r = self._last
        self._stop_replay()
        for ax in self.axes.values():
            ax.cla()
        self.draw(r, self.axes)
        for ax in self.axes.values():
            legend = ax.get_legend()  # beside the panel, run after run: nothing jumps
            if legend is not None and legend._bbox_to_anchor is None:  # (unless placed by draw)
                style.place_legend(ax, loc="outside")  # (not there already: upper left, anchored)
            _fix_title(ax)
        self.figure.suptitle(f"{self.TITLE}: {r.diagnosis.label}", fontsize=style.TEXT_PT, x=0.01,
                             ha="left", color="black" if r.diagnosis.label == "good" else style.BAD)
        self.image.value = self._finished_png = self.png()
        d = r.diagnosis
        self.status.value = (f"<div style='max-width:900px'><b>{html.escape(d.label.upper())}</b>: "
                             f"{html.escape(d.explanation)}<br><i>Next:</i> "
                             f"{html.escape(d.advice)}<br><span style='color:grey'>"
                             f"{html.escape(self.facts(r))}</span>{_evidence_html(d)}</div>")
        self._update_static()
        self._reset_scrubber(r)
        self._moved = time.monotonic()
        self._draw_ahead_when_idle()

    # -- replay: play and the scrubber ---------------------------------------------------

    def steps(self, result) -> int:
        """The last step the scrubber reaches for ``result`` (0: nothing to replay)."""
        return result.history.epochs_run

    def replay_artists(self, result, axes: dict) -> tuple[list, dict]:
        """Prepare the figure for replaying ``result``: returns the artists that change from step
        to step, and what :meth:`update_step` needs to change them. Here: the model panel shows
        the stored snapshot of each epoch; every curve panel gets a marker line at the epoch and
        a veil over the epochs after it."""
        from ..frames import draw_frame

        moving, view = [], {"curves": {}}
        for panel, ax in axes.items():
            if panel == "model" and result.frames is not None and result.frames.frames:
                ax.cla()
                view["model"] = draw_frame(result.frames.frames[-1], result.data, ax)
                if ax.get_legend() is not None:
                    style.place_legend(ax, loc="outside")
                moving.append(ax)  # drawn whole each frame: image, boundary, points, title
            else:
                view["curves"][panel] = _veil(ax)
                moving += view["curves"][panel]
        return moving, view

    def update_step(self, view: dict, result, step: int) -> None:
        """Show ``step`` in the artists :meth:`replay_artists` prepared."""
        from ..frames import update_frame

        if "model" in view:
            rec = result.frames
            frame = max((f for f in rec.frames if f.epoch <= step), key=lambda f: f.epoch,
                        default=rec.frames[0])
            update_frame(view["model"], frame, title=f"the model at epoch {step}")
            _fix_title(view["model"].ax)
        for veil, mark in view["curves"].values():
            _move_veil(veil, mark, step)

    def show_step(self, step: int) -> bytes:
        """Show the last run at ``step`` (an epoch; a step of the path in PathExplorer) from what
        was stored while it ran: nothing trains. Returns the picture's PNG bytes."""
        with self._lock:  # the run is read, and its picture drawn, as one: never half a new run
            r = self.result
            if r is None:
                raise ValueError(f"{self.STEP} cannot be shown: the dashboard has no run to "
                                 f"replay ({self.error})")
            step = check.integer(self.STEP, step, low=0, high=self.steps(r))
            start = time.perf_counter()
            png = self.frames_png.get(step) or self.frame_png(step)  # a picture kept: swapped only
            self.image.value = png
        was = self.steps(r) if self.shown_step is None else self.shown_step  # (the end, at first)
        self._heading = -1 if step < was else 1  # where the frames drawn ahead go next
        self.shown_step = step
        self._moved = time.monotonic()
        self.step_seconds = time.perf_counter() - start
        return png

    def frame_png(self, step: int) -> bytes:
        """The picture of the last run at ``step``: drawn the first time it is asked for (or
        ahead, while the kernel is idle), afterwards the same bytes from ``frames_png``."""
        with self._lock:
            blitter, view = self._start_replay()
            self.update_step(view, self._last, step)  # cheap; the artists show the step asked
            if step not in self.frames_png:
                if len(self.frames_png) >= KEEP:
                    del self.frames_png[max(self.frames_png, key=lambda s: abs(s - step))]
                self.frames_png[step] = blitter.render()
            return self.frames_png[step]

    def _start_replay(self) -> tuple:
        """Prepare the figure for replaying the last run, once per picture: the still parts
        are drawn here, a frame then draws only what moves."""
        if self._replay is None:
            moving, view = self.replay_artists(self._last, self.axes)
            self.figure.set_layout_engine("none")  # the panels keep the places the run gave them
            self._replay = (_Blitter(self.figure, moving), view)
        return self._replay

    def draw_ahead(self, limit: int | None = None) -> int:
        """Draw up to ``limit`` frames of the last run not drawn yet (default: all, as long as
        fewer than ``KEEP`` are kept), nearest the scrubber first, on the side it last moved to
        (back, before the first move: the scrubber then stands at the end), and the step under
        it, if not shown, last; so that a later scrub only swaps the picture. Returns how many
        were drawn. The kernel does this by itself while idle."""
        r = self._last
        if r is None:
            return 0
        at = self.scrubber.value
        todo = sorted((s for s in range(self.steps(r) + 1) if s not in self.frames_png),
                      key=lambda s: (s == at, abs(s - at), (s - at) * self._heading < 0))
        todo = todo[:max(KEEP - len(self.frames_png), 0)][:limit]  # never pushing kept ones out
        for step in todo:
            self.frame_png(step)
        return len(todo)

    def _draw_ahead_when_idle(self) -> None:
        """In a running kernel, once nothing has moved for ``AHEAD_IDLE`` seconds, draw the frames
        of the run just shown one at a time between the kernel's messages, on the event loop of
        the thread that showed it. JupyterLab may send widget messages to a second thread of
        the kernel (a subshell): a frame is drawn only while no other thread holds the figure
        (``_lock``), else a little later. A new run or picture cancels what is left. Without an
        event loop (a script, a test) nothing happens: frames are drawn when asked for."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._last is not None and self.steps(self._last) > 0:
            loop.call_later(AHEAD_IDLE, self._draw_one_ahead, loop, self._ahead_run)

    def _draw_one_ahead(self, loop, run: int) -> None:
        if run != self._ahead_run or self._last is None:
            return  # a newer picture took over
        wait = self._moved + AHEAD_IDLE - time.monotonic()
        if wait > 0:  # the learner moved something meanwhile: wait until things are still
            loop.call_later(wait, self._draw_one_ahead, loop, run)
            return
        if not self._lock.acquire(blocking=False):  # another thread is drawing: try again soon
            loop.call_later(AHEAD_PAUSE, self._draw_one_ahead, loop, run)
            return
        try:
            if run != self._ahead_run:
                return
            if self._replay is None:  # the still parts alone: the kernel is free again sooner
                self._start_replay()
                more = True
            else:
                more = self.draw_ahead(limit=1) > 0
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
            return
        finally:
            self._lock.release()
        if more:
            loop.call_later(AHEAD_PAUSE, self._draw_one_ahead, loop, run)

    def _on_scrub(self, change):
        if self._busy or self._last is None:
            return
        # A scrub that comes in on the kernel's second thread while a run is under way on the
        # first (which holds the figure) is for the run being replaced: dropped, since the new
        # run's end puts the scrubber at its own last epoch.
        if not self._lock.acquire(blocking=False):
            return
        try:
            self.show_step(change["new"])
        except Exception as exc:  # shown in the dashboard; the dashboard keeps working
            self.error = f"{type(exc).__name__}: {exc}"
            self._show_error()
        finally:
            self._lock.release()

    def _reset_scrubber(self, result) -> None:
        """After a run: the scrubber spans its steps and stands at the end, which is shown."""
        last = self.steps(result)
        self._busy = True
        try:
            self.player.playing = False
            for widget in (self.scrubber, self.player):
                widget.max = max(last, widget.min)
            self.scrubber.value = last
        finally:
            self._busy = False
        self.replay_bar.layout.display = None if last > 0 else "none"

    def _stop_replay(self) -> None:
        """Back to the finished picture: the pictures of steps drawn so far show the figure as
        it was (curves, ghost, the run before), so they go, and so do those still to draw."""
        self._ahead_run += 1
        self.frames_png = {}
        self.shown_step = None
        self._heading = 1
        if self._replay is not None:
            self._replay[0].close()
            self._replay = None

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
        self.replay_bar = W.HBox([self.player, self.scrubber])
        return W.VBox(top + knobs + [self.replay_bar, self.image, self.status])

    def _repr_mimebundle_(self, **kwargs):
        """Live widgets where a widget front end exists; everywhere else (a notebook exported to
        HTML, a repository page) the last figure and its verdict, as HTML and as a picture."""
        bundle = self.view._repr_mimebundle_(**kwargs) or {}
        bundle = dict(bundle)
        png = self.static_png()
        bundle["image/png"] = png
        r = self._last
        bundle["text/plain"] = self.caption(r) if r is not None else self.TITLE
        bundle["text/html"] = self.static_html(png)  # sized for the screen, verdict under it
        return bundle

    def static_html(self, png: bytes | None = None) -> str:
        """The last figure and verdict as a self-contained HTML block (no widgets needed)."""
        import base64

        png = self.image.value if png is None else png
        src = base64.b64encode(png).decode("ascii")
        verdict = self.status.value if self._last is not None or self.error else ""
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

        self.result  # noqa: B018 -- the first run happens when the dashboard is shown
        display(self.view)
        self._static = display(HTML(self.static_html()), display_id=True)

    def _update_static(self):
        if self._static is not None:
            from IPython.display import HTML

            self._static.update(HTML(self.static_html()))

