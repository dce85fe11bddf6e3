"""Search spaces (Float, LogUniform, Uniform, Int, Choice), model factories, budget arithmetic."""

from __future__ import annotations

import importlib
import math

import numpy as np

from .. import _validate as check

MODEL_KEYS = ("depth", "width", "activation", "dropout")  # what a space may set: mlp(...)
FIT_KEYS = ("optimizer", "lr", "batch_size", "momentum", "weight_decay", "schedule")  # fit(...)


# ----------------------------------------------------------------------------- your own model


def factory_name(factory) -> str | None:
    """The "package.module:function" name a worker imports ``factory`` by, or None when that
    name would not give this same function back (defined in a notebook, a lambda, a closure)."""
    if isinstance(factory, str):
        return factory
    module, qualname = getattr(factory, "__module__", None), getattr(factory, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        return None
    try:
        found = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError):
        return None
    return f"{module}:{qualname}" if found is factory else None


def resolve_factory(model):
    """``model=`` as given to search: a function ``(params, data) -> nn.Module`` or its
    "package.module:function" name. Returns the function."""
    if callable(model) and not isinstance(model, str):
        return model
    if not isinstance(model, str) or model.count(":") != 1 or not all(model.split(":")):
        raise TypeError(f"model must be a function (params, data) -> nn.Module or its name "
                        f"'package.module:function', got {model!r}")
    module, name = model.split(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"model {model!r} cannot be imported ({type(err).__name__}: {err}); the "
                         f"file defining {name} must be importable as {module} here, e.g. a .py "
                         f"file in the working directory or an installed package") from None
    if not callable(found):
        raise TypeError(f"model {model!r} names a {type(found).__name__}, not a function")
    return found


def build_model(factory, params: dict, data, seed: int):
    """``factory(params, data)`` with PyTorch's generator seeded by ``seed`` (the initial
    weights), the global random state left as it was; checks an ``nn.Module`` came back."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = factory(dict(params), data)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model factory {getattr(factory, '__name__', factory)!r} must return an "
                        f"nn.Module, got {type(model).__name__}")
    return model


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
