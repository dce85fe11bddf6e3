"""The course style for every figure and dashboard: sizes, palette, line styles, marks, numbers.

A figure is read from the back of a classroom and by colour-blind learners, so every plotting
function in :mod:`hplab.plots`, the tuning plots of :mod:`hplab.tune` and every dashboard draws
through the helpers here:

- figures as wide as a notebook's output area (``WIDTH`` inches at ``DPI`` pixels per inch is
  1150 px: in a 1280 px window, wider than JupyterLab's output area and most of Voila's);
- no text under ``MIN_TEXT_PX`` pixels on screen, even where a figure is scaled down to the
  narrowest output area (``NARROWEST_OUTPUT_PX``): no text is drawn under ``MIN_DRAWN_PX``
  (:func:`finish` lifts any text to ``MIN_PT``);
- the Okabe–Ito palette, and every series also differs by line style or marker (:func:`series`);
- values beyond the plotted range marked where they leave it, with their true value written
  (:func:`track`, :func:`mark_true_value`), integer epoch ticks and log axes with at least two
  plain labels (:func:`log_axis`).

Nothing here touches matplotlib's global settings: :func:`course_style` is a context manager.

    >>> with course_style():                 # doctest: +SKIP
    ...     fig, ax = new_axes()
"""

from __future__ import annotations

import contextlib
import html
import math

import numpy as np
from matplotlib.ticker import Formatter, LogLocator, MaxNLocator, NullFormatter

DPI = 100            # figure inches -> screen pixels at 100 % zoom (CSS pixels)
WIDTH = 11.5         # inches: 1150 px, the widest common output area is filled (see below)
HEIGHT = 4.2         # one row of plots
RETINA = 2           # dashboards are rendered with this many pixels per displayed pixel
# A notebook's output area in a 1280 px browser window, measured in Chromium. A figure is drawn
# for the widest (1150 px fills 92 % of Voila's) and shown scaled down where the area is
# narrower, so its text is drawn large enough to stay readable at the narrowest.
OUTPUT_AREAS_PX = {"JupyterLab": 848, "JupyterLab, sidebar closed": 1100, "Voila": 1250}
NARROWEST_OUTPUT_PX = min(OUTPUT_AREAS_PX.values())  # JupyterLab's default, file browser open
MIN_TEXT_PX = 11     # no text smaller than this on screen, in any of those layouts
WORST_SCALE = NARROWEST_OUTPUT_PX / (WIDTH * DPI)  # 0.74: a full-width figure at its smallest
MIN_DRAWN_PX = MIN_TEXT_PX / WORST_SCALE  # 14.9 px: no text may be drawn smaller
# Ticks, legends, notes: 16 px drawn, 11.8 px on screen at worst. Above the floor by half a point
# because a notebook saves a figure cut to what it holds ("tight"), and outside legends or long
# labels make that up to ~5 % wider than WIDTH, and shown smaller (lesson 10's: at 71 %).
SMALL_PT = 11.5
TEXT_PT = 13.0       # titles and labels: 18 px drawn, 13.3 px on screen at worst
MIN_PT = SMALL_PT    # the floor :func:`finish` lifts any text to
SMALLEST_DRAWN_PX = MIN_PT * DPI / 72  # the smallest text the style draws, in displayed px
TOP_MARK_PAD = 12.0  # pt between an Axes and its title when marks stand on its top edge


def shown_scale(width_px: float) -> float:
    """How much of its drawn size a figure ``width_px`` wide keeps on screen in the narrowest
    output area (1 when it fits)."""
    return min(1.0, NARROWEST_OUTPUT_PX / width_px)


# Okabe & Ito (2008), "Color universal design": told apart by the common colour deficiencies.
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
}
TRAIN = OKABE_ITO["blue"]
VAL = OKABE_ITO["orange"]
BAD = OKABE_ITO["vermillion"]
GREY = "#777777"
BEST = "#FFD700"  # gold: the best trial's star, outlined in black
COLORS = tuple(OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky",
                                      "black", "yellow"))
PALETTE = frozenset({*OKABE_ITO.values(), GREY, BEST, "#FFFFFF"})  # every colour a series may take
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

