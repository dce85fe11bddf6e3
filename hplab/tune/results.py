"""What a search found (SearchResult), its health check, and the final test evaluation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..data import Data
from ..models import mlp
from ..plots import _style
from ..train import evaluate, fit
from ._draw import plot_axes
from .space import FIT_KEYS, MODEL_KEYS, build_model, resolve_factory

# a trial's state when it recorded no outcome (a study made with Optuna directly)
_STATUS = {"COMPLETE": "completed", "PRUNED": "pruned", "RUNNING": "running", "WAITING": "waiting",
           "FAIL": "failed"}


def _outcome(trial) -> dict:
    """What a finished trial recorded about itself (empty while it runs)."""
    return trial.user_attrs.get("outcome", {})


class SearchResult:
    """What a search found: ``trials`` table, ``best_params``, plots and the Optuna ``study``.

    It also wraps a study you ran with Optuna yourself: ``SearchResult(study, space,
    method="tpe", epochs=10)``; trials then take their status from Optuna's trial state.
    ``model`` is the factory the search trained (None: the course's MLP).
    """

    def __init__(self, study, space, *, method, epochs, fixed=None, pruner=None, model=None):
        self.study = study
        self.space = space
        self.method = method
        self.epochs = epochs
        self.fixed = dict(fixed or {})
        self.pruner = pruner
        self.model = model

    def _rows(self):
        rows = []
        for t in self.study.get_trials(deepcopy=False):
            state = t.state.name
            out = _outcome(t)
            status = out.get("status", _STATUS.get(state, "failed"))
            if state == "PRUNED":
                status = "pruned"
            reported = [v for v in t.intermediate_values.values() if math.isfinite(v)]
            score = (t.value if state == "COMPLETE"
                     else min(reported) if state == "PRUNED" and reported else math.nan)
            config = out.get("config", dict(t.params, **self.fixed))
            rows.append(dict(number=t.number, **{k: config.get(k) for k in self.space},
                             val_loss=score, val_metric=out.get("val_metric", math.nan),
                             epochs=out.get("epochs", len(t.intermediate_values)),
                             best_epoch=out.get("best_epoch", _best_step(t)), status=status,
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
                "worker"]  # best_epoch: see best_epoch
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
    def best_epoch(self) -> int | None:
        """The epoch at which the best trial's validation loss was lowest (None if unknown)."""
        best = self._best_row()["best_epoch"]
        return None if best is None or best != best else int(best)

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
        ax = _style.axes(ax)
        xs, best = self.best_so_far(x)
        scores = self.trials.query("status not in ['running', 'failed']")["val_loss"]
        if x == "trials":  # Optuna's trial numbers, 0 first, as in the trials table
            xs = scores.index.to_numpy()
        style.setdefault("color", _style.COLORS[len(ax.get_lines()) % len(_style.COLORS)])
        line, = ax.step(xs, best, where="post", label=style.pop("label", self.method), **style)
        ax.scatter(xs, scores, s=14, color=line.get_color(), alpha=0.35, label="each trial")
        ax.set(xlabel="trial number (0 first, as in the trials table)" if x == "trials"
               else "epochs spent (all trials)", ylabel="best validation loss so far")
        _style.log_axis(ax, "y")
        return _style.finish(ax, legend=True)

    def plot_axes(self, names=None, axes=None):
        """Each hyperparameter against validation loss; diverged trials marked. Returns Axes."""
        return plot_axes(self, names=names, axes=axes)

    def __repr__(self):
        counts = self.trials["status"].value_counts().to_dict()
        return (f"SearchResult(method={self.method!r}, trials={len(self.study.trials)} "
                f"{counts}, epochs_spent={self.epochs_spent})")


def _best_step(trial):
    """The step of a trial's lowest reported value (Optuna studies without an outcome)."""
    steps = {s: v for s, v in trial.intermediate_values.items() if math.isfinite(v)}
    return min(steps, key=steps.get) if steps else None


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


def refit_epochs(best_epoch: int, n_train: int, n_refit: int, batch_size: int) -> int:
    """Epochs on the larger refit split that take as many optimizer steps as ``best_epoch``
    epochs took on the training split: best_epoch x ceil(n_train / b) / ceil(n_refit / b),
    rounded, at least 1. No validation split is left to stop on, so the step count is what
    carries over from the search (the learning rate's schedule, if any, spans these epochs)."""
    steps = best_epoch * math.ceil(n_train / batch_size)
    return max(1, round(steps / math.ceil(n_refit / batch_size)))


def final_evaluation(data: Data, config, *, epochs: int | None = None, refit_on: str = "train_val",
                     model=None, seed: int = 0) -> FinalEvaluation:
    """Retrain the chosen configuration and score it once on the sealed test split.

    Args:
        data: the same Data bundle the search used.
        config: a dict of hyperparameters, or a :class:`SearchResult` (its ``best_config``).
        epochs: training epochs. Default with a SearchResult: the winner's best epoch (its
            trial was scored there), converted to the same number of optimizer steps on the
            refit split (:func:`refit_epochs`: train+val holds more minibatches per epoch, so
            fewer epochs); with a dict: 20.
        refit_on: "train_val" (train and validation joined; the usual last step) or "train".
        model: your factory ``(params, data) -> nn.Module`` or its "package.module:function"
            name (default: the SearchResult's, else the course's MLP).
        seed: initial weights and minibatch order.
    """
    best_epoch = None
    if isinstance(config, SearchResult):
        model = config.model if model is None else model
        best_epoch = config.best_epoch or config.epochs
        config = config.best_config
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle, got {type(data).__name__}")
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict or a SearchResult, got {type(config).__name__}")
    factory = None if model is None else resolve_factory(model)
    unknown = set(config) - set(MODEL_KEYS + FIT_KEYS)
    if unknown and factory is None:
        raise ValueError(f"config key(s) {sorted(unknown)} are unknown to the course's MLP; "
                         f"choose from: {', '.join(sorted(MODEL_KEYS + FIT_KEYS))}, or pass "
                         f"model=your_factory, the function the search built its models with")
    refit_on = check.choice("refit_on", refit_on, ("train_val", "train"))
    split = data.train_val() if refit_on == "train_val" else data.train
    if epochs is None and best_epoch is not None:
        epochs = refit_epochs(best_epoch, data.n_train, len(split.y),
                              min(config.get("batch_size", 32), data.n_train))
    epochs = check.integer("epochs", 20 if epochs is None else epochs, low=1)
    fit_kw = {k: config[k] for k in FIT_KEYS if k in config}
    if factory is None:
        net = mlp(data.n_features, data.n_outputs, seed=seed,
                  **{k: config[k] for k in MODEL_KEYS if k in config})
    else:
        net = build_model(factory, config, data, seed)
    hist = fit(net, data, epochs=epochs, train_split=split if refit_on == "train_val" else None,
               seed=seed, **fit_kw)
    scores = evaluate(net, data, split="test")  # the one counted look at the test split
    return FinalEvaluation(dict(config), scores["loss"], scores["metric"], hist.metric_name,
                           data.test_reads, refit_on, net, hist)
