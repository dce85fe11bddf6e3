"""Watch a run learn: one small snapshot of what the model predicts per epoch, recorded while it trains.

A :class:`FrameRecorder` passed to :func:`hplab.fit` keeps, before training (epoch 0) and after
every epoch, the model's class probabilities on a coarse grid over the plane (2-D classification)
or its curve on a row of points (1-D regression). Replaying a run is then drawing stored frames:
no retraining, and an existing picture is updated in place (:func:`update_frame`), fast enough for
a scrubber. Gradient health per epoch is not copied: it stays in the run's History
(:meth:`FrameRecorder.health` reads it there).

    >>> data = hplab.load_dataset("moons", n_samples=300, seed=0)            # doctest: +SKIP
    >>> rec = FrameRecorder(data)                                             # doctest: +SKIP
    >>> hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, callbacks=[rec])      # doctest: +SKIP
    >>> view = draw_frame(rec.frames[5], data); update_frame(view, rec.frames[-1])  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import _validate as check
from .data import CLASSIFICATION, REGRESSION, Data
from .plots import _style as style
from .plots._common import PAD, data_box, plane_points
from .train import Callback, History

GRID = 40  # cells per side of a boundary frame: coarse, and still shows every bend of the course's sets
POINTS = 100  # points of a fitted-curve frame
MARKER_GID = "hplab-epoch-marker"


@dataclass(frozen=True, eq=False)
class Frame:
    """What the model predicted at the end of one epoch (0: before training).

    ``values`` holds, for a boundary frame, the class probabilities on the grid as uint8
    (0..255 for 0..1), shape (grid, grid, classes), rows running up the y axis; with two classes
    only the probability of class 1 is kept, shape (grid, grid, 1); for a curve frame
    the model's output at ``points`` evenly spaced x values, float32. ``extent`` is the box the
    grid covers: (x0, x1, y0, y1) for a boundary, (x0, x1) for a curve.
    """

    epoch: int
    kind: str  # "boundary" or "curve"
    values: np.ndarray
    extent: tuple

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)

    def probabilities(self) -> np.ndarray:
        """Class probabilities on the grid as float32, shape (grid, grid, classes)."""
        self._need("boundary")
        p = self.values.astype(np.float32) / 255.0
        return np.concatenate([1.0 - p, p], axis=-1) if p.shape[-1] == 1 else p

    def predicted(self) -> np.ndarray:
        """The predicted class of every grid cell, shape (grid, grid)."""
        return self.probabilities().argmax(axis=-1)

    def _need(self, kind: str) -> None:
        if self.kind != kind:
            raise ValueError(f"frame must be a {kind} frame for this, got a {self.kind} frame "
                             f"(epoch {self.epoch})")

    def __repr__(self) -> str:
        return (f"Frame(epoch={self.epoch}, kind={self.kind!r}, shape={self.values.shape}, "
                f"nbytes={self.nbytes})")


def frame_kind(data) -> str:
    """"boundary" for 2-D classification data, "curve" for 1-D regression data; else a ValueError."""
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data (from load_dataset), got {type(data).__name__}")
    if data.task == CLASSIFICATION and data.n_features == 2:
        return "boundary"
    if data.task == REGRESSION and data.n_features == 1:
        return "curve"
    raise ValueError(f"data must be 2-D classification or 1-D regression data to record frames, "
                     f"got {data.name!r} with {data.n_features} features ({data.task})")


def _inputs(kind: str, extent: tuple, size: int) -> torch.Tensor:
    """The points a frame is taken at: the grid, row by row from the bottom, or a row of x."""
    if kind == "curve":
        return torch.linspace(extent[0], extent[1], size)[:, None]  # (size, 1)
    return plane_points(extent, size)  # (size**2, 2)


class FrameRecorder(Callback):
    """Keep one :class:`Frame` per epoch of a :func:`hplab.fit` run, plus epoch 0 (before training).

    Recording does not touch the run: the random state is saved and restored around every
    snapshot, so a run with the recorder gives exactly the History it gives without. The same
    seed gives the same frames. The recorder resets when a run begins, so one instance can
    record run after run (it keeps the last).

    Args:
        data: the run's :class:`~hplab.data.Data`, 2-D classification or 1-D regression.
        grid: cells per side of the probability grid (boundary frames), 4..400.
        points: x values of a curve frame, 4..2000.

    The grid covers the training and validation points with half a unit to spare on every side,
    as :func:`hplab.plots.decision_boundary` does; a curve spans the points' x values.

    Example:
        >>> rec = FrameRecorder(data)                                       # doctest: +SKIP
        >>> hist = hplab.fit(model, data, epochs=30, callbacks=[rec])       # doctest: +SKIP
        >>> [f.epoch for f in rec.frames][:3], rec.nbytes                   # doctest: +SKIP
        ([0, 1, 2], 49600)
    """

    def __init__(self, data: Data, *, grid: int = GRID, points: int = POINTS):
        self.kind = frame_kind(data)
        self.grid = check.integer("grid", grid, low=4, high=400)
        self.points = check.integer("points", points, low=4, high=2000)
        self.data = data
        self.extent = data_box(data, PAD if self.kind == "boundary" else 0.0)  # a curve: x's range
        self._x = _inputs(self.kind, self.extent, self.grid if self.kind == "boundary" else self.points)
        self.frames: list[Frame] = []
        self.history: History | None = None

    @property
    def nbytes(self) -> int:
        """Memory held by the stored frames' values, in bytes."""
        return sum(f.nbytes for f in self.frames)

    @property
    def epochs(self) -> list:
        return [f.epoch for f in self.frames]

    def frame(self, epoch: int) -> Frame:
        """The frame recorded at ``epoch`` (0: before training)."""
        epoch = check.integer("epoch", epoch, low=0)
        for f in self.frames:
            if f.epoch == epoch:
                return f
        raise ValueError(f"epoch must be one of the recorded epochs {_span(self.epochs)}, got {epoch}")

    def health(self, epoch: int) -> dict:
        """Gradient health the run's History recorded for ``epoch`` (fit's ``track_gradients``,
        ``track_dead_units``): per-layer gradient norms and the share of dead units; empty
        for epoch 0 or when they were not tracked."""
        epoch = check.integer("epoch", epoch, low=0)
        h = self.history
        if h is None or epoch == 0 or epoch not in h.epoch:
            return {}
        i = h.epoch.index(epoch)
        out = {}
        if i < len(h.grad_norms):
            out["grad_norms"] = h.grad_norms[i]
        if i < len(h.dead_fraction):
            out["dead_fraction"] = h.dead_fraction[i]
        return out

    # ---- the callback's events

    def on_train_begin(self, trainer):
        self.frames = []
        self.history = trainer.history
        done = trainer.history.epoch
        self._record(trainer.model, done[-1] if done else 0)  # a resumed run starts where it was

    def on_epoch_end(self, trainer, epoch, logs):
        self._record(trainer.model, epoch)

    def on_train_end(self, trainer):
        done = trainer.history.epoch  # a diverged epoch ends the run before on_epoch_end
        if done and (not self.frames or self.frames[-1].epoch < done[-1]):
            self._record(trainer.model, done[-1])

    @torch.no_grad()
    def _record(self, model: nn.Module, epoch: int) -> None:
        device = next(iter(model.parameters()), torch.empty(0)).device
        was_training = model.training
        model.eval()
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            out = model(self._x.to(device)).float().cpu()
        model.train(was_training)
        if self.kind == "curve":
            values = out[:, 0].numpy().astype(np.float32)
        else:
            p = torch.nan_to_num(torch.softmax(out, dim=1), nan=1.0 / out.shape[1])
            p = p[:, 1:] if p.shape[1] == 2 else p  # two classes: class 0's is 1 minus class 1's
            values = (p * 255).round().to(torch.uint8).reshape(self.grid, self.grid, -1).numpy()
        self.frames.append(Frame(int(epoch), self.kind, values, self.extent))

    def __repr__(self) -> str:
        return (f"FrameRecorder({self.data.name!r}, kind={self.kind!r}, frames={len(self.frames)}, "
                f"nbytes={self.nbytes})")


