"""Optimizers and learning-rate schedules by name: PyTorch's own classes, checked once.

    >>> opt = make_optimizer([torch.zeros(3, requires_grad=True)], "momentum", lr=0.1)
    >>> type(opt).__name__, opt.param_groups[0]["momentum"]
    ('SGD', 0.9)
"""

from __future__ import annotations

import torch

from .. import _validate as check

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "exponential", "cosine", "one_cycle", "warmup", "warmup_cosine")



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

