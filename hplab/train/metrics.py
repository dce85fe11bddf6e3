"""Losses, metrics and scoring: what ``fit`` minimizes and what it reports.

Metrics follow scikit-learn's definitions (tests/test_fit_real_models.py checks them against it).
Scoring runs ``EVAL_BATCH_SIZE`` examples at a time, from tensors or from a DataLoader.

    >>> accuracy(torch.tensor([[2., 0.], [0., 1.]]), torch.tensor([0, 0]))
    0.5
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from .. import _validate as check
from ..data import CLASSIFICATION, REGRESSION, Data, Split

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


def join_predictions(end: dict, start: dict) -> dict:
    """One ``History.predictions`` dict from two :func:`prediction_summary` results: the end as
    it is, the start with its keys prefixed ``start_``."""
    return {**end, **{f"start_{k}": v for k, v in start.items() if k != "majority_share"}}


class Objective:
    """What ``fit`` minimizes and reports: the loss, the metric, class weights, target scaling.

    ``train_loss(out, y)`` is the differentiable loss for a minibatch (on standardized targets
    when they are scaled); ``score(out, y)`` gives (loss, metric) as reported, in the original
    units of the targets. ``standard`` is True when this is exactly the course's setting
    (cross-entropy without weights / MSE on raw targets), which the hand-written backward pass
    implements.
    """

    def __init__(self, data, loss=None, metric=None, class_weight=None, scale=None,
                 device=torch.device("cpu")):
        task = data.task  # a Data, or anything with task, n_outputs and train.y (DataLoader input)
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
def _outputs(model: nn.Module, X: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """``model(X)`` computed ``batch_size`` examples at a time (one call when X is smaller)."""
    if len(X) <= batch_size:
        return model(X)
    return torch.cat([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


@torch.no_grad()
def outputs_and_targets(model: nn.Module, source, batch_size: int = EVAL_BATCH_SIZE,
                        device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(outputs, targets) of ``model`` over a whole split: a :class:`Split` of tensors, or a
    DataLoader of ``(inputs, targets)`` batches (moved to ``device``, in the loader's order)."""
    if isinstance(source, DataLoader):
        outs, ys = [], []
        for xb, yb in source:
            outs.append(model(xb.to(device)))
            ys.append(yb.to(device))
        return torch.cat(outs), torch.cat(ys)
    return _outputs(model, source.X, batch_size), source.y


@torch.no_grad()
def _score(model: nn.Module, split, task, batch_size: int = EVAL_BATCH_SIZE, device=None):
    """(loss, metric) of ``model`` on ``split`` (a Split or a DataLoader); ``task`` is a task
    name or an :class:`Objective`."""
    out, y = outputs_and_targets(model, split, batch_size, device)
    if isinstance(task, Objective):
        return task.score(out, y)
    loss = loss_fn(task)(out, y).item()
    if not math.isfinite(loss) or not torch.isfinite(out).all():
        return (loss if not math.isfinite(loss) else math.inf), math.nan
    return loss, metric_value(task, out, y)


def _check_output(out: torch.Tensor, n_outputs: int, task: str) -> None:
    """The model's output must have one column per class (or target): say so before PyTorch does."""
    want = n_outputs or (out.shape[1] if out.dim() == 2 else 1)  # a Data built by hand
    if out.dim() != 2 or out.shape[1] != want:
        what = (f"one logit per class ({want} classes; a binary model needs 2 outputs, not 1)"
                if task == CLASSIFICATION else f"one output per target ({want})")
        raise ValueError(f"model output must have shape (batch, {want}): {what}; got "
                         f"{tuple(out.shape)}. End the model with a layer of {want} outputs, "
                         f"e.g. nn.Linear(..., {want})")


def evaluate(model: nn.Module, data, split: str | None = None, *, metric=None, loss=None,
             class_weight=None, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """Loss and metric of ``model`` on one split: ``{"loss": ..., "metric": ...}``.

    ``data`` is a :class:`Data` bundle, scored on ``split`` ("val" unless given), or a torch
    DataLoader of ``(inputs, targets)`` batches, scored whole in its own batches, as ``fit``
    scores a validation loader (``split`` and ``batch_size`` are then left unset). The metric is
    accuracy for classification and R² for regression unless ``metric`` names another (as in
    :func:`fit`, like ``loss`` and ``class_weight``). The examples move to the model's device.
    Reading a bundle's test split counts as one look at it (``data.test_reads``).
    """
    first = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    device = first.device if first is not None else torch.device("cpu")
    if isinstance(data, DataLoader):
        return _evaluate_loader(model, data, split, metric, loss, class_weight, batch_size, device)
    _check_model_data(model, data)
    batch_size = check.integer("batch_size", batch_size, low=1)
    part = data.split("val" if split is None else split)
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
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset) or a torch "
                        f"DataLoader of (inputs, targets) batches, got {type(data).__name__}")


def _evaluate_loader(model, loader, split, metric, loss, class_weight, batch_size, device) -> dict:
    """:func:`evaluate` on a DataLoader: its targets tell the task, as in ``fit``."""
    from .fitting import _loader_targets  # fit's reading of a loader: task, classes, checks

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if split is not None:
        raise ValueError(f"split must be left unset when data is a DataLoader (the loader is the "
                         f"split), got {split!r}")
    if batch_size != EVAL_BATCH_SIZE:
        raise ValueError(f"batch_size must be left unset when data is a DataLoader (its own batch "
                         f"size, {loader.batch_size}, is used), got {batch_size!r}")
    if isinstance(class_weight, str):
        raise ValueError(f"class_weight={class_weight!r} counts the training labels, which a "
                         f"DataLoader to score does not hold; pass the weights the run used: "
                         f"history.config['class_weight']")
    targets = _loader_targets(model, loader, None, device)
    objective = Objective(targets, loss, metric, class_weight, device=device)
    was_training = model.training
    model.eval()
    try:
        loss_value, value = _score(model, loader, objective, device=device)
    finally:
        model.train(was_training)
    return {"loss": loss_value, "metric": value}

