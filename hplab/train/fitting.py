"""``fit``: check the arguments once, pick the training step, and run the loop.

    >>> import hplab
    >>> data = hplab.load_dataset("moons", seed=0)
    >>> hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, lr=1e-2, epochs=5)
    >>> hist.status, len(hist.val_loss)
    ('completed', 5)
"""

from __future__ import annotations

import contextlib
import os
from typing import NamedTuple

import torch
from torch import nn
from torch.utils.data import DataLoader

from .. import _validate as check
from ..data import CLASSIFICATION, REGRESSION, Data, Split
from ._fast import FastStep
from .callbacks import MONITORS, Callback, EarlyStopping, ProgressBar
from .history import History
from .loop import AutogradStep, LoaderBatches, TensorBatches, Trainer, run
from .metrics import EVAL_BATCH_SIZE, Objective
from .settings import TrainSettings


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` PyTorch CPU threads, then restore the number there was."""
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


def fit(model: nn.Module, data, *, optimizer: str = "adam", lr: float = 1e-3,
        batch_size: int | None = None, epochs: int = 20, momentum: float | None = None,
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
        model: any ``torch.nn.Module`` whose output is (batch, classes) or (batch, targets).
        data: a :class:`hplab.Data` bundle; or a torch ``DataLoader`` of ``(inputs, targets)``
            batches, or a pair ``(train_loader, val_loader)``. A loader brings its own batches
            (its batch size, order and any augmentation): leave ``batch_size`` unset. Integer
            targets are class labels (one logit per class), float targets (batch, targets) are
            regression. With one loader there is no validation split: the validation scores are
            NaN and early stopping must monitor a training score.
        optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw (PyTorch's classes).
        lr: learning rate (> 0); momentum, betas, eps, weight_decay: the optimizer's knobs.
        batch_size: examples per update, 1 .. size of the training split (default 32). For a model with
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
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    loaders = _as_loaders(data)
    settings = TrainSettings(
        optimizer=optimizer, lr=lr, momentum=momentum, betas=betas, eps=eps,
        weight_decay=weight_decay, batch_size=32 if batch_size is None else batch_size,
        epochs=epochs, schedule=schedule, schedule_options=schedule_options,
        clip_grad_norm=clip_grad_norm, clip_grad_value=clip_grad_value,
        divergence_factor=divergence_factor, seed=seed)
    threads = check.integer("threads", threads, low=1, high=256)
    check.boolean("track_gradients", track_gradients)
    check.boolean("track_dead_units", track_dead_units)
    check.boolean("progress", progress)
    eval_batch_size = check.integer("eval_batch_size", eval_batch_size, low=1)
    if standardize_targets not in (True, False, "auto"):
        raise ValueError(f"standardize_targets must be True, False or 'auto', got "
                         f"{standardize_targets!r}")
    dev = resolve_device(device)
    _check_stopper(early_stopping)
    if loaders is None:
        train, batch_size = check_training_split(data, train_split, settings.batch_size)
    else:
        _loaders_alone(loaders, batch_size, train_split)
    merge_single = loaders is None and _has_batchnorm(model)
    if merge_single and batch_size == 1:
        raise ValueError("batch_size must be >= 2 for a model with BatchNorm (it cannot "
                         "normalize a single example), got 1")
    callbacks = _callbacks(callbacks, early_stopping, progress, validation=loaders is None
                           or loaders[1] is not None)
    state = _load_checkpoint(resume_from, settings.epochs) if resume_from is not None else None

    model.to(dev)
    if loaders is None:
        train, val = (Split(s.X.to(dev), s.y.to(dev)) for s in (train, data.val))
        targets, n_outputs, task = data, data.n_outputs, data.task
        gen = torch.Generator().manual_seed(settings.seed)  # minibatch order: on the CPU, any device
        batches = TensorBatches(train.X, train.y, batch_size, gen, merge_single)
        scored = (train, val)
    else:
        targets = _loader_targets(model, *loaders, dev)
        train, val = targets.train, targets.val
        n_outputs, task, gen = targets.n_outputs, targets.task, None
        batches = LoaderBatches(loaders[0], dev, batchnorm=_has_batchnorm(model))
        scored = loaders
    scale = _target_scale(model, targets, train, standardize_targets, dev)
    objective = Objective(targets, loss, metric, class_weight, scale, dev)
    if state is not None:
        model.load_state_dict(state["model"])
    fast = FastStep.of(model, objective, dev)  # None: autograd is the right tool here
    params = fast.params if fast else [p for p in model.parameters() if p.requires_grad]
    opt = settings.make_optimizer(params, foreach=fast is None, fused=fast is not None)
    sched = settings.make_schedule(opt)
    step = fast.with_optimizer(opt) if fast else AutogradStep(model, objective, opt)

    config = settings.as_config(n_train=len(train.y))
    if loaders is not None:
        config["batch_size"] = loaders[0].batch_size
    if not objective.standard or dev.type != "cpu":
        config.update(loss=objective.loss_name, metric=objective.metric_name, device=str(dev),
                      class_weight=None if objective.weight is None else objective.weight.tolist(),
                      standardized_targets=scale is not None)
    hist = History(task=task, config=config, metric_name=objective.metric_name,
                   steps_per_epoch=len(batches))
    if state is None:
        hist.baseline = objective.baseline(train, val) if val is not None else {}
    else:
        opt.load_state_dict(state["optimizer"])
        if state["scheduler"] is not None:
            sched.load_state_dict(state["scheduler"])
        hist = History(**state["history"])
        hist.config["epochs"] = settings.epochs
        hist.status, hist.stop_reason = "completed", ""
        hist.stopped_epoch = hist.stopped_step = None
    trainer = Trainer(model, opt, hist, sched, gen, settings.epochs)
    with torch_threads(threads):
        run(model, step, batches, *scored, objective, trainer, callbacks,
            epochs=settings.epochs, seed=settings.seed, divergence_factor=settings.divergence_factor,
            device=dev, n_outputs=n_outputs, clip=(settings.clip_grad_norm, settings.clip_grad_value),
            track_gradients=track_gradients, track_dead_units=track_dead_units,
            eval_batch_size=eval_batch_size, state=state)
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


def _check_stopper(early_stopping) -> None:
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"early_stopping must be an EarlyStopping or None, got {early_stopping!r}")


def check_training_split(data: Data, train_split, batch_size) -> tuple[Split, int]:
    """The split to train on (``train_split``, or ``data.train`` if None) and the checked batch
    size, which must be 1 .. the size of that split."""
    train = data.train if train_split is None else train_split
    if not isinstance(train, Split):
        raise TypeError(f"train_split must be a Split (X, y), got {type(train).__name__}")
    n = len(train.y)
    batch_size = check.integer("batch_size", batch_size, low=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the training split size ({n}), got {batch_size}")
    return train, batch_size


def _callbacks(callbacks, early_stopping, progress: bool, validation: bool) -> list:
    """fit's callbacks in the order they run: the learner's, early stopping, the progress bar."""
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
    if early_stopping is not None:
        callbacks.append(early_stopping)
    if not validation:
        for cb in callbacks:
            if getattr(cb, "monitor", None) in MONITORS and cb.monitor.startswith("val_"):
                raise ValueError(f"{type(cb).__name__} monitors {cb.monitor!r}, but a single "
                                 f"DataLoader has no validation split; pass data=(train_loader, "
                                 f"val_loader) or monitor='train_loss'")
    if progress:
        callbacks.append(ProgressBar())
    return callbacks


# ----------------------------------------------------------------------------- DataLoader input


class _LoaderTargets(NamedTuple):
    """What fit needs to know about data that comes from DataLoaders (``Data``'s fields)."""

    task: str
    n_outputs: int
    train: Split  # X is None: only the targets, in the loader's order
    val: Split | None


def _as_loaders(data):
    """(train_loader, val_loader or None) for DataLoader input, None for a Data bundle."""
    if isinstance(data, Data):
        return None
    if isinstance(data, DataLoader):
        return data, None
    if (isinstance(data, (tuple, list)) and len(data) == 2
            and all(isinstance(d, DataLoader) for d in data)):
        return tuple(data)
    raise TypeError(f"data must be an hplab Data bundle (see load_dataset or Data.from_arrays), "
                    f"a torch DataLoader of (inputs, targets) batches, or a pair (train_loader, "
                    f"val_loader); got {type(data).__name__}")


def _loaders_alone(loaders, batch_size, train_split) -> None:
    """Settings that belong to a Data bundle make no sense with loaders: refuse them."""
    if batch_size is not None:
        raise ValueError(f"batch_size must be left unset when data is a DataLoader (its own batch "
                         f"size, {loaders[0].batch_size}, is used), got {batch_size}")
    if train_split is not None:
        raise ValueError("train_split must be left unset when data is a DataLoader; pass the "
                         "loader of the examples to train on")


@torch.no_grad()
def _loader_targets(model, train_loader, val_loader, device) -> _LoaderTargets:
    """Read the targets once, tell the task from their dtype, and check them against the model."""
    def targets(loader, name):
        ys = []
        for batch in loader:
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise TypeError(f"{name} must yield (inputs, targets) pairs, got a batch of type "
                                f"{type(batch).__name__}")
            ys.append(torch.as_tensor(batch[1]))
        if not ys:
            raise ValueError(f"{name} yields no batches")
        return torch.cat(ys).to(device)

    y = targets(train_loader, "the training DataLoader")
    y_val = None if val_loader is None else targets(val_loader, "the validation DataLoader")
    if y.is_floating_point():
        if y.dim() != 2:
            raise ValueError(f"regression targets must have shape (batch, targets), got a batch "
                             f"shaped {tuple(y.shape[1:]) or '(batch,)'}; return y.reshape(-1, 1) "
                             f"(or y[:, None]) from the Dataset")
        task, n_outputs = REGRESSION, y.shape[1]
        want = next((p.dtype for p in model.parameters()), torch.float32)
        if y.dtype != want:
            raise ValueError(f"regression targets must have the model's dtype ({want}), got "
                             f"{y.dtype}; convert them in the Dataset, e.g. y.to({want})")
    else:
        if y.dim() != 1:
            raise ValueError(f"class labels must have shape (batch,), got a batch shaped "
                             f"{tuple(y.shape)}")
        task = CLASSIFICATION
        if y.dtype != torch.long:
            raise ValueError(f"class labels must be torch.long (int64) for cross-entropy, got "
                             f"{y.dtype}; convert them in the Dataset, e.g. y.long()")
        xb = next(iter(train_loader))[0].to(device)
        was_training = model.training
        model.eval()
        n_outputs = model(xb[:2]).shape[-1]  # one logit per class
        model.train(was_training)
        top = int(max(y.max(), y_val.max() if y_val is not None and len(y_val) else 0))
        if y.min() < 0 or top >= n_outputs:
            raise ValueError(f"class labels must be 0..{n_outputs - 1} for a model with "
                             f"{n_outputs} outputs, got labels {int(y.min())}..{top}")
    return _LoaderTargets(task, n_outputs, Split(None, y),
                          None if y_val is None else Split(None, y_val))
