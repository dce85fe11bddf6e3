"""The fast path of ``fit``: hand-written backward pass and fused optimizer kernels.

A training step of one of the course's small networks is mostly bookkeeping: autograd records
every operation on the way forward and replays the record backwards, and for a 64-unit layer
that costs more than the arithmetic. A stack of Linear layers and elementwise activations has
a backward pass short enough to write out, so ``fit`` and ``fit_many`` run it directly and
hand the gradients to the optimizer. It is the chain rule, layer by layer:

    forward    z = h @ W.T + b          h_next = act(z)
    backward   dW = dz.T @ h            db = dz summed over the batch
               dh = dz @ W              dz_prev = dh * act'(z)

and for softmax cross-entropy the gradient at the logits is (softmax - one_hot) / batch.

:meth:`FastStep.of` decides when this applies: a network ``mlp`` builds (or any plain
``nn.Sequential`` of Linear layers, activations from ``models.ACTIVATIONS`` and dropout),
on the CPU, with the standard loss (cross-entropy without weights, MSE on raw targets).
Anything else returns None and ``fit`` trains through autograd (``loop.AutogradStep``).
Every private PyTorch call of the package lives in this module. tests/test_backprop.py checks
every activation, dropout and both losses against autograd, and tests/test_train_paths.py
checks that ``fit`` gives the same History either way.

The same :class:`Backprop` trains one network (tensors of shape (batch, features)) or a stack
of K networks (shape (K, batch, features), batched matrix products), which ``fit_many`` uses.

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

from ..data import CLASSIFICATION
from ..models import ACTIVATION_TYPES

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


# activation name (models.ACTIVATIONS) -> (forward on z, backward from (grad, z, out, option),
# option of the module); "linear" is nn.Identity, a step of its own
_DERIVATIVES = {
    "relu": (torch.relu, _relu_back, lambda m: None),
    "leaky_relu": (lambda z, s: F.leaky_relu(z, s), _leaky_back, lambda m: m.negative_slope),
    "sigmoid": (torch.sigmoid, _sigmoid_back, lambda m: None),
    "tanh": (torch.tanh, _tanh_back, lambda m: None),
    "gelu": (lambda z, a: F.gelu(z, approximate=a), _gelu_back, lambda m: m.approximate),
    "elu": (lambda z, a: F.elu(z, a), _elu_back, lambda m: m.alpha),
}
_ACTIVATIONS = {ACTIVATION_TYPES[name]: spec for name, spec in _DERIVATIVES.items()}  # by type


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


def _flat_parameters(model: nn.Module) -> list[nn.Parameter] | None:
    """The model's parameters as views into one flat tensor, for the optimizer; None if mixed.

    The parameters become views into one flat tensor, and their gradients views into its
    gradient, so the optimizer does a handful of large operations per step instead of a handful
    per layer. Every number sees the same update rule as with the per-layer optimizer.
    """
    params = list(model.parameters())
    if not params or len({(p.dtype, p.device) for p in params}) > 1:
        return None
    with torch.no_grad():
        flat = torch.cat([p.detach().reshape(-1) for p in params])
    grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        size = p.numel()
        p.data = flat[offset:offset + size].view_as(p)
        p.grad = grad[offset:offset + size].view_as(p)  # the backward pass writes into this
        offset += size
    flat = nn.Parameter(flat)
    flat.grad = grad
    return [flat]


class FastStep:
    """One minibatch of a course MLP on the CPU: hand-written gradients, fused optimizer step.

    The same two methods as ``loop.AutogradStep``: ``gradients(xb, yb)`` fills the gradients and
    returns the minibatch loss, ``update()`` applies the optimizer. Build it in two stages, since
    the optimizer must be made over the flat parameters: ``FastStep.of(...)`` (None where it does
    not apply), then ``.with_optimizer(opt)``.
    """

    def __init__(self, passes: Backprop, model: nn.Module, params: list):
        self.passes = passes
        self.params = params  # one flat tensor, for make_optimizer(..., fused=True)
        self.weights = list(model.parameters())
        self.grads = [p.grad for p in self.weights]  # views into the flat gradient
        self.update = None

    @classmethod
    def of(cls, model: nn.Module, objective, device: torch.device) -> "FastStep | None":
        """The fast step for ``model``, or None where only autograd is right."""
        if device.type != "cpu" or not objective.standard:
            return None
        passes = Backprop.of(model, objective.task)
        if passes is None:
            return None
        params = _flat_parameters(model)
        return None if params is None else cls(passes, model, params)

    def with_optimizer(self, opt: torch.optim.Optimizer) -> "FastStep":
        self.update = _DirectStep(opt) if _DirectStep.applies(opt) else opt.step
        return self

    def gradients(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return self.passes.step(self.weights, self.grads, xb, yb, masks=_dropout_mask)
