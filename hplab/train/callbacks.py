"""Callbacks for ``fit`` (Keras' names and events) and the rules a run stops by.

The rules are public pieces that every training loop of the course shares:
:class:`BestTracker` (best value, best epoch, patience) under :class:`EarlyStopping`, and
:class:`DivergenceRule` (when a loss has blown up). A callback reacts to three events and stops
training by setting ``trainer.stop = True``; each resets its state in ``on_train_begin``, so one
instance can serve several runs.

    >>> tracker = BestTracker(mode="min", patience=2)
    >>> [tracker.update(v, epoch=e) for e, v in enumerate([1.0, 0.5, 0.7, 0.6], start=1)]
    [True, True, False, False]
    >>> tracker.best_epoch, tracker.exhausted
    (2, True)
"""

from __future__ import annotations

import copy
import math
import os

import torch

from .. import _validate as check

MONITORS = ("val_loss", "val_metric", "train_loss", "train_metric")
# A single minibatch is noisy: with one example per batch a healthy run can see one loss 100x its
# starting value. So one minibatch counts as a blow-up only past this many times fit's
# ``divergence_factor`` (1000x the starting loss by default); NaN/inf counts at once.
BATCH_DIVERGENCE_SLACK = 100


# ----------------------------------------------------------------------------- the rules


class DivergenceRule:
    """When a run counts as diverged: ``fit``'s rule, shared with ``fit_many``.

    A minibatch loss blows up when it is NaN/inf or over ``factor * BATCH_DIVERGENCE_SLACK``
    times the starting training loss; an epoch when its training loss is NaN/inf or over
    ``factor`` times it (starting losses below 1e-3 count as 1e-3).

        >>> rule = DivergenceRule(start=2.0, factor=10.0)
        >>> rule.batch_blown(1e4), rule.batch_blown(float("nan")), rule.batch_blown(3.0)
        (False, True, False)
    """

    def __init__(self, start: float, factor: float = 10.0):
        self.start = float(start)
        self.factor = check.number("divergence_factor", factor, low=1, low_open=True)
        self.epoch_limit = factor * max(self.start, 1e-3) if math.isfinite(self.start) else math.inf
        self.batch_limit = self.epoch_limit * BATCH_DIVERGENCE_SLACK

    def batch_blown(self, loss: float) -> bool:
        """True when one minibatch loss counts as a blow-up."""
        return not math.isfinite(loss) or loss > self.batch_limit

    def reason(self, blown, train_loss: float, epoch: int) -> str:
        """Why the run counts as diverged after ``epoch`` ("" if it does not).

        ``blown`` is (step, loss) of a minibatch whose loss blew up in this epoch, or None.
        """
        start, factor = self.start, self.factor
        if blown is not None:
            step, value = blown
            return (f"minibatch loss {value:.3g} at step {step} (epoch {epoch}) is "
                    + ("not a number" if not math.isfinite(value) else
                       f"over {factor * BATCH_DIVERGENCE_SLACK:g}x the starting loss {start:.3g}"))
        if not math.isfinite(train_loss) or train_loss > factor * max(start, 1e-3):
            return (f"training loss {train_loss:.3g} at epoch {epoch} is "
                    + ("not a number" if not math.isfinite(train_loss) else
                       f"over {factor:g}x the starting loss {start:.3g}"))
        return ""


def divergence_reason(blown, train_loss: float, epoch: int, start: float, factor: float) -> str:
    """:meth:`DivergenceRule.reason` in one call: why a run counts as diverged after ``epoch``."""
    return DivergenceRule(start, factor).reason(blown, train_loss, epoch)


def best_epoch(values, epochs) -> int | None:
    """The epoch with the lowest finite value (the first one on ties), or None if none is finite.

        >>> best_epoch([0.9, 0.4, float("nan"), 0.4], [1, 2, 3, 4])
        2
    """
    finite = [(v, e) for v, e in zip(values, epochs) if math.isfinite(v)]
    return min(finite)[1] if finite else None


