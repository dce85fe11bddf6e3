"""Search spaces and search methods, on top of Optuna.

Describe what may vary, pick a method, and ``search`` trains one configuration per trial with
:func:`hplab.fit` on the training split, scoring it on the validation split only. The test split
is left sealed until :func:`final_evaluation`.

    >>> from hplab import tune
    >>> space = {"lr": tune.LogUniform(1e-4, 1.0), "depth": tune.Int(1, 3),
    ...          "activation": tune.Choice(["relu", "tanh"])}
    >>> result = tune.search(data, space, method="tpe", n_trials=20, epochs=15)  # doctest: +SKIP
    >>> result.best_params, result.trials.head()                                  # doctest: +SKIP

Methods: ``manual`` (your own list of configurations), ``grid``, ``random``, ``qmc``
(quasi-random Sobol points), ``tpe`` and ``gp`` (Bayesian), ``hyperband`` and ``halving``
(random configurations, poor ones stopped early by Optuna's pruners). Pass
``storage="sqlite:///study.db"`` to keep a study on disk: it survives a kernel restart or a killed
process, and several processes (or machines, with a shared database) can add trials to it.

This is the only hplab module that imports optuna, and it does so inside functions, so
``import hplab`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
import os
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as check
from .data import Data, load_dataset
from .models import mlp
from .train import Callback, evaluate, fit

METHODS = ("manual", "grid", "random", "qmc", "tpe", "gp", "hyperband", "halving")
PRUNERS = ("hyperband", "halving")
MODEL_KEYS = ("depth", "width", "activation", "dropout")
FIT_KEYS = ("optimizer", "lr", "batch_size", "momentum", "weight_decay", "schedule")
_FINISHED = ("COMPLETE", "PRUNED")
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # which process ran a trial (shared studies)

# ----------------------------------------------------------------------------- search spaces


class Dimension:
    """One hyperparameter's range. Subclasses: Float, LogUniform, Int, Choice."""

    def suggest(self, trial, name):
        raise NotImplementedError

    def grid(self, k: int) -> list:
        raise NotImplementedError

    def contains(self, value) -> bool:
        raise NotImplementedError

    def position(self, value) -> float | None:
        """Where ``value`` sits in the range, 0 (low edge) .. 1 (high edge); None for choices."""
        return None

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, **self.__dict__}


