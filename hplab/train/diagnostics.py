"""What can be measured inside a network while it trains: gradient norms and dead ReLU units."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader

from .metrics import EVAL_BATCH_SIZE


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
def dead_unit_fraction(model: nn.Module, X, *, batch_size: int = EVAL_BATCH_SIZE) -> float:
    """Share of hidden ReLU units that output 0 for every input in ``X`` (they no longer learn).

    ``X`` is a tensor of inputs or a DataLoader of ``(inputs, targets)`` batches.

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
        for xb in _input_batches(X, batch_size, model):
            calls.clear()
            model(xb)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    if not calls:
        return 0.0
    return sum(int(off.sum()) for off in dead.values()) / sum(calls)


def _input_batches(X, batch_size: int, model: nn.Module):
    if isinstance(X, DataLoader):
        first = next(model.parameters(), None)
        device = first.device if first is not None else None
        return (xb.to(device) for xb, *_ in X)
    return (X[i:i + batch_size] for i in range(0, len(X), batch_size))
