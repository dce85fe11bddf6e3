"""Compare values of a scientific hyperparameter the tuning playbook's way: best against best.

The knob under study (width, weight decay, batch size) is *scientific*; the learning rate is a
*nuisance* hyperparameter that must be re-tuned for every value, or the comparison measures how
well the one shared rate happens to suit each value. :func:`compare_values` does both: one
:func:`hplab.lr_sweep` per value (the re-tuned, best-with-best comparison) and the naive
comparison, every value at one fixed rate, read from the same runs.

    >>> import hplab
    >>> data = hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
    >>> study = compare_values(data, "width", [8, 128], lrs=[0.01, 0.03, 0.1], fixed_lr=0.03,
    ...                        optimizer="sgd", epochs=20)       # doctest: +SKIP
    >>> study.tuned_winner, study.naive_winner                   # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _validate as check
from .data import Data
from .sweep import LRSweep, lr_sweep

SCIENTIFIC = ("width", "depth", "weight_decay", "batch_size")


@dataclass
class Comparison:
    """One learning-rate sweep per value of a scientific hyperparameter."""

    param: str
    values: list
    fixed_lr: float
    sweeps: list  # one LRSweep per value

    def _score(self, sweep: LRSweep, lr: float | None = None) -> float:
        if lr is None:
            finite = [v for v in sweep.final_val_loss if math.isfinite(v)]
            return min(finite) if finite else math.inf
        return sweep.final_val_loss[sweep.lrs.index(lr)]

    @property
    def tuned(self) -> list[float]:
        """Best final validation loss of each value, its learning rate re-tuned (inf: all diverged)."""
        return [self._score(s) for s in self.sweeps]

    @property
    def naive(self) -> list[float]:
        """Final validation loss of each value at the one fixed rate (inf: diverged)."""
        return [self._score(s, self.fixed_lr) for s in self.sweeps]

    @property
    def best_lrs(self) -> list:
        return [s.best_lr for s in self.sweeps]

    @property
    def tuned_winner(self):
        return self.values[min(range(len(self.values)), key=lambda i: self.tuned[i])]

    @property
    def naive_winner(self):
        return self.values[min(range(len(self.values)), key=lambda i: self.naive[i])]


def compare_values(data: Data, param: str, values, *, lrs, fixed_lr: float | None = None,
                   seed: int = 0,
                   **settings) -> Comparison:
    """Sweep the learning rate over ``lrs`` for every value of ``param``; compare two ways.

    Args:
        param: the scientific hyperparameter, one of width, depth, weight_decay, batch_size.
        values: its values to compare (at least two).
        lrs: the learning rates to try for each value (the nuisance search).
        fixed_lr: the single rate of the naive comparison, one of ``lrs``; None (default) takes
            the rate that is best for the first value, the baseline: tuned once, then kept.
        seed: initial weights and minibatch order, the same for every run.
        settings: anything :func:`hplab.fit_many` takes (optimizer, epochs, depth, ...).

    Returns:
        A :class:`Comparison`: ``tuned`` (best with best) and ``naive`` (fixed rate) losses.
    """
    param = check.choice("param", param, SCIENTIFIC)
    values = list(values)
    if len(values) < 2:
        raise ValueError(f"values must hold at least two values of {param} to compare, got {values!r}")
    lrs = [float(lr) for lr in lrs]
    if fixed_lr is not None and check.positive("fixed_lr", fixed_lr) not in lrs:
        raise ValueError(f"fixed_lr must be one of lrs {lrs}, got {fixed_lr}")
    if param in settings:
        raise TypeError(f"{param} is the hyperparameter under study: pass its values in `values`")
    sweeps = [lr_sweep(data, lrs, seed=seed, **{**settings, param: value}) for value in values]
    if fixed_lr is None:
        fixed_lr = sweeps[0].best_lr if sweeps[0].best_lr is not None else lrs[0]
    return Comparison(param, values, fixed_lr, sweeps)



def isolation_plot(study: Comparison, ax=None, *, title: str | None = None):
    """Final validation loss against the learning rate, one line per value of the scientific
    hyperparameter: a star at each value's best rate (best with best), a circle at the fixed
    rate (the naive comparison), a dotted line through the fixed rate. Diverged runs are
    marked at the top edge."""
    from .plots import _style as style

    ax = style.new_axes() if ax is None else ax
    finite = [v for s in study.sweeps for v in s.final_val_loss if math.isfinite(v)]
    top = 1.15 * max(finite) if finite else 1.0
    for i, (value, sweep) in enumerate(zip(study.values, study.sweeps)):
        kw = style.series(i, len(study.values))
        losses = [v if math.isfinite(v) else top for v in sweep.final_val_loss]
        (line,) = ax.plot(sweep.lrs, losses, label=f"{study.param} {value}", **kw)
        style.track(ax, line, sweep.lrs, sweep.final_val_loss)
        if sweep.best_lr is not None:
            ax.plot([sweep.best_lr], [study.tuned[i]], marker="*", ms=16, color=kw["color"],
                    ls="none")
        ax.plot([study.fixed_lr], [min(study.naive[i], top)], marker="o", ms=10, mfc="none",
                mew=2, color=kw["color"], ls="none")
    ax.axvline(study.fixed_lr, color=style.GREY, ls=":", lw=1.5)
    ax.set_xscale("log")
    ax.set_ylim(0, top * 1.05)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final validation loss")
    ax.set_title(title if title is not None else
                 f"star: each {study.param} at its own best rate; circle: all at {study.fixed_lr:g}")
    return style.finish(ax, legend=True, loc="outside")
