"""Two-parameter loss surfaces, and the paths PyTorch's optimizers take across them.

A real network has thousands of weights, but the way an optimizer moves is easiest to see
with two: the "weights" are one point (x, y), the loss is a height, and each step of
``torch.optim.SGD``, ``Adam`` and the rest moves the point. On an elongated valley plain SGD
bounces between the steep walls while creeping along the floor; momentum builds up speed along
the floor; Adam rescales each coordinate's step by its own gradient history.

    >>> path = optimizer_path("valley", "sgd", lr=0.4, steps=30)
    >>> path.points.shape
    (31, 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import _validate as check
from .diagnose import Diagnosis
from .train import OPTIMIZERS, make_optimizer

BLOW_UP = 1e6  # a point this far from the origin counts as diverged
CONVERGED = 0.01  # a path whose loss fell below this share of its start has converged
ZIGZAG = 0.8      # ... and one that reverses direction on this share of its steps zig-zags
PATH_LABELS = ("diverged", "converged", "zig-zag", "slow")


@dataclass(frozen=True)
class Surface:
    """A loss over two parameters, with a start point, its minimum and a window to draw.

    ``fn`` maps a tensor whose last axis holds (x, y) to the loss (any leading shape), so the
    same function gives the optimizer's loss and the contour grid. ``lrs`` holds a learning
    rate per optimizer that shows each one's character on this surface.
    """

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    start: tuple
    minimum: tuple
    xlim: tuple
    ylim: tuple
    lrs: dict = field(default_factory=dict)
    description: str = ""
    log_levels: bool = False  # draw contours on a log scale (for steep walls)

    def __call__(self, xy) -> torch.Tensor:
        return self.fn(torch.as_tensor(xy, dtype=torch.float32))


def _valley(p):
    x, y = p[..., 0], p[..., 1]
    return 0.5 * (0.04 * x ** 2 + 4.0 * y ** 2)  # curvature 0.04 along x, 4 across: ratio 100


def _tilted_valley(p):
    x, y = p[..., 0], p[..., 1]
    u, v = (x + y) / math.sqrt(2), (x - y) / math.sqrt(2)  # the valley runs diagonally
    return 0.5 * (0.04 * u ** 2 + 4.0 * v ** 2)


def _rosenbrock(p):
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 10.0 * (y - x ** 2) ** 2  # a curved banana-shaped valley


def _bowl(p):
    return 0.5 * (p ** 2).sum(dim=-1)


_STEADY_LRS = {"sgd": 0.45, "momentum": 0.12, "nesterov": 0.12, "rmsprop": 0.1, "adam": 0.3,
               "adamw": 0.3}

SURFACES = {
    "valley": Surface(
        "valley", _valley, start=(-8.0, 1.0), minimum=(0.0, 0.0), xlim=(-9, 3), ylim=(-1.5, 1.5),
        lrs=_STEADY_LRS,
        description="a long narrow valley along x: steep walls (y), an almost flat floor (x)"),
    "tilted_valley": Surface(
        "tilted_valley", _tilted_valley, start=(-5.0, -4.0), minimum=(0.0, 0.0),
        xlim=(-6, 3), ylim=(-6, 3), lrs=_STEADY_LRS,
        description="the same valley turned 45 degrees, so it is not aligned with either weight"),
    "rosenbrock": Surface(
        "rosenbrock", _rosenbrock, start=(-1.5, 2.0), minimum=(1.0, 1.0), xlim=(-2, 2),
        ylim=(-1, 3), log_levels=True,
        lrs={"sgd": 0.01, "momentum": 0.003, "nesterov": 0.003, "rmsprop": 0.02, "adam": 0.1,
             "adamw": 0.1},
        description="Rosenbrock's banana: a curved valley whose floor falls slowly to (1, 1)"),
    "bowl": Surface(
        "bowl", _bowl, start=(-2.0, 1.5), minimum=(0.0, 0.0), xlim=(-2.5, 2.5), ylim=(-2, 2),
        lrs={"sgd": 0.2, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.05, "adam": 0.2,
             "adamw": 0.2},
        description="a round bowl: every direction is equally steep, so every optimizer is fine"),
}


@dataclass
class OptimizerPath:
    """The points an optimizer visited, the loss at each, and a few numbers that describe them."""

    surface: str
    optimizer: str
    lr: float
    points: np.ndarray  # (steps + 1, 2), the start first
    losses: np.ndarray  # (steps + 1,)
    config: dict = field(default_factory=dict)
    diverged: bool = False

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def steps(self) -> np.ndarray:
        """Each update as a vector: (steps, 2)."""
        return np.diff(self.points, axis=0)

    def distance_to(self, point) -> float:
        """Straight-line distance from the last point to ``point``."""
        return float(np.linalg.norm(self.points[-1] - np.asarray(point, dtype=float)))

    def zigzag(self, axis: int = 1) -> float:
        """Share of consecutive steps that reverse direction along ``axis`` (0 = x, 1 = y).

        Near 1 means the path bounces back and forth across that axis every step.
        """
        moves = self.steps[:, axis]
        moves = moves[np.abs(moves) > 1e-9]
        if len(moves) < 2:
            return 0.0
        return float(np.mean(np.sign(moves[1:]) != np.sign(moves[:-1])))

    def __repr__(self) -> str:
        return (f"OptimizerPath({self.optimizer!r} on {self.surface!r}, lr={self.lr:g}, "
                f"steps={len(self.points) - 1}, final_loss={self.final_loss:.3g}, "
                f"diverged={self.diverged})")


def get_surface(surface) -> Surface:
    """A :class:`Surface` from its name (valley, tilted_valley, rosenbrock, bowl) or itself."""
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check.choice("surface", surface, SURFACES)]


def loss_grid(surface, *, n: int = 120):
    """Loss on an ``n`` x ``n`` grid over the surface's window: ``(X, Y, Z)`` numpy arrays."""
    surf = get_surface(surface)
    n = check.integer("n", n, low=2, high=2000)
    xs = torch.linspace(*surf.xlim, n)
    ys = torch.linspace(*surf.ylim, n)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        Z = surf.fn(torch.stack([X, Y], dim=-1))  # (n, n)
    return X.numpy(), Y.numpy(), Z.numpy()


