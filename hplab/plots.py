"""Pictures of training runs, drawn with matplotlib.

Every function takes ``ax=None`` (a new figure is made when it is None), returns the Axes it drew
on and never calls ``plt.show()``. A :class:`~hplab.History` is read as plain data, so a diverged
run with NaN or huge losses is drawn clipped to the plot, with a red mark where it blew up.
Every figure follows the course style of :mod:`hplab._style`: as wide as the notebook, text of
at least 11 px, the Okabe–Ito colours with a line style per series, legends off the data, and
any value beyond the plotted range marked where it leaves, with its true value.

    >>> ax = plots.loss_curves(hist)                     # doctest: +SKIP
    >>> ax = plots.decision_boundary(model, data)        # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import _style as style
from . import _validate as check
from .data import REGRESSION, Data
from .train import History

TRAIN_COLOR = style.TRAIN
VAL_COLOR = style.VAL
BAD_COLOR = style.BAD
GHOST_ALPHA = 0.35
RUN_COLORS = style.COLORS[:4]  # one per run, in the order given
CLIP_FACTOR = 3.0  # diverged values are drawn at most this many times the starting loss


def _axes(ax):
    """The Axes to draw on: ``ax``, or a new figure in the course style, as wide as the notebook."""
    return style.new_axes() if ax is None else ax


def _check_history(hist, name="hist") -> History:
    if not isinstance(hist, History):
        raise TypeError(f"{name} must be an hplab History (from fit), got {type(hist).__name__}")
    return hist


def _series(hist: History, key: str) -> np.ndarray:
    return np.asarray(getattr(hist, key), dtype=float)


def clip_values(values, ceiling: float):
    """Replace NaN, inf and values above ``ceiling`` with ``ceiling``; return (values, bad mask)."""
    v = np.asarray(values, dtype=float)
    bad = ~np.isfinite(v) | (v > ceiling)
    return np.where(bad, ceiling, v), bad


def _ceiling(hist: History, keys) -> float:
    """A y limit that keeps a blown-up run readable: a few times the starting loss."""
    start = [hist.initial.get(k, math.nan) for k in keys]
    start = [s for s in start if math.isfinite(s)]
    finite = [v for k in keys for v in getattr(hist, k) if math.isfinite(v)]
    base = max(start) if start else (float(np.median(finite)) if finite else 1.0)
    return CLIP_FACTOR * max(base, 1e-3)


def _room(hist: History, keys) -> float:
    """The y limit for one run's curves: a diverged run is clipped at :func:`_ceiling`; a run
    that finished keeps every finite value on the plot, however high it climbed."""
    if hist.diverged:
        return _ceiling(hist, keys)
    finite = [v for k in keys for v in getattr(hist, k) if math.isfinite(v)]
    return max([_ceiling(hist, keys)] + [1.05 * v for v in finite])


def loss_curves(hist: History, ax=None, *, metric: bool = False, ghost: History | None = None,
                title: str | None = None, legend: bool = True):
    """Training and validation loss (or metric) per epoch, with the story of the run marked.

    The best validation epoch gets a star, an early stop a dotted line, and a diverged run a red
    cross where its loss left the plot. ``ghost`` draws a previous run faded behind this one.

    Example:
        >>> ax = loss_curves(hist, ghost=previous_hist)   # doctest: +SKIP
    """
    hist = _check_history(hist)
    ax = _axes(ax)
    keys = ("train_metric", "val_metric") if metric else ("train_loss", "val_loss")
    runs = ([(ghost, GHOST_ALPHA, "previous ")] if ghost is not None else []) + [(hist, 1.0, "")]
    ceiling = max(_room(h, keys) for h, _, _ in runs) if not metric else math.inf
    for h, alpha, prefix in runs:
        _check_history(h, "ghost")
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
        if not (h.diverged and alpha == 1.0 and _leaves_with_train(h, keys, key, ceiling)):
            style.track(ax, line, epochs, values, label_value=alpha == 1.0 and not h.diverged)


def _leaves_with_train(h, keys, key, ceiling) -> bool:
    """Whether ``key`` leaves the plot where the training loss does (the red cross marks it)."""
    first = [np.argmax(clip_values(getattr(h, k), ceiling)[1]) for k in (keys[0], key)]
    return first[0] == first[1]


def _mark_events(ax, hist, keys, ceiling, metric):
    vals = _series(hist, keys[1])
    if hist.best_epoch is not None and hist.best_epoch in hist.epoch and hist.status != "diverged":
        i = hist.epoch.index(hist.best_epoch)
        ax.plot([hist.best_epoch], [min(vals[i], ceiling)], marker="*", ms=15, color=VAL_COLOR,
                mec="black", ls="none", label=f"best epoch {hist.best_epoch}", zorder=5,
                clip_on=False)  # whole even at the edge of the plot
    if hist.status == "early_stopped" and hist.stopped_epoch is not None:
        ax.axvline(hist.stopped_epoch, color=style.GREY, ls=":", lw=1.8,
                   label=f"early stop (epoch {hist.stopped_epoch})")
    if hist.status == "diverged":
        true = _series(hist, keys[0])
        y, bad = clip_values(true, ceiling)
        first = int(np.argmax(bad)) if bad.any() else len(y) - 1
        ax.plot([hist.epoch[first]], [y[first]], marker="X", ms=12, color=BAD_COLOR, ls="none",
                label="diverged", zorder=6, clip_on=False)
        if bad.any():  # the cross sits on the top edge, where the curve leaves the plot
            mark_true_value(ax, hist.epoch[first], ceiling, true[first], prefix="loss ")
        if not metric:
            ax.set_ylim(top=ceiling)


def mark_true_value(ax, x, y, value, *, prefix: str = "", left: bool | None = None) -> None:
    """Write the real value of a point drawn clipped at the top edge, just below it (to its
    left when ``left`` or, by default, when the point is in the right half of the Axes)."""
    text = "not a number" if math.isnan(value) else f"{value:.2g}"
    right = x >= np.mean(ax.get_xlim()) if left is None else left
    ax.annotate(f"{prefix}{text}", (x, y), xytext=(-8 if right else 8, -4),
                textcoords="offset points", ha="right" if right else "left", va="top",
                color="black", fontsize=style.SMALL_PT,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=BAD_COLOR, lw=0.8, alpha=0.9))


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
    ax = _axes(ax)
    hs = [_check_history(h, f"histories[{label!r}]") for label, h in histories.items()]
    ceiling = max(_ceiling(h, (key,)) for h in hs) if key.endswith("loss") else math.inf
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


# ----------------------------------------------------------------------------- what the model learned


@torch.no_grad()
def _predict(model, X: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    try:
        return model(X)
    finally:
        model.train(was_training)


def _check_data(data) -> Data:
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data (from load_dataset), got {type(data).__name__}")
    return data


def decision_boundary(model, data: Data, ax=None, *, resolution: int = 80, show_val: bool = True,
                      title: str | None = None):
    """The model's predicted class over the plane, with the training (dots) and validation
    (crosses) points on top. For 2-D classification data.

    Example:
        >>> ax = decision_boundary(model, hplab.load_dataset("moons"))   # doctest: +SKIP
    """
    data = _check_data(data)
    if data.n_features != 2 or data.task == REGRESSION:
        raise ValueError(f"data must be 2-D classification data for a decision boundary, "
                         f"got {data.name!r} with {data.n_features} features ({data.task})")
    resolution = check.integer("resolution", resolution, low=10, high=1000)
    ax = _axes(ax)
    pts = torch.cat([data.train.X, data.val.X])
    lo, hi = pts.min(0).values - 0.5, pts.max(0).values + 0.5
    gx = torch.linspace(float(lo[0]), float(hi[0]), resolution)
    gy = torch.linspace(float(lo[1]), float(hi[1]), resolution)
    xx, yy = torch.meshgrid(gx, gy, indexing="xy")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (resolution**2, 2)
    logits = _predict(model, grid)
    k = data.n_outputs
    cmap = style.class_colormap(k)  # two classes: blue and orange, dark and light in grey too
    extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    if k == 2:  # shade by the predicted probability of class 1; the black line is 50/50
        z = torch.softmax(logits, dim=1)[:, 1].reshape(resolution, resolution)
        z = torch.nan_to_num(z, nan=0.5).numpy()
        ax.imshow(z, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=1, alpha=0.55,
                  aspect="auto", interpolation="bilinear")
        if z.min() < 0.5 < z.max():
            ax.contour(xx.numpy(), yy.numpy(), z, levels=[0.5], colors="black", linewidths=1)
    else:
        z = logits.argmax(dim=1).reshape(resolution, resolution).numpy()
        ax.imshow(z, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=9, alpha=0.35,
                  aspect="auto", interpolation="nearest")
    kw = dict(cmap=cmap, vmin=0, vmax=1 if k == 2 else 9)
    if show_val:  # small and faint, so the training points the model saw stand out
        ax.scatter(data.val.X[:, 0], data.val.X[:, 1], c=data.val.y, s=10, marker="x",
                   alpha=0.6, linewidths=1, label="validation", **kw)
    ax.scatter(data.train.X[:, 0], data.train.X[:, 1], c=data.train.y, s=24, edgecolors="black",
               linewidths=0.6, label="train", **kw)
    ax.set_xlim(float(lo[0]), float(hi[0]))
    ax.set_ylim(float(lo[1]), float(hi[1]))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else "decision boundary")
    return style.finish(ax)


def fitted_curve(model, data: Data, ax=None, *, title: str | None = None):
    """For 1-D regression (the ``sine`` set): the data as dots and the model's curve as a line."""
    data = _check_data(data)
    if data.n_features != 1 or data.task != REGRESSION:
        raise ValueError(f"data must be 1-D regression data for a fitted curve, got {data.name!r} "
                         f"with {data.n_features} features ({data.task})")
    ax = _axes(ax)
    pts = torch.cat([data.train.X, data.val.X])[:, 0]
    x = torch.linspace(float(pts.min()), float(pts.max()), 200)[:, None]  # (200, 1)
    y = _predict(model, x)[:, 0]
    ax.scatter(data.train.X[:, 0], data.train.y[:, 0], s=12, color=TRAIN_COLOR, label="train")
    ax.scatter(data.val.X[:, 0], data.val.y[:, 0], s=18, marker="x", color=VAL_COLOR,
               label="validation")
    span = torch.cat([data.train.y, data.val.y])
    lo, hi = float(span.min()), float(span.max())
    pad = 0.5 * (hi - lo)
    (line,) = ax.plot(x[:, 0], torch.nan_to_num(y, nan=lo - pad).clamp(lo - pad, hi + pad),
                      color="black", lw=2, label="model")
    style.track(ax, line, x[:, 0].numpy(), y.numpy())  # a model curve leaving the plot is marked
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("x (standardized)")
    ax.set_ylabel("y")
    ax.set_title(title if title is not None else "fitted curve")
    return style.finish(ax, legend=True)


