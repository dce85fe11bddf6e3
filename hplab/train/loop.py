"""The training loop: plain PyTorch, readable top to bottom, and the reference for every path.

For each epoch: draw the minibatches, and for each one compute the gradients, check the loss,
clip, step; then step the schedule, score the model on the training and validation splits,
record everything in the :class:`History`, and ask the callbacks whether to go on. The step is
an object with two methods, ``gradients(xb, yb) -> loss`` and ``update()``:
:class:`AutogradStep` here (any module, device, loss, metric), or ``_fast.FastStep`` for the
course's MLPs on the CPU, which gives the same numbers faster.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time

import torch
from torch import nn

from .callbacks import DivergenceRule, best_epoch
from .diagnostics import _grad_norms, _total_norm, dead_unit_fraction, weight_layers
from .metrics import EVAL_BATCH_SIZE, _check_output, _score, join_predictions, outputs_and_targets, prediction_summary


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


class AutogradStep:
    """One minibatch through autograd: forward, loss, backward; ``update()`` steps the optimizer."""

    def __init__(self, model: nn.Module, objective, optimizer: torch.optim.Optimizer):
        self.model, self.objective, self.optimizer = model, objective, optimizer

    def gradients(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        out = self.model(xb)  # (batch, outputs)
        loss = self.objective.train_loss(out, yb)
        self.optimizer.zero_grad()
        loss.backward()
        if self.objective.scale is None:
            return loss
        return self.objective._loss(out.detach(), yb)  # reported in the targets' own units

    def update(self) -> None:
        self.optimizer.step()


class TensorBatches:
    """Minibatches sliced from tensors in memory, in a new seeded order every epoch.

    A last minibatch of one example joins the one before it when ``merge_single`` (BatchNorm
    cannot normalize a single example).
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator,
                 merge_single: bool = False):
        self.X, self.y, self.generator = X, y, generator
        n = len(y)
        self.bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
        if merge_single and len(self.bounds) > 1 and self.bounds[-1][1] - self.bounds[-1][0] == 1:
            self.bounds[-2:] = [(self.bounds[-2][0], n)]

    def __len__(self) -> int:
        return len(self.bounds)

    def __iter__(self):
        order = torch.randperm(len(self.y), generator=self.generator).to(self.X.device)
        Xs, ys = self.X[order], self.y[order]  # shuffled once; the minibatches are slices of it
        for i, j in self.bounds:
            yield Xs[i:j], ys[i:j]