class BestTracker:
    """The best value of a monitored number so far, its epoch, and the epochs since.

    An improvement must beat the best by more than ``min_delta`` (Keras' rule); NaN and inf never
    improve. ``exhausted`` turns True once ``patience`` epochs in a row brought none.
    """

    def __init__(self, mode: str = "min", patience: int = 5, min_delta: float = 0.0):
        self.mode = check.choice("mode", mode, ("min", "max"))
        self.patience = check.integer("patience", patience, low=1)
        self.min_delta = check.number("min_delta", min_delta, low=0)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.wait = 0

    def improved(self, value: float) -> bool:
        """Whether ``value`` would count as an improvement (the state is left alone)."""
        if not math.isfinite(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, value: float, epoch: int) -> bool:
        """Record the value of ``epoch``; True when it is the new best."""
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return True
        self.wait += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.wait >= self.patience

    def reason(self, monitor: str) -> str:
        """Why a run that watched ``monitor`` with this tracker stopped."""
        return (f"{monitor} did not improve by more than {self.min_delta:g} for {self.patience} "
                f"epochs (best at epoch {self.best_epoch})")


# ----------------------------------------------------------------------------- callbacks


class Callback:
    """Base class: override any of the three events. Set ``trainer.stop = True`` to stop."""

    def on_train_begin(self, trainer: "Trainer") -> None:  # noqa: F821 (loop.Trainer)
        pass

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict) -> None:  # noqa: F821
        pass

    def on_train_end(self, trainer: "Trainer") -> None:  # noqa: F821
        pass


class LambdaCallback(Callback):
    """Wrap a plain function ``fn(trainer, epoch, logs)`` called after every epoch."""

    def __init__(self, on_epoch_end):
        if not callable(on_epoch_end):
            raise TypeError(f"on_epoch_end must be callable, got {on_epoch_end!r}")
        self.fn = on_epoch_end

    def on_epoch_end(self, trainer, epoch, logs):
        self.fn(trainer, epoch, logs)


def _monitor_mode(monitor: str, mode: str) -> tuple[str, str]:
    monitor = check.choice("monitor", monitor, MONITORS)
    mode = check.choice("mode", mode, ("min", "max", "auto"))
    if mode == "auto":
        mode = "min" if monitor.endswith("loss") else "max"
    return monitor, mode