# ----------------------------------------------------------------------------- gradient health


def gradient_norms(hist: History, ax=None, *, title: str | None = None):
    """Mean weight-gradient norm of each layer per epoch (log scale); layer 1 is the input side.

    Needs a run with ``fit(..., track_gradients=True)``. In a deep sigmoid network the early layers'
    lines sit orders of magnitude below the last layer's: vanishing gradients.
    """
    hist = _check_history(hist)
    if not hist.grad_norms:
        raise ValueError("hist has no gradient norms; train with fit(..., track_gradients=True)")
    ax = _axes(ax)
    g = np.asarray(hist.grad_norms, dtype=float)  # (epochs, layers)
    g = np.where(np.isfinite(g) & (g > 0), g, np.nan)
    n = g.shape[1]
    for j in range(n):
        kw = style.series(j, n)
        if len(g) < 3:
            kw.update(marker="o", markevery=None)
        ax.plot(hist.epoch[:len(g)], g[:, j], **kw,
                label=f"layer {j + 1}" + (" (output)" if j == n - 1 else ""))
    style.log_axis(ax, "y")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm")
    ax.set_title(title if title is not None else "gradient size per layer")
    return style.finish(ax, legend=True, epochs="x")


def layer_gradients(hist: History, ax=None, *, epoch: int = -1, title: str | None = None):
    """Bars: each layer's gradient norm at one epoch (the last by default), log scale."""
    hist = _check_history(hist)
    if not hist.grad_norms:
        raise ValueError("hist has no gradient norms; train with fit(..., track_gradients=True)")
    epoch = check.integer("epoch", epoch, low=-len(hist.grad_norms), high=len(hist.grad_norms) - 1)
    ax = _axes(ax)
    g = np.asarray(hist.grad_norms[epoch], dtype=float)
    g = np.where(np.isfinite(g) & (g > 0), g, np.nan)
    ax.bar(np.arange(1, len(g) + 1), g, color=style.OKABE_ITO["purple"])
    style.log_axis(ax, "y")
    ax.set_xticks(np.arange(1, len(g) + 1))
    ax.set_xlabel("layer (1 = input side)")
    ax.set_ylabel("gradient norm")
    ax.set_title(title if title is not None else "gradient size per layer")
    return style.finish(ax)