def _span(epochs) -> str:
    return f"{epochs[0]}..{epochs[-1]}" if epochs else "(none: record a run first)"


# ----------------------------------------------------------------------------- measures


def boundary_length(frame: Frame) -> int:
    """How long the decision boundary is on the frame's grid: the number of pairs of neighbouring
    cells (side by side or one above the other) whose predicted classes differ.

    On a 40 x 40 grid a straight boundary parallel to a side has length 40 (one pair per row), a
    diagonal one about 80; a boundary that bends around single points is longer.

    Example:
        >>> boundary_length(rec.frames[-1]) > boundary_length(rec.frame(hist.best_epoch))  # doctest: +SKIP
    """
    c = _boundary(frame, "frame").predicted()
    return int((c[:, 1:] != c[:, :-1]).sum() + (c[1:, :] != c[:-1, :]).sum())


def unsure_share(frame: Frame, *, confidence: float = 0.9) -> float:
    """The share of the plane (grid cells) where the model gives no class a probability of at
    least ``confidence``: the band of doubt around its boundary. An over-confident model has
    almost none.

    Example:
        >>> unsure_share(rec.frames[0]) > unsure_share(rec.frames[-1])   # doctest: +SKIP
    """
    confidence = check.number("confidence", confidence, low=0, high=1, low_open=True)
    p = _boundary(frame, "frame").probabilities().max(axis=-1)
    return float((p < confidence).mean())


