"""``History``: what happened in one training run, one value per epoch."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from ..data import CLASSIFICATION

STATUSES = ("completed", "early_stopped", "diverged", "stopped")


@dataclass
class History:
    """What happened in one training run, one value per epoch (epoch 1 first).

    ``status`` says why training ended: "completed", "early_stopped", "diverged" or "stopped"
    (a callback stopped it). A run that diverges stops at the minibatch where the loss blew up:
    ``stopped_epoch`` is the epoch it happened in (its row holds the scores of the weights at
    that moment) and ``stopped_step`` the number of that minibatch counted over the whole run,
    so ``batch_loss`` ends with the loss that blew up. ``initial`` holds the losses and metrics
    before the first update; ``predictions`` describes how varied the model's predictions on the
    validation split are at the end and at the start (see :func:`prediction_summary`), which
    :func:`hplab.diagnose` reads to spot a network that has collapsed to one answer. Collapse is
    not a status: ``status`` says why training ended, and such a run did finish.
    """

    task: str = CLASSIFICATION
    metric_name: str = "accuracy"
    config: dict = field(default_factory=dict)
    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_metric: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    batch_loss: list = field(default_factory=list)  # every minibatch loss, in order
    grad_norms: list = field(default_factory=list)  # per epoch: one norm per Linear layer
    grad_norm: list = field(default_factory=list)  # per minibatch: the whole gradient's norm
    dead_fraction: list = field(default_factory=list)  # per epoch: share of dead hidden units
    initial: dict = field(default_factory=dict)
    status: str = "completed"
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    stopped_step: int | None = None  # minibatch (1-based, whole run) at which the run stopped
    steps_per_epoch: int = 0
    predictions: dict = field(default_factory=dict)  # the final model on validation, see above
    stop_reason: str = ""
    baseline: dict = field(default_factory=dict)  # the trivial model on validation (see fit)

    @property
    def epochs_run(self) -> int:
        return len(self.epoch)

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @property
    def best_val_loss(self) -> float:
        finite = [v for v in self.val_loss if math.isfinite(v)]
        return min(finite) if finite else math.inf

    @property
    def final(self) -> dict:
        """Last epoch's numbers as a dict (empty if no epoch ran)."""
        if not self.epoch:
            return {}
        return {k: getattr(self, k)[-1] for k in
                ("train_loss", "val_loss", "train_metric", "val_metric", "lr")}

    def to_dict(self) -> dict:
        """Plain Python data, ready for JSON."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()}

    def to_frame(self):
        """Per-epoch numbers as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        cols = ("train_loss", "val_loss", "train_metric", "val_metric", "lr", "seconds")
        return pd.DataFrame({c: getattr(self, c) for c in cols},
                            index=pd.Index(self.epoch, name="epoch"))

    def __repr__(self) -> str:
        if not self.epoch:
            return f"History(status={self.status!r}, no epochs)"
        f = self.final
        return (f"History(status={self.status!r}, epochs={self.epochs_run}, best_epoch="
                f"{self.best_epoch}, train_loss={f['train_loss']:.4g}, val_loss={f['val_loss']:.4g}, "
                f"val_{self.metric_name}={f['val_metric']:.4g})")