def dead_units(hist: History, ax=None, *, ghost: History | None = None, title: str | None = None):
    """Share of hidden ReLU units that are dead (output 0 for every input), per epoch.

    Needs a run with ``fit(..., track_dead_units=True)``.
    """
    hist = _check_history(hist)
    if not hist.dead_fraction:
        raise ValueError("hist has no dead-unit record; train with fit(..., track_dead_units=True)")
    ax = _axes(ax)
    if ghost is not None and _check_history(ghost, "ghost").dead_fraction:
        ax.plot(ghost.epoch[:len(ghost.dead_fraction)], ghost.dead_fraction, color=BAD_COLOR,
                alpha=GHOST_ALPHA, ls="--", label="previous run")
    ax.plot(hist.epoch[:len(hist.dead_fraction)], hist.dead_fraction, color=BAD_COLOR, lw=2,
            label="this run")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("dead units (share)")
    ax.set_title(title if title is not None else "dead ReLU units")
    return style.finish(ax, legend=True, epochs="x")


@torch.no_grad()
def activation_histograms(model, X: torch.Tensor, ax=None, *, bins: int = 40,
                          title: str | None = None):
    """Histogram of each hidden layer's activation values on inputs ``X``, one outline per layer.

    A spike at 0 for ReLU means dead or silent units; a pile-up at 0 and 1 for sigmoid means
    saturated units whose gradient is nearly zero.
    """
    from torch import nn

    from .models import ACTIVATIONS

    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")
    bins = check.integer("bins", bins, low=2, high=500)
    kinds = tuple(type(f()) for f in ACTIVATIONS.values() if type(f()) is not nn.Identity)
    acts = [m for m in model.modules() if isinstance(m, kinds)]
    if not acts:
        raise ValueError("model has no hidden activation layers to show")
    outs = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: outs.append(o.flatten())) for m in acts]
    try:
        _predict(model, X)
    finally:
        for h in hooks:
            h.remove()
    ax = _axes(ax)
    for j, o in enumerate(outs):
        o = o[torch.isfinite(o)].numpy()
        kw = style.series(j, len(outs))
        ax.hist(o, bins=bins, histtype="step", lw=kw["lw"], color=kw["color"], ls=kw["ls"],
                label=f"layer {j + 1}", density=True)
    ax.set_xlabel("activation value")
    ax.set_ylabel("density")
    ax.set_title(title if title is not None else "hidden activations")
    return style.finish(ax, legend=True)


