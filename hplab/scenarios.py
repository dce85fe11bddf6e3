"""The runs lessons 02 and 03 show, defined once so that a lesson and its tests run the same thing.

A lesson calls these with its own seed; the tests call them with other seeds as well, to check
that what the lesson says about a run is not one lucky draw.

    >>> from hplab import scenarios
    >>> data = scenarios.moons(seed=0)                              # doctest: +SKIP
    >>> runs = scenarios.lr_runs(data, [1e-3, 0.1, 10.0], seed=0)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from . import _validate as check
from .data import Data, load_dataset
from .lr_finder import LRRangeTest, lr_range_test
from .models import mlp
from .sweep import LRSweep, lr_sweep
from .train import SCHEDULES, History, fit

# ----------------------------------------------------------------------------- lesson 02

NET = dict(depth=2, width=32)   # lesson 02's network: two hidden layers of 32 ReLU units
EPOCHS = 20                     # ... trained with plain SGD, batches of 32, for 20 epochs
SWEEP_LRS = np.logspace(-3, 1.5, 24)


def moons(seed: int = 0) -> Data:
    """Lesson 02's data: the two moons, 300 training / 100 validation / 100 test examples."""
    return load_dataset("moons", seed=check.seed(seed))


def net(data: Data, seed: int = 0):
    """A fresh copy of lesson 02's network; the same ``seed`` gives the same starting weights."""
    return mlp(data.n_features, data.n_outputs, **NET, seed=seed)


def lr_runs(data: Data, rates, *, seed: int = 0, schedule: str = "constant") -> dict:
    """Lesson 02: the same network (same starting weights, same minibatch order) trained with
    plain SGD once per rate. Returns a dict rate -> :class:`~hplab.History`.

    Each run is ``fit(net(data, seed), data, optimizer="sgd", lr=rate, epochs=20, seed=seed)``.
    """
    rates = [check.positive("rates", r) for r in rates]
    if not rates:
        raise ValueError("rates must hold at least one learning rate, got none")
    return {r: fit(net(data, seed), data, optimizer="sgd", lr=r, epochs=EPOCHS,
                   schedule=schedule, seed=seed) for r in rates}


def schedule_runs(data: Data, names=SCHEDULES[:6], *, lr: float = 1.0, seed: int = 0) -> dict:
    """Lesson 02: the same network trained at base rate ``lr`` under each schedule.
    Returns a dict schedule name -> :class:`~hplab.History`."""
    return {name: lr_runs(data, [lr], seed=seed, schedule=check.choice("names", name, SCHEDULES))[lr]
            for name in names}


def late_rises(hist: History, epochs: int = 5, key: str = "val_loss") -> float:
    """How much a run still jumps at the end: the sum of the epoch-to-epoch rises of ``key``
    over its last ``epochs`` epochs (0 for a curve that only falls or stays flat there)."""
    check.integer("epochs", epochs, low=1)
    values = np.asarray(getattr(hist, check.choice("key", key, ("train_loss", "val_loss"))))
    steps = np.diff(values[-epochs - 1:])
    return float(np.clip(steps, 0, None).sum()) if np.isfinite(steps).all() else float("inf")


def range_test(data: Data, seed: int = 0) -> LRRangeTest:
    """Lesson 02's range test: plain SGD from 1e-5 to 10 over at most 100 minibatches."""
    return lr_range_test(net(data, seed), data, optimizer="sgd", start_lr=1e-5, end_lr=10,
                         seed=seed)


def sweep(data: Data, seed: int = 0, lrs=SWEEP_LRS) -> LRSweep:
    """Lesson 02's sweep: one copy of the network per rate, all trained at once."""
    return lr_sweep(data, lrs, optimizer="sgd", epochs=EPOCHS, seed=seed, **NET)


def sweep_shape(sweep: LRSweep) -> dict:
    """What lesson 02 says its sweep shows, as named facts (each True when it holds): every rate
    from the first that diverged upwards diverged too, more than 5x above the best rate; rates
    a tenth of the best or less end over 1.3x the best's loss; rates between the best and the
    first diverged one still bounce at the end (training loss rising over 0.2 in the last
    epochs), more than any rate below a third of the best."""
    final = dict(zip(sweep.lrs, sweep.final_val_loss))
    diverged = [lr for lr, h in zip(sweep.lrs, sweep.histories) if h.diverged]
    if not diverged:
        return {"some rates diverged": False}
    ups = {lr: late_rises(h, EPOCHS, "train_loss") for lr, h in zip(sweep.lrs, sweep.histories)}
    right = [u for lr, u in ups.items() if sweep.best_lr < lr < min(diverged)] or [0.0]
    calm = [u for lr, u in ups.items() if lr < sweep.best_lr / 3] or [0.0]
    return {
        "some rates diverged": True,
        "divergence starts over 5x the best rate": min(diverged) > 5 * sweep.best_lr,
        "every higher rate diverged too": all(h.diverged for lr, h in zip(sweep.lrs, sweep.histories)
                                              if lr >= min(diverged)),
        "a tenth of the best ends over 1.3x its loss": min(
            v for lr, v in final.items() if lr <= sweep.best_lr / 10) > 1.3 * final[sweep.best_lr],
        "rates right of the best bounce": min(right) > 0.2,
        "rates far left of the best bounce less": max(calm) < min(right),
    }


# ----------------------------------------------------------------------------- lesson 03
# Knob values for hplab.widgets.train_run / compare_configs (the dashboards' runs).

CAPACITY_BASE = dict(dataset="spirals", epochs=40)
CAPACITY_SIZES = {"no hidden layer": dict(depth=0), "1 x 4": dict(depth=1, width=4),
                  "2 x 32": dict(depth=2, width=32), "3 x 128": dict(depth=3, width=128)}
# brakes on CapacityLab's preset "too big for the data" (a big network on 30 noisy examples)
BRAKES = {"no brake": {}, "dropout 0.5": dict(dropout=0.5), "L2 penalty 0.1": dict(weight_decay=0.1)}
