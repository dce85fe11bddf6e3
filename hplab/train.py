"""The training engine: ``fit`` a model on a ``Data`` bundle and get a ``History`` back.

Batches are sliced from tensors already in memory (no DataLoader), the optimizers and schedules
are PyTorch's own, and a run that blows up ends quietly with ``status="diverged"`` at the
minibatch where it happened (see :func:`fit` for the rule). For the
networks ``mlp`` builds, the gradients come from the hand-written backward pass in
``hplab.backprop`` and the optimizer runs PyTorch's fused kernel; any other model goes through
autograd. Both give the same numbers up to float rounding (tests/test_backprop.py).

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
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from . import _validate as check
from .backprop import Backprop
from .data import CLASSIFICATION, Data, Split
from .models import linear_layers

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
    dead_fraction: list = field(default_factory=list)  # per epoch: share of dead hidden units
    initial: dict = field(default_factory=dict)
    status: str = "completed"
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    stopped_step: int | None = None  # minibatch (1-based, whole run) at which the run stopped
    steps_per_epoch: int = 0
    predictions: dict = field(default_factory=dict)  # the final model on validation, see above
    stop_reason: str = ""

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


def loss_fn(task: str):
    return F.cross_entropy if task == CLASSIFICATION else F.mse_loss


def metric_value(task: str, out: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy for classification, R² for regression."""
    if task == CLASSIFICATION:
        return (out.argmax(dim=1) == y).float().mean().item()
    sse = ((out - y) ** 2).sum()
    sst = ((y - y.mean()) ** 2).sum().clamp_min(1e-12)
    return (1 - sse / sst).item()


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


@torch.no_grad()
def _score(model: nn.Module, split: Split, task: str) -> tuple[float, float]:
    out = model(split.X)
    loss = loss_fn(task)(out, split.y).item()
    if not math.isfinite(loss) or not torch.isfinite(out).all():
        return (loss if not math.isfinite(loss) else math.inf), math.nan
    return loss, metric_value(task, out, split.y)


def evaluate(model: nn.Module, data: Data, split: str = "val") -> dict:
    """Loss and metric of ``model`` on one split: ``{"loss": ..., "metric": ...}``.

    The metric is accuracy for classification and R² for regression. Reading the test split
    counts as one look at it (``data.test_reads``).
    """
    _check_model_data(model, data)
    part = data.split(split)
    was_training = model.training
    model.eval()
    try:
        loss, metric = _score(model, part, data.task)
    finally:
        model.train(was_training)
    return {"loss": loss, "metric": metric}


def _check_model_data(model, data):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset), "
                        f"got {type(data).__name__}")


# ----------------------------------------------------------------------------- diagnostics


def _grad_norms(layers) -> torch.Tensor:
    return torch.stack([layer.weight.grad.norm() if layer.weight.grad is not None
                        else torch.zeros(()) for layer in layers])


@torch.no_grad()
def dead_unit_fraction(model: nn.Module, X: torch.Tensor) -> float:
    """Share of hidden ReLU units that output 0 for every input in ``X`` (they no longer learn)."""
    acts = [m for m in model.modules() if type(m) is nn.ReLU]
    if not acts:
        return 0.0
    outs = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: outs.append(o)) for m in acts]
    was_training = model.training
    model.eval()
    try:
        model(X)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    dead = sum(int((o <= 0).all(dim=0).sum()) for o in outs)
    return dead / sum(o.shape[1] for o in outs)


# ----------------------------------------------------------------------------- the loop


class Trainer:
    """State shared with callbacks during a run: ``model``, ``optimizer``, ``history``, ``stop``."""

    def __init__(self, model, optimizer, history):
        self.model = model
        self.optimizer = optimizer
        self.history = history
        self.stop = False
        self.stop_status = "stopped"
        self.stop_reason = ""


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