class LoaderBatches:
    """The minibatches of a DataLoader, moved to ``device`` (the loader shuffles, if it does).
    ``batchnorm``: the model has BatchNorm, which cannot train on a minibatch of one example;
    such a minibatch is refused with the fix named, before the model sees it."""

    def __init__(self, loader, device: torch.device, *, batchnorm: bool = False):
        self.loader, self.device, self.batchnorm = loader, device, batchnorm

    def __len__(self) -> int:
        try:
            return len(self.loader)
        except TypeError:  # an iterable-style dataset without a length
            return 0

    def __iter__(self):
        for xb, yb in self.loader:
            if self.batchnorm and len(xb) == 1:
                size = getattr(self.loader, "batch_size", None)
                raise ValueError(
                    f"the training DataLoader gave a minibatch of 1 example (batch_size {size}), "
                    f"and the model's BatchNorm cannot train on one example; give the loader "
                    f"drop_last=True, or a batch size that leaves a last minibatch of 2 or more")
            yield xb.to(self.device), yb.to(self.device)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device, rng_state=None):
    """Run a block with PyTorch's global generators seeded (dropout masks, a DataLoader's order),
    on the CPU and on ``device``; their state outside the block is left as it was.
    ``rng_state`` continues the CPU generator from a checkpoint instead."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.default_generator.manual_seed(seed)
        if device.type == "cuda":
            torch.cuda.manual_seed(seed)
        elif device.type == "mps":
            torch.mps.manual_seed(seed)
        if rng_state is not None:
            torch.set_rng_state(rng_state)
        yield


def run(model: nn.Module, step, batches, train, val, objective, trainer: Trainer, callbacks, *,
        epochs: int, seed: int, divergence_factor: float, device: torch.device,
        n_outputs: int = 0, clip=(None, None), track_gradients: bool = False,
        track_dead_units: bool = False, eval_batch_size: int = EVAL_BATCH_SIZE,
        state: dict | None = None) -> None:
    """Train ``model`` for ``epochs`` epochs, recording into ``trainer.history``.

    ``batches`` yields the training minibatches; ``train`` and ``val`` are what the model is
    scored on after every epoch (a Split or a DataLoader; ``val`` may be None: scores are NaN).
    ``state`` is a checkpoint to continue from.
    """
    hist, opt, sched = trainer.history, trainer.optimizer, trainer.scheduler
    task = objective.task
    layers = weight_layers(model) if track_gradients else []
    trained = [p for g in opt.param_groups for p in g["params"]]
    clip_norm, clip_value = clip

    def scores(split):  # (loss, metric) on a whole split, NaN where there is none
        return (math.nan, math.nan) if split is None else \
            _score(model, split, objective, eval_batch_size, device)

    def summary():  # how varied the predictions on the validation split are
        return {} if val is None else prediction_summary(
            task, *outputs_and_targets(model, val, eval_batch_size, device))

    model.eval()
    first = 1
    if state is None:
        out, y = outputs_and_targets(model, train, eval_batch_size, device)
        _check_output(out, n_outputs, task)
        loss0, metric0 = objective.score(out, y)
        val0, vmetric0 = scores(val)
        hist.initial = dict(train_loss=loss0, val_loss=val0, train_metric=metric0,
                            val_metric=vmetric0)
        before = summary()
        hist.predictions = join_predictions({}, before)  # the start, kept in checkpoints for a resume
    else:
        first = state["epoch"] + 1
        if trainer.generator is not None:
            trainer.generator.set_state(state["generator"])
        loss0 = hist.initial["train_loss"]
        before = {k[len("start_"):]: v for k, v in hist.predictions.items() if k.startswith("start_")}
    rule = DivergenceRule(loss0, divergence_factor)
    blown = None  # (step in the run, minibatch loss) once a minibatch loss blows up

    for cb in callbacks:
        cb.on_train_begin(trainer)
    with seeded(seed, device, rng_state=None if state is None else state["rng"]):
        for epoch in range(first, epochs + 1):
            start = time.perf_counter()
            lr_now = opt.param_groups[0]["lr"]
            model.train()
            losses, norms = [], []
            for xb, yb in batches:
                loss = step.gradients(xb, yb)
                losses.append(loss.detach())
                if track_gradients:
                    hist.grad_norm.append(_total_norm(trained))
                value = loss.item()
                if rule.batch_blown(value):
                    blown = ((epoch - 1) * hist.steps_per_epoch + len(losses), value)
                    break  # before the update: the weights stay those that gave this loss
                if layers:
                    norms.append(_grad_norms(layers))
                if clip_value is not None:
                    nn.utils.clip_grad_value_(trained, clip_value)
                if clip_norm is not None:
                    nn.utils.clip_grad_norm_(trained, clip_norm)
                step.update()
            if blown is None:  # a blown-up run ends with this epoch: no further rate to set
                sched.step()
            model.eval()
            train_loss, train_metric = scores(train)
            val_loss, val_metric = scores(val)
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
                inputs = train.X if hasattr(train, "X") else train
                hist.dead_fraction.append(dead_unit_fraction(model, inputs, batch_size=eval_batch_size))
            hist.seconds.append(time.perf_counter() - start)

            reason = rule.reason(blown, train_loss, epoch)
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
    hist.best_epoch = best_epoch(hist.val_loss, hist.epoch)
    for cb in callbacks:
        cb.on_train_end(trainer)
    hist.predictions = join_predictions(summary(), before)
