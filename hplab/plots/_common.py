"""What the drawing functions share: checks of their inputs, the course colours of a run, and
the ceiling a blown-up loss is clipped at."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..data import Data
from ..train import History
from . import _style as style

TRAIN_COLOR = style.TRAIN
VAL_COLOR = style.VAL
BAD_COLOR = style.BAD
GHOST_ALPHA = 0.35
RUN_COLORS = style.COLORS[:4]  # one per run, in the order given
CLIP_FACTOR = 3.0  # diverged values are drawn at most this many times the starting loss


def check_history(hist, name="hist") -> History:
    if not isinstance(hist, History):
        raise TypeError(f"{name} must be an hplab History (from fit), got {type(hist).__name__}")
    return hist


def values_of(hist: History, key: str) -> np.ndarray:
    return np.asarray(getattr(hist, key), dtype=float)


def clip_values(values, ceiling: float):
    """Replace NaN, inf and values above ``ceiling`` with ``ceiling``; return (values, bad mask)."""
    v = np.asarray(values, dtype=float)
    bad = ~np.isfinite(v) | (v > ceiling)
    return np.where(bad, ceiling, v), bad


def loss_ceiling(hist: History, keys) -> float:
    """A y limit that keeps a blown-up run readable: a few times the starting loss."""
    start = [hist.initial.get(k, math.nan) for k in keys]
    start = [s for s in start if math.isfinite(s)]
    finite = [v for k in keys for v in getattr(hist, k) if math.isfinite(v)]
    base = max(start) if start else (float(np.median(finite)) if finite else 1.0)
    return CLIP_FACTOR * max(base, 1e-3)


def loss_room(hist: History, keys) -> float:
    """The y limit for one run's curves: a diverged run is clipped at :func:`loss_ceiling`; a run
    that finished keeps every finite value on the plot, however high it climbed."""
    if hist.diverged:
        return loss_ceiling(hist, keys)
    finite = [v for k in keys for v in getattr(hist, k) if math.isfinite(v)]
    return max([loss_ceiling(hist, keys)] + [1.05 * v for v in finite])


@torch.no_grad()
def predict(model, X: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    try:
        return model(X)
    finally:
        model.train(was_training)


def check_data(data) -> Data:
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data (from load_dataset), got {type(data).__name__}")
    return data


PAD = 0.5  # how far the plane of a decision boundary reaches beyond the data on every side


def data_box(data: Data, pad: float = PAD) -> tuple:
    """The range of the data's training and validation inputs, widened by ``pad`` on every side:
    ``(x0, x1)`` for one feature, ``(x0, x1, y0, y1)`` for two."""
    pts = torch.cat([data.train.X, data.val.X])
    lo, hi = (pts.min(0).values - pad).tolist(), (pts.max(0).values + pad).tolist()
    return tuple(v for pair in zip(lo, hi) for v in pair)


def plane_points(extent: tuple, size: int) -> torch.Tensor:
    """The (size**2, 2) points of a size x size grid over ``extent`` (x0, x1, y0, y1), row by
    row from the bottom, as ``imshow(..., origin="lower")`` lays out their values."""
    gx = torch.linspace(extent[0], extent[1], size)
    gy = torch.linspace(extent[2], extent[3], size)
    xx, yy = torch.meshgrid(gx, gy, indexing="xy")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
