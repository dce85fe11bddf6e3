"""Gradient health and activations: gradient size per layer, dead ReLU units, the values hidden
units take, and the shape and slope of each activation function."""

from __future__ import annotations

import numpy as np
import torch

from .. import _validate as check
from ..train import History
from . import _style as style
from ._common import BAD_COLOR, GHOST_ALPHA, check_history, predict


def gradient_norms(hist: History, ax=None, *, title: str | None = None):
    """Mean weight-gradient norm of each layer per epoch (log scale); layer 1 is the input side.

    Needs a run with ``fit(..., track_gradients=True)``. In a deep sigmoid network the early layers'
    lines sit orders of magnitude below the last layer's: vanishing gradients.
    """
    hist = check_history(hist)
    if not hist.grad_norms:
        raise ValueError("hist has no gradient norms; train with fit(..., track_gradients=True)")
    ax = style.axes(ax)
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
    hist = check_history(hist)
    if not hist.grad_norms:
        raise ValueError("hist has no gradient norms; train with fit(..., track_gradients=True)")
    epoch = check.integer("epoch", epoch, low=-len(hist.grad_norms), high=len(hist.grad_norms) - 1)
    ax = style.axes(ax)
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
    hist = check_history(hist)
    if not hist.dead_fraction:
        raise ValueError("hist has no dead-unit record; train with fit(..., track_dead_units=True)")
    ax = style.axes(ax)
    if ghost is not None and check_history(ghost, "ghost").dead_fraction:
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

    from ..models import ACTIVATIONS

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
        predict(model, X)
    finally:
        for h in hooks:
            h.remove()
    ax = style.axes(ax)
    for j, o in enumerate(outs):
        o = o[torch.isfinite(o)].numpy()
        kw = style.series(j, len(outs))
        ax.hist(o, bins=bins, histtype="step", lw=kw["lw"], color=kw["color"], ls=kw["ls"],
                label=f"layer {j + 1}", density=True)
    ax.set_xlabel("activation value")
    ax.set_ylabel("density")
    ax.set_title(title if title is not None else "hidden activations")
    return style.finish(ax, legend=True)


def activation_shapes(ax=None, *, names=("relu", "leaky_relu", "sigmoid", "tanh", "gelu"),
                      derivative: bool = False, title: str | None = None):
    """Each activation function over [-4, 4], or its slope (``derivative=True``).

    The slope is what backpropagation multiplies by at every layer: sigmoid's is never above
    0.25, ReLU's is exactly 0 for negative inputs, leaky ReLU's never reaches 0.
    """
    from ..models import ACTIVATIONS

    if isinstance(names, str):
        names = [names]
    names = [check.choice("names", n, ACTIVATIONS) for n in names]
    check.boolean("derivative", derivative)
    ax = style.axes(ax)
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