class Float(Dimension):
    """A real number in [low, high], sampled on a log scale when ``log=True``."""

    def __init__(self, low: float, high: float, *, log: bool = False):
        kind = type(self).__name__
        self.low = check.number(f"{kind} low", low)
        self.high = check.number(f"{kind} high", high)
        self.log = check.boolean(f"{kind} log", log)
        if not self.low < self.high:
            raise ValueError(f"{kind}: low must be < high, got low={low!r}, high={high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"{kind}: a log range needs low > 0, got low={low!r}")

    def _scale(self, x):
        return np.log(x) if self.log else np.asarray(x, dtype=float)

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def grid(self, k):
        space = np.geomspace if self.log else np.linspace
        return [float(v) for v in space(self.low, self.high, k)]

    def contains(self, value):
        return (not isinstance(value, (bool, str)) and isinstance(value, (int, float))
                and self.low <= value <= self.high)

    def position(self, value):
        lo, hi = self._scale(self.low), self._scale(self.high)
        return float((self._scale(value) - lo) / (hi - lo))

    def __repr__(self):
        log = ", log=True" if self.log and type(self) is Float else ""
        return f"{type(self).__name__}({self.low:g}, {self.high:g}{log})"


class Uniform(Float):
    """A real number spread evenly over [low, high] (dropout, momentum)."""

    def __init__(self, low: float, high: float):
        super().__init__(low, high, log=False)

    def to_dict(self):
        return {"type": "Uniform", "low": self.low, "high": self.high}


class LogUniform(Float):
    """A positive number spread evenly over orders of magnitude (learning rate, weight decay)."""

    def __init__(self, low: float, high: float):
        super().__init__(low, high, log=True)

    def to_dict(self):
        return {"type": "LogUniform", "low": self.low, "high": self.high}


class Int(Float):
    """A whole number in [low, high] (depth, width), on a log scale when ``log=True``."""

    def __init__(self, low: int, high: int, *, log: bool = False):
        super().__init__(check.integer("Int low", low), check.integer("Int high", high), log=log)
        self.low, self.high = int(self.low), int(self.high)

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def grid(self, k):
        return sorted({round(v) for v in super().grid(k)})

    def contains(self, value):
        return (not isinstance(value, bool) and isinstance(value, (int, np.integer))
                and self.low <= value <= self.high)

    def __repr__(self):
        return f"Int({self.low}, {self.high}{', log=True' if self.log else ''})"


class Choice(Dimension):
    """One of a few listed options (activation, optimizer, batch size)."""

    def __init__(self, options):
        if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
            raise TypeError(f"Choice: options must be a list, got {type(options).__name__} "
                            f"{options!r}")
        options = [o.item() if isinstance(o, np.generic) else o for o in options]
        if not options:
            raise ValueError("Choice: options must not be empty, got []")
        if len(set(map(repr, options))) != len(options):
            raise ValueError(f"Choice: options must be distinct, got {options!r}")
        for o in options:
            if not isinstance(o, (str, int, float, bool)) or o is None:
                raise TypeError(f"Choice: each option must be a str, int, float or bool, "
                                f"got {type(o).__name__} {o!r}")
        self.options = list(options)

    def suggest(self, trial, name):
        return trial.suggest_categorical(name, self.options)

    def grid(self, k):
        return list(self.options)

    def contains(self, value):
        return any(type(value) is type(o) and value == o for o in self.options)

    def __repr__(self):
        return f"Choice({self.options!r})"


_DIMENSIONS = {"Float": Float, "Uniform": Uniform, "LogUniform": LogUniform, "Int": Int,
               "Choice": Choice}


def check_space(space, allowed=None) -> dict:
    """Validate a search space (a dict name -> Dimension) and return it as a plain dict.

    ``allowed`` lists the names the model and training loop understand; others are rejected.
    """
    if not isinstance(space, dict):
        raise TypeError(f"space must be a dict of name -> tune.Float/LogUniform/Int/Choice, "
                        f"got {type(space).__name__}")
    if not space:
        raise ValueError("space must name at least one hyperparameter, got {}")
    for name, dim in space.items():
        if not isinstance(name, str):
            raise TypeError(f"space keys must be strings, got {type(name).__name__} {name!r}")
        if not isinstance(dim, Dimension):
            raise ValueError(f"space[{name!r}] has unknown type {type(dim).__name__} ({dim!r}); "
                             f"use one of: {', '.join(_DIMENSIONS)}")
        if allowed is not None and name not in allowed:
            raise ValueError(f"space key {name!r} is unknown; choose from: "
                             f"{', '.join(sorted(allowed))}")
    return dict(space)


def space_to_dict(space: dict) -> dict:
    """A JSON-ready description of a space (stored with every saved study)."""
    return {name: dim.to_dict() for name, dim in check_space(space).items()}


def space_from_dict(spec: dict) -> dict:
    """Rebuild a space from :func:`space_to_dict` output."""
    space = {}
    for name, d in spec.items():
        d = dict(d)
        kind = d.pop("type")
        if kind not in _DIMENSIONS:
            raise ValueError(f"space[{name!r}] has unknown type {kind!r}; use one of: "
                             f"{', '.join(_DIMENSIONS)}")
        space[name] = _DIMENSIONS[kind](**d)
    return space


def grid_of(space: dict, grid_points=3) -> dict:
    """The grid a grid search walks: each name -> list of values (``grid_points`` per range)."""
    space = check_space(space)
    if isinstance(grid_points, dict):
        unknown = set(grid_points) - set(space)
        if unknown:
            raise ValueError(f"grid_points names {sorted(unknown)} that are not in the space")
        points = {n: grid_points.get(n, 3) for n in space}
    else:
        points = dict.fromkeys(space, grid_points)
    return {n: dim.grid(check.integer(f"grid_points[{n!r}]", points[n], low=2, high=100))
            for n, dim in space.items()}


# ----------------------------------------------------------------------------- budgets


def grid_cost(points_per_axis: int, n_hyperparameters: int) -> int:
    """Trials a full grid needs: k values on each of d axes gives k**d."""
    k = check.integer("points_per_axis", points_per_axis, low=1)
    d = check.integer("n_hyperparameters", n_hyperparameters, low=0)
    return k ** d


def random_hit_chance(n_trials: int, top: float = 0.05) -> float:
    """Chance that at least one of ``n_trials`` random trials lands in the best ``top`` share."""
    n = check.integer("n_trials", n_trials, low=0)
    top = check.number("top", top, low=0, high=1, low_open=True)
    return 1.0 - (1.0 - top) ** n


def trials_needed(chance: float = 0.95, top: float = 0.05) -> int:
    """Fewest random trials that land in the best ``top`` share with probability ``chance``."""
    chance = check.number("chance", chance, low=0, high=1, low_open=True, high_open=True)
    top = check.number("top", top, low=0, high=1, low_open=True, high_open=True)
    return math.ceil(math.log(1 - chance) / math.log(1 - top))


def budget(points_per_axis: int = 3, n_hyperparameters: int = 4, n_trials: int = 30,
           top: float = 0.05) -> dict:
    """The budget arithmetic of lesson 09 in one dict.

    ``grid_trials``: a full grid (k values on each of d axes, k**d); ``random_hit_chance``: the
    chance that ``n_trials`` random trials put at least one in the best ``top`` share;
    ``random_trials_for_95``: random trials for a 95% chance of that.
    """
    return {"grid_trials": grid_cost(points_per_axis, n_hyperparameters),
            "random_hit_chance": random_hit_chance(n_trials, top),
            "random_trials_for_95": trials_needed(0.95, top)}


def budget_table(points_per_axis=(2, 3, 5, 10), n_hyperparameters=range(1, 7)):
    """Trials a full grid costs, for each number of values per axis and of hyperparameters."""
    import pandas as pd

    ks = [check.integer("points_per_axis", k, low=1) for k in points_per_axis]
    ds = [check.integer("n_hyperparameters", d, low=1) for d in n_hyperparameters]
    return pd.DataFrame([[grid_cost(k, d) for k in ks] for d in ds],
                        index=pd.Index(ds, name="hyperparameters"),
                        columns=pd.Index(ks, name="values per axis"))


# ----------------------------------------------------------------------------- lookup tables


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
    return LookupTable(Path(__file__).with_name("data") / "race_table.npz")


# ----------------------------------------------------------------------------- objectives


class _Report(Callback):
    """Reports validation loss to the Optuna trial after every epoch; stops a pruned run."""

    def __init__(self, trial, prune, epochs):
        self.trial, self.prune, self.epochs, self.pruned = trial, prune, epochs, False

    def on_epoch_end(self, trainer, epoch, logs):
        if math.isfinite(logs["val_loss"]):
            self.trial.report(logs["val_loss"], epoch)
        if self.prune and epoch < self.epochs and self.trial.should_prune():
            self.pruned = True
            trainer.stop = True


def _train_trial(data: Data, config: dict, trial, epochs: int, seed: int, prune: bool) -> dict:
    """Train one configuration with hplab.fit; return what the trial table records."""
    model_kw = {k: config[k] for k in MODEL_KEYS if k in config}
    fit_kw = {k: config[k] for k in FIT_KEYS if k in config}
    model = mlp(data.n_features, data.n_outputs, seed=seed, **model_kw)
    report = _Report(trial, prune, epochs)
    hist = fit(model, data, epochs=epochs, callbacks=[report], seed=seed, **fit_kw)
    status = "pruned" if report.pruned else hist.status
    best = hist.best_epoch
    return dict(status=status, epochs=hist.epochs_run, seconds=float(sum(hist.seconds)),
                val_loss=hist.best_val_loss if best else math.inf,
                val_metric=hist.val_metric[best - 1] if best else math.nan,
                initial_val_loss=hist.initial["val_loss"])


def _lookup_trial(table: LookupTable, config: dict, trial, epochs: int, prune: bool) -> dict:
    """Read one configuration's curve from a LookupTable, reporting it epoch by epoch."""
    idx = table.index(config)
    curve, acc = table.val_loss[idx][:epochs], table.val_accuracy[idx][:epochs]
    status, used = "completed", epochs
    for epoch, value in enumerate(curve, start=1):
        if not math.isfinite(value):
            status, used = "diverged", epoch
            break
        trial.report(float(value), epoch)
        if prune and epoch < epochs and trial.should_prune():
            status, used = "pruned", epoch
            break
    seen = curve[:used][np.isfinite(curve[:used])]
    best = int(np.argmin(seen)) if len(seen) else None
    return dict(status=status, epochs=used, seconds=float(table.seconds_per_epoch[idx] * used),
                val_loss=float(seen[best]) if best is not None else math.inf,
                val_metric=float(acc[best]) if best is not None else math.nan,
                initial_val_loss=float(table.initial_val_loss[idx]))


def _objective(source, space, fixed, epochs, seed, prune):
    import optuna

    def objective(trial):
        trial.set_user_attr("worker", WORKER)  # first, so a killed trial still names its process
        config = {name: dim.suggest(trial, name) for name, dim in space.items()}
        config.update(fixed)
        if isinstance(source, LookupTable):
            config = source.snap(config)
            out = _lookup_trial(source, config, trial, epochs, prune)
        else:
            out = _train_trial(source, config, trial, epochs, seed, prune)
        diverged = out["status"] == "diverged" or not math.isfinite(out["val_loss"])
        # one write for the outcome: every database write is a transaction, and they add up
        trial.set_user_attr("outcome", {
            "config": config, "epochs": out["epochs"],
            "status": "diverged" if diverged else out["status"],
            "seconds": out["seconds"], "val_metric": out["val_metric"]})
        if out["status"] == "pruned":
            raise optuna.TrialPruned()
        if diverged:
            # a blown-up run scores as badly as the untrained network: no better than not training
            return out["initial_val_loss"]
        return out["val_loss"]

    return objective


# ----------------------------------------------------------------------------- the search


def _storage(storage):
    """An Optuna storage from a URL, a journal file path (``*.log``), or a storage object."""
    if storage is None or not isinstance(storage, (str, Path)):
        return storage
    return _storage_from_text(str(storage))


@functools.lru_cache(maxsize=16)
def _storage_from_text(text: str):
    """One storage object per URL and process: opening a database costs a second or more."""
    import optuna

    if text.startswith("journal:") or text.endswith((".log", ".jsonl")):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(text.removeprefix("journal:")))
    if "://" not in text:
        raise ValueError(f"storage must be a database URL such as 'sqlite:///study.db' or "
                         f"'postgresql://user@host/db', or a journal file ending in .log; "
                         f"got {text!r}")
    engine_kwargs = None
    if text.startswith("sqlite:///") and ":memory:" not in text:
        path = text.removeprefix("sqlite:///").split("?")[0]
        engine_kwargs = {"creator": functools.partial(_sqlite_connection, path)}
    return optuna.storages.RDBStorage(text, engine_kwargs=engine_kwargs)


