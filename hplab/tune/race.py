"""Races: several methods, each searched with several seeds, compared with their spread."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from .. import _validate as check
from ..plots import _style as style
from .study import METHODS, search


class Race:
    """Several methods, each searched with several seeds: best-so-far curves and their spread."""

    def __init__(self, results: dict):
        self.results = results  # method -> list of SearchResult, one per seed

    def curves(self, method: str, x: str = "epochs", points=None):
        """Best-so-far of every seed of ``method`` on a shared x axis: (x, array (seeds, x))."""
        runs = [r.best_so_far(x) for r in self.results[method]]
        end = max(int(xs[-1]) for xs, _ in runs if len(xs))
        grid = np.arange(1, end + 1) if points is None else np.asarray(points)
        out = np.full((len(runs), len(grid)), np.nan)
        for i, (xs, best) in enumerate(runs):
            at = np.searchsorted(xs, grid, side="right") - 1  # last trial finished by then
            out[i] = np.where(at >= 0, best[np.clip(at, 0, None)], np.nan)
        return grid, out

    def final(self, method: str) -> np.ndarray:
        """The best validation loss each seed of ``method`` ended with, in seed order."""
        method = check.choice("method", method, self.results)
        return np.array([r.best_so_far()[1][-1] for r in self.results[method]])

    def wins(self, method: str, against: str) -> float:
        """Share of seeds on which ``method`` ended strictly better than ``against``."""
        return float(np.mean(self.final(method) < self.final(against)))

    def plot_seeds(self, ax=None, methods=None):
        """Every seed's final best loss as a dot, one column per method, the median as a bar.

        This is the distribution a race's median summarises: a method whose dots sit lower
        than another's on most seeds is better, not just lucky once. Returns the Axes.
        """
        ax = style.axes(ax)
        methods = list(self.results) if methods is None else [
            check.choice("methods", m, self.results) for m in methods]
        labels = []
        for x, method in enumerate(methods):
            best = self.final(method)
            spread = np.linspace(-0.3, 0.3, len(best))[np.argsort(np.argsort(best))]
            ax.scatter(x + spread, best, s=20, alpha=0.75, zorder=2,  # colour and marker apart
                       color=style.COLORS[x % len(style.COLORS)],
                       marker=style.MARKERS[x % len(style.MARKERS)])
            mid = float(np.median(best))
            ax.plot([x - 0.4, x + 0.4], [mid, mid], color="black", linewidth=2.5, zorder=3)
            labels.append(f"{method}\n{mid:.3f}")
        ax.set_xticks(range(len(methods)), labels)
        ax.set_xlim(-0.6, len(methods) - 0.4)
        n = len(self.results[methods[0]])
        ax.set(ylabel="best validation loss found",
               title=f"one dot per seed ({n} seeds); bar and number: median")
        return ax

    def summary(self):
        """Per method: median and spread of the final best loss, trials and epochs used."""
        import pandas as pd

        rows = []
        for method, runs in self.results.items():
            best = np.array([r.best_so_far()[1][-1] for r in runs])
            rows.append(dict(method=method, median_best_val_loss=np.median(best),
                             worst_seed=best.max(), best_seed=best.min(),
                             trials=np.mean([len(r.study.trials) for r in runs]),
                             epochs=np.mean([r.epochs_spent for r in runs])))
        return pd.DataFrame(rows).set_index("method")

    def plot(self, x: str = "epochs", ax=None, quantiles=(0.25, 0.75)):
        """Median best-so-far per method with a band between two quantiles across seeds."""
        ax = style.axes(ax)
        n = len(self.results)
        for i, method in enumerate(self.results):
            grid, curves = self.curves(method, x)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns at the start
                mid = np.nanmedian(curves, axis=0)
                lo, hi = np.nanquantile(curves, quantiles, axis=0)
            line, = ax.plot(grid, mid, label=method, **style.series(i, n))
            ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set(xlabel=("trials run so far (a count, not a trial number)" if x == "trials"
                       else "epochs spent (all trials)"),
               ylabel="best validation loss so far")
        style.log_axis(ax, "y")
        ax.legend(title=f"median, {int(quantiles[0] * 100)}-{int(quantiles[1] * 100)}% band")
        return ax


def race(data, space: dict, methods=("grid", "random", "qmc", "tpe", "hyperband"), *,
         seeds=range(5), progress: bool = False, **search_kw) -> Race:
    """Run :func:`search` for each method and seed with the same settings; return a Race.

    ``search_kw`` goes to every search (n_trials, epochs, epoch_budget, configs, grid_points...).
    Use a :class:`LookupTable` as ``data`` to race in seconds.
    """
    methods = [check.choice("methods", m, METHODS) for m in methods]
    seeds = [check.seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got []")
    runs = itertools.product(methods, seeds)
    if progress:
        from tqdm.auto import tqdm

        runs = tqdm(list(runs), desc="race", unit="search")
    results = {m: [] for m in methods}
    for method, seed in runs:
        kw = dict(search_kw)
        if method != "manual":
            kw.pop("configs", None)
        results[method].append(search(data, space, method=method, seed=seed, **kw))
    return Race(results)