def class_colormap(n_classes: int):
    """Colours for classes: two classes run from Okabe–Ito blue (dark in greyscale) through white
    to orange (light), so a probability shades between them; more classes get one colour each."""
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    if n_classes == 2:
        return LinearSegmentedColormap.from_list("hplab_classes", [TRAIN, "#FFFFFF", VAL])
    return ListedColormap(list(COLORS) + ["#999999", "#882255"], name="hplab_classes10")


RC = {
    "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": TEXT_PT,
    "axes.titlesize": TEXT_PT, "axes.labelsize": TEXT_PT,
    "xtick.labelsize": SMALL_PT, "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT,
    "lines.linewidth": 2.0, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
    "axes.spines.right": False, "legend.framealpha": 0.9,
}


@contextlib.contextmanager
def course_style(*, own: bool = False):
    """Matplotlib settings of the course, for the figures made inside the ``with`` block only.
    ``own``: also the size, layout and colour cycle, for figures drawn with plain matplotlib
    (see :func:`hplab.plots.style`)."""
    import matplotlib as mpl

    with mpl.rc_context({**RC, **own_figure_rc()} if own else RC):
        yield
        interactive = mpl.is_interactive()
    mpl.interactive(interactive)  # a notebook's first figure turns it on inside: keep it, or no later figure shows


def own_figure_rc() -> dict:
    """What :func:`hplab.plots.style` adds to ``RC``: a figure as wide as the notebook, laid out
    so labels and outside legends fit, and series told apart by colour and line style both."""
    from cycler import cycler

    n = len(LINESTYLES)
    return {"figure.figsize": (WIDTH, HEIGHT), "figure.constrained_layout.use": True,
            "axes.prop_cycle": cycler(color=COLORS[:n]) + cycler(linestyle=LINESTYLES),
            "lines.markersize": 7.0}


def style():
    """The course style for figures you draw yourself with matplotlib, inside a ``with`` block:
    as wide as the notebook, text readable from the back of the room (at least 11 px on screen
    in JupyterLab's narrowest layout), Okabe–Ito colours each with its own line style. Only the
    figures made inside the block change; matplotlib's settings are back as they were after it.

        >>> with plots.style():                        # doctest: +SKIP
        ...     fig, ax = plt.subplots()
        ...     ax.plot(hist.epoch, hist.val_loss, label="validation")
        ...     ax.legend()
    """
    return course_style(own=True)


def fit_to_notebook(fig, *, height: float | None = None):
    """A figure another library drew (Optuna's plots, say) made as wide as the notebook, its
    text lifted to the course's sizes (ticks, legends and notes to ``SMALL_PT``, titles and axis
    labels to ``TEXT_PT``) and laid out again so nothing is cut off. Returns ``fig``."""
    from matplotlib.text import Text

    fig.set_size_inches(WIDTH, fig.get_figheight() if height is None else height)
    fig.set_dpi(DPI)
    for ax in fig.axes:
        ax.tick_params(labelsize=SMALL_PT)
    for text in fig.findobj(Text):
        text.set_fontsize(max(text.get_fontsize(), SMALL_PT))
    for ax in fig.axes:
        for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
            text.set_fontsize(max(text.get_fontsize(), TEXT_PT))
    fig.set_layout_engine("tight")  # (Optuna's grids and colour bars defeat constrained layout)
    return fig


def new_axes(width: float = WIDTH, height: float = HEIGHT):
    """A new figure of the course's size (constrained layout, so outside legends fit)."""
    import matplotlib.pyplot as plt

    with course_style():
        _, ax = plt.subplots(figsize=(width, height), dpi=DPI, layout="constrained")
    return ax


def axes(ax=None):
    """The Axes to draw on: ``ax``, or a new figure in the course style, as wide as the notebook."""
    return new_axes() if ax is None else ax


def series(i: int, n: int | None = None) -> dict:
    """Line properties of the ``i``-th of several series in one Axes: a colour and a line style
    (and, past the styles, a marker), so no two are told apart by hue alone. Later series are
    drawn thinner and on top, so a line hiding under another still shows."""
    n = max(n or i + 1, 1)
    style = dict(color=COLORS[i % len(COLORS)], ls=LINESTYLES[i % len(LINESTYLES)],
                 lw=2.8 - 1.4 * i / max(n - 1, 1), zorder=2 + i / n)
    if n > 3:  # many series: markers too, spaced so they do not blot the line
        style.update(marker=MARKERS[i % len(MARKERS)], ms=6, markevery=0.12 + 0.013 * i)
    return style