def changed_share(a: Frame, b: Frame) -> float:
    """The share of grid cells whose predicted class differs between two frames of one run."""
    a, b = _boundary(a, "a"), _boundary(b, "b")
    if a.values.shape != b.values.shape or a.extent != b.extent:
        raise ValueError(f"a and b must be frames of the same grid, got {a!r} over {a.extent} "
                         f"and {b!r} over {b.extent}")
    return float((a.predicted() != b.predicted()).mean())


def _boundary(frame, name: str) -> Frame:
    if not isinstance(frame, Frame):
        raise TypeError(f"{name} must be a Frame, got {type(frame).__name__}")
    frame._need("boundary")
    return frame


# ----------------------------------------------------------------------------- drawing


class _Replay(nn.Module):
    """A stand-in model that answers what a frame stored (nearest grid cell, or the stored curve
    between its points), so hplab.plots draws the frame exactly as it draws a live model."""

    def __init__(self, frame: Frame):
        super().__init__()
        self.frame = frame

    def forward(self, X):
        f = self.frame
        if f.kind == "curve":
            xs = np.linspace(f.extent[0], f.extent[1], len(f.values))
            return torch.from_numpy(np.interp(X[:, 0].numpy(), xs, f.values))[:, None].float()
        n = f.values.shape[0]
        col = ((X[:, 0] - f.extent[0]) / (f.extent[1] - f.extent[0]) * (n - 1)).round()
        row = ((X[:, 1] - f.extent[2]) / (f.extent[3] - f.extent[2]) * (n - 1)).round()
        p = f.probabilities()[row.clamp(0, n - 1).long(), col.clamp(0, n - 1).long()]
        return torch.from_numpy(p).clamp_min(1e-6).log()  # log-probabilities: softmax gives p back


@dataclass
class FrameArtists:
    """What :func:`draw_frame` drew and :func:`update_frame` changes: the Axes, and the image and
    50/50 contour (boundary) or the model's line (curve)."""

    ax: object
    kind: str
    image: object = None
    contour: object = None
    line: object = None
    n_classes: int = 2


def draw_frame(frame: Frame, data: Data, ax=None, *, title: str | None = None) -> FrameArtists:
    """Draw one frame as :func:`hplab.plots.decision_boundary` or :func:`hplab.plots.fitted_curve`
    draw a live model: same colours, points and style. Returns the artists, for
    :func:`update_frame` (``.ax`` is the Axes).

    Example:
        >>> view = draw_frame(rec.frame(hist.best_epoch), data, title="best epoch")  # doctest: +SKIP
    """
    from . import plots

    if not isinstance(frame, Frame):
        raise TypeError(f"frame must be a Frame, got {type(frame).__name__}")
    if frame_kind(data) != frame.kind:
        raise ValueError(f"data must match the frame: a {frame.kind} frame needs "
                         f"{'2-D classification' if frame.kind == 'boundary' else '1-D regression'} "
                         f"data, got {data.name!r}")
    title = title if title is not None else f"epoch {frame.epoch}"
    if frame.kind == "curve":
        ax = plots.fitted_curve(_Replay(frame), data, ax, title=title)
        return FrameArtists(ax, "curve", line=next(ln for ln in ax.get_lines()
                                                    if hasattr(ln, "_hplab_true")))
    n = frame.values.shape[0]
    ax = plots.decision_boundary(_Replay(frame), data, ax, resolution=max(n, 10), title=title)
    contours = [c for c in ax.collections if hasattr(c, "levels")]
    return FrameArtists(ax, "boundary", image=ax.images[-1],
                        contour=contours[-1] if contours else None, n_classes=frame.probabilities().shape[2])


