"""Axis plots of tuning results, in the course style (:mod:`hplab.plots._style`, which also gives
the other tuning plots their Axes and their plain-number log axes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..plots import _style as style
from .space import Choice, Int

if TYPE_CHECKING:
    from .results import SearchResult


def plot_axes(result: SearchResult, names=None, axes=None):
    """Score against each hyperparameter, one panel each (an "axis plot").

    Trials that diverged are drawn as red crosses along the top, pruned ones as hollow circles,
    the best trial as a star. A best value pressed against a panel's edge means the range is too
    narrow. Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    names = list(result.space) if names is None else list(names)
    for n in names:
        if n not in result.space:
            raise ValueError(f"names: {n!r} is not in the space; choose from: "
                             f"{', '.join(result.space)}")
    if axes is None:
        with style.course_style():  # one row as wide as the notebook
            _, axes = plt.subplots(1, len(names), figsize=(style.WIDTH, style.HEIGHT),
                                   sharey=True, squeeze=False, layout="constrained",
                                   dpi=style.DPI)
        axes = axes[0]
    table = result.trials
    done = table[table["status"].isin(["completed", "early_stopped"])]
    pruned = table[table["status"] == "pruned"]
    diverged = table[table["status"] == "diverged"]
    finite = table["val_loss"][np.isfinite(table["val_loss"])]
    top = finite.max() if len(finite) else 1.0
    best = result.best_params if len(done) else None
    for ax, name in zip(axes, names):
        dim = result.space[name]
        pos = _positioner(dim, ax)
        ax.scatter(pos(done[name]), done["val_loss"], s=30, alpha=0.75, color=style.TRAIN,
                   label="trained")
        if len(pruned):
            ax.scatter(pos(pruned[name]), pruned["val_loss"], s=30, marker="s", facecolors="none",
                       edgecolors=style.GREY, label="pruned (score when stopped)")
        if len(diverged):  # no score to plot: a cross on a band above the scores
            ax.scatter(pos(diverged[name]), [top * 1.1] * len(diverged), marker="X", s=60,
                       color=style.BAD, edgecolors="black", linewidths=0.5, clip_on=False,
                       label="diverged")
        if best is not None:
            ax.scatter(pos([best[name]]), [result.best_value], marker="*", s=220,
                       color=style.BEST, edgecolors="black", zorder=3, clip_on=False,
                       label="best")
        ax.set_xlabel(name)
    axes[0].set_ylabel("validation loss")
    style.log_axis(axes[0], "y")
    for ax in axes:
        style.finish(ax)
    style.place_legend(axes[-1], loc="outside")
    return axes


def _positioner(dim, ax):
    """A function placing values of ``dim`` on ``ax`` (categories at 0, 1, 2 ...)."""
    if isinstance(dim, Choice):
        labels = [str(o) for o in dim.options]
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        return lambda values: [labels.index(str(v)) for v in values]
    if dim.log:
        style.log_axis(ax, "x")  # plain numbers, two or more, not 2x10^1
    elif isinstance(dim, Int):
        style.integer_epochs(ax, "x")  # whole numbers, as on an epoch axis
    ax.set_xlim(dim.low / 1.3 if dim.log else dim.low - 0.05 * (dim.high - dim.low),
                dim.high * 1.3 if dim.log else dim.high + 0.05 * (dim.high - dim.low))
    return lambda values: list(values)
