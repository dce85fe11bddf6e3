"""What hplab does for a tuning study, written out in plain PyTorch and Optuna.

Lesson 14 runs the same CNN study twice: once with ``hplab.tune.search`` and once with the two
functions below and Optuna's own calls, so each line of hplab can be matched with the code it
stands for. Nothing here is used by the rest of hplab; it is the reference a learner can copy.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def small_cnn(params: dict, data) -> nn.Module:
    """A one-convolution network for small images: conv 3x3 -> ReLU -> 2x2 max-pool -> linear.

    ``params["channels"]`` sets the convolution's channels (default 8) and ``params["dropout"]``
    the dropout before the last layer (default 0). A model factory for ``tune.search(...,
    model="hplab.reference:small_cnn")``.
    """
    channels, height, width = data.input_shape
    k = int(params.get("channels", 8))
    return nn.Sequential(
        nn.Conv2d(channels, k, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(float(params.get("dropout", 0.0))),
        nn.Linear(k * (height // 2) * (width // 2), data.n_outputs))


def train_loop(model: nn.Module, train, val, *, lr: float, batch_size: int = 32, epochs: int = 10,
               seed: int = 0, trial=None) -> list[float]:
    """Adam on cross-entropy, one shuffled pass per epoch; returns the validation loss per epoch.

    ``train`` and ``val`` are ``(X, y)`` pairs of tensors. With an Optuna ``trial`` the loss is
    reported after every epoch and the run stops (``optuna.TrialPruned``) when the pruner says so.
    This is the loop ``hplab.fit`` runs, without its checks, callbacks and records.
    """
    gen = torch.Generator().manual_seed(seed)  # the minibatch order
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for idx in torch.randperm(len(train[1]), generator=gen).split(batch_size):
            opt.zero_grad()
            F.cross_entropy(model(train[0][idx]), train[1][idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            loss = F.cross_entropy(model(val[0]), val[1]).item()
        losses.append(loss if math.isfinite(loss) else math.inf)
        if trial is not None:
            import optuna

            trial.report(losses[-1], epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
    return losses


def accuracy(model: nn.Module, split) -> float:
    """Share of the ``(X, y)`` examples whose largest output is the true class."""
    model.eval()
    with torch.no_grad():
        return (model(split[0]).argmax(1) == split[1]).float().mean().item()
