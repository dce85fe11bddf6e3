"""The plain part of the dashboards: knob settings, one training run, its result, gradient health
and the presets that reproduce each symptom. Nothing here imports ipywidgets, so tests and lessons
can train exactly what a dashboard trains without a widget front end.

    >>> from hplab.playground import PRESETS, train_run     # doctest: +SKIP
    >>> train_run(PRESETS["divergence"].values).diagnosis.label   # doctest: +SKIP
    'diverged'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from . import _validate as check
from .data import DATASETS, Data, load_dataset
from .diagnose import Diagnosis, diagnose
from .models import mlp
from .train import EarlyStopping, History, evaluate, fit

N_SAMPLES = 1000      # generated sets: 600 train / 200 validation / 200 test
DATA_SEED = 0         # the data stay fixed; the ``seed`` knob moves initialisation and batch order

DEFAULTS = dict(
    dataset="moons", noise=0.2, label_noise=0.0, n_train=200,
    depth=2, width=32, activation="relu", dropout=0.0,
    optimizer="adam", lr=1e-2, momentum=0.9, beta1=0.9, beta2=0.999, weight_decay=0.0,
    batch_size=32, epochs=30, schedule="constant",
    patience=0, min_delta=0.0, restore_best=True, seed=0, seeds=1,
)
USES_MOMENTUM = ("momentum", "nesterov")
USES_BETAS = ("adam", "adamw")
POWERS_OF_TWO = tuple(2 ** i for i in range(11))  # 1 .. 1024
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


# ----------------------------------------------------------------------------- plain training


@dataclass
class Result:
    """One finished run: the knob values, what happened, the verdict, and the trained model."""

    config: dict
    history: History
    diagnosis: Diagnosis
    model: object
    data: Data
    val: dict = field(default_factory=dict)  # evaluate(model, data, "val") after training
    seconds: float = 0.0
    seed_runs: list = field(default_factory=list)  # with seeds > 1: one History per seed
    frames: object = None  # an hplab.frames.FrameRecorder with one snapshot per epoch, if asked


def check_config(config: dict) -> dict:
    """Fill missing knobs from :data:`DEFAULTS`; reject names that are not knobs."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of knob values, got {type(config).__name__}")
    for key in config:
        if key not in DEFAULTS:
            raise ValueError(f"knob {key!r} is unknown; choose one of: {', '.join(sorted(DEFAULTS))}")
    return {**DEFAULTS, **config}


def load_data(config: dict, cache: dict | None = None) -> Data:
    """The dataset a configuration asks for, cut down to ``n_train`` training examples."""
    key = (config["dataset"], config["noise"], config["label_noise"])
    if cache is None or key not in cache:
        name = check.choice("dataset", config["dataset"], DATASETS)
        data = load_dataset(name, n_samples=None if name in ("digits", "breast_cancer") else N_SAMPLES,
                            noise=config["noise"], label_noise=config["label_noise"], seed=DATA_SEED)
        if cache is not None:
            cache[key] = data
    data = cache[key] if cache is not None else data
    n = check.integer("n_train", config["n_train"], low=2, high=data.n_train)
    return data if n == data.n_train else data.subset(n, seed=DATA_SEED)


def train_run(config: dict | None = None, *, callbacks=(), track: bool = True,
              cache: dict | None = None, frames: bool = False) -> Result:
    """Train one configuration of knobs (missing ones come from :data:`DEFAULTS`).

    With ``frames=True`` and data a boundary or a curve can be drawn for (2-D classification,
    1-D regression), ``Result.frames`` keeps what the model predicted after every epoch
    (:class:`hplab.frames.FrameRecorder`), so the run can be replayed without training again.

    Example:
        >>> r = train_run({"lr": 10.0, "optimizer": "sgd"})  # doctest: +SKIP
        >>> r.diagnosis.label                                 # doctest: +SKIP
        'diverged'
    """
    c = check_config(config or {})
    start = time.perf_counter()
    data = load_data(c, cache)
    model = mlp(data.n_features, data.n_outputs, depth=c["depth"], width=c["width"],
                activation=c["activation"], dropout=c["dropout"], seed=c["seed"])
    patience = check.integer("patience", c["patience"], low=0)
    recorder = _recorder(data) if check.boolean("frames", frames) else None
    stopper = (EarlyStopping(patience=patience, min_delta=c["min_delta"],
                             restore_best_weights=c["restore_best"]) if patience else None)
    hist = fit(model, data, optimizer=c["optimizer"], lr=c["lr"], batch_size=c["batch_size"],
               epochs=c["epochs"],
               momentum=c["momentum"] if c["optimizer"] in USES_MOMENTUM else None,
               betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"],
               schedule=c["schedule"], early_stopping=stopper,
               callbacks=[*callbacks, *([recorder] if recorder else [])],
               track_gradients=track, track_dead_units=track, seed=c["seed"])
    val = evaluate(model, data, split="val")
    seed_runs = _seed_runs(c, data, stopper)
    return Result(c, hist, diagnose(hist), model, data, val, time.perf_counter() - start, seed_runs,
                  recorder)


