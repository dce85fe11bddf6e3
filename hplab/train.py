"""The training engine: ``fit`` a model on a ``Data`` bundle and get a ``History`` back.

Batches are sliced from tensors already in memory (no DataLoader), the optimizers and schedules
are PyTorch's own, and a run that blows up ends quietly with ``status="diverged"`` at the
minibatch where it happened (see :func:`fit` for the rule). For the networks ``mlp`` builds,
trained on the CPU with the standard loss, the gradients come from the hand-written backward
pass in ``hplab.backprop`` and the optimizer runs PyTorch's fused kernel; any other model, a
loss or class weights of one's own, scaled regression targets or another device go through
autograd. Both give the same numbers up to float rounding (tests/test_backprop.py). Callbacks
(:class:`EarlyStopping`, :class:`CSVLogger`, :class:`ModelCheckpoint`) follow Keras' names, and
``fit(..., resume_from=path)`` continues a run from a checkpoint.

    >>> import hplab
    >>> data = hplab.load_dataset("moons", seed=0)
    >>> hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, lr=1e-2, epochs=5)
    >>> hist.status, len(hist.val_loss)
    ('completed', 5)
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import time
from dataclasses import dataclass, field
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from . import _validate as check
from .backprop import Backprop
from .data import CLASSIFICATION, REGRESSION, Data, Split

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "exponential", "cosine", "one_cycle", "warmup", "warmup_cosine")
MONITORS = ("val_loss", "val_metric", "train_loss", "train_metric")
STATUSES = ("completed", "early_stopped", "diverged", "stopped")
# A single minibatch is noisy: with one example per batch a healthy run can see one loss 100x its
# starting value. So one minibatch counts as a blow-up only past this many times fit's
# ``divergence_factor`` (1000x the starting loss by default); NaN/inf counts at once.
BATCH_DIVERGENCE_SLACK = 100


# ----------------------------------------------------------------------------- history


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


# ----------------------------------------------------------------------------- callbacks


class Callback:
    """Base class: override any of the three events. Set ``trainer.stop = True`` to stop."""

    def on_train_begin(self, trainer: "Trainer") -> None:
        pass

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, trainer: "Trainer") -> None:
        pass


class LambdaCallback(Callback):
    """Wrap a plain function ``fn(trainer, epoch, logs)`` called after every epoch."""

    def __init__(self, on_epoch_end):
        if not callable(on_epoch_end):
            raise TypeError(f"on_epoch_end must be callable, got {on_epoch_end!r}")
        self.fn = on_epoch_end

    def on_epoch_end(self, trainer, epoch, logs):
        self.fn(trainer, epoch, logs)


class EarlyStopping(Callback):
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
        self.monitor = check.choice("monitor", monitor, MONITORS)
        self.mode = check.choice("mode", mode, ("min", "max", "auto"))
        if self.mode == "auto":
            self.mode = "min" if self.monitor.endswith("loss") else "max"
        self.patience = check.integer("patience", patience, low=1)
        self.min_delta = check.number("min_delta", min_delta, low=0)
        self.restore_best_weights = check.boolean("restore_best_weights", restore_best_weights)
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_state = None
        self.wait = 0
        self.stopped_epoch = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, trainer):
        self._reset()

    def on_epoch_end(self, trainer, epoch, logs):
        value = logs[self.monitor]
        if math.isfinite(value) and self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = copy.deepcopy(trainer.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop = True
            trainer.stop_status = "early_stopped"
            trainer.stop_reason = (f"{self.monitor} did not improve by more than {self.min_delta:g} "
                                   f"for {self.patience} epochs (best at epoch {self.best_epoch})")

    def on_train_end(self, trainer):
        if self.best_epoch is not None:
            trainer.history.best_epoch = self.best_epoch
        if self.restore_best_weights and self.best_state is not None and not trainer.history.diverged:
            trainer.model.load_state_dict(self.best_state)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, patience={self.patience}, "
                f"min_delta={self.min_delta:g}, restore_best_weights={self.restore_best_weights})")


# ----------------------------------------------------------------------------- optimizers


def make_optimizer(params, name: str = "adam", *, lr: float = 1e-3, momentum: float | None = None,
                   betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                   alpha: float = 0.99, foreach: bool = True,
                   fused: bool = False) -> torch.optim.Optimizer:
    """A PyTorch optimizer by name: sgd, momentum, nesterov, rmsprop, adam or adamw.

    ``momentum`` defaults to 0.9 for "momentum" and "nesterov" and to 0 for the others.
    ``foreach=False`` picks PyTorch's one-tensor-at-a-time update (same arithmetic), which has
    less overhead when the parameters are a single flat tensor. ``fused=True`` asks for
    PyTorch's fused update, one pass over the numbers per step (SGD, Adam and AdamW have one;
    RMSprop falls back to the one-tensor update).
    """
    name = check.choice("optimizer", name, OPTIMIZERS)
    lr = check.positive("lr", lr)
    eps = check.positive("eps", eps)
    weight_decay = check.number("weight_decay", weight_decay, low=0)
    if momentum is None:
        momentum = 0.9 if name in ("momentum", "nesterov") else 0.0
    momentum = check.number("momentum", momentum, low=0, high=1, high_open=True)
    betas = _check_betas(betas)
    alpha = check.number("alpha", alpha, low=0, high=1, high_open=True)
    foreach = check.boolean("foreach", foreach)
    fused = check.boolean("fused", fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                                   weight_decay=weight_decay, foreach=foreach and not fused)
    how = dict(fused=True, foreach=False) if fused else dict(foreach=foreach)
    if name in ("sgd", "momentum", "nesterov"):
        if name != "sgd" and momentum == 0:
            raise ValueError(f"momentum must be > 0 for optimizer {name!r}, got 0")
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=name == "nesterov",
                               weight_decay=weight_decay, **how)
    cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **how)


def _check_betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return tuple(check.number(f"betas[{i}]", b, low=0, high=1, high_open=True)
                 for i, b in enumerate(betas))


# ----------------------------------------------------------------------------- schedules


def make_schedule(optimizer, name: str | None, epochs: int, **options):
    """A PyTorch ``lr_scheduler`` by name, stepped once per epoch.

    Names: constant, step (x ``gamma`` every ``step_size`` epochs), exponential (x ``gamma`` per
    epoch), cosine (to ``min_lr``), one_cycle (up to ``max_lr`` then down), warmup (linear warm-up
    over ``warmup_epochs`` then constant), warmup_cosine (warm-up then cosine decay).
    """
    name = "constant" if name is None else check.choice("schedule", name, SCHEDULES)
    sched = torch.optim.lr_scheduler
    lr0 = optimizer.param_groups[0]["lr"]
    known = {"step_size", "gamma", "min_lr", "max_lr", "warmup_epochs", "pct_start"}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"schedule option(s) {sorted(unknown)} are unknown; choose from: "
                         f"{', '.join(sorted(known))}")
    warm = check.integer("warmup_epochs", options.get("warmup_epochs", max(1, epochs // 10)), low=1)
    if name == "constant":
        return sched.LambdaLR(optimizer, lambda e: 1.0)
    if name == "step":
        size = check.integer("step_size", options.get("step_size", max(1, epochs // 3)), low=1)
        gamma = check.number("gamma", options.get("gamma", 0.1), low=0, high=1, low_open=True)
        return sched.StepLR(optimizer, step_size=size, gamma=gamma)
    if name == "exponential":
        gamma = check.number("gamma", options.get("gamma", 0.95), low=0, high=1, low_open=True)
        return sched.ExponentialLR(optimizer, gamma=gamma)
    min_lr = check.number("min_lr", options.get("min_lr", 0.0), low=0)
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=max(1, epochs - 1), eta_min=min_lr)
    if name == "one_cycle":
        max_lr = check.positive("max_lr", options.get("max_lr", lr0))
        pct = check.number("pct_start", options.get("pct_start", 0.3), low=0, high=1, low_open=True,
                           high_open=True)
        return sched.OneCycleLR(optimizer, max_lr=max_lr, total_steps=max(2, epochs), pct_start=pct)
    warmup = sched.LinearLR(optimizer, start_factor=1.0 / (warm + 1), total_iters=warm)
    if name == "warmup":
        return warmup
    cosine = sched.CosineAnnealingLR(optimizer, T_max=max(1, epochs - warm - 1), eta_min=min_lr)
    return sched.SequentialLR(optimizer, [warmup, cosine], milestones=[warm])


def schedule_lrs(name: str | None, *, lr: float = 0.1, epochs: int = 30, **options) -> list[float]:
    """The learning rate each epoch would use under a schedule (for drawing it)."""
    lr = check.positive("lr", lr)
    epochs = check.integer("epochs", epochs, low=1)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sch = make_schedule(opt, name, epochs, **options)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    return lrs


# ----------------------------------------------------------------------------- metrics

LOSSES = ("cross_entropy", "mse")
METRICS = {CLASSIFICATION: ("accuracy", "balanced_accuracy", "f1"), REGRESSION: ("r2",)}
EVAL_BATCH_SIZE = 8192  # scoring runs in chunks of this many examples (the course's splits fit in one)


def loss_fn(task: str):
    return F.cross_entropy if task == CLASSIFICATION else F.mse_loss


def _confusion(out: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """(k, k) counts: row = true class, column = predicted class."""
    return torch.bincount(y * k + out.argmax(dim=1), minlength=k * k).reshape(k, k)


def balanced_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    """Mean recall over the classes present in ``y`` (scikit-learn's ``balanced_accuracy_score``)."""
    cm = _confusion(out, y, out.shape[1]).double()
    support = cm.sum(dim=1)
    present = support > 0
    return (cm.diag()[present] / support[present]).mean().item()


def f1(out: torch.Tensor, y: torch.Tensor) -> float:
    """F1 of class 1 for two classes, else the macro average over classes seen in ``y`` or the
    predictions (scikit-learn's ``f1_score`` defaults; 0 where a class is never predicted)."""
    k = out.shape[1]
    cm = _confusion(out, y, k).double()
    tp = cm.diag()
    per_class = torch.where(cm.sum(0) + cm.sum(1) > 0, 2 * tp / (cm.sum(0) + cm.sum(1)).clamp_min(1),
                            torch.zeros_like(tp))
    if k == 2:
        return per_class[1].item()
    seen = (cm.sum(0) + cm.sum(1)) > 0
    return per_class[seen].mean().item()


def r2(out: torch.Tensor, y: torch.Tensor) -> float:
    """R² per target, averaged over the targets (scikit-learn's ``r2_score``).

    A constant target scores 1.0 when predicted exactly and 0.0 otherwise, as scikit-learn does.
    """
    if y.ndim == 1 or y.shape[1] == 1:  # one target: the same arithmetic as ever
        sse = ((out - y) ** 2).sum()
        sst = ((y - y.mean()) ** 2).sum()
        if sst == 0:
            return 1.0 if sse == 0 else 0.0
        return (1 - sse / sst).item()
    sse = ((out - y) ** 2).sum(dim=0)
    sst = ((y - y.mean(dim=0)) ** 2).sum(dim=0)
    score = torch.where(sst > 0, 1 - sse / sst.clamp_min(1e-30),
                        (sse == 0).to(sse.dtype))  # constant target: 1 if exact, else 0
    return score.mean().item()


def accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    """Share of examples whose highest logit is the true class."""
    return (out.argmax(dim=1) == y).float().mean().item()


_METRIC_FUNCTIONS = {"accuracy": accuracy, "balanced_accuracy": balanced_accuracy, "f1": f1,
                     "r2": r2}


def metric_value(task: str, out: torch.Tensor, y: torch.Tensor, metric: str | None = None) -> float:
    """The metric by name: accuracy (default for classification), balanced_accuracy, f1, r2 (default
    for regression, per target and averaged)."""
    name = metric or ("accuracy" if task == CLASSIFICATION else "r2")
    return _METRIC_FUNCTIONS[name](out, y)


def prediction_summary(task: str, out: torch.Tensor, y: torch.Tensor) -> dict:
    """How varied a model's predictions are: a network that gives every input one answer has collapsed.

    Classification: ``top_class_share``, the share of inputs given the most common predicted
    class (1.0: the same class for all), next to ``majority_share``, the share of the most common
    true class (what that constant answer would score). Regression: ``spread``, the standard
    deviation of the predictions over that of the targets (0: the same value for all).
    Empty when some output is NaN or infinite. ``fit`` stores it for the validation split before
    training (with keys prefixed ``start_``) and after, in ``History.predictions``.

        >>> prediction_summary("classification", torch.tensor([[2., 0.], [3., 1.]]), torch.tensor([0, 1]))
        {'top_class_share': 1.0, 'majority_share': 0.5}
    """
    if not torch.isfinite(out).all():
        return {}
    if task == CLASSIFICATION:
        n = len(y)
        top = torch.bincount(out.argmax(dim=1)).max().item() / n
        return {"top_class_share": top, "majority_share": torch.bincount(y).max().item() / n}
    spread = out.var(dim=0, correction=0).sum().sqrt() / y.var(dim=0, correction=0).sum().sqrt().clamp_min(1e-12)
    return {"spread": spread.item()}


class Objective:
    """What ``fit`` minimizes and reports: the loss, the metric, class weights, target scaling.

    ``train_loss(out, y)`` is the differentiable loss for a minibatch (on standardized targets
    when they are scaled); ``score(out, y)`` gives (loss, metric) as reported, in the original
    units of the targets. ``standard`` is True when this is exactly the course's setting
    (cross-entropy without weights / MSE on raw targets), which the hand-written backward pass
    implements.
    """

    def __init__(self, data: Data, loss=None, metric=None, class_weight=None, scale=None,
                 device=torch.device("cpu")):
        task = data.task
        self.task = task
        default_loss = "cross_entropy" if task == CLASSIFICATION else "mse"
        if loss is None:
            loss = default_loss
        if isinstance(loss, str):
            loss = check.choice("loss", loss, LOSSES)
            if loss != default_loss:
                raise ValueError(f"loss {loss!r} does not fit {task} data; use loss="
                                 f"{default_loss!r} or pass your own function loss(output, target)")
            self._loss, self.loss_name = loss_fn(task), loss
        elif callable(loss):
            self._loss, self.loss_name = loss, getattr(loss, "__name__", "loss")
        else:
            raise TypeError(f"loss must be a name ({', '.join(LOSSES)}) or a function "
                            f"loss(output, target) -> scalar tensor, got {type(loss).__name__}")
        if metric is None:
            metric = METRICS[task][0]
        if isinstance(metric, str):
            metric = check.choice("metric", metric, METRICS[task])
            self._metric, self.metric_name = _METRIC_FUNCTIONS[metric], metric
        elif callable(metric):
            self._metric, self.metric_name = metric, getattr(metric, "__name__", "metric")
        else:
            raise TypeError(f"metric must be a name ({', '.join(METRICS[task])} for {task}) or a "
                            f"function metric(output, target) -> float, got {type(metric).__name__}")
        self.weight = None
        if class_weight is not None:
            if task != CLASSIFICATION or not isinstance(loss, str):
                raise ValueError("class_weight applies to classification with loss="
                                 "'cross_entropy' only; weight your own loss function instead")
            self.weight = _class_weights(class_weight, data.train.y, data.n_outputs).to(device)
            self._loss = partial(F.cross_entropy, weight=self.weight)
        self.scale = scale  # (mean, std) of the training targets, or None
        self.standard = isinstance(loss, str) and self.weight is None and scale is None

    def train_loss(self, out, y):
        if self.scale is not None:
            mean, std = self.scale
            return self._loss((out - mean) / std, (y - mean) / std)
        return self._loss(out, y)

    def score(self, out, y) -> tuple[float, float]:
        loss = self._loss(out, y)
        loss = float(loss.item() if torch.is_tensor(loss) else loss)
        if not math.isfinite(loss) or not torch.isfinite(out).all():
            return (loss if not math.isfinite(loss) else math.inf), math.nan
        value = self._metric(out, y)
        return loss, float(value.item() if torch.is_tensor(value) else value)

    def baseline(self, train: Split, val: Split) -> dict:
        """Loss and metric on ``val`` of the trivial model that ignores the input: the training
        class shares as its probabilities (so it always answers the majority class), or the
        training mean (regression)."""
        if self.task == CLASSIFICATION:
            k = max(int(train.y.max()) + 1, int(val.y.max()) + 1)
            counts = torch.bincount(train.y, minlength=k).float()
            prior = (counts / counts.sum()).clamp_min(1e-12).log()  # the class shares as logits
            logits = prior.expand(len(val.y), -1)
            rule = f"always class {int(counts.argmax())}"
        else:
            logits = train.y.float().mean(dim=0, keepdim=True).expand(len(val.y), -1)
            rule = "always the training mean"
        loss, metric = self.score(logits, val.y)
        return dict(val_loss=loss, val_metric=metric, rule=rule)


def _class_weights(class_weight, y: torch.Tensor, k: int) -> torch.Tensor:
    """"balanced" -> n / (k * count) per class (scikit-learn's rule), or k positive numbers."""
    if isinstance(class_weight, str):
        check.choice("class_weight", class_weight, ("balanced",))
        counts = torch.bincount(y, minlength=k).double()
        if (counts == 0).any():
            missing = [i for i in range(k) if counts[i] == 0]
            raise ValueError(f"class_weight='balanced' needs every class in the training split; "
                             f"class(es) {missing} have no examples")
        return (len(y) / (k * counts)).float()
    try:
        weights = [float(w) for w in class_weight]
    except (TypeError, ValueError):
        raise TypeError(f"class_weight must be 'balanced' or a sequence of {k} numbers, got "
                        f"{class_weight!r}") from None
    if len(weights) != k or not all(math.isfinite(w) and w > 0 for w in weights):
        raise ValueError(f"class_weight must hold {k} positive numbers (one per class), got "
                         f"{class_weight!r}")
    return torch.tensor(weights)


@torch.no_grad()
def _outputs(model: nn.Module, X: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """``model(X)`` computed ``batch_size`` examples at a time (one call when X is smaller)."""
    if len(X) <= batch_size:
        return model(X)
    return torch.cat([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


@torch.no_grad()
def _score(model: nn.Module, split: Split, task, batch_size: int = EVAL_BATCH_SIZE):
    """(loss, metric) of ``model`` on ``split``; ``task`` is a task name or an :class:`Objective`."""
    out = _outputs(model, split.X, batch_size)
    if isinstance(task, Objective):
        return task.score(out, split.y)
    loss = loss_fn(task)(out, split.y).item()
    if not math.isfinite(loss) or not torch.isfinite(out).all():
        return (loss if not math.isfinite(loss) else math.inf), math.nan
    return loss, metric_value(task, out, split.y)


def evaluate(model: nn.Module, data: Data, split: str = "val", *, metric=None, loss=None,
             class_weight=None, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """Loss and metric of ``model`` on one split: ``{"loss": ..., "metric": ...}``.

    The metric is accuracy for classification and R² for regression unless ``metric`` names
    another (as in :func:`fit`, like ``loss`` and ``class_weight``). The split moves to the
    model's device and is scored ``batch_size`` examples at a time. Reading the test split
    counts as one look at it (``data.test_reads``).
    """
    _check_model_data(model, data)
    batch_size = check.integer("batch_size", batch_size, low=1)
    part = data.split(split)
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    part = Split(part.X.to(device), part.y.to(device))
    objective = Objective(data, loss, metric, class_weight, device=device)
    was_training = model.training
    model.eval()
    try:
        loss, value = _score(model, part, objective, batch_size)
    finally:
        model.train(was_training)
    return {"loss": loss, "metric": value}


def _check_model_data(model, data):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset), "
                        f"got {type(data).__name__}")


# ----------------------------------------------------------------------------- diagnostics


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """Layers with a trainable weight matrix or kernel (Linear, Conv, ...), in order.

    ``fit(track_gradients=True)`` records one gradient norm per layer in this list; for the
    course's MLPs these are exactly the Linear layers.
    """
    return [m for m in model.modules() if isinstance(getattr(m, "weight", None), nn.Parameter)
            and m.weight.dim() >= 2 and m.weight.requires_grad]


def _total_norm(params) -> float:
    """Norm of the whole gradient, as if every parameter's gradient were one long vector."""
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item() \
        if grads else 0.0


def _grad_norms(layers) -> torch.Tensor:
    return torch.stack([layer.weight.grad.norm() if layer.weight.grad is not None
                        else torch.zeros((), device=layer.weight.device) for layer in layers])


@torch.no_grad()
def dead_unit_fraction(model: nn.Module, X: torch.Tensor, *, batch_size: int = EVAL_BATCH_SIZE) -> float:
    """Share of hidden ReLU units that output 0 for every input in ``X`` (they no longer learn).

    A unit is one output feature of an ``nn.ReLU`` module for tabular activations (n, units),
    and one channel for image activations (n, channels, ...): a channel is dead when it is 0 at
    every position for every input. ReLUs called as functions (``F.relu``) are not seen.
    """
    acts = [m for m in model.modules() if type(m) is nn.ReLU]
    if not acts:
        return 0.0
    dead: dict[int, torch.Tensor] = {}  # per ReLU call: which units were <= 0 so far
    calls = []

    def record(_m, _i, o):
        if o.dim() < 2:
            return
        i = len(calls)
        calls.append(o.shape[1])
        off = (o <= 0).transpose(0, 1).reshape(o.shape[1], -1).all(dim=1)  # (units,)
        dead[i] = off if i not in dead else dead[i] & off

    hooks = [m.register_forward_hook(record) for m in acts]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(X), batch_size):
            calls.clear()
            model(X[start:start + batch_size])
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    if not calls:
        return 0.0
    return sum(int(off.sum()) for off in dead.values()) / sum(calls)


# ----------------------------------------------------------------------------- the loop


class Trainer:
    """State shared with callbacks during a run.

    ``model``, ``optimizer``, ``scheduler``, ``history``, ``epochs`` (the last epoch of the run);
    set ``stop = True`` to end training after this epoch.
    """

    def __init__(self, model, optimizer, history, scheduler=None, generator=None, epochs=0):
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.history = history
        self.generator = generator
        self.epochs = epochs
        self.stop = False
        self.stop_status = "stopped"
        self.stop_reason = ""

    def checkpoint(self, epoch: int) -> dict:
        """Everything :func:`fit` needs to carry on after ``epoch`` (see ``resume_from``)."""
        return dict(epoch=epoch, model=copy.deepcopy(self.model.state_dict()),
                    optimizer=copy.deepcopy(self.optimizer.state_dict()),
                    scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
                    history=self.history.to_dict(),
                    generator=self.generator.get_state() if self.generator is not None else None,
                    rng=torch.get_rng_state())


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
        self.monitor = check.choice("monitor", monitor, MONITORS)
        self.mode = check.choice("mode", mode, ("min", "max", "auto"))
        if self.mode == "auto":
            self.mode = "min" if self.monitor.endswith("loss") else "max"
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


@contextlib.contextmanager
def _threads(n: int):
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            torch.set_num_threads(before)


def resolve_device(device) -> torch.device:
    """``None`` -> CPU; "cpu", "cuda", "cuda:1", "mps" or a ``torch.device`` if it is present here."""
    if device is None:
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be None, a name such as 'cpu', 'cuda' or 'mps', or a "
                        f"torch.device, got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device {device!r} is not a device name; use 'cpu', 'cuda', 'cuda:0' "
                         f"or 'mps'") from None
    present = ["cpu"]
    if torch.cuda.is_available():
        present.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        present.append("mps")
    if dev.type not in present:
        raise ValueError(f"device {device!r} is not available on this machine; available: "
                         f"{', '.join(present)}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} does not exist: this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s)")
    return dev


class _TargetScale:
    """Forward hook: the model's raw output is in standardized target units; this maps it back,
    so ``model(X)`` predicts in the original units after ``fit``."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        self.mean, self.std = mean, std

    def __call__(self, module, inputs, output):
        return output * self.std + self.mean


def _target_scale(model, data, train, standardize_targets, device):
    """(mean, std) of the training targets when fit standardizes them, else None.

    "auto" standardizes when some target is far from unit scale (|mean| > 1 or a standard
    deviation outside 0.5..2); the course's ``sine`` targets are near unit scale and stay as
    they are.
    """
    old = getattr(model, "_hplab_target_scale", None)
    if old is not None:  # fit again: start from the raw network and set the scale anew
        old.remove()
        del model._hplab_target_scale
    if data.task != REGRESSION or standardize_targets is False:
        return None
    y = train.y.double()
    mean, std = y.mean(dim=0), y.std(dim=0, correction=0)
    if standardize_targets == "auto":
        near_unit = bool(((mean.abs() <= 1) & (std >= 0.5) & (std <= 2)).all())
        if near_unit:
            return None
    std = torch.where(std > 0, std, torch.ones_like(std))
    mean, std = mean.float().to(device), std.float().to(device)
    model._hplab_target_scale = model.register_forward_hook(_TargetScale(mean, std))
    return mean, std


def _has_batchnorm(model) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _batch_starts(n: int, batch_size: int, merge_single: bool) -> list[tuple[int, int]]:
    """(start, stop) of every minibatch; a last batch of one example joins the one before it
    when ``merge_single`` (BatchNorm cannot normalize a single example)."""
    bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if merge_single and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def fit(model: nn.Module, data: Data, *, optimizer: str = "adam", lr: float = 1e-3,
        batch_size: int = 32, epochs: int = 20, momentum: float | None = None,
        betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
        schedule: str | None = None, schedule_options: dict | None = None,
        early_stopping: EarlyStopping | None = None, callbacks=(),
        loss=None, metric=None, class_weight=None, standardize_targets="auto",
        device=None, eval_batch_size: int = EVAL_BATCH_SIZE, progress: bool = False,
        resume_from=None, track_gradients: bool = False, track_dead_units: bool = False,
        divergence_factor: float = 10.0, train_split: Split | None = None,
        clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
        threads: int = 1, seed: int = 0) -> History:
    """Train ``model`` on ``data.train`` with minibatch gradient descent; score on ``data.val``.

    Args:
        optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw (PyTorch's classes).
        lr: learning rate (> 0); momentum, betas, eps, weight_decay: the optimizer's knobs.
        batch_size: examples per update, 1 .. size of the training split. For a model with
            BatchNorm a last minibatch of one example joins the one before it (BatchNorm cannot
            normalize a single example).
        epochs: passes over the training split (with ``resume_from``: the last epoch to reach).
        schedule: None/"constant", "step", "exponential", "cosine", "one_cycle", "warmup",
            "warmup_cosine", stepped once per epoch; ``schedule_options`` tunes it.
        early_stopping: an :class:`EarlyStopping`, or None.
        callbacks: more :class:`Callback` objects (:class:`CSVLogger`, :class:`ModelCheckpoint`,
            live plots, pruning).
        loss: "cross_entropy" (classification, default), "mse" (regression, default) or a
            function ``loss(output, target) -> scalar tensor`` (a mean over the batch).
        metric: "accuracy" (default), "balanced_accuracy" or "f1" for classification, "r2"
            (default; per target, averaged as scikit-learn does) for regression, or a function
            ``metric(output, target) -> float`` where higher is better.
        class_weight: "balanced" (weights n / (classes * count), scikit-learn's rule) or one
            positive weight per class, for the cross-entropy loss; the reported losses are
            weighted too.
        standardize_targets: regression only. True trains the network on targets scaled to mean
            0 and standard deviation 1 per target; a forward hook on the model maps its output
            back, so ``model(X)``, the losses and the metrics are all in the original units.
            "auto" (default) does this only when some target is far from unit scale (|mean| > 1
            or standard deviation outside 0.5..2), which leaves the course's ``sine`` alone.
        device: None (CPU), "cpu", "cuda", "cuda:N" or "mps"; the model and the splits move there
            once, and that device's random generator is seeded too.
        eval_batch_size: scoring after each epoch runs this many examples at a time.
        progress: show a tqdm progress bar over the epochs.
        resume_from: a file written by :class:`ModelCheckpoint`: the model, optimizer, schedule,
            random state and History are restored and training continues with the next epoch
            up to ``epochs``; the returned History holds the earlier epochs too. The other
            settings should be those of the first run. The file is unpickled: load only
            checkpoints you made or trust.
        track_gradients: record the weight-gradient norm of every layer with a weight matrix or
            kernel (Linear, Conv, ..., see :func:`weight_layers`), averaged over each epoch, and
            the norm of the whole gradient (every trainable parameter, before any clipping) of
            every minibatch in ``History.grad_norm``, in step with ``History.batch_loss``.
        track_dead_units: record the share of dead ReLU units (or channels) per epoch.
        divergence_factor: the run diverges, and stops at once, when a minibatch loss is NaN/inf
            or more than ``divergence_factor * BATCH_DIVERGENCE_SLACK`` (1000 by default) times
            the starting training loss, or when the loss on the whole training split after an
            epoch is NaN/inf or more than ``divergence_factor`` times it. The minibatch check runs
            before each update, so a run that blows up in the middle of an epoch ends there
            (``History.stopped_step``).
        train_split: train on this split instead of ``data.train`` (e.g. ``data.train_val()``).
        clip_grad_norm: if set (> 0), before each update the whole gradient is scaled down to
            this norm when it is longer (``torch.nn.utils.clip_grad_norm_``): the direction is
            kept, the step length capped.
        clip_grad_value: if set (> 0), every gradient component is clamped to
            [-value, value] (``torch.nn.utils.clip_grad_value_``): large components are cut,
            which can turn the direction.
        threads: CPU threads for this run; 1 is fastest for the course's small networks.
        seed: order of the minibatches (and dropout masks).

    Returns:
        A :class:`History`; the model is trained in place. ``History.predictions`` describes the
        final model's predictions on the validation split and ``History.baseline`` what the
        trivial model (majority class / training mean) scores there.

    Example:
        >>> hist = fit(model, data, optimizer="sgd", lr=0.1, epochs=30,
        ...            early_stopping=EarlyStopping(patience=5))  # doctest: +SKIP
    """
    _check_model_data(model, data)
    lr = check.positive("lr", lr)
    epochs = check.integer("epochs", epochs, low=1, high=100_000)
    seed = check.seed(seed)
    threads = check.integer("threads", threads, low=1, high=256)
    divergence_factor = check.number("divergence_factor", divergence_factor, low=1, low_open=True)
    check.boolean("track_gradients", track_gradients)
    check.boolean("track_dead_units", track_dead_units)
    check.boolean("progress", progress)
    if clip_grad_norm is not None:
        clip_grad_norm = check.positive("clip_grad_norm", clip_grad_norm)
    if clip_grad_value is not None:
        clip_grad_value = check.positive("clip_grad_value", clip_grad_value)
    eval_batch_size = check.integer("eval_batch_size", eval_batch_size, low=1)
    if standardize_targets not in (True, False, "auto"):
        raise ValueError(f"standardize_targets must be True, False or 'auto', got "
                         f"{standardize_targets!r}")
    dev = resolve_device(device)
    train, batch_size = _check_split_batch_stopper(data, train_split, batch_size, early_stopping)
    n = len(train.y)
    merge_single = _has_batchnorm(model)
    if merge_single and batch_size == 1:
        raise ValueError("batch_size must be >= 2 for a model with BatchNorm (it cannot "
                         "normalize a single example), got 1")
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
    if early_stopping is not None:
        callbacks.append(early_stopping)
    if progress:
        callbacks.append(ProgressBar())
    if schedule_options is not None and not isinstance(schedule_options, dict):
        raise TypeError(f"schedule_options must be a dict, got {type(schedule_options).__name__}")
    state = _load_checkpoint(resume_from, epochs) if resume_from is not None else None

    model.to(dev)
    moved = [Split(s.X.to(dev), s.y.to(dev)) for s in (train, data.val)]
    scale = _target_scale(model, data, moved[0], standardize_targets, dev)
    objective = Objective(data, loss, metric, class_weight, scale, dev)
    if state is not None:
        model.load_state_dict(state["model"])
    params, flat = _flat_parameters(model) if dev.type == "cpu" else (
        [p for p in model.parameters() if p.requires_grad], False)
    opt = make_optimizer(params, optimizer, lr=lr, momentum=momentum, betas=betas,
                         eps=eps, weight_decay=weight_decay, foreach=not flat, fused=flat)
    sched = make_schedule(opt, schedule, epochs, **(schedule_options or {}))
    config = dict(optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
                  momentum=momentum, betas=tuple(betas), weight_decay=weight_decay,
                  schedule=schedule or "constant", seed=seed, n_train=n)
    if clip_grad_norm is not None or clip_grad_value is not None:
        config.update(clip_grad_norm=clip_grad_norm, clip_grad_value=clip_grad_value)
    if not objective.standard or dev.type != "cpu":
        config.update(loss=objective.loss_name, metric=objective.metric_name, device=str(dev),
                      class_weight=None if objective.weight is None else objective.weight.tolist(),
                      standardized_targets=scale is not None)
    hist = History(task=data.task, config=config, metric_name=objective.metric_name,
                   steps_per_epoch=len(_batch_starts(n, batch_size, merge_single)))
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        if state["scheduler"] is not None:
            sched.load_state_dict(state["scheduler"])
        hist = History(**state["history"])
        hist.config["epochs"] = epochs
        hist.status, hist.stop_reason = "completed", ""
        hist.stopped_epoch = hist.stopped_step = None
    with _threads(threads):
        _run(model, data, moved, opt, sched, hist, callbacks, batch_size, epochs, seed,
             track_gradients, track_dead_units, divergence_factor, flat=flat, objective=objective,
             device=dev, eval_batch_size=eval_batch_size, merge_single=merge_single, state=state,
             clip=(clip_grad_norm, clip_grad_value))
    return hist


def _load_checkpoint(path, epochs: int) -> dict:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"resume_from must be a file path written by ModelCheckpoint, got "
                        f"{type(path).__name__}")
    if not os.path.isfile(path):
        raise ValueError(f"resume_from must be an existing checkpoint file, got {os.fspath(path)!r} "
                         f"(no such file)")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or not {"epoch", "model", "optimizer", "history"} <= set(state):
        raise ValueError(f"resume_from {os.fspath(path)!r} is not a checkpoint written by "
                         f"ModelCheckpoint")
    if epochs <= state["epoch"]:
        raise ValueError(f"epochs must be > the checkpoint's epoch ({state['epoch']}) to train "
                         f"further, got {epochs}")
    return state


def _check_split_batch_stopper(data, train_split, batch_size, early_stopping):
    """Check the training split, batch size and early stopper; return (split, batch_size)."""
    train = data.train if train_split is None else train_split
    if not isinstance(train, Split):
        raise TypeError(f"train_split must be a Split (X, y), got {type(train).__name__}")
    n = len(train.y)
    batch_size = check.integer("batch_size", batch_size, low=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the training split size ({n}), got {batch_size}")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"early_stopping must be an EarlyStopping or None, got {early_stopping!r}")
    return train, batch_size


# Layers whose parameters every forward pass uses, so a zero gradient never stands for "unused".
_FLAT_SAFE = (nn.Linear, nn.Dropout, nn.Identity, nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh,
              nn.GELU, nn.ELU)


def _flat_parameters(model: nn.Module) -> tuple[list, bool]:
    """The trainable parameters for the optimizer: one flat tensor when that is safe.

    For a plain stack of layers (what ``mlp`` builds), the parameters become views into one
    flat tensor, and their gradients views into its gradient, so the optimizer does a handful
    of large operations per step instead of a handful per layer. Every number sees the same
    update rule as with the per-layer optimizer.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    plain = isinstance(model, nn.Sequential) and all(
        type(m) in _FLAT_SAFE for m in model.children())
    if not params or not plain or len({(p.dtype, p.device) for p in params}) > 1:
        return params, False
    with torch.no_grad():
        flat = torch.cat([p.detach().reshape(-1) for p in params])
    grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        size = p.numel()
        p.data = flat[offset:offset + size].view_as(p)
        p.grad = grad[offset:offset + size].view_as(p)  # backward adds into this in place
        offset += size
    flat = nn.Parameter(flat)
    flat.grad = grad
    return [flat], True


class _DirectStep:
    """``opt.step()`` for a fused SGD / Adam / AdamW over one flat tensor, without the detour.

    PyTorch's ``Optimizer.step`` spends about 0.1 ms in Python (hooks, grouping the tensors by
    device) before its fused kernel does the update in about 0.01 ms; for the course's networks
    that detour is a third of a training step. After one ordinary step (which creates the
    optimizer state) this calls the same kernel with the same arguments, reading the
    hyperparameters from ``param_groups`` every time, so schedules still apply.
    tests/test_backprop.py checks it against ``opt.step()`` bit for bit.
    """

    def __init__(self, opt: torch.optim.Optimizer):
        self.opt = opt
        self.kernel = None

    @staticmethod
    def applies(opt) -> bool:
        groups = opt.param_groups
        if len(groups) != 1 or len(groups[0]["params"]) != 1 or opt._optimizer_step_pre_hooks \
                or opt._optimizer_step_post_hooks:
            return False
        g = groups[0]
        if not g.get("fused") or g.get("maximize") or g.get("differentiable") or g.get("amsgrad"):
            return False
        return type(opt) in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW)

    def __call__(self) -> None:
        if self.kernel is None:
            self.opt.step()
            self._prepare()
            return
        self.kernel(self.opt.param_groups[0])

    def _prepare(self):
        opt = self.opt
        (p,) = opt.param_groups[0]["params"]
        state = opt.state[p]
        if isinstance(opt, torch.optim.SGD):
            buffers = [] if state.get("momentum_buffer") is None else [state["momentum_buffer"]]

            def sgd(g):
                torch._fused_sgd_([p], [p.grad], buffers, weight_decay=g["weight_decay"],
                                  momentum=g["momentum"], lr=g["lr"], dampening=g["dampening"],
                                  nesterov=g["nesterov"], maximize=False, is_first_step=False,
                                  grad_scale=None, found_inf=None)
            self.kernel = sgd
            return
        decoupled = type(opt) is torch.optim.AdamW or opt.param_groups[0].get("decoupled_weight_decay")
        fused = torch._fused_adamw_ if decoupled else torch._fused_adam_
        steps = [state["step"]]

        def adam(g):
            torch._foreach_add_(steps, 1)
            beta1, beta2 = g["betas"]
            fused([p], [p.grad], [state["exp_avg"]], [state["exp_avg_sq"]], [], steps,
                  amsgrad=False, lr=g["lr"], beta1=beta1, beta2=beta2,
                  weight_decay=g["weight_decay"], eps=g["eps"], maximize=False,
                  grad_scale=None, found_inf=None)
        self.kernel = adam


def _dropout_mask(shape, keep: float) -> torch.Tensor:
    """A dropout mask drawn exactly as ``nn.Dropout`` draws it (the same numbers per seed)."""
    return torch.empty(shape).bernoulli_(keep).div_(keep)


def _run(model, data, moved, opt, sched, hist, callbacks, batch_size, epochs, seed,
         track_gradients, track_dead_units, divergence_factor, flat=False, objective=None,
         device=torch.device("cpu"), eval_batch_size=EVAL_BATCH_SIZE, merge_single=False,
         state=None, clip=(None, None)):
    task = data.task
    objective = objective or Objective(data)
    train, val = moved
    gen = torch.Generator().manual_seed(seed)  # minibatch order: on the CPU, the same on every device
    trainer = Trainer(model, opt, hist, sched, gen, epochs)
    layers = weight_layers(model) if track_gradients else []
    X, y, n = train.X, train.y, len(train.y)
    passes = Backprop.of(model, task) if flat and objective.standard else None  # hand-written
    if passes is not None:
        weights = list(model.parameters())
        grads = [p.grad for p in weights]  # views into the flat gradient the optimizer reads
    step = _DirectStep(opt) if _DirectStep.applies(opt) else opt.step
    trained = [p for g in opt.param_groups for p in g["params"]]  # flat: one tensor
    clip_norm, clip_value = clip
    bounds = _batch_starts(n, batch_size, merge_single)

    model.eval()
    first = 1
    if state is None:
        out = _outputs(model, val.X, eval_batch_size)
        _check_output(out, data)
        loss0, metric0 = _score(model, train, objective, eval_batch_size)
        val0, vmetric0 = objective.score(out, val.y)
        hist.initial = dict(train_loss=loss0, val_loss=val0, train_metric=metric0,
                            val_metric=vmetric0)
        hist.baseline = objective.baseline(train, val)
        before = prediction_summary(task, out, val.y)
        hist.predictions = _with_start({}, before)  # the start, kept in checkpoints for a resume
    else:
        first = state["epoch"] + 1
        gen.set_state(state["generator"])
        loss0 = hist.initial["train_loss"]
        before = {k[len("start_"):]: v for k, v in hist.predictions.items() if k.startswith("start_")}
    limit = divergence_factor * max(loss0, 1e-3) if math.isfinite(loss0) else math.inf
    batch_limit = limit * BATCH_DIVERGENCE_SLACK
    blown = None  # (step in the run, minibatch loss) once a minibatch loss blows up

    for cb in callbacks:
        cb.on_train_begin(trainer)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.default_generator.manual_seed(seed)  # dropout masks on the CPU
        if device.type == "cuda":
            torch.cuda.manual_seed(seed)  # ... and on the GPU
        elif device.type == "mps":
            torch.mps.manual_seed(seed)
        if state is not None:
            torch.set_rng_state(state["rng"])
        for epoch in range(first, epochs + 1):
            start = time.perf_counter()
            lr_now = opt.param_groups[0]["lr"]
            model.train()
            order = torch.randperm(n, generator=gen).to(device)
            Xs, ys = X[order], y[order]  # shuffled once; the minibatches are slices of it
            losses, norms = [], []
            for i, j in bounds:
                xb, yb = Xs[i:j], ys[i:j]
                if passes is not None:
                    loss = passes.step(weights, grads, xb, yb, masks=_dropout_mask)
                    shown = loss
                else:
                    out = model(xb)
                    loss = objective.train_loss(out, yb)
                    opt.zero_grad(set_to_none=not flat)  # flat: keep the gradient views
                    loss.backward()
                    shown = loss if objective.scale is None else objective._loss(out.detach(), yb)
                losses.append(shown.detach())
                if track_gradients:
                    hist.grad_norm.append(_total_norm(trained))
                value = shown.item()
                if not value <= batch_limit or math.isinf(value):  # NaN fails the comparison
                    blown = ((epoch - 1) * hist.steps_per_epoch + len(losses), value)
                    break  # before the update: the weights stay those that gave this loss
                if layers:
                    norms.append(_grad_norms(layers))
                if clip_value is not None:
                    nn.utils.clip_grad_value_(trained, clip_value)
                if clip_norm is not None:
                    nn.utils.clip_grad_norm_(trained, clip_norm)
                step()
            sched.step()
            model.eval()
            train_loss, train_metric = _score(model, train, objective, eval_batch_size)
            val_loss, val_metric = _score(model, val, objective, eval_batch_size)
            hist.epoch.append(epoch)
            hist.train_loss.append(train_loss)
            hist.val_loss.append(val_loss)
            hist.train_metric.append(train_metric)
            hist.val_metric.append(val_metric)
            hist.lr.append(lr_now)
            hist.batch_loss.extend(torch.stack(losses).tolist())
            if layers and norms:
                hist.grad_norms.append(torch.stack(norms).mean(dim=0).tolist())
            if track_dead_units:
                hist.dead_fraction.append(dead_unit_fraction(model, X, batch_size=eval_batch_size))
            hist.seconds.append(time.perf_counter() - start)

            reason = divergence_reason(blown, train_loss, epoch, loss0, divergence_factor)
            if reason:
                hist.status, hist.stop_reason = "diverged", reason
                hist.stopped_epoch = epoch
                hist.stopped_step = blown[0] if blown else len(hist.batch_loss)
                break
            logs = dict(train_loss=train_loss, val_loss=val_loss, train_metric=train_metric,
                        val_metric=val_metric, lr=lr_now)
            for cb in callbacks:
                cb.on_epoch_end(trainer, epoch, logs)
            if trainer.stop:
                hist.status = trainer.stop_status
                hist.stopped_epoch = epoch
                hist.stop_reason = trainer.stop_reason
                hist.stopped_step = len(hist.batch_loss)
                break
    model.eval()
    finite = [(v, e) for v, e in zip(hist.val_loss, hist.epoch) if math.isfinite(v)]
    hist.best_epoch = min(finite)[1] if finite else None
    for cb in callbacks:
        cb.on_train_end(trainer)
    out = _outputs(model, val.X, eval_batch_size)
    hist.predictions = _with_start(prediction_summary(task, out, val.y), before)


def _check_output(out: torch.Tensor, data: Data) -> None:
    """The model's output must have one column per class (or target): say so before PyTorch does."""
    want = data.n_outputs or (out.shape[1] if out.dim() == 2 else 1)  # a Data built by hand
    if out.dim() != 2 or out.shape[1] != want:
        what = (f"one logit per class ({want} classes; a binary model needs 2 outputs, not 1)"
                if data.task == CLASSIFICATION else f"one output per target ({want})")
        raise ValueError(f"model output must have shape (batch, {want}): {what}; got "
                         f"{tuple(out.shape)}. End the model with a layer of {want} outputs, "
                         f"e.g. nn.Linear(..., {want})")


def _with_start(after: dict, before: dict) -> dict:
    return {**after, **{f"start_{k}": v for k, v in before.items() if k != "majority_share"}}


def divergence_reason(blown, train_loss: float, epoch: int, start: float, factor: float) -> str:
    """Why a run counts as diverged after ``epoch`` ("" if it does not); shared with fit_many.

    ``blown`` is (step, loss) of a minibatch whose loss blew up in this epoch, or None.
    """
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