class EarlyStopping(Callback, BestTracker):
    """Stop when the monitored number has not improved for ``patience`` epochs.

    Same meaning as Keras: an improvement must beat the best by more than ``min_delta``;
    with ``restore_best_weights`` the model ends with the weights of its best epoch.

    Args:
        monitor: "val_loss", "val_metric", "train_loss" or "train_metric".
        mode: "min", "max" or "auto" (min for losses, max for metrics).
        patience: epochs without improvement before stopping (>= 1).
        min_delta: the smallest change that counts as an improvement (>= 0).
        restore_best_weights: put the best epoch's weights back at the end.

    Example:
        >>> stopper = EarlyStopping(patience=5)
        >>> # hist = hplab.fit(model, data, early_stopping=stopper); hist.best_epoch
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", patience: int = 5,
                 min_delta: float = 0.0, restore_best_weights: bool = True):
        self.monitor, mode = _monitor_mode(monitor, mode)
        self.restore_best_weights = check.boolean("restore_best_weights", restore_best_weights)
        BestTracker.__init__(self, mode, patience, min_delta)

    def reset(self) -> None:
        BestTracker.reset(self)
        self.best_state = None
        self.stopped_epoch = None

    _reset = reset  # older name, kept for fit_many

    def tracker(self) -> BestTracker:
        """A fresh tracker with this stopper's rule (mode, patience, min_delta): one per member
        when many networks train at once."""
        return BestTracker(self.mode, self.patience, self.min_delta)
    _improved = BestTracker.improved

    def on_train_begin(self, trainer):
        self.reset()

    def on_epoch_end(self, trainer, epoch, logs):
        if self.update(logs[self.monitor], epoch):
            if self.restore_best_weights:
                self.best_state = copy.deepcopy(trainer.model.state_dict())
            return
        if self.exhausted:
            self.stopped_epoch = epoch
            trainer.stop = True
            trainer.stop_status = "early_stopped"
            trainer.stop_reason = self.reason(self.monitor)

    def on_train_end(self, trainer):
        if self.best_epoch is not None:
            trainer.history.best_epoch = self.best_epoch
        if self.restore_best_weights and self.best_state is not None and not trainer.history.diverged:
            trainer.model.load_state_dict(self.best_state)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, patience={self.patience}, "
                f"min_delta={self.min_delta:g}, restore_best_weights={self.restore_best_weights})")


class CSVLogger(Callback):
    """Write one row per epoch (epoch, train_loss, val_loss, train_metric, val_metric, lr) to ``path``.

    Named as in Keras. ``append=True`` adds to an existing file (for a resumed run) instead of
    starting a new one. The file is flushed after every row, so it can be read during training.

        >>> hist = hplab.fit(model, data, callbacks=[CSVLogger("run.csv")])  # doctest: +SKIP
    """

    COLUMNS = ("epoch", "train_loss", "val_loss", "train_metric", "val_metric", "lr")

    def __init__(self, path, separator: str = ",", append: bool = False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__}")
        self.path = os.fspath(path)
        self.separator = check.string("separator", separator)
        self.append = check.boolean("append", append)
        self._file = None

    def on_train_begin(self, trainer):
        keep = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self._file = open(self.path, "a" if keep else "w", newline="")
        if not keep:
            self._file.write(self.separator.join(self.COLUMNS) + "\n")
            self._file.flush()

    def on_epoch_end(self, trainer, epoch, logs):
        row = [str(epoch)] + [repr(float(logs[c])) for c in self.COLUMNS[1:]]
        self._file.write(self.separator.join(row) + "\n")
        self._file.flush()

    def on_train_end(self, trainer):
        if self._file is not None:
            self._file.close()
            self._file = None


class ModelCheckpoint(Callback):
    """Save the model, optimizer, schedule and History to ``path`` after an epoch.

    Named as in Keras. With ``save_best_only`` (the default) the file is written only when the
    monitored number improves, so it always holds the best epoch so far; otherwise after every
    epoch. ``path`` may hold ``{epoch}`` to keep one file per epoch. Continue training from
    such a file with ``fit(model, data, resume_from=path, epochs=...)``.

        >>> hist = hplab.fit(model, data, callbacks=[ModelCheckpoint("best.pt")])  # doctest: +SKIP
    """

    def __init__(self, path, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__}")
        self.path = os.fspath(path)
        self.monitor, self.mode = _monitor_mode(monitor, mode)
        self.save_best_only = check.boolean("save_best_only", save_best_only)
        self.best = None
        self.saved = []  # (epoch, file) of every save in this run

    def on_train_begin(self, trainer):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved = []

    def on_epoch_end(self, trainer, epoch, logs):
        value = logs[self.monitor]
        better = value < self.best if self.mode == "min" else value > self.best
        if self.save_best_only and not (math.isfinite(value) and better):
            return
        if math.isfinite(value) and better:
            self.best = value
        target = self.path.format(epoch=epoch) if "{epoch" in self.path else self.path
        torch.save(trainer.checkpoint(epoch), target)
        self.saved.append((epoch, target))

    def __repr__(self):
        return (f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r}, mode={self.mode!r}, "
                f"save_best_only={self.save_best_only})")


class ProgressBar(Callback):
    """A tqdm progress bar over the epochs, with the latest losses (``fit(progress=True)``)."""

    def __init__(self):
        self.bar = None

    def on_train_begin(self, trainer):
        from tqdm.auto import tqdm

        done = trainer.history.epochs_run
        self.bar = tqdm(total=trainer.epochs, initial=done, desc="fit", unit="epoch", leave=False)

    def on_epoch_end(self, trainer, epoch, logs):
        self.bar.update(1)
        self.bar.set_postfix(train_loss=f"{logs['train_loss']:.4g}", val_loss=f"{logs['val_loss']:.4g}",
                             refresh=False)

    def on_train_end(self, trainer):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

