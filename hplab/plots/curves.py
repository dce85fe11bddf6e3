"""Loss and metric curves: one run with its story marked, several runs overlaid, the spread over
seeds, and the loss of every minibatch."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from ..train import History
from . import _style as style
from ._common import (
    BAD_COLOR,
    GHOST_ALPHA,
    TRAIN_COLOR,
    VAL_COLOR,
    check_history,
    clip_values,
    loss_ceiling,
    loss_room,
    values_of,
)
from ._style import mark_true_value


def loss_curves(hist: History, ax=None, *, metric: bool = False, ghost: History | None = None,
                title: str | None = None, legend: bool = True):
    """Training and validation loss (or metric) per epoch, with the story of the run marked.

    The best validation epoch gets a star, an early stop a dotted line, and a diverged run a red
    cross where its loss left the plot. ``ghost`` draws a previous run faded behind this one.

    Example:
        >>> ax = loss_curves(hist, ghost=previous_hist)   # doctest: +SKIP
    """
    hist = check_history(hist)
    ax = style.axes(ax)
    keys = ("train_metric", "val_metric") if metric else ("train_loss", "val_loss")
    runs = ([(ghost, GHOST_ALPHA, "previous ")] if ghost is not None else []) + [(hist, 1.0, "")]
    ceiling = max(loss_room(h, keys) for h, _, _ in runs) if not metric else math.inf
    for h, alpha, prefix in runs:
        check_history(h, "ghost")
        _draw_pair(ax, h, keys, ceiling, alpha, prefix)
    _mark_events(ax, hist, keys, ceiling, metric)
    name = hist.metric_name if metric else "loss"
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    if not metric:
        ax.set_ylim(bottom=0)
    ax.set_title(title if title is not None else name)
    return style.finish(ax, legend=legend, epochs="x")


def metric_curves(hist: History, ax=None, *, ghost: History | None = None, **kwargs):
    """Training and validation accuracy (classification) or R² (regression) per epoch."""
    return loss_curves(hist, ax, metric=True, ghost=ghost, **kwargs)


def _draw_pair(ax, h, keys, ceiling, alpha, prefix):
    """Train a plain line, validation a line with round markers, so the two are told apart
    without colour; a faded ghost is dashed. Validation is drawn on top, where the story is."""
    epochs = [0] + list(h.epoch)
    ls = "-" if alpha == 1.0 else "--"
    for key, color, marker, z in zip(keys, (TRAIN_COLOR, VAL_COLOR), ("", "o"), (2.0, 2.1)):
        values = [h.initial.get(key, math.nan)] + list(getattr(h, key))
        y, _ = clip_values(values, ceiling)
        label = f"{prefix}{key.split('_')[0]}" if alpha == 1.0 or prefix else None
        width = (3.2 if key == keys[0] else 2.0) if alpha == 1.0 else 1.6  # train shows round val
        (line,) = ax.plot(epochs, y, color=color, alpha=alpha, lw=width,
                          ls=ls, marker=marker, ms=5, markevery=0.06, label=label,
                          zorder=z if alpha == 1.0 else 1.5)
        with_train = _leaves_with_train(h, keys, key, ceiling)
        if alpha == 1.0 and h.diverged and with_train:
            continue  # the red cross marks where this run left the plot, with its value
        # a ghost's exit is written too, once where both its lines leave together
        value = not h.diverged if alpha == 1.0 else key == keys[0] or not with_train
        style.track(ax, line, epochs, values, label_value=value)


def _leaves_with_train(h, keys, key, ceiling) -> bool:
    """Whether ``key`` leaves the plot where the training loss does (the red cross marks it)."""
    first = [np.argmax(clip_values(getattr(h, k), ceiling)[1]) for k in (keys[0], key)]
    return first[0] == first[1]


def _mark_events(ax, hist, keys, ceiling, metric):
    vals = values_of(hist, keys[1])
    if hist.best_epoch is not None and hist.best_epoch in hist.epoch and hist.status != "diverged":
        i = hist.epoch.index(hist.best_epoch)
        ax.plot([hist.best_epoch], [min(vals[i], ceiling)], marker="*", ms=15, color=VAL_COLOR,
                mec="black", ls="none", label=f"best epoch {hist.best_epoch}", zorder=5,
                clip_on=False)  # whole even at the edge of the plot
    if hist.status == "early_stopped" and hist.stopped_epoch is not None:
        ax.axvline(hist.stopped_epoch, color=style.GREY, ls=":", lw=1.8,
                   label=f"early stop (epoch {hist.stopped_epoch})")
    if hist.status == "diverged":
        true = values_of(hist, keys[0])
        y, bad = clip_values(true, ceiling)
        first = int(np.argmax(bad)) if bad.any() else len(y) - 1
        ax.plot([hist.epoch[first]], [y[first]], marker="X", ms=12, color=BAD_COLOR, ls="none",
                label="diverged", zorder=6, clip_on=False)
        if bad.any():  # the cross sits on the top edge, where the curve leaves the plot
            mark_true_value(ax, hist.epoch[first], ceiling, true[first], prefix="loss ")
        if not metric:
            ax.set_ylim(top=ceiling)


def overlay(histories, ax=None, *, key: str = "val_loss", title: str | None = None):
    """Several runs on one Axes: ``histories`` is a dict label -> History (or a list).

    Example:
        >>> ax = overlay({"lr=0.1": h1, "lr=0.01": h2}, key="train_loss")   # doctest: +SKIP
    """
    if not isinstance(histories, dict):
        histories = {f"run {i + 1}": h for i, h in enumerate(histories)}
    if not histories:
        raise ValueError("histories must hold at least one History, got none")
    key = check.choice("key", key, ("train_loss", "val_loss", "train_metric", "val_metric"))
    ax = style.axes(ax)
    hs = [check_history(h, f"histories[{label!r}]") for label, h in histories.items()]
    ceiling = max(loss_ceiling(h, (key,)) for h in hs) if key.endswith("loss") else math.inf
    clipped = False
    for i, (label, h) in enumerate(zip(histories, hs)):
        true = [h.initial.get(key, math.nan)] + list(getattr(h, key))
        y, bad = clip_values(true, ceiling)
        x = [0] + list(h.epoch)
        (line,) = ax.plot(x, y, label=str(label), **style.series(i, len(hs)))
        style.track(ax, line, x, true)  # beyond the top: a triangle there and the true value
        clipped |= bool(bad.any())
    if clipped:
        ax.set_ylim(top=ceiling)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(title if title is not None else key.replace("_", " "))
    return style.finish(ax, legend=True, epochs="x", loc="outside")


def batch_losses(histories, ax=None, *, per: str = "epoch", title: str | None = None):
    """The loss of every minibatch update, for one run or several (dict label -> History).

    ``per="epoch"`` puts the runs on a common epoch axis (a run with small batches has many
    points per epoch); ``per="step"`` counts updates, so runs with the same number of steps
    line up.
    """
    if isinstance(histories, History):
        histories = {"run": histories}
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a History or a non-empty dict label -> History")
    per = check.choice("per", per, ("epoch", "step"))
    ax = style.axes(ax)
    ceiling = 0.0
    for i, (label, h) in enumerate(histories.items()):
        h = check_history(h, f"histories[{label!r}]")
        if not h.batch_loss:
            raise ValueError(f"histories[{label!r}] has no minibatch losses")
        steps = np.arange(1, len(h.batch_loss) + 1)
        x = steps / h.steps_per_epoch if per == "epoch" else steps
        top = loss_ceiling(h, ("train_loss",))
        y, _ = clip_values(h.batch_loss, top)
        kw = style.series(i, len(histories))
        kw.update(lw=1.0 + 0.6 * (i == 0), marker=None)  # thousands of points: lines only
        (line,) = ax.plot(x, y, alpha=0.85, label=f"{label} ({h.steps_per_epoch} steps/epoch)",
                          **kw)
        style.track(ax, line, x, h.batch_loss)
        ceiling = max(ceiling, top)
    ax.set_xlabel("epoch" if per == "epoch" else "update step")
    ax.set_ylabel("minibatch loss")
    ax.set_ylim(0, ceiling)
    ax.set_title(title if title is not None else "loss of each minibatch")
    return style.finish(ax, legend=True, epochs="x" if per == "epoch" else None, loc="outside")


def seed_bands(groups, ax=None, *, key: str = "val_loss", runs: bool = True,
               title: str | None = None):
    """Mean and spread over seeds, one band per configuration: is a difference real or luck?

    ``groups`` maps a label to a list of Histories of one configuration trained with several
    seeds (e.g. from :func:`hplab.fit_seeds`); a plain list is one group. Each group gets its
    mean as a line, mean ± one standard deviation as a band and, with ``runs``, every seed as
    a faint line. Bands that overlap say the difference could be seed noise.

    Example:
        >>> groups = {f"lr {lr}": hplab.fit_seeds(data, lr=lr) for lr in (0.01, 0.03)}  # doctest: +SKIP
        >>> ax = seed_bands(groups)                                                     # doctest: +SKIP
    """
    from ..sweep import seed_band

    if not isinstance(groups, dict):
        groups = {"mean over seeds": groups}
    if not groups:
        raise ValueError("groups must hold at least one list of Histories, got none")
    key = check.choice("key", key, ("train_loss", "val_loss", "train_metric", "val_metric"))
    bands = {label: seed_band(hs, key) for label, hs in groups.items()}
    ax = style.axes(ax)
    everything = [h for hs in groups.values() for h in hs]
    ceiling = max(loss_ceiling(h, (key,)) for h in everything) if key.endswith("loss") else math.inf
    for i, (label, band) in enumerate(bands.items()):
        kw = style.series(i, len(bands))
        (line,) = ax.plot(band.epoch, np.minimum(band.mean, ceiling),
                          label=f"{label} ({int(band.count.max())} seeds)", **kw)
        style.track(ax, line, band.epoch, band.mean)
        ax.fill_between(band.epoch, np.minimum(band.mean - band.std, ceiling),
                        np.minimum(band.mean + band.std, ceiling), color=line.get_color(),
                        alpha=0.25, lw=0)
        for h in groups[label] if runs else ():
            y, _ = clip_values(getattr(h, key), ceiling)
            (seed,) = ax.plot(h.epoch, y, color=line.get_color(), ls=kw["ls"], lw=0.7,
                              alpha=0.35)
            style.track(ax, seed, h.epoch, getattr(h, key), label_value=False)
    if math.isfinite(ceiling) and any(max(getattr(h, key), default=0) > ceiling
                                      for h in everything):
        ax.set_ylim(top=ceiling)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(title if title is not None
                 else f"{key.replace('_', ' ')}: mean ± 1 std over seeds")
    return style.finish(ax, legend=True, epochs="x", loc="outside")