# ----------------------------------------------------------------------------- axes


def finish(ax, *, legend: bool = False, epochs: str | None = None, loc: str = "best"):
    """Apply the course style to an Axes after drawing: text sizes, integer epoch ticks on
    ``epochs`` ("x" or "y") and on any linear axis labelled with "epoch", at least two labels on
    every log axis, the marks of values beyond the range, and a legend placed off the data
    (``legend=True``)."""
    ax.tick_params(labelsize=SMALL_PT)
    ax.title.set_fontsize(max(ax.title.get_fontsize(), TEXT_PT))
    for label in (ax.xaxis.label, ax.yaxis.label):
        label.set_fontsize(max(label.get_fontsize(), TEXT_PT))
    for which in ("x", "y"):
        axis = getattr(ax, f"{which}axis")
        if axis.get_scale() == "log":
            log_axis(ax, which)
        elif which == epochs or "epoch" in axis.label.get_text():
            integer_epochs(ax, which)
    if legend and ax.get_legend_handles_labels()[1]:
        place_legend(ax, loc=loc)
    for text in ax.texts:
        text.set_fontsize(max(text.get_fontsize(), MIN_PT))
    refresh_marks(ax)
    return ax


# A legend inside an Axes takes at most this share of its width: a panel may still narrow when
# the figure's other panels are laid out (legends beside them), and a wide legend then covers data.
LEGEND_MAX_SHARE = 0.4


def place_legend(ax, *, loc: str = "best"):
    """A legend off the data: outside, to the right of the Axes (``loc="outside"``), or at
    matplotlib's best place inside, moved outside when it would still cover a data point."""
    if loc == "outside":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL_PT,
                         borderaxespad=0.0)
    leg = ax.legend(loc=loc, fontsize=SMALL_PT)
    if loc == "best" and (legend_covers_data(ax, leg) or _wide_inside(ax, leg)):
        leg = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL_PT,
                        borderaxespad=0.0)
    return leg


def _wide_inside(ax, leg) -> bool:
    return leg.get_window_extent(_renderer(ax.figure)).width > LEGEND_MAX_SHARE * ax.bbox.width


def _renderer(fig):
    return fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()


