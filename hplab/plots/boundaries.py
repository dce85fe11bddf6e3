"""What a model learned on 2-D inputs: its decision boundary over the plane, or its fitted curve
through 1-D regression data."""

from __future__ import annotations

import torch

from .. import _validate as check
from ..data import REGRESSION, Data
from . import _style as style
from ._common import TRAIN_COLOR, VAL_COLOR, check_data, data_box, plane_points, predict


def decision_boundary(model, data: Data, ax=None, *, resolution: int = 80, show_val: bool = True,
                      title: str | None = None):
    """The model's predicted class over the plane, with the training (dots) and validation
    (crosses) points on top. For 2-D classification data.

    Example:
        >>> ax = decision_boundary(model, hplab.load_dataset("moons"))   # doctest: +SKIP
    """
    data = check_data(data)
    if data.n_features != 2 or data.task == REGRESSION:
        raise ValueError(f"data must be 2-D classification data for a decision boundary, "
                         f"got {data.name!r} with {data.n_features} features ({data.task})")
    resolution = check.integer("resolution", resolution, low=10, high=1000)
    ax = style.axes(ax)
    extent = data_box(data)
    grid = plane_points(extent, resolution)
    xx, yy = grid[:, 0].reshape(resolution, resolution), grid[:, 1].reshape(resolution, resolution)
    logits = predict(model, grid)
    k = data.n_outputs
    cmap = style.class_colormap(k)  # two classes: blue and orange, dark and light in grey too
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
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else "decision boundary")
    return style.finish(ax)


def fitted_curve(model, data: Data, ax=None, *, title: str | None = None):
    """For 1-D regression (the ``sine`` set): the data as dots and the model's curve as a line."""
    data = check_data(data)
    if data.n_features != 1 or data.task != REGRESSION:
        raise ValueError(f"data must be 1-D regression data for a fitted curve, got {data.name!r} "
                         f"with {data.n_features} features ({data.task})")
    ax = style.axes(ax)
    pts = torch.cat([data.train.X, data.val.X])[:, 0]
    x = torch.linspace(float(pts.min()), float(pts.max()), 200)[:, None]  # (200, 1)
    y = predict(model, x)[:, 0]
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
