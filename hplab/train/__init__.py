"""Training: ``fit`` a model on data and get a ``History`` back.

The pieces, one concept per module:

- ``loop``: the readable autograd training loop, the reference (any module, device, loss, metric);
- ``_fast``: the hand-written backward pass and fused optimizer step for the course's MLPs on the
  CPU, taken automatically where it applies, with the same numbers;
- ``fitting``: :func:`fit` itself, which checks its arguments once and picks the step;
- ``settings``: :class:`TrainSettings`, the one settings object (``fit``, ``fit_many``, ``pbt``);
- ``optim``: optimizers and schedules by name; ``metrics``: losses, metrics, scoring;
- ``callbacks``: :class:`Callback` and Keras-named callbacks, and the shared stopping rules
  (:class:`BestTracker`, :class:`DivergenceRule`); ``history``: :class:`History`;
- ``diagnostics``: gradient norms and dead units.

Batches are sliced from tensors already in memory (no DataLoader needed, though ``fit`` takes
one), the optimizers and schedules are PyTorch's own, and a run that blows up ends quietly with
``status="diverged"`` at the minibatch where it happened.

    >>> import hplab
    >>> data = hplab.load_dataset("moons", seed=0)
    >>> hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, lr=1e-2, epochs=5)
    >>> hist.status, len(hist.val_loss)
    ('completed', 5)
"""

from ._fast import Backprop, FastStep  # noqa: I001 (private re-exports kept apart below)
from .callbacks import (
    BATCH_DIVERGENCE_SLACK,
    MONITORS,
    BestTracker,
    Callback,
    CSVLogger,
    DivergenceRule,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    ProgressBar,
    best_epoch,
    divergence_reason,
)
from .diagnostics import dead_unit_fraction, weight_layers
from .fitting import check_training_split, fit, resolve_device, torch_threads
from .history import STATUSES, History
from .loop import AutogradStep, Trainer
from .metrics import (
    EVAL_BATCH_SIZE,
    LOSSES,
    METRICS,
    Objective,
    accuracy,
    balanced_accuracy,
    evaluate,
    f1,
    join_predictions,
    loss_fn,
    metric_value,
    prediction_summary,
    r2,
)
from .optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule, schedule_lrs
from .settings import TrainSettings

# a private helper lr_finder imports from here (not public API)
from .metrics import _check_model_data as _check_model_data

__all__ = [
    "BATCH_DIVERGENCE_SLACK", "EVAL_BATCH_SIZE", "LOSSES", "METRICS", "MONITORS", "OPTIMIZERS",
    "SCHEDULES", "STATUSES",
    "AutogradStep", "Backprop", "BestTracker", "Callback", "CSVLogger", "DivergenceRule",
    "EarlyStopping", "FastStep", "History", "LambdaCallback", "ModelCheckpoint", "Objective",
    "ProgressBar", "TrainSettings", "Trainer",
    "accuracy", "balanced_accuracy", "best_epoch", "check_training_split", "dead_unit_fraction",
    "divergence_reason", "evaluate", "f1", "fit", "join_predictions", "loss_fn", "make_optimizer",
    "make_schedule", "metric_value", "prediction_summary", "r2", "resolve_device", "schedule_lrs",
    "torch_threads", "weight_layers",
]