def legend_covers_data(ax, leg=None) -> bool:
    """Whether the legend's box holds a point of a data line (drawn in the figure as it is)."""
    leg = leg if leg is not None else ax.get_legend()
    if leg is None:
        return False
    fig = ax.figure
    ax.get_xlim(), ax.get_ylim()  # settle autoscaled limits before measuring
    box = leg.get_window_extent(_renderer(fig))
    for line in ax.get_lines():
        if getattr(line, "_hplab_mark", False) or not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:  # points along segments
            t = np.linspace(0, 1, 9)[:, None, None]
            xy = (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        inside = ((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
                  & (xy[:, 1] <= box.y1))
        if inside.any():
            return True
    return False


def log_axis(ax, which: str = "y") -> None:
    """A log axis labelled with plain numbers and at least two labels, whatever its range:
    powers of ten over several decades (0.001, 0.01 ...), 1-2-5 over one or two (0.02, 0.05,
    0.1), and finer steps within one (0.03, 0.04). It follows the limits as they change."""
    axis = getattr(ax, f"{which}axis")
    if axis.get_scale() != "log":  # setting it again would re-autoscale
        getattr(ax, f"set_{which}scale")("log")
    axis.set_major_locator(PlainLogLocator())
    axis.set_major_formatter(PlainFormatter())
    axis.set_minor_formatter(NullFormatter())


class PlainLogLocator(LogLocator):
    """Major ticks of a log axis: the coarsest of decades, 1-2-5 or 1 to 9 that puts at least
    two ticks inside the limits (three for decades alone), else evenly spaced round numbers."""

    def __init__(self):
        super().__init__(numticks="auto")  # powers of ten: as many as the axis has room for

    def tick_values(self, vmin, vmax):
        lo, hi = sorted((float(vmin), float(vmax)))
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= 0:
            return np.array([])
        lo = lo if lo > 0 else hi / 1e3
        ticks = super().tick_values(lo, hi)  # powers of ten, every other one when crowded
        if _inside(ticks, lo, hi) >= 3:
            return ticks
        decades = 10.0 ** np.arange(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
        for subs in ((1, 2, 5), range(1, 10)):  # not LogLocator: it swaps in linear ticks
            ticks = np.outer(decades, subs).ravel()
            if _inside(ticks, lo, hi) >= 2:
                return ticks
        ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
        return ticks[ticks > 0]


def _inside(ticks, lo, hi) -> int:
    return int(((ticks >= lo * (1 - 1e-9)) & (ticks <= hi * (1 + 1e-9))).sum())


class PlainFormatter(Formatter):
    """Tick labels written as :func:`number` writes them, with as many digits as it takes to
    tell neighbouring ticks apart (0.032, 0.034 rather than 0.03, 0.03)."""

    def __call__(self, x, pos=None):
        return number(x, 2)

    def format_ticks(self, values):
        for digits in (2, 3, 4, 6):
            labels = [number(v, digits) for v in values]
            if len(set(labels)) == len(labels):
                break
        return labels


def integer_epochs(ax, which: str = "x") -> None:
    """Whole-number ticks on an epoch axis."""
    getattr(ax, f"{which}axis").set_major_locator(EpochLocator())


class EpochLocator(MaxNLocator):
    """Whole numbers only, even when the limits hold one (a run stopped after its first epoch)
    or none: matplotlib's integer locator falls back to fractions there."""

    def __init__(self):
        # nbins "auto": as many ticks as the axis has room for at the labels' size
        super().__init__(nbins="auto", integer=True, min_n_ticks=1)

    def tick_values(self, vmin, vmax):
        ticks = super().tick_values(vmin, vmax)
        return ticks[np.isclose(ticks, np.round(ticks))]


# ----------------------------------------------------------------------------- values off the plot


def track(ax, line, x, true_y, *, label_value: bool = True) -> None:
    """Remember the true values of ``line`` so that whatever the y limits become, the line is
    drawn clipped to them and every stretch beyond them is marked where it leaves: a triangle
    on the edge (pointing the way the values went) and, with ``label_value``, the most extreme
    true value written beside it."""
    line._hplab_true = (np.asarray(x, dtype=float), np.asarray(true_y, dtype=float), label_value)
    if getattr(ax, "_hplab_watching", None) is not ax.callbacks:  # new, or cleared (ax.cla())
        ax.callbacks.connect("ylim_changed", refresh_marks)
        ax._hplab_watching = ax.callbacks


def refresh_marks(ax) -> None:
    """Redraw the marks of every tracked line of ``ax`` against its current y limits."""
    lo, hi = sorted(ax.get_ylim())  # first: reading the limits may autoscale, calling us back
    if ax.get_yscale() == "log" and not isinstance(ax.yaxis.get_major_locator(),
                                                    PlainLogLocator):
        log_axis(ax, "y")  # made log after drawing (as a lab does): plain labels all the same
    for artist in getattr(ax, "_hplab_marks", []):
        if artist.axes is not None:  # ax.cla() (a dashboard redrawing) has already taken it off
            artist.remove()
    ax._hplab_marks = []
    log = ax.get_yscale() == "log"
    for line in ax.get_lines():
        if not hasattr(line, "_hplab_true"):
            continue
        x, y, label_value = line._hplab_true
        above = ~np.isfinite(y) | (y > hi)
        below = np.isfinite(y) & ((y < lo) | (log & (y <= 0)))
        line.set_data(x, np.where(above, hi, np.where(below, lo, y)))
        for mask, edge, marker in ((above, hi, "^"), (below, lo, "v")):
            _mark_stretches(ax, line, x, y, mask, edge, marker, label_value)


def _mark_stretches(ax, line, x, y, mask, edge, marker, label_value):
    if not mask.any():
        return
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])  # first point of each stretch
    color = line.get_color()
    if marker == "^":
        _room_above(ax)
    (mark,) = ax.plot(x[starts], np.full(len(starts), edge), ls="none", marker=marker, ms=9,
                      color=color, mec="black", mew=0.8, clip_on=False, zorder=6,
                      scalex=False, scaley=False)  # marks never move the limits they mark
    mark._hplab_mark = True
    ax._hplab_marks.append(mark)
    if not label_value:
        return
    ends = np.r_[starts[1:], len(y)]
    stretch = [(i, y[i:j][mask[i:j]]) for i, j in zip(starts, ends)]
    i, vals = max(stretch, key=lambda s: _extremity(s[1], marker))
    finite = vals[np.isfinite(vals)]
    text = number(finite.max() if marker == "^" else finite.min()) if len(finite) else ""
    if not np.isfinite(vals).all():  # it blew up: say how far it got, then what it became
        text += (", then " if text else "") + number(vals[~np.isfinite(vals)][0])
    right = _right_half(ax, x[i])
    note = ax.annotate(text, (x[i], edge), xytext=(-9 if right else 9,
                       -5 if marker == "^" else 5), textcoords="offset points",
                       ha="right" if right else "left", va="top" if marker == "^" else "bottom",
                       color="black", fontsize=SMALL_PT,
                       bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=color, lw=0.8,
                                 alpha=0.9), zorder=7)
    ax._hplab_marks.append(note)


