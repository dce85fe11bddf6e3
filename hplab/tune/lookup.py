"""Precomputed learning curves that a search can read instead of training (lesson 09)."""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import numpy as np

from .. import _validate as check
from ..plots import _style as style
from ._draw import _positioner
from .space import Choice, Int, LogUniform

STEPS = 16  # lookup points per gap between two trained learning rates


class LookupTable:
    """Validation-loss curves of every configuration of a small grid, trained once in advance.

    ``search`` accepts a LookupTable wherever it accepts a Data bundle: a trial then looks its
    curve up instead of training, so a race of many searches over many seeds takes seconds.

    The learning rate is read between the trained values: each epoch's loss is interpolated
    linearly in log(lr) between the two trained neighbours, on a lookup grid of ``steps`` points
    per gap (about 1% apart in lr for the lesson's table). At a trained value the curve is the
    stored one exactly; between two, every epoch lies between the neighbours' values; where one
    neighbour had diverged, the nearer neighbour decides. Integer and categorical names
    (depth, width, activation) snap to the nearest trained value.

    Attributes:
        trained: name -> the values that were trained.
        levels: name -> the values of the lookup grid (``trained``, with the lr gaps filled).
        val_loss, val_accuracy: arrays (*levels, epochs), NaN once a run diverged.
    """

    def __init__(self, path, *, steps: int = STEPS):
        steps = check.integer("steps", steps, low=1, high=1000)
        with np.load(path, allow_pickle=False) as z:
            names = [str(n) for n in z["names"]]
            self.trained = {n: z[f"level_{n}"].tolist() for n in names}
            stored = {k: z[k].astype(float) for k in
                      ("val_loss", "val_accuracy", "initial_val_loss", "seconds_per_epoch")}
            self.settings = str(z["settings"])
        self.path, self.steps = str(path), steps
        self.levels = dict(self.trained)
        for axis, name in enumerate(names):
            if _interpolated(self.trained[name]):
                lrs, pick = _lookup_grid(self.trained[name], steps)
                self.levels[name] = lrs.tolist()
                stored = {k: _between(v, axis, *pick) for k, v in stored.items()}
        self.val_loss = stored["val_loss"]  # (*levels, epochs)
        self.val_accuracy = stored["val_accuracy"]
        self.initial_val_loss = stored["initial_val_loss"]
        self.seconds_per_epoch = stored["seconds_per_epoch"]  # measured once per architecture
        self.epochs = self.val_loss.shape[-1]

    @property
    def n_configs(self) -> int:
        """How many configurations were trained (the lookup grid holds more)."""
        return math.prod(len(v) for v in self.trained.values())

    def space(self, names=None, **ranges) -> dict:
        """The search space the table covers, or part of it.

        Args:
            names: the knobs to search (default: all); the others can go in ``fixed``.
            ranges: a narrower (low, high) for a numeric knob, inside the table's own range,
                e.g. ``lr=(1e-5, 1e-1)``.

            >>> table.space(("lr", "depth"), lr=(1e-5, 1e-1))  # doctest: +SKIP
            {'lr': LogUniform(1e-05, 0.1), 'depth': Int(1, 3)}
        """
        names = list(self.trained) if names is None else (
            [names] if isinstance(names, str) else list(names))
        names = [check.choice("names", n, self.trained) for n in names]
        space = {}
        for name in names:
            values = self.trained[name]
            if isinstance(values[0], str):
                space[name] = Choice(values)
                continue
            low, high = ranges.pop(name, (values[0], values[-1]))
            if not values[0] <= low < high <= values[-1]:
                raise ValueError(f"{name} range must satisfy {values[0]:g} <= low < high <= "
                                 f"{values[-1]:g} (the table's range), got ({low!r}, {high!r})")
            if all(float(v).is_integer() for v in values):
                space[name] = Int(int(low), int(high), log=values[-1] / values[0] > 4)
            else:
                space[name] = LogUniform(low, high)
        if ranges:
            raise ValueError(f"ranges name {sorted(ranges)}, which are not numeric knobs of "
                             f"the space ({', '.join(names)})")
        return space

    def index(self, config: dict) -> tuple:
        """Position of ``config`` in the lookup grid (arrays such as ``val_loss`` take it)."""
        missing = set(self.levels) - set(config)
        if missing:
            raise ValueError(f"config must give {', '.join(sorted(missing))}; got {config!r}")
        return tuple(self._position(name, config[name]) for name in self.levels)

    def _position(self, name: str, v) -> int:
        values = self.levels[name]
        if isinstance(values[0], str):
            if v not in values:
                raise ValueError(f"{name} {v!r} is not in the table; choose one of: "
                                 f"{', '.join(values)}")
            return values.index(v)
        if isinstance(v, (bool, str)) or not isinstance(v, numbers.Real) or not v > 0:
            raise ValueError(f"{name} must be a number > 0, got {v!r}")
        return int(np.argmin(np.abs(np.log(np.asarray(values, float)) - math.log(v))))

    def snap(self, config: dict) -> dict:
        """The lookup-grid configuration a trial with ``config`` reads."""
        idx = self.index(config)
        return {n: self.levels[n][i] for n, i in zip(self.levels, idx)}

    def curve(self, config: dict) -> np.ndarray:
        """Validation loss after each epoch (NaN once the run diverged)."""
        return self.val_loss[self.index(config)]

    def best(self, epochs: int | None = None) -> tuple[dict, float]:
        """The best configuration in the whole table and its best validation loss."""
        scores = self.scores(epochs)
        idx = np.unravel_index(int(np.argmin(scores)), scores.shape)
        return {n: self.levels[n][i] for n, i in zip(self.levels, idx)}, float(scores[idx])

    def scores(self, epochs: int | None = None) -> np.ndarray:
        """Best validation loss at every point of the lookup grid (diverged: their start loss)."""
        epochs = self.epochs if epochs is None else check.integer("epochs", epochs, low=1,
                                                                   high=self.epochs)
        best = np.nanmin(np.where(np.isnan(self.val_loss[..., :epochs]), np.inf,
                                  self.val_loss[..., :epochs]), axis=-1)
        return np.where(np.isfinite(best), best, self.initial_val_loss)

    def profile(self, name: str, epochs: int | None = None, *, fixed: dict | None = None):
        """Best validation loss at each value of ``name``, the others at their best.

        ``fixed`` holds some of the others at one value, e.g. ``fixed={"width": 64}``.
        """
        import pandas as pd

        name = check.choice("name", name, self.levels)
        scores = self.scores(epochs)
        for other, value in (fixed or {}).items():
            other = check.choice("fixed", other, self.levels)
            if other == name:
                raise ValueError(f"fixed must not hold {name!r}, the knob being profiled")
            at = self._position(other, value)
            scores = np.take(scores, [at], axis=list(self.levels).index(other))
        axis = list(self.levels).index(name)
        others = tuple(i for i in range(len(self.levels)) if i != axis)
        return pd.Series(scores.min(axis=others), index=pd.Index(self.levels[name], name=name),
                         name="best validation loss")

    def spread(self, epochs: int | None = None):
        """How much each knob moves the best loss: worst / best value of its profile."""
        import pandas as pd

        ratios = {}
        for name in self.levels:
            profile = self.profile(name, epochs)
            ratios[name] = float(profile.max() / profile.min())
        return pd.Series(ratios, name="worst / best").sort_values(ascending=False)

    def plot_profiles(self, axes=None, epochs: int | None = None):
        """One panel per hyperparameter: the best loss at each value. Returns the Axes.

        Trained values are dots; the learning rate's line runs through the interpolated points.
        """
        import matplotlib.pyplot as plt

        if axes is None:
            with style.course_style():  # one row as wide as the notebook
                _, axes = plt.subplots(1, len(self.levels), figsize=(style.WIDTH, style.HEIGHT),
                                       sharey=True, layout="constrained", dpi=style.DPI)
        for ax, name in zip(axes, self.levels):
            profile = self.profile(name, epochs)
            pos = _positioner(self.space()[name], ax)
            trained = profile.loc[self.trained[name]]
            ax.plot(pos(trained.index), trained.to_numpy(), "o", markersize=4)
            ax.plot(pos(profile.index), profile.to_numpy(), "-", color="C0")
            ax.set_xlabel(name)
        axes[0].set_ylabel("best validation loss\n(others at their best)")
        style.log_axis(axes[0], "y")
        for ax in axes:
            style.finish(ax)
        return axes

    def __repr__(self):
        levels = ", ".join(f"{n}: {len(v)}" for n, v in self.trained.items())
        return (f"LookupTable({self.n_configs} trained configurations x {self.epochs} epochs; "
                f"{levels}; lr read between trained values)")