def _recorder(data: Data):
    """A frame recorder for ``data``, or None where no boundary or curve can be drawn (digits)."""
    from .frames import FrameRecorder, frame_kind

    try:
        frame_kind(data)
    except ValueError:
        return None
    return FrameRecorder(data)


def _seed_runs(c: dict, data: Data, stopper) -> list:
    """The same configuration with ``seeds`` consecutive seeds, trained at once by fit_seeds."""
    k = check.integer("seeds", c["seeds"], low=1, high=20)
    if k == 1:
        return []
    from .sweep import fit_seeds

    return fit_seeds(data, seeds=range(c["seed"], c["seed"] + k), depth=c["depth"],
                     width=c["width"], activation=c["activation"], dropout=c["dropout"],
                     optimizer=c["optimizer"],
                     lr=c["lr"], batch_size=c["batch_size"], epochs=c["epochs"],
                     momentum=c["momentum"] if c["optimizer"] in USES_MOMENTUM else None,
                     betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"],
                     schedule=c["schedule"], early_stopping=stopper)


# ----------------------------------------------------------------------------- presets


def health(hist: History) -> dict:
    """Gradient health at the last epoch: the share of dead ReLU units, and how much smaller the
    first layer's gradient is than the last layer's (1 = same size; 1e-4 = vanishing)."""
    dead = hist.dead_fraction[-1] if hist.dead_fraction else math.nan
    ratio = math.nan
    if hist.grad_norms:
        g = hist.grad_norms[-1]
        ratio = g[0] / g[-1] if g[-1] > 0 and math.isfinite(g[0] / g[-1]) else math.nan
    return dict(dead_units=dead, gradient_ratio=ratio)


@dataclass(frozen=True)
class Preset:
    """One click that reproduces a symptom: knob values, and what they must produce.

    ``label`` is what :func:`hplab.diagnose` says about the run. Two symptoms have no label of
    their own and are read from :func:`health` instead: ``min_dead`` (share of dead ReLU units at
    least this) and ``max_gradient_ratio`` (first/last layer gradient at most this).
    """

    values: dict
    label: str
    story: str
    min_dead: float | None = None
    max_gradient_ratio: float | None = None

    def shows(self, result: Result) -> bool:
        """True when ``result`` really has this preset's symptom."""
        h = health(result.history)
        return (result.diagnosis.label == self.label
                and (self.min_dead is None or h["dead_units"] >= self.min_dead)
                and (self.max_gradient_ratio is None
                     or h["gradient_ratio"] <= self.max_gradient_ratio))


# The same settings, and so the same verdict, in the Playground and in the activation lab.
DYING_RELU = Preset(dict(activation="relu", optimizer="adam", lr=0.3, schedule="cosine", depth=4,
                         width=8, epochs=30, seed=1), "collapsed",
                    "Adam at 0.3 for the first epochs: most ReLU units die, and this network is "
                    "left giving the same answer to every input.", min_dead=0.5)

PRESETS = {
    "good": Preset({}, "good", "A sensible start: Adam, learning rate 0.01, two hidden layers."),
    "divergence": Preset(dict(optimizer="sgd", lr=10.0), "diverged",
                         "Plain SGD with a learning rate of 10: every step overshoots further."),
    "unstable": Preset(dict(optimizer="sgd", lr=5.0, depth=0), "unstable",
                       "A huge step on a simple model: the loss jumps up and down instead of "
                       "settling."),
    "slow": Preset(dict(optimizer="sgd", lr=3e-4), "slow",
                   "Plain SGD with tiny steps: after 30 epochs the loss is still creeping down."),
    "underfitting": Preset(dict(dataset="circles", depth=0), "underfitting",
                           "A straight-line model (no hidden layer) on rings it cannot separate."),
    "overfitting": Preset(dict(n_train=30, depth=3, width=64, epochs=60, batch_size=16),
                          "overfitting",
                          "A big network, only 30 examples, 60 epochs: it memorizes them."),
    "vanishing gradients": Preset(dict(activation="sigmoid", depth=8, optimizer="sgd", lr=0.1),
                                  "underfitting",
                                  "Eight sigmoid layers: the first layers get almost no gradient, "
                                  "so they barely learn.", max_gradient_ratio=1e-3),
    "dying ReLU": DYING_RELU,
}


# ----------------------------------------------------------------------------- other results


@dataclass
class PathResult:
    """One path on a loss surface: the knob values, the path, and what it did in words."""

    config: dict
    path: object  # an hplab.OptimizerPath
    diagnosis: Diagnosis
    seconds: float = 0.0


@dataclass
class StudyResult:
    """One playbook study: the knob values, the comparison, and its verdict in words."""

    config: dict
    study: object  # an hplab.playbook.Comparison
    diagnosis: Diagnosis
    seconds: float = 0.0