def _sqlite_connection(path: str):
    """An SQLite connection in WAL mode: readers never block the writer, and a commit does not
    wait for the disk (a killed process loses nothing; only a power cut could lose the last
    trials)."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _sampler(method, space, seed, grid_points, n_startup_trials):
    import optuna.samplers as s

    if method == "grid":
        return s.GridSampler(grid_of(space, grid_points), seed=seed)
    if method == "qmc":
        return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed,
                            warn_independent_sampling=False, warn_asynchronous_seeding=False)
    if method == "tpe":
        return s.TPESampler(seed=seed, n_startup_trials=n_startup_trials)
    if method == "gp":
        return s.GPSampler(seed=seed, n_startup_trials=n_startup_trials,
                           warn_independent_sampling=False)
    return s.RandomSampler(seed=seed)  # random, manual (after the list), hyperband, halving


def _pruner(name, epochs, min_epochs, reduction_factor):
    import optuna.pruners as p

    if name == "hyperband":
        return p.HyperbandPruner(min_resource=min_epochs, max_resource=epochs,
                                 reduction_factor=reduction_factor)
    if name == "halving":
        return p.SuccessiveHalvingPruner(min_resource=min_epochs,
                                         reduction_factor=reduction_factor)
    return p.NopPruner()


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's per-trial log lines and experimental-feature warnings, off for the duration."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)


def _source_recipe(source) -> dict:
    if isinstance(source, LookupTable):
        return {"lookup": source.path}
    return {"dataset": dict(source.params)}


def _source_from_recipe(recipe: dict):
    if "lookup" in recipe:
        return LookupTable(recipe["lookup"])
    params = dict(recipe["dataset"])
    subset, subset_seed = params.pop("subset", None), params.pop("subset_seed", 0)
    data = load_dataset(params.pop("name"), **params)
    return data.subset(subset, seed=subset_seed) if subset else data


def _check_configs(configs, space):
    if not isinstance(configs, (list, tuple)) or not configs:
        raise ValueError(f"configs must be a non-empty list of dicts for method 'manual', "
                         f"got {configs!r}")
    for i, config in enumerate(configs):
        if not isinstance(config, dict) or set(config) != set(space):
            raise ValueError(f"configs[{i}] must give exactly {sorted(space)}, got {config!r}")
        for name, value in config.items():
            if not space[name].contains(value):
                raise ValueError(f"configs[{i}][{name!r}] = {value!r} is outside its range "
                                 f"{space[name]!r}")
    return list(configs)


class _EpochBudget:
    """Study callback: stop once the finished trials have used ``budget`` epochs in total."""

    def __init__(self, budget):
        self.budget = budget

    def __call__(self, study, trial):
        if _spent(study) >= self.budget:
            study.stop()


class _Progress:
    """Study callback: a tqdm.auto bar, one tick per finished trial."""

    def __init__(self, total, method):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=f"{method} search", unit="trial")

    def __call__(self, study, trial):
        self.bar.update(1)
        best = [t.value for t in study.get_trials(deepcopy=False)
                if t.value is not None and t.state.name == "COMPLETE"]
        if best:
            self.bar.set_postfix(best_val_loss=f"{min(best):.4g}")


def search(data, space: dict, *, method: str = "random", n_trials: int | None = None,
           epochs: int = 20, seed: int = 0, storage=None, study_name: str | None = None,
           fixed: dict | None = None, configs=None, grid_points=3, pruner: str | None = None,
           min_epochs: int = 1, reduction_factor: int = 3, n_startup_trials: int = 10,
           epoch_budget: int | None = None, progress: bool = False) -> SearchResult:
    """Search ``space`` with one of Optuna's methods; every trial trains on train, scores on val.

    Args:
        data: a :class:`~hplab.Data` bundle, or a :class:`LookupTable` of precomputed curves.
        space: name -> Float / LogUniform / Uniform / Int / Choice. Names are ``mlp`` and ``fit``
            arguments: depth, width, activation, dropout, optimizer, lr, batch_size, momentum,
            weight_decay, schedule (or the table's names).
        method: manual, grid, random, qmc, tpe, gp, hyperband or halving.
        n_trials: how many finished trials the study should hold (with a storage, trials saved
            earlier count, so re-running the same call finishes an interrupted study). ``None``
            means the whole grid or list (grid, manual), "until ``epoch_budget`` is spent" when
            that is set, and 20 otherwise.
        epochs: training epochs per trial (the most a pruned method gives one trial).
        seed: seeds the sampler, the network's initial weights and the minibatch order.
        storage: None (in memory), "sqlite:///study.db", any Optuna RDB URL, a journal file
            "study.log", or an Optuna storage object. The study is created or resumed.
        study_name: the study's name inside the storage (default "hplab").
        fixed: settings every trial shares, e.g. ``{"optimizer": "sgd", "batch_size": 64}``.
        configs: for ``manual``, the list of configurations to try, in order.
        grid_points: values per continuous range for ``grid`` (an int, or a dict per name).
        pruner: add "hyperband" or "halving" early stopping to any sampler (``tpe`` + hyperband
            is close to BOHB).
        min_epochs, reduction_factor: the pruners' smallest budget and how harshly each rung
            cuts (keep 1 in ``reduction_factor``).
        n_startup_trials: random trials ``tpe`` and ``gp`` run before their model takes over.
        epoch_budget: stop once finished trials have trained this many epochs in total.
        progress: show a tqdm progress bar.

    Returns:
        A :class:`SearchResult` (trial table, best_params, plots, the Optuna ``study``).
    """
    import optuna

    method = check.choice("method", method, METHODS)
    if pruner is not None:
        pruner = check.choice("pruner", pruner, PRUNERS)
    if method in PRUNERS:
        pruner = method
    table = isinstance(data, LookupTable)
    if not table and not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset) or a "
                        f"tune.LookupTable, got {type(data).__name__}")
    allowed = tuple(data.levels) if table else MODEL_KEYS + FIT_KEYS
    space = check_space(space, allowed)
    fixed = dict(fixed or {})
    for name in fixed:
        if name not in allowed:
            raise ValueError(f"fixed key {name!r} is unknown; choose from: "
                             f"{', '.join(sorted(allowed))}")
    overlap = set(fixed) & set(space)
    if overlap:
        raise ValueError(f"fixed and space both set {sorted(overlap)}; a name goes in one only")
    epochs = check.integer("epochs", epochs, low=1, high=data.epochs if table else 100_000)
    seed = check.seed(seed)
    min_epochs = check.integer("min_epochs", min_epochs, low=1, high=epochs)
    reduction_factor = check.integer("reduction_factor", reduction_factor, low=2)
    n_startup_trials = check.integer("n_startup_trials", n_startup_trials, low=1)
    check.boolean("progress", progress)
    if epoch_budget is not None:
        epoch_budget = check.integer("epoch_budget", epoch_budget, low=1)
    if method == "manual":
        configs = _check_configs(configs, space)
    elif configs is not None:
        raise ValueError(f"configs is only used by method 'manual', got method {method!r}")
    full = (math.prod(len(v) for v in grid_of(space, grid_points).values())
            if method == "grid" else len(configs) if method == "manual" else None)
    if n_trials is None:
        n_trials = full or (10**9 if epoch_budget is not None else 20)
    n_trials = check.integer("n_trials", n_trials, low=1, high=full if method == "manual" else None)

    recipe = dict(method=method, space=space_to_dict(space), fixed=fixed, epochs=epochs,
                  pruner=pruner, min_epochs=min_epochs, reduction_factor=reduction_factor,
                  grid_points=grid_points, n_startup_trials=n_startup_trials,
                  configs=configs, source=_source_recipe(data))
    with _quiet_optuna():
        study = _open_study(storage, study_name, recipe)
        done = _count(study, _FINISHED)
        # a resumed random-style sampler must not replay the draws it made before the restart,
        # and two workers must not share a stream: mix the seed with the trials already there
        offset = 0 if method in ("qmc", "grid") else len(study.trials)
        mixed = seed if offset == 0 else int(
            np.random.SeedSequence([seed, offset]).generate_state(1)[0])
        study.sampler = _sampler(method, space, mixed, grid_points, n_startup_trials)
        study.pruner = _pruner(pruner, epochs, min_epochs, reduction_factor)
        if method == "manual":
            for config in configs:
                study.enqueue_trial(config, skip_if_exists=True)
        callbacks = [optuna.study.MaxTrialsCallback(n_trials, states=_states(_FINISHED))]
        if epoch_budget is not None:
            callbacks.append(_EpochBudget(epoch_budget))
        remaining = n_trials - done
        if progress and remaining > 0:
            callbacks.append(_Progress(remaining, method))
        if remaining > 0 and (epoch_budget is None or _spent(study) < epoch_budget):
            study.optimize(_objective(data, space, fixed, epochs, seed, pruner is not None),
                           n_trials=remaining, callbacks=callbacks)
        if progress and remaining > 0:
            callbacks[-1].bar.close()
    return SearchResult(study, space, method=method, epochs=epochs, fixed=fixed,
                        pruner=pruner)


def _states(names):
    import optuna

    return tuple(optuna.trial.TrialState[n] for n in names)


def _count(study, names) -> int:
    return len(study.get_trials(deepcopy=False, states=_states(names)))


def _spent(study) -> int:
    return sum(_outcome(t).get("epochs", 0) for t in study.get_trials(deepcopy=False))


def _outcome(trial) -> dict:
    """What a finished trial recorded about itself (empty while it runs)."""
    return trial.user_attrs.get("outcome", {})


def _open_study(storage, study_name, recipe):
    """Create the study, or resume it after checking it was made with the same recipe."""
    import optuna

    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name must be a string, got {type(study_name).__name__}")
    study = optuna.create_study(storage=_storage(storage), study_name=study_name or "hplab",
                                direction="minimize", load_if_exists=True)
    saved = study.user_attrs.get("hplab")
    if saved is None:
        study.set_user_attr("hplab", json.loads(json.dumps(recipe)))
    elif _same_recipe(saved, recipe) is False:
        raise ValueError(f"study {study.study_name!r} in this storage was made with a different "
                         f"space or settings ({saved['method']}, {saved['space']}); pick another "
                         f"study_name or use join() to add trials to it")
    return study


def _same_recipe(saved, recipe):
    keys = ("space", "fixed", "epochs", "source")
    return all(saved.get(k) == json.loads(json.dumps(recipe[k])) for k in keys)


def join(storage, study_name: str = "hplab", *, n_trials: int | None = None,
         seed: int | None = None, progress: bool = False) -> SearchResult:
    """Add trials to a saved study, rebuilding its data, space and method from the storage.

    This is how a second process, or a second machine sharing the database, helps: each worker
    runs ``join`` (best with its own ``seed``) until the study holds ``n_trials`` finished trials
    (default: one more than it holds now).

        python -m hplab.tune join sqlite:///study.db --study-name digits --seed 1
    """
    import optuna

    with _quiet_optuna():
        study = optuna.load_study(study_name=study_name, storage=_storage(storage))
    recipe = study.user_attrs.get("hplab")
    if recipe is None:
        raise ValueError(f"study {study_name!r} was not made by hplab.tune.search; "
                         f"nothing tells join which data and space to use")
    return search(_source_from_recipe(recipe["source"]), space_from_dict(recipe["space"]),
                  method=recipe["method"], n_trials=n_trials or len(study.trials) + 1,
                  epochs=recipe["epochs"], seed=0 if seed is None else seed, storage=storage,
                  study_name=study_name, fixed=recipe["fixed"], configs=recipe["configs"],
                  grid_points=recipe["grid_points"], pruner=recipe["pruner"],
                  min_epochs=recipe["min_epochs"], reduction_factor=recipe["reduction_factor"],
                  n_startup_trials=recipe["n_startup_trials"], progress=progress)


def load(storage, study_name: str = "hplab") -> SearchResult:
    """Open a saved study for reading: its trial table, best parameters and plots."""
    import optuna

    with _quiet_optuna():
        study = optuna.load_study(study_name=study_name, storage=_storage(storage))
    recipe = study.user_attrs.get("hplab")
    if recipe is None:
        raise ValueError(f"study {study_name!r} was not made by hplab.tune.search")
    return SearchResult(study, space_from_dict(recipe["space"]), method=recipe["method"],
                        epochs=recipe["epochs"], fixed=recipe["fixed"], pruner=recipe["pruner"])


def start_worker(storage, study_name: str = "hplab", *, n_trials: int | None = None,
                 seed: int = 0):
    """Start ``python -m hplab.tune join ...`` as a separate process; returns the Popen.

    The process adds trials to the saved study until it holds ``n_trials``; kill it at any time
    (``worker.kill()`` sends SIGKILL) and the completed trials stay in the storage.
    """
    import subprocess
    import sys

    if storage is None or not isinstance(storage, (str, Path)):
        raise TypeError(f"storage must be a URL or journal file path, got {storage!r}")
    cmd = [sys.executable, "-m", "hplab.tune", "join", str(storage), "--study-name", study_name,
           "--seed", str(check.seed(seed))]
    if n_trials is not None:
        cmd += ["--n-trials", str(check.integer("n_trials", n_trials, low=1))]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_workers(storage, study_name: str = "hplab", *, n_workers: int = 2,
                n_trials: int | None = None, timeout: float = 300) -> list[dict]:
    """Run ``n_workers`` processes (seeds 1, 2, ...) on one saved study and wait for them all.

    Returns one report per worker: the trial numbers it ran (``run_here``) and the study size.
    """
    n_workers = check.integer("n_workers", n_workers, low=1, high=64)
    workers = [start_worker(storage, study_name, n_trials=n_trials, seed=i + 1)
               for i in range(n_workers)]
    return [worker_report(w, timeout=timeout) for w in workers]


def worker_report(worker, *, timeout: float = 300) -> dict:
    """Wait for a worker from :func:`start_worker`; return its report.

    A worker that finished reports ``run_here`` (its trial numbers) and ``trials_in_study``;
    a killed one reports ``{"killed_by_signal": n}``.
    """
    out, err = worker.communicate(timeout=timeout)
    if worker.returncode < 0:
        return {"killed_by_signal": -worker.returncode}
    if worker.returncode != 0:
        raise RuntimeError(f"a worker failed (exit code {worker.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def wait_for_trials(storage, study_name: str = "hplab", n: int = 1, *,
                    timeout: float = 120) -> int:
    """Wait until the saved study holds ``n`` completed trials; return how many it holds."""
    import optuna

    n = check.integer("n", n, low=1)
    deadline = time.monotonic() + check.positive("timeout", timeout)
    done, study = 0, None
    while time.monotonic() < deadline:
        with _quiet_optuna(), contextlib.suppress(KeyError):  # KeyError: not created yet
            study = study or optuna.load_study(study_name=study_name, storage=_storage(storage))
            done = _count(study, ("COMPLETE",))
            if done >= n:
                return done
        time.sleep(0.5)
    raise TimeoutError(f"the study {study_name!r} held {done} completed trials after "
                       f"{timeout:g} s, fewer than the {n} awaited")


# ----------------------------------------------------------------------------- results


class SearchResult:
    """What a search found: ``trials`` table, ``best_params``, plots and the Optuna ``study``."""

    def __init__(self, study, space, *, method, epochs, fixed=None, pruner=None):
        self.study = study
        self.space = space
        self.method = method
        self.epochs = epochs
        self.fixed = dict(fixed or {})
        self.pruner = pruner

    def _rows(self):
        rows = []
        for t in self.study.get_trials(deepcopy=False):
            state = t.state.name
            out = _outcome(t)
            status = out.get("status", "running" if state == "RUNNING" else "failed")
            if state == "PRUNED":
                status = "pruned"
            reported = [v for v in t.intermediate_values.values() if math.isfinite(v)]
            score = (t.value if state == "COMPLETE"
                     else min(reported) if state == "PRUNED" and reported else math.nan)
            config = out.get("config", dict(t.params, **self.fixed))
            rows.append(dict(number=t.number, **{k: config.get(k) for k in self.space},
                             val_loss=score, val_metric=out.get("val_metric", math.nan),
                             epochs=out.get("epochs", 0), status=status,
                             seconds=out.get("seconds", math.nan),
                             worker=t.user_attrs.get("worker", "")))
        return rows

    @property
    def trials(self):
        """One row per trial: parameters, val_loss, val_metric, epochs, status, seconds, worker.

        ``worker`` is "host:process id" of the process that ran the trial.
        """
        import pandas as pd

        cols = ["number", *self.space, "val_loss", "val_metric", "epochs", "status", "seconds",
                "worker"]
        return pd.DataFrame(self._rows(), columns=cols).set_index("number")

    def _best_row(self):
        rows = [r for r in self._rows() if r["status"] in ("completed", "early_stopped")
                and math.isfinite(r["val_loss"])]
        if not rows:
            raise ValueError("no trial has finished training yet, so there is no best one")
        return min(rows, key=lambda r: r["val_loss"])

    @property
    def best_params(self) -> dict:
        """The searched hyperparameters of the trial with the lowest validation loss."""
        row = self._best_row()
        return {k: row[k] for k in self.space}

    @property
    def best_config(self) -> dict:
        """``best_params`` plus the fixed settings: everything needed to train it again."""
        return dict(self.best_params, **self.fixed)

    @property
    def best_value(self) -> float:
        return self._best_row()["val_loss"]

    @property
    def epochs_spent(self) -> int:
        return int(sum(r["epochs"] for r in self._rows()))

    def best_so_far(self, x: str = "trials"):
        """Lowest validation loss seen so far after each trial: ``(x_values, best)`` arrays.

        ``x="trials"`` counts trials; ``x="epochs"`` counts training epochs spent, which is the
        fair clock when some methods stop poor trials early.
        """
        x = check.choice("x", x, ("trials", "epochs"))
        rows = [r for r in self._rows() if r["status"] not in ("running", "failed")]
        scores = np.array([r["val_loss"] for r in rows], dtype=float)
        scores = np.where(np.isfinite(scores), scores, np.inf)
        best = np.minimum.accumulate(scores) if len(scores) else scores
        if x == "trials":
            return np.arange(1, len(rows) + 1), best
        return np.cumsum([r["epochs"] for r in rows]), best

    def health_check(self, edge: float = 0.15) -> list[str]:
        """Warnings, in words, about the search space itself (an empty list means none).

        Fires when the best value of a range sits within ``edge`` (a share of the range) of
        either end, so the real optimum may lie outside, and when most trials diverged.
        """
        return health_check(self, edge=edge)

    def plot_best_so_far(self, x: str = "trials", ax=None, **style):
        """Best validation loss so far against trials (or epochs spent). Returns the Axes."""
        ax = _axes(ax)
        xs, best = self.best_so_far(x)
        line, = ax.step(xs, best, where="post", label=style.pop("label", self.method), **style)
        scores = self.trials.query("status not in ['running', 'failed']")["val_loss"]
        ax.scatter(xs, scores, s=14, color=line.get_color(), alpha=0.35, label="each trial")
        ax.set(xlabel="trials" if x == "trials" else "epochs spent (all trials)",
               ylabel="best validation loss so far")
        _log_y(ax)
        ax.legend(fontsize=8)
        return ax

    def plot_axes(self, names=None, axes=None):
        """Each hyperparameter against validation loss; diverged trials marked. Returns Axes."""
        return plot_axes(self, names=names, axes=axes)

    def __repr__(self):
        counts = self.trials["status"].value_counts().to_dict()
        return (f"SearchResult(method={self.method!r}, trials={len(self.study.trials)} "
                f"{counts}, epochs_spent={self.epochs_spent})")


def health_check(result: SearchResult, edge: float = 0.15) -> list[str]:
    """Warnings about the search space of ``result``; see :meth:`SearchResult.health_check`."""
    edge = check.number("edge", edge, low=0, high=0.5, high_open=True)
    notes = []
    table = result.trials
    finished = table[~table["status"].isin(["running", "failed"])]
    diverged = int((finished["status"] == "diverged").sum())
    if len(finished) and diverged / len(finished) > 0.5:
        notes.append(f"{diverged} of {len(finished)} trials diverged: the ranges reach into "
                     f"values that blow training up (often a learning rate too high); "
                     f"narrow them before spending more trials.")
    try:
        best = result.best_params
    except ValueError:
        return notes
    for name, dim in result.space.items():
        pos = dim.position(best[name])
        if pos is None:
            continue
        side = "lower" if pos <= edge else "upper" if pos >= 1 - edge else None
        if side:
            notes.append(f"The best {name} ({best[name]:.3g}) sits at the {side} edge of its "
                         f"range [{dim.low:g}, {dim.high:g}]: the optimum may lie outside it. "
                         f"Widen the range {'down' if side == 'lower' else 'up'}ward and "
                         f"search again.")
    return notes


# ----------------------------------------------------------------------------- final evaluation


@dataclass
class FinalEvaluation:
    """The one look at the test split: its loss and metric, and how many looks there were."""

    config: dict
    test_loss: float
    test_metric: float
    metric_name: str
    test_reads: int
    refit_on: str
    model: object = None
    history: object = None

    @property
    def peeked(self) -> bool:
        """True when the test split was read before this evaluation."""
        return self.test_reads > 1

    def __str__(self):
        text = (f"test loss {self.test_loss:.4f}, test {self.metric_name} {self.test_metric:.4f} "
                f"(refit on {self.refit_on}); the test split has been read {self.test_reads} "
                f"time{'s' if self.test_reads != 1 else ''}")
        if self.peeked:
            text += (" -- it was looked at before the end, so this score is no longer an "
                     "unbiased estimate")
        return text


def final_evaluation(data: Data, config, *, epochs: int | None = None, refit_on: str = "train_val",
                     seed: int = 0) -> FinalEvaluation:
    """Retrain the chosen configuration and score it once on the sealed test split.

    Args:
        data: the same Data bundle the search used.
        config: a dict of hyperparameters, or a :class:`SearchResult` (its ``best_config``).
        epochs: training epochs (default: the search's epochs, else 20).
        refit_on: "train_val" (train and validation joined; the usual last step) or "train".
        seed: initial weights and minibatch order.
    """
    if isinstance(config, SearchResult):
        epochs = config.epochs if epochs is None else epochs
        config = config.best_config
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle, got {type(data).__name__}")
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict or a SearchResult, got {type(config).__name__}")
    unknown = set(config) - set(MODEL_KEYS + FIT_KEYS)
    if unknown:
        raise ValueError(f"config key(s) {sorted(unknown)} are unknown; choose from: "
                         f"{', '.join(sorted(MODEL_KEYS + FIT_KEYS))}")
    epochs = check.integer("epochs", 20 if epochs is None else epochs, low=1)
    refit_on = check.choice("refit_on", refit_on, ("train_val", "train"))
    model = mlp(data.n_features, data.n_outputs, seed=seed,
                **{k: config[k] for k in MODEL_KEYS if k in config})
    split = data.train_val() if refit_on == "train_val" else None
    hist = fit(model, data, epochs=epochs, train_split=split, seed=seed,
               **{k: config[k] for k in FIT_KEYS if k in config})
    scores = evaluate(model, data, split="test")  # the one counted look at the test split
    return FinalEvaluation(dict(config), scores["loss"], scores["metric"], hist.metric_name,
                           data.test_reads, refit_on, model, hist)


# ----------------------------------------------------------------------------- races


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
        ax = _axes(ax)
        for method in self.results:
            grid, curves = self.curves(method, x)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns at the start
                mid = np.nanmedian(curves, axis=0)
                lo, hi = np.nanquantile(curves, quantiles, axis=0)
            line, = ax.plot(grid, mid, label=method)
            ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set(xlabel="trials" if x == "trials" else "epochs spent (all trials)",
               ylabel="best validation loss so far")
        _log_y(ax)
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


# ----------------------------------------------------------------------------- plots


def _log_y(ax):
    """A log y axis labelled with plain numbers (0.2, 0.5, 1, 2) instead of powers of ten."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 3.8))
    return ax


def plot_axes(result: SearchResult, names=None, axes=None):
    """Score against each hyperparameter, one panel each (an "axis plot").

    Trials that diverged are drawn as red crosses along the top, pruned ones as hollow circles,
    the best trial as a star. A best value pressed against a panel's edge means the range is too
    narrow. Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    names = list(result.space) if names is None else list(names)
    for n in names:
        if n not in result.space:
            raise ValueError(f"names: {n!r} is not in the space; choose from: "
                             f"{', '.join(result.space)}")
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), sharey=True,
                               squeeze=False)
        axes = axes[0]
    table = result.trials
    done = table[table["status"].isin(["completed", "early_stopped"])]
    pruned = table[table["status"] == "pruned"]
    diverged = table[table["status"] == "diverged"]
    finite = table["val_loss"][np.isfinite(table["val_loss"])]
    top = finite.max() if len(finite) else 1.0
    best = result.best_params if len(done) else None
    for ax, name in zip(axes, names):
        dim = result.space[name]
        pos = _positioner(dim, ax)
        ax.scatter(pos(done[name]), done["val_loss"], s=22, alpha=0.75, label="trained")
        if len(pruned):
            ax.scatter(pos(pruned[name]), pruned["val_loss"], s=22, facecolors="none",
                       edgecolors="grey", label="pruned (score when stopped)")
        if len(diverged):
            ax.scatter(pos(diverged[name]), [top * 1.1] * len(diverged), marker="x",
                       color="crimson", label="diverged")
        if best is not None:
            ax.scatter(pos([best[name]]), [result.best_value], marker="*", s=160,
                       color="gold", edgecolors="black", zorder=3, label="best")
        ax.set_xlabel(name)
    axes[0].set_ylabel("validation loss")
    _log_y(axes[0])
    axes[0].legend(fontsize=7)
    return axes


def _positioner(dim, ax):
    """A function placing values of ``dim`` on ``ax`` (categories at 0, 1, 2 ...)."""
    if isinstance(dim, Choice):
        labels = [str(o) for o in dim.options]
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        return lambda values: [labels.index(str(v)) for v in values]
    from matplotlib.ticker import MaxNLocator, NullFormatter, ScalarFormatter

    if dim.log:
        ax.set_xscale("log")
        if isinstance(dim, Int):  # plain numbers at a few grid values, not 2x10^1
            ax.set_xticks(dim.grid(4))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
    elif isinstance(dim, Int):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(dim.low / 1.3 if dim.log else dim.low - 0.05 * (dim.high - dim.low),
                dim.high * 1.3 if dim.log else dim.high + 0.05 * (dim.high - dim.low))
    return lambda values: list(values)


# ----------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    """``python -m hplab.tune join STORAGE --study-name NAME [--n-trials N] [--seed S]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hplab.tune",
                                     description="Add trials to a saved hplab study.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("join", help="work on a saved study until it holds --n-trials trials")
    p.add_argument("storage", help="e.g. sqlite:///study.db or study.log")
    p.add_argument("--study-name", default="hplab")
    p.add_argument("--n-trials", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = join(args.storage, args.study_name, n_trials=args.n_trials, seed=args.seed)
    mine = [t.number for t in result.study.get_trials(deepcopy=False)
            if t.user_attrs.get("worker") == WORKER]
    print(json.dumps({"study": args.study_name, "trials_in_study": len(result.study.trials),
                      "run_here": mine}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