# ----------------------------------------------------------------------------- learning rate


def lr_schedule(source, ax=None, *, title: str | None = None):
    """The learning rate per epoch: from a History, a list of rates, or a dict name -> either.

    Example:
        >>> ax = lr_schedule({"cosine": lrs_cos, "step": lrs_step})   # doctest: +SKIP
    """
    items = list(source.items()) if isinstance(source, dict) else [(None, source)]
    ax = _axes(ax)
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


# ----------------------------------------------------------------------------- many runs at once


def grid(n: int, *, ncols: int = 4, size=None):
    """A figure with ``n`` Axes in rows of ``ncols``; returns (figure, flat list of the n Axes).

    ``size`` is (width, height) of one panel in inches; by default the row is as wide as the
    notebook."""
    import matplotlib.pyplot as plt

    n = check.integer("n", n, low=1, high=64)
    ncols = min(check.integer("ncols", ncols, low=1), n)
    nrows = math.ceil(n / ncols)
    if size is None:
        size = (style.WIDTH / ncols, max(2.8, min(3.8, 0.8 * style.WIDTH / ncols)))
    with style.course_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                                 squeeze=False, layout="constrained", dpi=style.DPI)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


# ---- lessons 02, 04, 05, 06 ----


def lr_finder_curve(found, ax=None, *, title: str | None = None):
    """Loss against learning rate from :func:`hplab.lr_range_test`, with the suggestions marked.

    The x axis is logarithmic; the raw minibatch losses are drawn faintly behind the smoothed
    curve, and each rule's suggested rate gets a vertical line.

    Example:
        >>> ax = lr_finder_curve(hplab.lr_range_test(model, data))   # doctest: +SKIP
    """
    from .lr_finder import LRRangeTest

    if not isinstance(found, LRRangeTest):
        raise TypeError(f"found must be the result of hplab.lr_range_test, got "
                        f"{type(found).__name__}")
    if not found.lrs:
        raise ValueError("found has no steps to draw")
    ax = _axes(ax)
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


