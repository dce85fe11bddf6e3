"""Backpropagation through a plain MLP, written out by hand.

A training step of one of the course's small networks is mostly bookkeeping: autograd records
every operation on the way forward and replays the record backwards, and for a 64-unit layer
that costs more than the arithmetic. A stack of Linear layers and elementwise activations has
a backward pass short enough to write out, so ``fit`` and ``fit_many`` run it directly and
hand the gradients to the optimizer. It is the chain rule, layer by layer:

    forward    z = h @ W.T + b          h_next = act(z)
    backward   dW = dz.T @ h            db = dz summed over the batch
               dh = dz @ W              dz_prev = dh * act'(z)

and for softmax cross-entropy the gradient at the logits is (softmax - one_hot) / batch.
tests/test_backprop.py checks every activation, dropout and both losses against autograd.

The same code trains one network (tensors of shape (batch, features)) or a stack of K networks
(shape (K, batch, features), batched matrix products).

    >>> import torch, hplab
    >>> net = hplab.mlp(2, 2, depth=1, width=4, seed=0)
    >>> passes = Backprop.of(net, "classification")
    >>> grads = [torch.zeros_like(p) for p in net.parameters()]
    >>> loss = passes.step(list(net.parameters()), grads, torch.randn(8, 2), torch.zeros(8, dtype=torch.long))
    >>> loss.shape
    torch.Size([])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .data import CLASSIFICATION

aten = torch.ops.aten


def _relu_back(g, z, out, _):
    return aten.threshold_backward(g, out, 0)


def _leaky_back(g, z, out, slope):
    return aten.leaky_relu_backward(g, z, slope, False)


def _sigmoid_back(g, z, out, _):
    return aten.sigmoid_backward(g, out)


def _tanh_back(g, z, out, _):
    return aten.tanh_backward(g, out)


def _gelu_back(g, z, out, approximate):
    return aten.gelu_backward(g, z, approximate=approximate)


def _elu_back(g, z, out, alpha):
    return aten.elu_backward(g, alpha, 1, 1, False, z)


# activation module -> (forward on z, backward from (grad, z, out, option), option of the module)
_ACTIVATIONS = {
    nn.ReLU: (torch.relu, _relu_back, lambda m: None),
    nn.LeakyReLU: (lambda z, s: F.leaky_relu(z, s), _leaky_back, lambda m: m.negative_slope),
    nn.Sigmoid: (torch.sigmoid, _sigmoid_back, lambda m: None),
    nn.Tanh: (torch.tanh, _tanh_back, lambda m: None),
    nn.GELU: (lambda z, a: F.gelu(z, approximate=a), _gelu_back, lambda m: m.approximate),
    nn.ELU: (lambda z, a: F.elu(z, a), _elu_back, lambda m: m.alpha),
}


class Backprop:
    """Forward and backward passes of a plain MLP: Linear layers, activations, dropout.

    ``steps`` lists the layers in order: ``("linear",)``, ``("dropout", p)``, ``("identity",)``
    or ``(ActivationModuleType, option)``. Build it from a network with :meth:`of`.
    """

    def __init__(self, steps: list[tuple], task: str):
        self.steps = steps
        self.task = task
        self._minus_one = torch.tensor(-1.0)

    @classmethod
    def of(cls, model: nn.Module, task: str) -> "Backprop | None":
        """The passes for ``model``, or None if it is not a plain stack this module can run."""
        if type(model) is not nn.Sequential or _has_hooks(model):
            return None
        steps = []
        for m in model.children():
            kind = type(m)
            if _has_hooks(m):
                return None
            if kind is nn.Linear and m.bias is not None:
                steps.append(("linear",))
            elif kind is nn.Dropout:
                steps.append(("dropout", float(m.p)))
            elif kind is nn.Identity:
                steps.append(("identity",))
            elif kind in _ACTIVATIONS and not getattr(m, "inplace", False):
                steps.append((kind, _ACTIVATIONS[kind][2](m)))
            else:
                return None
        if not steps or steps[-1] != ("linear",):
            return None
        params = [p for m in model.children() if type(m) is nn.Linear for p in (m.weight, m.bias)]
        if len({id(p) for p in params}) < len(params) or not all(p.requires_grad for p in params):
            return None  # shared or frozen parameters: autograd handles those
        return cls(steps, task)

    def forward(self, params, x, *, masks=None):
        """Outputs and what the backward pass needs: ``(out, saved)``.

        ``params`` alternates weights and biases, (out, in) and (out,) for one network or
        (K, out, in) and (K, 1, out) for a stack. ``masks`` draws a dropout mask of a given
        shape (already divided by the keep probability); without it dropout is off.
        """
        saved, h, j = [], x, 0
        for step in self.steps:
            kind = step[0]
            if kind == "linear":
                W, b = params[j], params[j + 1]
                j += 2
                if W.dim() == 2:
                    z = torch.addmm(b, h, W.t())
                else:
                    if h.dim() == 2:  # one input batch shared by every network of the stack
                        h = h.expand(W.shape[0], *h.shape)
                    z = torch.baddbmm(b, h, W.transpose(1, 2))
                saved.append(h)
                h = z
            elif kind == "dropout":
                if masks is None or step[1] == 0:
                    saved.append(None)
                    continue
                mask = masks(h.shape, 1 - step[1])
                saved.append(mask)
                h = h * mask
            elif kind == "identity":
                saved.append(None)
            else:
                out = _ACTIVATIONS[kind][0](h, step[1]) if step[1] is not None else \
                    _ACTIVATIONS[kind][0](h)
                saved.append((h, out))
                h = out
        return h, saved

    def loss_grad(self, out, y):
        """Mean loss (one per network for a stack) and its gradient with respect to ``out``."""
        if self.task == CLASSIFICATION:
            logp = torch.log_softmax(out, dim=-1)
            rows = out.shape[-2]
            if out.dim() == 2:
                loss = F.nll_loss(logp, y)
            else:
                loss = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(dim=-1)
            grad = logp.exp_()  # softmax; logp is not needed any more
            index = y.unsqueeze(-1)
            grad.scatter_add_(-1, index, self._minus_one.expand(index.shape))
            return loss, grad.div_(rows)
        diff = out - y
        if out.dim() == 2:
            return diff.pow(2).mean(), diff.mul_(2.0 / diff.numel())
        per_net = diff[0].numel()
        return diff.pow(2).flatten(1).mean(dim=1), diff.mul_(2.0 / per_net)

    def backward(self, params, grads, saved, g) -> None:
        """Write every parameter's gradient into ``grads`` (same shapes as ``params``)."""
        j = len(params)
        for i in range(len(self.steps) - 1, -1, -1):
            kind = self.steps[i][0]
            if kind == "linear":
                j -= 2
                h = saved[i]
                if g.dim() == 2:
                    torch.mm(g.t(), h, out=grads[j])
                    torch.sum(g, dim=0, out=grads[j + 1])
                else:
                    torch.bmm(g.transpose(1, 2), h, out=grads[j])
                    torch.sum(g, dim=1, keepdim=True, out=grads[j + 1])
                if i > 0:
                    g = torch.mm(g, params[j]) if g.dim() == 2 else torch.bmm(g, params[j])
            elif kind == "dropout":
                if saved[i] is not None:
                    g = g * saved[i]
            elif kind != "identity":
                z, out = saved[i]
                g = _ACTIVATIONS[kind][1](g, z, out, self.steps[i][1])

    @torch.no_grad()
    def step(self, params, grads, x, y, *, masks=None) -> torch.Tensor:
        """One forward and backward pass; fills ``grads`` and returns the loss."""
        out, saved = self.forward(params, x, masks=masks)
        loss, g = self.loss_grad(out, y)
        self.backward(params, grads, saved, g)
        return loss


def _has_hooks(m: nn.Module) -> bool:
    return bool(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or getattr(m, "_backward_pre_hooks", None))
