"""The learning-rate range test ("LR finder"): sweep the rate upwards in one short run.

Start with a tiny learning rate and multiply it by a constant after every minibatch, so it
grows geometrically from ``start_lr`` to ``end_lr``. Record the loss at each rate. While the
rate is too small the loss barely moves; in a good range it falls fast; past a point it
shoots up. A good rate sits where the loss is still falling steeply, before the blow-up.
The model's weights (and the optimizer's state, if you passed one) are put back afterwards,
so the test costs nothing but a little time.

    >>> data = hplab.load_dataset("moons", seed=0)                  # doctest: +SKIP
    >>> model = hplab.mlp(2, 2, seed=0)                             # doctest: +SKIP
    >>> found = hplab.lr_range_test(model, data, optimizer="sgd")   # doctest: +SKIP
    >>> found.suggestion, found.rule                                # doctest: +SKIP
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import _validate as check
from .train import OPTIMIZERS, _check_model_data, loss_fn, make_optimizer

RULES = ("steepest", "min_tenth")

RULE_TEXT = {
    "steepest": "the rate where the smoothed loss falls fastest per step of log(rate), "
                "looking only at rates below the one with the lowest loss (and past the first "
                "tenth of the sweep, where the average is still warming up)",
    "min_tenth": "one tenth of the rate with the lowest smoothed loss (a safety margin below "
                 "the point where the loss turns up)",
}


@dataclass
class LRRangeTest:
    """What a learning-rate range test saw, and the rate it suggests.

    ``lrs`` and ``losses`` hold one value per minibatch step (``losses`` smoothed with an
    exponential moving average, ``raw_losses`` as measured). ``suggestion`` follows ``rule``;
    ``suggestions`` holds the value of every rule, so they can be compared.
    """

    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    raw_losses: list = field(default_factory=list)
    suggestion: float = math.nan
    rule: str = "min_tenth"
    suggestions: dict = field(default_factory=dict)
    min_loss_lr: float = math.nan
    stopped_early: bool = False
    config: dict = field(default_factory=dict)

    @property
    def explanation(self) -> str:
        """The rule behind ``suggestion``, in words."""
        return (f"Suggested learning rate {self.suggestion:.2g}: {RULE_TEXT[self.rule]}. "
                f"The lowest loss was at {self.min_loss_lr:.2g}.")

    def __repr__(self) -> str:
        return (f"LRRangeTest(suggestion={self.suggestion:.3g}, rule={self.rule!r}, "
                f"steps={len(self.lrs)}, min_loss_lr={self.min_loss_lr:.3g}, "
                f"stopped_early={self.stopped_early})")


def suggest_lr(lrs, losses, rule: str = "steepest") -> float:
    """Read a learning rate off a (smoothed) loss-vs-rate curve.

    Args:
        lrs: increasing learning rates, one per step.
        losses: the loss measured at each of them.
        rule: "steepest" (fastest fall of the loss against log(rate), before the minimum) or
            "min_tenth" (a tenth of the rate at the minimum).

    Example:
        >>> suggest_lr([1e-3, 1e-2, 1e-1, 1.0], [1.0, 0.9, 0.3, 5.0], rule="min_tenth")
        0.01
    """
    rule = check.choice("rule", rule, RULES)
    lrs = np.asarray(lrs, dtype=float)
    losses = np.asarray(losses, dtype=float)
    if lrs.ndim != 1 or lrs.shape != losses.shape or len(lrs) < 3:
        raise ValueError(f"lrs and losses must be two lists of the same length >= 3, "
                         f"got lengths {lrs.size} and {losses.size}")
    finite = np.isfinite(losses)
    if not finite.any():
        raise ValueError("losses has no finite value; lower start_lr")
    lowest = int(np.nanargmin(np.where(finite, losses, np.nan)))
    if rule == "min_tenth":
        return float(lrs[lowest] / 10)
    skip = max(1, len(lrs) // 10)  # the first steps are noisy while the average warms up
    if lowest < skip + 2:  # no falling stretch to read: fall back to the safety margin
        return float(lrs[lowest] / 10)
    part = slice(skip, lowest + 1)
    slope = np.gradient(losses[part], np.log(lrs[part]))  # d loss / d log(lr)
    return float(lrs[skip + int(np.argmin(slope))])


def lr_range_test(model: nn.Module, data, *, optimizer="adam", start_lr: float = 1e-5,
                  end_lr: float = 10.0, steps: int = 100, batch_size: int = 32,
                  momentum: float | None = None, betas=(0.9, 0.999), weight_decay: float = 0.0,
                  smoothing: float = 0.9, stop_factor: float = 4.0, rule: str = "min_tenth",
                  seed: int = 0) -> LRRangeTest:
    """Run a learning-rate range test on ``model`` and suggest a learning rate.

    The rate starts at ``start_lr`` and is multiplied by the same factor after each of
    ``steps`` minibatches (PyTorch's ``ExponentialLR``), ending at ``end_lr``. The run stops
    early once the smoothed loss exceeds ``stop_factor`` times its lowest value. Afterwards the
    model's weights, and the state of ``optimizer`` if it is a PyTorch optimizer you passed in,
    are restored exactly.

    Args:
        optimizer: a name (sgd, momentum, nesterov, rmsprop, adam, adamw) or a
            ``torch.optim.Optimizer`` already built on ``model``'s parameters.
        start_lr, end_lr: the range to sweep (``start_lr < end_lr``).
        steps: minibatch updates in the sweep (>= 10).
        smoothing: weight of the past in the moving average of the loss, in [0, 1).
        stop_factor: stop when the smoothed loss is this many times its minimum (> 1).
        rule: how to read the suggestion off the curve; see :func:`suggest_lr`.
        seed: order of the minibatches (and dropout masks).

    Returns:
        An :class:`LRRangeTest` with the curve, ``suggestion`` and its ``explanation``.

    Example:
        >>> found = lr_range_test(hplab.mlp(2, 2), data, optimizer="sgd")   # doctest: +SKIP
        >>> hplab.fit(model, data, optimizer="sgd", lr=found.suggestion)      # doctest: +SKIP
    """
    _check_model_data(model, data)
    start_lr = check.positive("start_lr", start_lr)
    end_lr = check.positive("end_lr", end_lr)
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be > start_lr ({start_lr:g}), got {end_lr:g}")
    steps = check.integer("steps", steps, low=10, high=100_000)
    n = data.n_train
    batch_size = check.integer("batch_size", batch_size, low=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the training split size ({n}), got {batch_size}")
    smoothing = check.number("smoothing", smoothing, low=0, high=1, high_open=True)
    stop_factor = check.number("stop_factor", stop_factor, low=1, low_open=True)
    rule = check.choice("rule", rule, RULES)
    seed = check.seed(seed)

    own_optimizer = not isinstance(optimizer, torch.optim.Optimizer)
    if own_optimizer:
        if not isinstance(optimizer, str):
            raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or a "
                            f"torch.optim.Optimizer, got {type(optimizer).__name__}")
        opt = make_optimizer(model.parameters(), optimizer, lr=start_lr, momentum=momentum,
                             betas=betas, weight_decay=weight_decay)
        opt_state = None
    else:
        opt = optimizer
        opt_state = copy.deepcopy(opt.state_dict())  # lrs and moment buffers, put back later
        for group in opt.param_groups:
            group["lr"] = start_lr
    weights = copy.deepcopy(model.state_dict())
    was_training = model.training
    config = {"optimizer": optimizer if own_optimizer else type(optimizer).__name__.lower(),
                  "start_lr": start_lr, "end_lr": end_lr, "steps": steps, "batch_size": batch_size,
                  "smoothing": smoothing, "stop_factor": stop_factor, "seed": seed}
    try:
        lrs, raw, smooth, stopped = _sweep(model, data, opt, start_lr, end_lr, steps, batch_size,
                                           smoothing, stop_factor, seed)
    finally:
        model.load_state_dict(weights)
        model.train(was_training)
        if opt_state is not None:
            opt.load_state_dict(opt_state)
    result = LRRangeTest(lrs=lrs, losses=smooth, raw_losses=raw, rule=rule, stopped_early=stopped,
                         config=config)
    finite = [(v, i) for i, v in enumerate(smooth) if math.isfinite(v)]
    result.min_loss_lr = lrs[min(finite)[1]] if finite else math.nan
    if len(lrs) >= 3 and finite:
        result.suggestions = {r: suggest_lr(lrs, smooth, r) for r in RULES}
        result.suggestion = result.suggestions[rule]
    return result


def _sweep(model, data, opt, start_lr, end_lr, steps, batch_size, smoothing, stop_factor, seed):
    """One short run with a geometrically rising rate; returns rates and losses per step."""
    gamma = (end_lr / start_lr) ** (1 / (steps - 1))  # the same factor every step
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
    criterion = loss_fn(data.task)
    X, y, n = data.train.X, data.train.y, data.n_train
    gen = torch.Generator().manual_seed(seed)
    lrs, raw, smooth = [], [], []
    avg, best, stopped = 0.0, math.inf, False
    order = torch.randperm(n, generator=gen)
    model.train()
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # dropout masks (CPU only: no lazy GPU calls)
        pos = 0
        for step in range(steps):
            if pos + batch_size > n:  # next pass over the data, in a fresh order
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + batch_size]
            pos += batch_size
            loss = criterion(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            value = loss.item()
            lrs.append(opt.param_groups[0]["lr"])
            raw.append(value)
            avg = smoothing * avg + (1 - smoothing) * value
            smooth.append(avg / (1 - smoothing ** (step + 1)))  # bias-corrected, as in Adam
            if not math.isfinite(smooth[-1]) or smooth[-1] > stop_factor * best:
                stopped = True
                break
            best = min(best, smooth[-1])
            opt.step()
            sched.step()
    return lrs, raw, smooth, stopped