def _interpolated(values) -> bool:
    """A positive, non-integer numeric axis (the learning rate) is read between its values."""
    return (not isinstance(values[0], str) and len(values) > 1
            and not all(float(v).is_integer() for v in values))


def _lookup_grid(trained, steps: int):
    """``steps`` log-spaced points per gap; the trained values themselves sit exactly on it."""
    trained = np.asarray(trained, float)
    p = np.arange((len(trained) - 1) * steps + 1) / steps
    lo = np.minimum(np.floor(p).astype(int), len(trained) - 2)
    w = p - lo  # weight of the upper neighbour
    logs = np.log(trained)
    values = np.exp(logs[lo] * (1 - w) + logs[lo + 1] * w)
    values[::steps] = trained  # exact, not exp(log(x))
    return values, (lo, w)


def _between(array, axis: int, lo, w):
    """Linear interpolation along ``axis``; where a neighbour is NaN, the nearer one decides."""
    a, b = np.take(array, lo, axis=axis), np.take(array, lo + 1, axis=axis)
    w = w.reshape((-1,) + (1,) * (array.ndim - axis - 1))
    mixed = a * (1 - w) + b * w
    nearer = np.where(w < 0.5, a, b)
    out = np.where(np.isfinite(a) & np.isfinite(b), mixed, nearer)
    return np.where(w == 0, a, out)  # exactly the stored value at a trained lr


