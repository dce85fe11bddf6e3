"""Precomputed learning curves that a search can read instead of training (lesson 09)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import _validate as check
from ._draw import _log_y, _positioner
from .space import Choice, Int, LogUniform


class LookupTable:
    """Validation-loss curves of every configuration of a small grid, trained once in advance.

    ``search`` accepts a LookupTable wherever it accepts a Data bundle: a trial then looks its
    curve up instead of training, so a race of many searches over many seeds takes seconds.
    Numbers between the stored levels snap to the nearest level (on a log scale for positive
    numbers).
    """

    def __init__(self, path):
        with np.load(path, allow_pickle=False) as z:
            names = [str(n) for n in z["names"]]
            self.levels = {n: z[f"level_{n}"].tolist() for n in names}
            self.val_loss = z["val_loss"].astype(float)  # (*levels, epochs), NaN after divergence
            self.val_accuracy = z["val_accuracy"].astype(float)
            self.initial_val_loss = z["initial_val_loss"].astype(float)
            self.seconds_per_epoch = z["seconds_per_epoch"].astype(float)
            self.settings = str(z["settings"])
        self.path = str(path)
        self.epochs = self.val_loss.shape[-1]

    @property
    def n_configs(self) -> int:
        return int(np.prod(self.val_loss.shape[:-1]))

    def space(self) -> dict:
        """The search space the table covers."""
        space = {}
        for name, values in self.levels.items():
            if all(isinstance(v, str) for v in values):
                space[name] = Choice(values)
            elif all(float(v).is_integer() for v in values):
                ratio = values[-1] / values[0]
                space[name] = Int(int(values[0]), int(values[-1]), log=ratio > 4)
            else:
                space[name] = LogUniform(values[0], values[-1])
        return space

    def index(self, config: dict) -> tuple:
        """Position of the stored configuration nearest to ``config``."""
        missing = set(self.levels) - set(config)
        if missing:
            raise ValueError(f"config must give {', '.join(sorted(missing))}; got {config!r}")
        idx = []
        for name, values in self.levels.items():
            v = config[name]
            if isinstance(values[0], str):
                if v not in values:
                    raise ValueError(f"{name} {v!r} is not in the table; choose one of: "
                                     f"{', '.join(values)}")
                idx.append(values.index(v))
            else:
                distance = np.abs(np.log(np.asarray(values, float)) - math.log(v))
                idx.append(int(np.argmin(distance)))
        return tuple(idx)

    def snap(self, config: dict) -> dict:
        """The stored configuration nearest to ``config``."""
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
        """Best validation loss of every stored configuration (diverged ones: their start loss)."""
        epochs = self.epochs if epochs is None else epochs
        best = np.nanmin(np.where(np.isnan(self.val_loss[..., :epochs]), np.inf,
                                  self.val_loss[..., :epochs]), axis=-1)
        return np.where(np.isfinite(best), best, self.initial_val_loss)

    def profile(self, name: str, epochs: int | None = None):
        """Best validation loss at each stored value of ``name``, the others at their best."""
        import pandas as pd

        name = check.choice("name", name, self.levels)
        axis = list(self.levels).index(name)
        others = tuple(i for i in range(len(self.levels)) if i != axis)
        best = self.scores(epochs).min(axis=others)
        return pd.Series(best, index=pd.Index(self.levels[name], name=name),
                         name="best validation loss")

    def plot_profiles(self, axes=None, epochs: int | None = None):
        """One panel per hyperparameter: the best loss at each stored value. Returns the Axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, len(self.levels), figsize=(3.2 * len(self.levels), 2.8),
                                   sharey=True)
        for ax, name in zip(axes, self.levels):
            profile = self.profile(name, epochs)
            pos = _positioner(self.space()[name], ax)
            ax.plot(pos(profile.index), profile.to_numpy(), "o-")
            ax.set_xlabel(name)
        axes[0].set_ylabel("best validation loss\n(others at their best)")
        _log_y(axes[0])
        return axes

    def __repr__(self):
        levels = ", ".join(f"{n}: {len(v)}" for n, v in self.levels.items())
        return f"LookupTable({self.n_configs} configurations x {self.epochs} epochs; {levels})"


def load_race_table() -> LookupTable:
    """The table lesson 09 races on, made by ``tools/make_race_table.py`` from hplab itself."""
    return LookupTable(Path(__file__).resolve().parent.parent / "data" / "race_table.npz")