def update_frame(artists: FrameArtists, frame: Frame, *, title: str | None = None) -> FrameArtists:
    """Show ``frame`` in a picture :func:`draw_frame` made, changing its data in place (no new
    Axes, no new points): the fast path for a scrubber. Returns ``artists``, updated.

    Example:
        >>> view = draw_frame(rec.frames[0], data); update_frame(view, rec.frames[10])  # doctest: +SKIP
    """
    if not isinstance(artists, FrameArtists):
        raise TypeError(f"artists must be what draw_frame returned, got {type(artists).__name__}")
    if not isinstance(frame, Frame) or frame.kind != artists.kind:
        raise ValueError(f"frame must be a {artists.kind} Frame like the one drawn, got {frame!r}")
    ax = artists.ax
    if frame.kind == "curve":
        x = np.linspace(frame.extent[0], frame.extent[1], len(frame.values))
        style.track(ax, artists.line, x, frame.values.astype(float))
        style.refresh_marks(ax)
    else:
        artists.image.set_extent(frame.extent)
        if artists.n_classes == 2:
            z = frame.probabilities()[:, :, 1]
            artists.image.set_data(z)
            if artists.contour is not None:
                artists.contour.remove()
            artists.contour = None
            if z.min() < 0.5 < z.max():
                n = z.shape[0]
                x0, x1, y0, y1 = frame.extent
                artists.contour = ax.contour(np.linspace(x0, x1, n), np.linspace(y0, y1, n), z,
                                             levels=[0.5], colors="black", linewidths=1)
        else:
            artists.image.set_data(frame.predicted())
    ax.set_title(title if title is not None else f"epoch {frame.epoch}")
    return artists


def mark_epoch(ax, epoch: int, *, color: str = "black"):
    """A vertical line at ``epoch`` on a curves Axes (loss or metric against epoch); called
    again on the same Axes, it moves that line instead of adding one. Returns the line."""
    epoch = check.number("epoch", epoch, low=0)
    for line in ax.get_lines():
        if line.get_gid() == MARKER_GID:
            line.set_xdata([epoch, epoch])
            return line
    line = ax.axvline(epoch, color=color, lw=1.2, ls=":", zorder=5)
    line.set_gid(MARKER_GID)
    return line


# ----------------------------------------------------------------------------- best against last


def best_and_last(rec: FrameRecorder, hist: History) -> tuple:
    """The frames at the run's best-validation epoch and at its last epoch."""
    if not isinstance(hist, History):
        raise TypeError(f"hist must be a History, got {type(hist).__name__}")
    if hist.best_epoch is None or not rec.frames:
        raise ValueError("hist must come from a run recorded by rec, with a finite validation loss")
    return rec.frame(hist.best_epoch), rec.frame(hist.epoch[-1])


def best_vs_last(rec: FrameRecorder, hist: History, data: Data | None = None):
    """Two panels side by side: the boundary (or fit) at the best-validation epoch and at the
    last, each titled with its epoch and validation loss. Returns the figure.

    Example:
        >>> fig = best_vs_last(rec, hist)   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    data = rec.data if data is None else data
    frames = best_and_last(rec, hist)
    with style.course_style():
        fig, axes = plt.subplots(1, 2, figsize=(style.WIDTH, 4.6), layout="constrained",
                                 dpi=style.DPI)
    for ax, frame, name in zip(axes, frames, ("best", "last")):
        loss = hist.val_loss[hist.epoch.index(frame.epoch)]
        draw_frame(frame, data, ax, title=f"{name} epoch {frame.epoch}: validation loss "
                                          f"{style.number(loss) if math.isfinite(loss) else loss}")
    return fig
