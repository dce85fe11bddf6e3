"""One settings object for a training run: ``fit`` builds it, ``fit_many`` and ``pbt`` can share it.

Every check happens once, when the settings are made, and names the parameter, the rule and the
value; the optimizer and the schedule are then built from them by name (see ``optim``).

    >>> s = TrainSettings(optimizer="momentum", lr=0.1, epochs=10, schedule="cosine")
    >>> s.replace(lr=0.05).lr, s.make_optimizer([torch.zeros(1, requires_grad=True)]).defaults["momentum"]
    (0.05, 0.9)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from .. import _validate as check
from .optim import OPTIMIZERS, SCHEDULES, _check_betas, make_optimizer, make_schedule


@dataclass(frozen=True)
class TrainSettings:
    """How to train: optimizer and its knobs, batches, epochs, schedule, clipping, divergence, seed.

    Args:
        optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw.
        lr: learning rate (> 0). momentum: None picks 0.9 for momentum/nesterov, else 0.
        betas, eps, weight_decay: Adam's averages, its guard against division by zero, L2 / decoupled decay.
        batch_size: examples per update (>= 1). epochs: passes over the training split (>= 1).
        schedule, schedule_options: a schedule by name (see ``make_schedule``), stepped per epoch.
        clip_grad_norm, clip_grad_value: optional gradient clipping (> 0).
        divergence_factor: see :class:`DivergenceRule` (> 1).
        seed: minibatch order and dropout masks.
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float | None = None
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 20
    schedule: str = "constant"
    schedule_options: dict = field(default_factory=dict)
    clip_grad_norm: float | None = None
    clip_grad_value: float | None = None
    divergence_factor: float = 10.0
    seed: int = 0

    def __post_init__(self):
        put = _setter(self)
        put("lr", check.positive("lr", self.lr))
        put("epochs", check.integer("epochs", self.epochs, low=1, high=100_000))
        put("seed", check.seed(self.seed))
        put("batch_size", check.integer("batch_size", self.batch_size, low=1))
        put("divergence_factor", check.number("divergence_factor", self.divergence_factor, low=1,
                                              low_open=True))
        for name in ("clip_grad_norm", "clip_grad_value"):
            if getattr(self, name) is not None:
                put(name, check.positive(name, getattr(self, name)))
        put("schedule", "constant" if self.schedule is None
            else check.choice("schedule", self.schedule, SCHEDULES))
        options = {} if self.schedule_options is None else self.schedule_options
        if not isinstance(options, dict):
            raise TypeError(f"schedule_options must be a dict, got {type(options).__name__}")
        put("schedule_options", dict(options))
        put("betas", _check_betas(self.betas))
        # the optimizer and the schedule check their own knobs: build both once on a dummy tensor
        probe = self.make_optimizer([torch.zeros(1, requires_grad=True)])
        self.make_schedule(probe)
        put("optimizer", check.choice("optimizer", self.optimizer, OPTIMIZERS))

    def make_optimizer(self, params, *, foreach: bool = True, fused: bool = False):
        """This run's optimizer over ``params`` (see :func:`make_optimizer`)."""
        return make_optimizer(params, self.optimizer, lr=self.lr, momentum=self.momentum,
                              betas=self.betas, eps=self.eps, weight_decay=self.weight_decay,
                              foreach=foreach, fused=fused)

    def make_schedule(self, optimizer):
        """This run's schedule on ``optimizer``, stepped once per epoch."""
        return make_schedule(optimizer, self.schedule, self.epochs, **self.schedule_options)

    def replace(self, **changes) -> "TrainSettings":
        """A copy with some settings changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def as_config(self, **more) -> dict:
        """The settings as ``History.config`` records them, with ``more`` (e.g. n_train) after."""
        config = dict(optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size,
                      epochs=self.epochs, momentum=self.momentum, betas=tuple(self.betas),
                      weight_decay=self.weight_decay, schedule=self.schedule, seed=self.seed,
                      **more)
        if self.clip_grad_norm is not None or self.clip_grad_value is not None:
            config.update(clip_grad_norm=self.clip_grad_norm, clip_grad_value=self.clip_grad_value)
        return config


def _setter(obj):
    """Assign attributes of a frozen dataclass while it checks itself in ``__post_init__``."""
    def put(name, value):
        object.__setattr__(obj, name, value)
    return put