def optimizer_path(surface, optimizer: str = "sgd", *, lr: float | None = None, steps: int = 50,
                   momentum: float | None = None, betas=(0.9, 0.999),
                   weight_decay: float = 0.0, start=None) -> OptimizerPath:
    """Let a PyTorch optimizer walk a 2-parameter loss surface and record where it goes.

    Args:
        surface: a :class:`Surface` or its name ("valley", "tilted_valley", "rosenbrock",
            "bowl").
        optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw (``hplab.make_optimizer``).
        lr: learning rate; ``None`` takes the surface's suggested rate for this optimizer.
        steps: number of updates.
        momentum, betas, weight_decay: the optimizer's knobs, as in :func:`hplab.fit`.
        start: the starting point (x, y); ``None`` takes the surface's.

    Returns:
        An :class:`OptimizerPath`; a point that runs off to infinity stops it, ``diverged=True``.

    Example:
        >>> sgd = optimizer_path("valley", "sgd", lr=0.45, steps=40)
        >>> round(sgd.zigzag(axis=1), 2)   # bounces across the valley on every step
        1.0
    """
    surf = get_surface(surface)
    optimizer = check.choice("optimizer", optimizer, OPTIMIZERS)
    lr = surf.lrs.get(optimizer, 0.01) if lr is None else check.positive("lr", lr)
    steps = check.integer("steps", steps, low=1, high=100_000)
    start = surf.start if start is None else start
    if (not isinstance(start, (tuple, list, np.ndarray)) or len(start) != 2):
        raise TypeError(f"start must be a point (x, y), got {start!r}")
    start = tuple(check.number(f"start[{i}]", v) for i, v in enumerate(start))

    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # the two "weights"
    opt = make_optimizer([w], optimizer, lr=lr, momentum=momentum, betas=betas,
                         weight_decay=weight_decay)
    points, losses, diverged = [w.detach().clone()], [], False
    for _ in range(steps):
        loss = surf.fn(w)
        losses.append(loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        points.append(w.detach().clone())
        if not torch.isfinite(w).all() or w.abs().max() > BLOW_UP:
            diverged = True
            break
    with torch.no_grad():
        losses.append(surf.fn(w).item())
    config = {"momentum": momentum, "betas": tuple(betas), "weight_decay": weight_decay, "steps": steps,
                  "start": start}
    return OptimizerPath(surf.name, optimizer, lr, torch.stack(points).numpy(), np.array(losses), config,
                diverged)


def slope_steps(optimizer: str = "momentum", *, steps: int = 40, gradient=(1.0, 0.01),
                lr: float = 1.0, momentum: float | None = None, betas=(0.9, 0.999)) -> np.ndarray:
    """Each update an optimizer makes on a straight slope, in units of ``lr``: ``(steps, 2)``.

    The loss is the plane ``gradient[0] * x + gradient[1] * y``, so the gradient never changes
    and every difference between the rows comes from the optimizer itself. Plain SGD moves
    ``lr * gradient`` every step; momentum's velocity builds up to ``lr * gradient / (1 - momentum)``,
    ten times more with 0.9; Adam moves about ``lr`` along every weight, steep or flat.

    Example:
        >>> slope_steps("momentum", steps=200)[-1].round(2)   # downhill, so negative
        array([-10. ,  -0.1])
    """
    optimizer = check.choice("optimizer", optimizer, OPTIMIZERS)
    steps = check.integer("steps", steps, low=1, high=100_000)
    lr = check.positive("lr", lr)
    if not isinstance(gradient, (tuple, list, np.ndarray)) or len(gradient) != 2:
        raise TypeError(f"gradient must be a pair (gx, gy), got {gradient!r}")
    g = torch.tensor([check.number(f"gradient[{i}]", v) for i, v in enumerate(gradient)],
                     dtype=torch.float64)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([w], optimizer, lr=lr, momentum=momentum, betas=betas)
    points = [w.detach().clone()]
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        (g * w).sum().backward()
        opt.step()
        points.append(w.detach().clone())
    return np.diff(torch.stack(points).numpy(), axis=0) / lr


def compare_paths(surface, optimizers=OPTIMIZERS, *, steps: int = 50, lrs: dict | None = None,
                  start=None) -> dict:
    """One :class:`OptimizerPath` per optimizer, all from the same start: ``{name: OptimizerPath}``.

    ``lrs`` overrides the surface's suggested rate for some optimizers, e.g. ``{"adam": 0.1}``.

    Example:
        >>> paths = compare_paths("valley", ["sgd", "momentum", "adam"], steps=40)
        >>> sorted(paths)
        ['adam', 'momentum', 'sgd']
    """
    if isinstance(optimizers, str):
        optimizers = [optimizers]
    lrs = dict(lrs or {})
    for name in lrs:
        check.choice("lrs key", name, OPTIMIZERS)
    return {name: optimizer_path(surface, name, lr=lrs.get(name), steps=steps, start=start)
            for name in optimizers}


def _share_text(share: float) -> str:
    return f"{share:.2%}" if share >= 1e-4 else "less than 0.01%"


def describe_path(path: OptimizerPath) -> Diagnosis:
    """Name what a path did: "diverged", "converged", "zig-zag" or "slow", with the evidence.

    The checks run in that order. "converged" means the loss fell below 1% of its start;
    "zig-zag" means the path still reverses direction along one weight on most steps.

    Example:
        >>> describe_path(optimizer_path("valley", "sgd", lr=0.45, steps=40)).label
        'zig-zag'
    """
    if not isinstance(path, OptimizerPath):
        raise TypeError(f"path must be an OptimizerPath (from optimizer_path), "
                        f"got {type(path).__name__}")
    start, final = float(path.losses[0]), path.final_loss
    share = final / start if start > 0 and math.isfinite(final) else math.inf
    zig = max(path.zigzag(0), path.zigzag(1))
    evidence = dict(steps=len(path.points) - 1, start_loss=start, final_loss=final,
                    loss_share=share, zigzag=zig)
    if path.diverged or share > 1:
        return Diagnosis("diverged", evidence,
                         "Each step overshot further than the last and the point flew off the "
                         "surface: the step size is too large for the steepest direction.",
                         "Lower the learning rate (about 2-3x is often enough here).")
    if share < CONVERGED:
        return Diagnosis("converged", evidence,
                         f"The loss fell to {_share_text(share)} of its start in "
                         f"{evidence['steps']} "
                         "steps: the optimizer found the floor of the valley and followed it.",
                         "Compare with another optimizer, or make the surface harder.")
    if zig >= ZIGZAG:
        return Diagnosis("zig-zag", evidence,
                         f"The path reverses direction on {zig:.0%} of its steps: it bounces "
                         "between the steep walls, and the loss is still at "
                         f"{share:.0%} of its start.",
                         "Add momentum (it cancels the bouncing and builds speed along the "
                         "floor) or use Adam / RMSprop (they shrink the steep direction's steps).")
    return Diagnosis("slow", evidence,
                     f"After {evidence['steps']} steps the loss is still {share:.0%} of its "
                     "start: the steps are too small to cross the flat floor in time.",
                     "Raise the learning rate, add momentum, or take more steps.")