def race_curves(data, lrs, *, depth: int, width: int, activation: str, epochs: int = 20,
                optimizer: str = "adam", batch_size: int = 64, seed: int = 0) -> dict:
    """Train one architecture at every learning rate of ``lrs`` at once (``hplab.lr_sweep``).

    Returns arrays: ``val_loss`` and ``val_accuracy`` (len(lrs), epochs), NaN from the epoch a
    run diverged on, and ``initial_val_loss`` (len(lrs),). Each curve is the one ``hplab.fit``
    gives for that configuration, up to float rounding.
    """
    from ..sweep import lr_sweep

    sweep = lr_sweep(data, [float(lr) for lr in lrs], depth=int(depth), width=int(width),
                     activation=str(activation), optimizer=optimizer, batch_size=batch_size,
                     epochs=epochs, seed=seed)
    loss = np.full((len(lrs), epochs), np.nan)
    acc = np.full((len(lrs), epochs), np.nan)
    for i, hist in enumerate(sweep.histories):
        n = len(hist.val_loss)
        if hist.diverged:  # the epoch it blew up on is not a score
            n = min(n, (hist.stopped_epoch or n + 1) - 1)
        loss[i, :n], acc[i, :n] = hist.val_loss[:n], hist.val_metric[:n]
    loss[~np.isfinite(loss)] = np.nan
    initial = np.array([h.initial["val_loss"] for h in sweep.histories])
    return dict(val_loss=loss, val_accuracy=acc, initial_val_loss=initial)


def load_race_table() -> LookupTable:
    """The table lesson 09 races on, made by ``tools/make_race_table.py`` from hplab itself."""
    return LookupTable(Path(__file__).resolve().parent.parent / "data" / "race_table.npz")