_GRIDS: dict = {}  # surface name -> (surface, its loss grid), filled on first use


def optimizer_paths(paths, ax=None, *, surface=None, levels: int = 18,
                    title: str | None = None):
    """Contours of a 2-D loss surface with the path of each optimizer drawn across it.

    Args:
        paths: an :class:`hplab.OptimizerPath`, a list of them, or a dict label -> path
            (e.g. from :func:`hplab.compare_paths`).
        surface: the surface to draw; ``None`` takes the paths' own.

    Example:
        >>> ax = optimizer_paths(hplab.compare_paths("valley", ["sgd", "adam"]))   # doctest: +SKIP
    """
    from .surfaces import OptimizerPath, get_surface, loss_grid

    if isinstance(paths, OptimizerPath):
        paths = [paths]
    if not isinstance(paths, dict):
        paths = {getattr(p, "optimizer", str(i)): p for i, p in enumerate(paths)}
    if not paths:
        raise ValueError("paths must hold at least one OptimizerPath, got none")
    for label, p in paths.items():
        if not isinstance(p, OptimizerPath):
            raise TypeError(f"paths[{label!r}] must be an OptimizerPath, got {type(p).__name__}")
    levels = check.integer("levels", levels, low=2, high=200)
    surf = get_surface(surface if surface is not None else next(iter(paths.values())).surface)
    ax = _axes(ax)
    if surf.name not in _GRIDS or _GRIDS[surf.name][0] is not surf:  # contours cost 10 ms
        _GRIDS[surf.name] = (surf, loss_grid(surf))
    X, Y, Z = _GRIDS[surf.name][1]
    if surf.log_levels:
        lv = np.geomspace(max(float(Z.min()), 1e-3), float(Z.max()), levels)
    else:
        lo, hi = float(Z.min()), float(Z.max())
        lv = lo + (hi - lo) * np.linspace(0, 1, levels) ** 2  # denser near the floor
    ax.contour(X, Y, Z, levels=lv, cmap="Greys", linewidths=0.7, alpha=0.8)
    (x0, x1), (y0, y1) = surf.xlim, surf.ylim
    for i, (label, p) in enumerate(paths.items()):
        pts = np.clip(p.points, [x0 - 1, y0 - 1], [x1 + 1, y1 + 1])  # keep blow-ups on screen
        end = " (diverged)" if p.diverged else f", loss {p.final_loss:.2g}"
        kw = style.series(i, len(paths))
        kw.update(marker=style.MARKERS[i % len(style.MARKERS)], ms=4, markevery=None)
        (line,) = ax.plot(pts[:, 0], pts[:, 1], **kw, label=f"{label} lr={p.lr:g}{end}")
        if not _mark_path_exits(ax, pts, line.get_color(), (x0, x1), (y0, y1)):
            ax.plot(*pts[-1], marker="o", ms=7, color=line.get_color(), mec="black", zorder=6)
    ax.plot(*surf.start, marker="s", ms=9, color="white", mec="black", ls="none", label="start")
    ax.plot(*surf.minimum, marker="*", ms=16, color=style.OKABE_ITO["yellow"], mec="black",
            ls="none", label="minimum", zorder=7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("weight 1 (x)")
    ax.set_ylabel("weight 2 (y)")
    ax.set_title(title if title is not None else f"paths on the {surf.name.replace('_', ' ')}")
    return style.finish(ax, legend=True, loc="outside")


def _mark_path_exits(ax, pts, color, xlim, ylim) -> bool:
    """A cross where a path first leaves the picture through each side, with the step written;
    returns whether it left at all."""
    (x0, x1), (y0, y1) = xlim, ylim
    sides = (pts[:, 0] < x0, pts[:, 0] > x1, pts[:, 1] < y0, pts[:, 1] > y1)
    for out in sides:
        if out.any():
            j = int(np.argmax(out))
            edge = np.clip(pts[j], [x0, y0], [x1, y1])
            ax.plot(*edge, marker="X", ms=11, color=color, mec="black", clip_on=False, zorder=6)
            style.note(ax, edge[0], edge[1], f"leaves at step {j}", color=color)
    return any(out.any() for out in sides)


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
    ax = _axes(ax)
    ceiling = 0.0
    for i, (label, h) in enumerate(histories.items()):
        h = _check_history(h, f"histories[{label!r}]")
        if not h.batch_loss:
            raise ValueError(f"histories[{label!r}] has no minibatch losses")
        steps = np.arange(1, len(h.batch_loss) + 1)
        x = steps / h.steps_per_epoch if per == "epoch" else steps
        top = _ceiling(h, ("train_loss",))
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


def lr_sweep_curve(sweep, ax=None, *, title: str | None = None):
    """Final training and validation loss against learning rate, from :func:`hplab.lr_sweep`.

    Runs that diverged (``History.status``) are drawn as red crosses on the top edge, one each;
    a run that finished but ended above the plot gets a triangle there with its value written.
    """
    lrs = np.asarray(getattr(sweep, "lrs", None), dtype=float)
    if lrs.ndim != 1 or not len(lrs):
        raise TypeError(f"sweep must be the result of hplab.lr_sweep, got {type(sweep).__name__}")
    ax = _axes(ax)
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
    ax.set_title(title if title is not None else "where each learning rate ends up")
    return style.finish(ax, legend=True)


def path_losses(paths, ax=None, *, title: str | None = None):
    """Loss at every step of one or more optimizer paths (log scale); dict label -> path."""
    from .surfaces import OptimizerPath

    if isinstance(paths, OptimizerPath):
        paths = {paths.optimizer: paths}
    if not isinstance(paths, dict) or not paths:
        raise TypeError("paths must be an OptimizerPath or a non-empty dict label -> path")
    ax = _axes(ax)
    for i, (label, p) in enumerate(paths.items()):
        if not isinstance(p, OptimizerPath):
            raise TypeError(f"paths[{label!r}] must be an OptimizerPath, got {type(p).__name__}")
        y = np.asarray(p.losses, dtype=float)
        drawn = np.clip(np.where(np.isfinite(y), y, 1e12), 1e-12, 1e12)
        (line,) = ax.plot(np.arange(len(y)), drawn, label=str(label),
                          **style.series(i, len(paths)))
        style.track(ax, line, np.arange(len(y)), y)  # a blow-up to inf is marked at the top
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (log scale)")
    ax.set_title(title if title is not None else "loss along the path")
    return style.finish(ax, legend=True, epochs="x", loc="outside")


def activation_shapes(ax=None, *, names=("relu", "leaky_relu", "sigmoid", "tanh", "gelu"),
                      derivative: bool = False, title: str | None = None):
    """Each activation function over [-4, 4], or its slope (``derivative=True``).

    The slope is what backpropagation multiplies by at every layer: sigmoid's is never above
    0.25, ReLU's is exactly 0 for negative inputs, leaky ReLU's never reaches 0.
    """
    from .models import ACTIVATIONS

    if isinstance(names, str):
        names = [names]
    names = [check.choice("names", n, ACTIVATIONS) for n in names]
    check.boolean("derivative", derivative)
    ax = _axes(ax)
    x = torch.linspace(-4, 4, 401, requires_grad=True)
    for i, name in enumerate(names):  # later lines thinner and on top: ReLU shows under GELU
        y = ACTIVATIONS[name]()(x)
        if derivative:
            (y,) = torch.autograd.grad(y.sum(), x)
        ax.plot(x.detach(), y.detach(), label=name, **style.series(i, len(names)))
    ax.axhline(0, color=style.GREY, lw=0.6, zorder=1)
    ax.axvline(0, color=style.GREY, lw=0.6, zorder=1)
    ax.set_xlabel("input to the unit")
    ax.set_ylabel("slope" if derivative else "output")
    ax.set_title(title if title is not None else ("slope (derivative)" if derivative
                                                  else "activation functions"))
    return style.finish(ax, legend=True, loc="outside")


# ---- sweeps ----


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
    from .sweep import seed_band

    if not isinstance(groups, dict):
        groups = {"mean over seeds": groups}
    if not groups:
        raise ValueError("groups must hold at least one list of Histories, got none")
    key = check.choice("key", key, ("train_loss", "val_loss", "train_metric", "val_metric"))
    bands = {label: seed_band(hs, key) for label, hs in groups.items()}
    ax = _axes(ax)
    everything = [h for hs in groups.values() for h in hs]
    ceiling = max(_ceiling(h, (key,)) for h in everything) if key.endswith("loss") else math.inf
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


def lr_sweep_curves(sweep, ax=None, *, key: str = "train_loss", title: str | None = None):
    """Every curve of an :func:`hplab.lr_sweep`, coloured from small (dark) to large (yellow) lr.

    A run that diverged ends with a red cross at the top edge.
    """
    import matplotlib as mpl

    hists = getattr(sweep, "histories", None)
    if not isinstance(hists, list) or not hists:
        raise TypeError(f"sweep must be the result of hplab.lr_sweep, got {type(sweep).__name__}")
    key = check.choice("key", key, ("train_loss", "val_loss", "train_metric", "val_metric"))
    ax = _axes(ax)
    lrs = np.asarray(sweep.lrs, dtype=float)
    norm = mpl.colors.LogNorm(lrs.min(), lrs.max() if lrs.max() > lrs.min() else lrs.min() * 10)
    cmap = mpl.colormaps["viridis"]
    ceiling = max(_ceiling(h, (key,)) for h in hists) if key.endswith("loss") else math.inf
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
    bar.ax.tick_params(labelsize=style.SMALL_PT)
    bar.ax.yaxis.label.set_fontsize(style.TEXT_PT)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(title if title is not None else f"{len(hists)} learning rates trained at once")
    return style.finish(ax, epochs="x")


def pbt_lrs(result, ax=None, *, title: str | None = None):
    """Each member's learning rate during population-based training (:func:`hplab.pbt`).

    A dot marks every exploit step (the member copied a better one and nudged its lr); the
    member that finished best is drawn thick.
    """
    hists, events = getattr(result, "histories", None), getattr(result, "events", None)
    if not isinstance(hists, list) or events is None:
        raise TypeError(f"result must be the result of hplab.pbt, got {type(result).__name__}")
    ax = _axes(ax)
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
    ax = _axes(ax)
    ceiling = max(_ceiling(h, (key,)) for r in runs.values() for h in r.histories)
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