def fit(model: nn.Module, data: Data, *, optimizer: str = "adam", lr: float = 1e-3,
        batch_size: int = 32, epochs: int = 20, momentum: float | None = None,
        betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
        schedule: str | None = None, schedule_options: dict | None = None,
        early_stopping: EarlyStopping | None = None, callbacks=(),
        track_gradients: bool = False, track_dead_units: bool = False,
        divergence_factor: float = 10.0, train_split: Split | None = None,
        threads: int = 1, seed: int = 0) -> History:
    """Train ``model`` on ``data.train`` with minibatch gradient descent; score on ``data.val``.

    Args:
        optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw (PyTorch's classes).
        lr: learning rate (> 0); momentum, betas, eps, weight_decay: the optimizer's knobs.
        batch_size: examples per update, 1 .. size of the training split.
        epochs: passes over the training split.
        schedule: None/"constant", "step", "exponential", "cosine", "one_cycle", "warmup",
            "warmup_cosine", stepped once per epoch; ``schedule_options`` tunes it.
        early_stopping: an :class:`EarlyStopping`, or None.
        callbacks: more :class:`Callback` objects (live plots, progress bars, pruning).
        track_gradients: record each Linear layer's mean weight-gradient norm per epoch.
        track_dead_units: record the share of dead ReLU units per epoch.
        divergence_factor: the run diverges, and stops at once, when a minibatch loss is NaN/inf
            or more than ``divergence_factor * BATCH_DIVERGENCE_SLACK`` (1000 by default) times
            the starting training loss, or when the loss on the whole training split after an
            epoch is NaN/inf or more than ``divergence_factor`` times it. The minibatch check runs
            before each update, so a run that blows up in the middle of an epoch ends there
            (``History.stopped_step``).
        train_split: train on this split instead of ``data.train`` (e.g. ``data.train_val()``).
        threads: CPU threads for this run; 1 is fastest for the course's small networks.
        seed: order of the minibatches (and dropout masks).

    Returns:
        A :class:`History`; the model is trained in place. ``History.predictions`` describes the
        final model's predictions on the validation split.

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
    train, batch_size = _check_split_batch_stopper(data, train_split, batch_size, early_stopping)
    n = len(train.y)
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
    if early_stopping is not None:
        callbacks.append(early_stopping)
    if schedule_options is not None and not isinstance(schedule_options, dict):
        raise TypeError(f"schedule_options must be a dict, got {type(schedule_options).__name__}")

    params, flat = _flat_parameters(model)
    opt = make_optimizer(params, optimizer, lr=lr, momentum=momentum, betas=betas,
                         eps=eps, weight_decay=weight_decay, foreach=not flat, fused=flat)
    sched = make_schedule(opt, schedule, epochs, **(schedule_options or {}))
    config = dict(optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs,
                  momentum=momentum, betas=tuple(betas), weight_decay=weight_decay,
                  schedule=schedule or "constant", seed=seed, n_train=n)
    hist = History(task=data.task, config=config,
                   metric_name="accuracy" if data.task == CLASSIFICATION else "r2",
                   steps_per_epoch=math.ceil(n / batch_size))
    with _threads(threads):
        _run(model, data, train, opt, sched, hist, callbacks, batch_size, epochs, seed,
             track_gradients, track_dead_units, divergence_factor, flat=flat)
    return hist


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


def _run(model, data, train, opt, sched, hist, callbacks, batch_size, epochs, seed,
         track_gradients, track_dead_units, divergence_factor, flat=False):
    task = data.task
    criterion = loss_fn(task)
    trainer = Trainer(model, opt, hist)
    layers = linear_layers(model) if track_gradients else []
    gen = torch.Generator().manual_seed(seed)
    X, y, n = train.X, train.y, len(train.y)
    passes = Backprop.of(model, task) if flat else None  # hand-written backprop when it applies
    if passes is not None:
        weights = list(model.parameters())
        grads = [p.grad for p in weights]  # views into the flat gradient the optimizer reads
    step = _DirectStep(opt) if _DirectStep.applies(opt) else opt.step

    model.eval()
    loss0, metric0 = _score(model, train, task)
    val0, vmetric0 = _score(model, data.val, task)
    hist.initial = dict(train_loss=loss0, val_loss=val0, train_metric=metric0, val_metric=vmetric0)
    with torch.no_grad():
        before = prediction_summary(task, model(data.val.X), data.val.y)
    limit = divergence_factor * max(loss0, 1e-3) if math.isfinite(loss0) else math.inf
    batch_limit = limit * BATCH_DIVERGENCE_SLACK
    blown = None  # (step in the run, minibatch loss) once a minibatch loss blows up

    for cb in callbacks:
        cb.on_train_begin(trainer)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # dropout masks (CPU only: no lazy GPU calls)
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr_now = opt.param_groups[0]["lr"]
            model.train()
            order = torch.randperm(n, generator=gen)
            Xs, ys = X[order], y[order]  # shuffled once; the minibatches are slices of it
            losses, norms = [], []
            for i in range(0, n, batch_size):
                xb, yb = Xs[i:i + batch_size], ys[i:i + batch_size]
                if passes is not None:
                    loss = passes.step(weights, grads, xb, yb, masks=_dropout_mask)
                else:
                    loss = criterion(model(xb), yb)
                    opt.zero_grad(set_to_none=not flat)  # flat: keep the gradient views
                    loss.backward()
                losses.append(loss.detach())
                value = loss.item()
                if not value <= batch_limit or math.isinf(value):  # NaN fails the comparison
                    blown = ((epoch - 1) * hist.steps_per_epoch + len(losses), value)
                    break  # before the update: the weights stay those that gave this loss
                if layers:
                    norms.append(_grad_norms(layers))
                step()
            sched.step()
            model.eval()
            train_loss, train_metric = _score(model, train, task)
            val_loss, val_metric = _score(model, data.val, task)
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
                hist.dead_fraction.append(dead_unit_fraction(model, X))
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
    with torch.no_grad():
        hist.predictions = _with_start(prediction_summary(task, model(data.val.X), data.val.y),
                                       before)


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
