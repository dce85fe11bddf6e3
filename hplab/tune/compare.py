"""Is an effect real, or seed noise? Comparisons the workflow lessons make.

``compare_seeds``: the best configurations of a search, retrained over several seeds. A search
trains every candidate once, with one seed; two configurations whose scores differ by less than
the seed-to-seed spread are not told apart by it. ``compare_seeds`` trains each configuration
once per seed (one vectorized run each, with :func:`hplab.fit_seeds`) and compares
the mean scores against the standard error of their difference.

    >>> from hplab import tune
    >>> top2 = tune.top_configs(result, 2)                      # doctest: +SKIP
    >>> print(tune.compare_seeds(data, top2, seeds=range(8)))   # doctest: +SKIP

``compare_pbt``: one population trained by population-based training with and without
exploitation, from the same starting members.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..data import Data
from ..sweep import fit_seeds
from .results import SearchResult
from .space import FIT_KEYS, MODEL_KEYS


def top_configs(result: SearchResult, k: int = 2) -> list[dict]:
    """The ``k`` trained trials with the lowest validation loss, best first, as full configs.

    Each dict holds the searched values and the search's fixed settings: all that is needed to
    train that configuration again.
    """
    if not isinstance(result, SearchResult):
        raise TypeError(f"result must be a SearchResult, got {type(result).__name__}")
    k = check.integer("k", k, low=1)
    table = result.trials
    trained = table[table["status"].isin(["completed", "early_stopped"])]
    if len(trained) < k:
        raise ValueError(f"k must be at most the number of trained trials ({len(trained)}), "
                         f"got {k}")
    best = trained.nsmallest(k, "val_loss")[list(result.space)].to_dict("records")
    return [dict(config, **result.fixed) for config in best]


@dataclass
class SeedComparison:
    """Configurations each trained once per seed; the first is the one to beat.

    ``histories`` maps a short name ("#1 ...", "#2 ...") to one History per seed, in the order of
    ``seeds``; ``scores`` holds the best validation loss of every run, one row per configuration.
    """

    configs: list
    seeds: list
    histories: dict

    @property
    def scores(self) -> np.ndarray:
        """Best validation loss of each run: shape (configurations, seeds)."""
        return np.array([[h.best_val_loss for h in runs] for runs in self.histories.values()])

    @property
    def gap(self) -> float:
        """Mean score of the second configuration minus the first's (> 0: the first is ahead)."""
        first, second = self.scores[:2]
        return float(second.mean() - first.mean())

    @property
    def standard_error(self) -> float:
        """Standard error of ``gap``: how much the difference of two means varies by seed."""
        first, second = self.scores[:2]
        return math.sqrt(first.var(ddof=1) / len(first) + second.var(ddof=1) / len(second))

    @property
    def z(self) -> float:
        """``gap`` in standard errors; above 2 or so it is unlikely to be seed noise."""
        return self.gap / self.standard_error

    @property
    def overlap(self) -> bool:
        """True when the second's luckiest seed beats the first's unluckiest one."""
        first, second = self.scores[:2]
        return bool(second.min() < first.max())

    def groups(self, size: int) -> list[SeedComparison]:
        """The same runs cut into consecutive groups of ``size`` seeds (for checks over seeds)."""
        size = check.integer("size", size, low=2, high=len(self.seeds))
        return [SeedComparison(self.configs, self.seeds[i:i + size],
                               {n: runs[i:i + size] for n, runs in self.histories.items()})
                for i in range(0, len(self.seeds) - size + 1, size)]

    def __str__(self):
        lines = [f"{name}: best val loss {s.mean():.3f} ± {s.std(ddof=1):.3f} "
                 f"(seeds range from {s.min():.3f} to {s.max():.3f})"
                 for name, s in zip(self.histories, self.scores)]
        lines.append(f"gap of the means {self.gap:.3f} = {self.z:.1f} standard errors "
                     f"({self.standard_error:.3f}); the second's best seed "
                     f"{'beats' if self.overlap else 'does not beat'} the first's worst")
        return "\n".join(lines)


def _names(configs) -> list[str]:
    """"#1 activation relu, width 117, ...": only the settings that differ between configs."""
    keys = [k for k in configs[0] if any(c.get(k) != configs[0][k] for c in configs)]
    return [f"#{rank} " + ", ".join(f"{k} {c[k]:.3g}" if isinstance(c[k], float) else f"{k} {c[k]}"
                                    for k in keys)
            for rank, c in enumerate(configs, start=1)]


def compare_seeds(data: Data, configs, *, seeds=range(8), epochs: int = 10) -> SeedComparison:
    """Train each configuration once per seed (one vectorized run per configuration).

    Args:
        data: the Data bundle the search used.
        configs: at least two dicts of ``mlp``/``fit`` settings, the one to beat first
            (see :func:`top_configs`).
        seeds: the seeds; each sets a run's initial weights and minibatch order.
        epochs: training epochs per run.
    """
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle, got {type(data).__name__}")
    if not isinstance(configs, (list, tuple)) or len(configs) < 2:
        raise ValueError(f"configs must be a list of at least two dicts, got {configs!r}")
    allowed = set(MODEL_KEYS + FIT_KEYS) - {"seed", "data_seed", "epochs"}
    for i, config in enumerate(configs):
        if not isinstance(config, dict):
            raise TypeError(f"configs[{i}] must be a dict, got {type(config).__name__}")
        unknown = set(config) - allowed
        if unknown:
            raise ValueError(f"configs[{i}] has unknown key(s) {sorted(unknown)}; choose from: "
                             f"{', '.join(sorted(allowed))}")
    epochs = check.integer("epochs", epochs, low=1)
    seeds = [check.seed(s, "seeds") for s in seeds]
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must hold at least two different seeds, got {seeds!r}")
    histories = {name: fit_seeds(data, seeds=seeds, epochs=epochs, **config)
                 for name, config in zip(_names(configs), configs)}
    return SeedComparison([dict(c) for c in configs], seeds, histories)


# ----------------------------------------------------------------------------- PBT, with and without


def compare_pbt(data: Data, **settings) -> dict:
    """The same population trained twice by :func:`hplab.pbt`: with exploitation and without.

    Both runs start from the same members (same learning rates, same seeds) and cost the same
    epochs, so the difference is what copying and perturbing bought. Returns
    ``{"PBT": result, "no exploit": result}``; ``settings`` are :func:`hplab.pbt`'s.
    """
    from ..sweep import pbt

    if "exploit" in settings:
        raise TypeError("compare_pbt runs both exploit=True and exploit=False; do not pass exploit")
    return {"PBT": pbt(data, **settings), "no exploit": pbt(data, exploit=False, **settings)}


def final_losses(result) -> np.ndarray:
    """The last validation loss of every member of a :func:`hplab.pbt` result."""
    return np.array([h.val_loss[-1] for h in result.histories])


def pbt_table(runs: dict):
    """Per run: the median and worst final validation loss of its members, and its exploit steps."""
    import pandas as pd

    return pd.DataFrame({name: {"median final val loss": float(np.median(final_losses(r))),
                                "worst final val loss": float(final_losses(r).max()),
                                "exploit steps": len(r.events)}
                         for name, r in runs.items()}).T.round(3)