def note(ax, x, y, text: str, *, color: str = "black"):
    """A short note at a data point, boxed so it reads over lines, turned inward from the edge."""
    right, top = _right_half(ax, x), _top_half(ax, y)
    return ax.annotate(text, (x, y), xytext=(-9 if right else 9, -7 if top else 7),
                       textcoords="offset points", ha="right" if right else "left",
                       va="top" if top else "bottom", fontsize=SMALL_PT, zorder=7,
                       bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=color, lw=0.8,
                                 alpha=0.9))


def mark_true_value(ax, x, y, value, *, prefix: str = "", left: bool | None = None) -> None:
    """Write the real value of a point drawn clipped at the top edge, just below it (to its
    left when ``left`` or, by default, when the point is in the right half of the Axes)."""
    text = "not a number" if math.isnan(value) else f"{value:.2g}"
    right = _right_half(ax, x) if left is None else left
    ax.annotate(f"{prefix}{text}", (x, y), xytext=(-8 if right else 8, -4),
                textcoords="offset points", ha="right" if right else "left", va="top",
                color="black", fontsize=SMALL_PT,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=BAD, lw=0.8, alpha=0.9))


def _room_above(ax) -> None:
    """Move the title up from the Axes, clear of the marks standing on its top edge."""
    if ax.get_title():
        ax.set_title(ax.get_title(), pad=TOP_MARK_PAD, fontsize=ax.title.get_fontsize(),
                     color=ax.title.get_color())


def _right_half(ax, x) -> bool:
    """Whether ``x`` lies in the right half of the Axes as drawn (log axes too)."""
    return ax.xaxis.get_transform().transform(x) >= np.mean(
        ax.xaxis.get_transform().transform(ax.get_xlim()))


def _top_half(ax, y) -> bool:
    return ax.yaxis.get_transform().transform(y) >= np.mean(
        ax.yaxis.get_transform().transform(ax.get_ylim()))


def _extremity(vals, marker):
    if not np.isfinite(vals).all():
        return math.inf
    return vals.max() if marker == "^" else -vals.min()


# ----------------------------------------------------------------------------- numbers and tables


