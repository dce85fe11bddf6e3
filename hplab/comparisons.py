"""Settings compared the fair way: over several seeds, with the same data and budget.

One run shows one draw of the initial weights and the minibatch order. These helpers run a
comparison once per seed, so a lesson can show the spread and a test can count on how many
seeds an effect holds.

    >>> data = hplab.load_dataset("spirals", n_samples=600, seed=0)     # doctest: +SKIP
    >>> race = optimizer_race(data, {"sgd": 0.3, "adam": 0.01})          # doctest: +SKIP
    >>> spread([h.train_loss[-1] for h in race["adam"]])                 # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from . import _validate as check
from .data import Data
from .models import mlp
from .sweep import _seed_list, fit_seeds
from .train import OPTIMIZERS, History, fit, loss_fn, torch_threads

LESSON_SEEDS = (0, 1, 2, 3, 4, 5)


class Spread(NamedTuple):
    """Median, lowest and highest of a handful of numbers (one per seed)."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"median {self.median:.3g} (from {self.low:.3g} to {self.high:.3g})"


def spread(values) -> Spread:
    """The median and range of ``values``, e.g. one final loss per seed."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("values must hold at least one number, got none")
    return Spread(float(np.median(values)), float(values.min()), float(values.max()))


def optimizer_race(data: Data, rates: dict, *, seeds=LESSON_SEEDS, epochs: int = 30,
                   depth: int = 2, width: int = 32, weight_decay: dict | None = None) -> dict:
    """Each optimizer at its own rate, trained once per seed: ``{name: [History, ...]}``.

    Args:
        rates: ``{optimizer name: learning rate}``, e.g. ``{"sgd": 0.3, "adam": 0.01}``.
        seeds: one run per seed (initial weights and minibatch order).
        weight_decay: ``{optimizer name: weight decay}`` for the ones that use it.

    Example:
        >>> race = optimizer_race(data, {"sgd": 0.3, "adam": 0.01}, seeds=[0, 1])  # doctest: +SKIP
        >>> len(race["adam"])                                                     # doctest: +SKIP
        2
    """
    if not isinstance(rates, dict) or not rates:
        raise TypeError(f"rates must be a non-empty dict optimizer -> lr, got {rates!r}")
    decay = dict(weight_decay or {})
    for name in list(rates) + list(decay):
        check.choice("optimizer", name, OPTIMIZERS)
    return {name: fit_seeds(data, seeds, optimizer=name, lr=lr, epochs=epochs, depth=depth,
                            width=width, weight_decay=decay.get(name, 0.0))
            for name, lr in rates.items()}


def minibatch_jumps(hist: History) -> float:
    """Average size of the jump between consecutive minibatch losses: how noisy the steps are."""
    if not isinstance(hist, History) or len(hist.batch_loss) < 2:
        raise ValueError("hist must be a History with at least two minibatch losses")
    return float(np.abs(np.diff(hist.batch_loss)).mean())


def gradient_noise(model, data: Data, batch_sizes, *, draws: int = 200, seed: int = 0) -> dict:
    """How far a minibatch gradient lands from the full-data gradient, per batch size.

    For each batch size, ``draws`` minibatches are drawn without replacement (as an epoch
    would), and the root-mean-square distance between their gradient and the gradient over the
    whole training split is returned: ``{batch_size: noise}``. The model is not changed.

    Example:
        >>> noise = gradient_noise(mlp(2, 2), data, [8, 32])   # doctest: +SKIP
        >>> noise[8] / noise[32]                                # about 2 = sqrt(32 / 8)
    """
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle, got {type(data).__name__}")
    n = data.n_train
    sizes = [check.integer("batch_sizes", b, low=1, high=n) for b in batch_sizes]
    draws = check.integer("draws", draws, low=2, high=100_000)
    gen = torch.Generator().manual_seed(check.seed(seed))
    params = [p for p in model.parameters() if p.requires_grad]
    criterion = loss_fn(data.task)
    X, y = data.train.X, data.train.y

    def grad(idx):
        loss = criterion(model(X[idx]), y[idx])
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

    noise = {}
    with torch_threads(1):  # as fit: one thread is fastest for the course's small networks
        full = grad(torch.arange(n))
        for b in sizes:
            sq = [float(((grad(torch.randperm(n, generator=gen)[:b]) - full) ** 2).sum())
                  for _ in range(draws)]
            noise[b] = math.sqrt(sum(sq) / draws)
    return noise


def rough_start(data: Data, activation: str, *, seeds=LESSON_SEEDS, lr: float = 0.3,
                depth: int = 4, width: int = 8, epochs: int = 30) -> list:
    """A small network started with Adam at a far too high rate that a cosine schedule lowers.

    Returns one ``(model, History)`` pair per seed, with the share of dead ReLU units tracked
    every epoch: the scenario in which ReLU units die and leaky ReLU units do not.
    """
    runs = []
    for s in _seed_list(seeds):
        model = mlp(data.n_features, data.n_outputs, depth=depth, width=width,
                    activation=activation, seed=s)
        hist = fit(model, data, optimizer="adam", lr=lr, schedule="cosine", epochs=epochs,
                   track_dead_units=True, seed=s)
        runs.append((model, hist))
    return runs
