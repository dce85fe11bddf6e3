"""Learning rates: schedules, the range test, where each rate of a sweep ends up, and the rates
and losses of population-based training."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from ..train import History
from . import _style as style
from ._common import (
    BAD_COLOR,
    CLIP_FACTOR,
    RUN_COLORS,
    TRAIN_COLOR,
    VAL_COLOR,
    clip_values,
    loss_ceiling,
)
from ._style import mark_true_value


def lr_schedule(source, ax=None, *, title: str | None = None):
    """The learning rate per epoch: from a History, a list of rates, or a dict name -> either.

    Example:
        >>> ax = lr_schedule({"cosine": lrs_cos, "step": lrs_step})   # doctest: +SKIP
    """
    items = list(source.items()) if isinstance(source, dict) else [(None, source)]
    ax = style.axes(ax)
    for i, (label, s) in enumerate(items):
        lrs = list(s.lr) if isinstance(s, History) else list(s)
        if not lrs:
            raise ValueError(f"learning-rate schedule {label or ''} is empty".replace("  ", " "))
        for v in lrs:
            check.number("lr", v, low=0)
        x = np.arange(1, len(lrs) + 1)
        (line,) = ax.plot(x, lrs, label=label, **style.series(i, len(items)))
        style.track(ax, line, x, lrs)  # on a log axis a rate of 0 is marked at the bottom
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_title(title if title is not None else "learning-rate schedule")
    return style.finish(ax, legend=isinstance(source, dict), epochs="x", loc="outside")


def lr_finder_curve(found, ax=None, *, title: str | None = None):
    """Loss against learning rate from :func:`hplab.lr_range_test`, with the suggestions marked.

    The x axis is logarithmic; the raw minibatch losses are drawn faintly behind the smoothed
    curve, and each rule's suggested rate gets a vertical line.

    Example:
        >>> ax = lr_finder_curve(hplab.lr_range_test(model, data))   # doctest: +SKIP
    """
    from ..lr_finder import LRRangeTest

    if not isinstance(found, LRRangeTest):
        raise TypeError(f"found must be the result of hplab.lr_range_test, got "
                        f"{type(found).__name__}")
    if not found.lrs:
        raise ValueError("found has no steps to draw")
    ax = style.axes(ax)
    smooth = np.asarray(found.losses, dtype=float)
    ceiling = 2.0 * float(np.nanmax(np.where(np.isfinite(smooth), smooth, np.nan)[:3]))
    raw, _ = clip_values(found.raw_losses, ceiling)
    (faint,) = ax.plot(found.lrs, raw, color=style.GREY, alpha=0.45, lw=0.8,
                       label="loss per minibatch")
    (line,) = ax.plot(found.lrs, clip_values(smooth, ceiling)[0], color=TRAIN_COLOR, lw=2.4,
                      label="smoothed loss")
    style.track(ax, faint, found.lrs, found.raw_losses)
    style.track(ax, line, found.lrs, smooth)  # the blow-up at the end: marked, value written
    styles = {"min_tenth": (style.OKABE_ITO["green"], "-"),
              "steepest": (style.OKABE_ITO["purple"], "--")}
    for rule, lr in found.suggestions.items():
        color, ls = styles.get(rule, ("black", ":"))
        chosen = " (suggested)" if rule == found.rule else ""
        ax.axvline(lr, color=color, ls=ls, lw=1.8, label=f"{rule}: {lr:.2g}{chosen}")
    if math.isfinite(found.min_loss_lr):
        ax.axvline(found.min_loss_lr, color=BAD_COLOR, ls=":", lw=1.8,
                   label=f"lowest loss: {found.min_loss_lr:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(0, ceiling * 1.02)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(title if title is not None else "learning-rate range test")
    return style.finish(ax, legend=True, loc="outside")


def lr_sweep_curve(sweep, ax=None, *, title: str | None = None):
    """Final training and validation loss against learning rate, from :func:`hplab.lr_sweep`.

    Runs that diverged (``History.status``) are drawn as red crosses on the top edge, one each;
    a run that finished but ended above the plot gets a triangle there with its value written.
    """
    lrs = np.asarray(getattr(sweep, "lrs", None), dtype=float)
    if lrs.ndim != 1 or not len(lrs):
        raise TypeError(f"sweep must be the result of hplab.lr_sweep, got {type(sweep).__name__}")
    ax = style.axes(ax)
    train = np.asarray(sweep.final_train_loss, dtype=float)
    val = np.asarray(sweep.final_val_loss, dtype=float)
    start = [h.initial.get("train_loss", math.nan) for h in sweep.histories]
    ceiling = CLIP_FACTOR * max([s for s in start if math.isfinite(s)] + [1e-3])
    diverged = np.array([h.diverged for h in sweep.histories], dtype=bool)
    for values, color, label in ((train, TRAIN_COLOR, "train"), (val, VAL_COLOR, "validation")):
        y, bad = clip_values(values, ceiling)
        ax.plot(lrs[~bad], y[~bad], marker="o" if label == "train" else "s", ms=6, color=color,
                ls="-" if label == "train" else "--", label=f"final {label} loss")
    if diverged.any():  # one cross per run that fit stopped as diverged
        ax.plot(lrs[diverged], np.full(diverged.sum(), ceiling), marker="X", ms=11,
                color=BAD_COLOR, mec="black", ls="none", label="diverged", clip_on=False)
    above = ~diverged & (~np.isfinite(val) | (val > ceiling))  # finished, but ended off the plot
    for lr, v in zip(lrs[above], val[above]):
        ax.plot([lr], [ceiling], marker="^", ms=9, color=VAL_COLOR, mec="black", ls="none",
                clip_on=False)
        mark_true_value(ax, lr, ceiling, v, prefix="val ", left=True)
    if sweep.best_lr is not None:
        ax.axvline(sweep.best_lr, color=style.GREY, ls=":", lw=1.8,
                   label=f"best: {sweep.best_lr:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(0, ceiling)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss after training")
    ax.set_title(title if title is not None else "where each learning rate ends up",
                 pad=style.TOP_MARK_PAD)
    return style.finish(ax, legend=True)


def lr_sweep_curves(sweep, ax=None, *, key: str = "train_loss", title: str | None = None):
    """Every curve of an :func:`hplab.lr_sweep`, coloured from small (dark) to large (yellow) lr.

    A run that diverged ends with a red cross at the top edge.
    """
    import matplotlib as mpl

    hists = getattr(sweep, "histories", None)
    if not isinstance(hists, list) or not hists:
        raise TypeError(f"sweep must be the result of hplab.lr_sweep, got {type(sweep).__name__}")
    key = check.choice("key", key, ("train_loss", "val_loss", "train_metric", "val_metric"))
    ax = style.axes(ax)
    lrs = np.asarray(sweep.lrs, dtype=float)
    norm = mpl.colors.LogNorm(lrs.min(), lrs.max() if lrs.max() > lrs.min() else lrs.min() * 10)
    cmap = mpl.colormaps["viridis"]
    ceiling = max(loss_ceiling(h, (key,)) for h in hists) if key.endswith("loss") else math.inf
    for lr, h in zip(lrs, hists):
        y, bad = clip_values([h.initial.get(key, math.nan)] + list(getattr(h, key)), ceiling)
        x = [0] + list(h.epoch)
        ax.plot(x, y, color=cmap(norm(lr)), lw=1.4)
        if bad.any():  # a cross where it leaves the plot, and what it reached
            j = int(np.argmax(bad))
            ax.plot([x[j]], [y[j]], marker="X", ms=10, color=BAD_COLOR, mec="black", ls="none",
                    clip_on=False, zorder=6)
            true = ([h.initial.get(key, math.nan)] + list(getattr(h, key)))[j]
            mark_true_value(ax, x[j], y[j], true, prefix=f"lr {lr:.2g}: ")
    bar = ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                             label="learning rate")
    style.log_axis(bar.ax, "y")  # plain numbers for the rates, as on every log axis
    bar.ax.tick_params(labelsize=style.SMALL_PT)
    bar.ax.yaxis.label.set_fontsize(style.TEXT_PT)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(title if title is not None else f"{len(hists)} learning rates trained at once",
                 pad=style.TOP_MARK_PAD)
    return style.finish(ax, epochs="x")


def pbt_lrs(result, ax=None, *, title: str | None = None):
    """Each member's learning rate during population-based training (:func:`hplab.pbt`).

    A dot marks every exploit step (the member copied a better one and nudged its lr); the
    member that finished best is drawn thick.
    """
    hists, events = getattr(result, "histories", None), getattr(result, "events", None)
    if not isinstance(hists, list) or events is None:
        raise TypeError(f"result must be the result of hplab.pbt, got {type(result).__name__}")
    ax = style.axes(ax)
    for i, h in enumerate(hists):
        best = i == result.best
        kw = style.series(i, len(hists))
        ax.step(h.epoch, h.lr, where="post", lw=3 if best else 1.2, alpha=1 if best else 0.6,
                color="black" if best else kw["color"], ls="-" if best else kw["ls"],
                label="best member" if best else None, zorder=3 if best else 2)
    for e in events:
        ax.plot([e["epoch"] + 1], [e["lr_after"]], "o", ms=6, color=BAD_COLOR, mec="black",
                zorder=4)
    if events:
        ax.plot([], [], "o", ms=6, color=BAD_COLOR, mec="black", label="copied a better member")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate (log scale)")
    ax.set_title(title if title is not None else "population-based training: learning rates")
    return style.finish(ax, legend=True, epochs="x", loc="outside")


def pbt_losses(runs, ax=None, *, key: str = "val_loss", title: str | None = None):
    """Every member's loss for one or more :func:`hplab.pbt` runs, and each run's median.

    ``runs`` maps a label to a PBT result, e.g. the same population trained with and without
    exploitation. Each run gets its median over the members as a thick line and every member
    as a thin one, in a fixed colour (blue, orange, green, vermillion, in the order given): with
    exploitation the weak members drop onto the good ones at the exploit steps; without it
    they stay where they were. A member that diverged counts at the top of the plot for the
    rest of the run.

    Example:
        >>> runs = {"with exploit": hplab.pbt(data), "without": hplab.pbt(data, exploit=False)}  # doctest: +SKIP
        >>> ax = pbt_losses(runs)                                                                # doctest: +SKIP
    """
    if not isinstance(runs, dict):
        raise TypeError(f"runs must be a dict mapping a label to the result of hplab.pbt, got "
                        f"{type(runs).__name__}")
    if not runs:
        raise ValueError("runs must hold at least one result of hplab.pbt, got an empty dict")
    for label, result in runs.items():
        hists = getattr(result, "histories", None)
        if not isinstance(hists, list) or not hists or not hasattr(result, "events"):
            raise TypeError(f"runs[{label!r}] must be the result of hplab.pbt, got "
                            f"{type(result).__name__}")
    key = check.choice("key", key, ("train_loss", "val_loss"))
    ax = style.axes(ax)
    ceiling = max(loss_ceiling(h, (key,)) for r in runs.values() for h in r.histories)
    members = []
    for i, (label, result) in enumerate(runs.items()):
        kw = style.series(i, len(runs))
        color = RUN_COLORS[i % len(RUN_COLORS)]
        curves = [clip_values(getattr(h, key), ceiling)[0] for h in result.histories]
        length = max(len(c) for c in curves)
        table = np.array([np.pad(c, (0, length - len(c)), mode="edge") for c in curves])
        median = np.median(table, axis=0)  # (epochs,) over the members
        ax.plot(np.arange(1, length + 1), median, color=color, lw=3, ls=kw["ls"], zorder=3,
                label=f"{label}: median (final {style.number(median[-1])})")
        for h, c in zip(result.histories, curves):
            x = np.arange(1, len(c) + 1)
            (line,) = ax.plot(x, c, color=color, lw=0.9, ls=kw["ls"], alpha=0.45)
            members.append((line, x, getattr(h, key)))
    if any(max(v, default=0) > ceiling or not np.isfinite(v).all() for _, _, v in members):
        ax.set_ylim(top=ceiling)
    for line, x, values in members:  # a member above the plot is marked where it leaves
        style.track(ax, line, x, values, label_value=False)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    name = "training loss" if key == "train_loss" else "validation loss"
    ax.set_title(title if title is not None else f"every member's {name}")
    return style.finish(ax, legend=True, epochs="x", loc="outside")
