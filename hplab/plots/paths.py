"""Optimizer paths across a 2-D loss surface, and the loss along each path."""

from __future__ import annotations

import numpy as np

from .. import _validate as check
from . import _style as style

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
    from ..surfaces import OptimizerPath, get_surface, loss_grid

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
    ax = style.axes(ax)
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


def path_losses(paths, ax=None, *, title: str | None = None):
    """Loss at every step of one or more optimizer paths (log scale); dict label -> path."""
    from ..surfaces import OptimizerPath

    if isinstance(paths, OptimizerPath):
        paths = {paths.optimizer: paths}
    if not isinstance(paths, dict) or not paths:
        raise TypeError("paths must be an OptimizerPath or a non-empty dict label -> path")
    ax = style.axes(ax)
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