def number(value, digits: int = 3) -> str:
    """A number as a person would write it: 3 significant digits, no float noise, no exponent
    between 0.0001 and a million (``0.8672825694084167`` -> ``"0.867"``, ``1e-05`` -> ``"1e-05"``)."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "not a number"
    if math.isinf(v):
        return "infinite" if v > 0 else "minus infinite"
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e6:
        text = f"{v:.{digits}g}"
        if "e" in text:  # 3 digits of 12345 -> 1.23e+04: write it out instead
            text = f"{v:,.0f}"
        return text
    return f"{v:.{max(digits - 1, 1)}g}".replace("e-0", "e-").replace("e+0", "e+")


def rounded(obj, digits: int = 3):
    """``obj`` with every float rounded for people (dicts and lists walked), for printing."""
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(rounded(v, digits) for v in obj)
    if isinstance(obj, (float, np.floating)) and math.isfinite(obj):
        return float(number(obj, digits).replace(",", ""))
    return obj


def table_html(rows, header=None, *, caption: str | None = None) -> str:
    """A small HTML table; each row a sequence of cells (numbers are formatted by :func:`number`)."""
    def cell(v, tag="td"):
        text = v if isinstance(v, str) else number(v)
        align = "left" if isinstance(v, str) else "right"
        return f"<{tag} style='text-align:{align};padding:2px 10px'>{html.escape(text)}</{tag}>"

    parts = ["<table style='border-collapse:collapse;font-size:0.95em'>"]
    if caption:
        parts.append(f"<caption style='text-align:left'>{html.escape(caption)}</caption>")
    if header:
        parts.append("<tr>" + "".join(cell(h, "th") for h in header) + "</tr>")
    parts += ["<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows]
    return "".join(parts) + "</table>"


# What each piece of diagnose()'s evidence is, in plain words, and the threshold it is held to.
EVIDENCE_WORDS = {
    "epochs": ("epochs trained", None),
    "start_loss": ("training loss before training", None),
    "final_train_loss": ("training loss at the end", None),
    "final_val_loss": ("validation loss at the end", None),
    "best_val_loss": ("lowest validation loss", None),
    "best_epoch": ("epoch of the lowest validation loss", None),
    "loss_drop": ("share of the starting loss removed", "slow below {SLOW_DROP:.0%}; "
                  "unstable below {UNSTABLE_DROP:.0%}"),
    "rise_ratio": ("upward jumps of the training loss, summed, over the starting loss",
                   "unstable above {UNSTABLE_RISE}"),
    "end_pace": ("pace of the last quarter over the first quarter",
                 "still falling above {SLOW_STILL_FALLING}"),
    "val_rise": ("rise of validation loss since its lowest, as a share",
                 "overfitting above {OVERFIT_RISE:.0%}"),
    "train_metric": ("training score at the end", "underfitting below {UNDERFIT_ACCURACY} "
                     "(accuracy) or {UNDERFIT_R2} (R²)"),
    "val_metric": ("validation score at the end", None),
    "gap": ("training minus validation score", "overfitting above {OVERFIT_GAP}"),
    "top_class_share": ("share of validation inputs given the most common class",
                        "collapsed at {COLLAPSE_SHARE:.0%} or more"),
    "majority_share": ("share of the most common true class", None),
    "start_top_class_share": ("same share before training", None),
    "spread": ("spread of predictions over spread of targets",
               "collapsed below {COLLAPSE_SPREAD}"),
    "start_spread": ("same spread before training", None),
    "baseline_metric": ("score of the best constant guess", None),
    "baseline_rule": ("the constant guess", None),
}
SHARES = ("loss_drop", "val_rise", "top_class_share", "majority_share", "start_top_class_share")


def evidence_rows(diagnosis) -> list:
    """(plain-word name, value, threshold compared with) for each number of a Diagnosis."""
    import importlib

    d = importlib.import_module("..diagnose", __package__)  # the module, not the function
    limits = {k: getattr(d, k) for k in dir(d) if k.isupper()}
    rows = []
    for key, value in diagnosis.evidence.items():
        words, rule = EVIDENCE_WORDS.get(key, (key.replace("_", " "), None))
        if key in SHARES and isinstance(value, (int, float)) and math.isfinite(value):
            value = f"{value:.0%}"  # as the thresholds are written
        rows.append((words, value, rule.format(**limits) if rule else ""))
    return rows


def diagnosis_html(diagnosis) -> str:
    """A Diagnosis as HTML: the verdict, what it means, what to try, and its evidence as a
    short table of plain-word names, values and the thresholds they were compared with."""
    more = f" (also: {', '.join(diagnosis.also)})" if diagnosis.also else ""
    head = (f"<p><b>{html.escape(diagnosis.label.upper())}</b>{html.escape(more)}: "
            f"{html.escape(diagnosis.explanation)}<br><i>Next:</i> "
            f"{html.escape(diagnosis.advice)}</p>")
    rows = [(w, "none" if v is None else v, r) for w, v, r in evidence_rows(diagnosis)]
    return head + "<details><summary>the numbers behind it</summary>" + table_html(
        rows, ("measured", "value", "compared with")) + "</details>"
