"""Many networks of one architecture trained at once: learning-rate sweeps, seed bands, PBT.

Training one tiny network is mostly per-step overhead, so K networks stacked into one set of
batched matrix products cost little more than one. Each member keeps its own learning rate,
momentum / betas, weight decay, initial weights and minibatch order, and its History matches a
separate :func:`hplab.fit` run with the same settings (up to floating-point rounding).

    >>> import hplab
    >>> data = hplab.load_dataset("moons", seed=0)
    >>> hists = hplab.fit_many(data, [{"lr": 1e-3}, {"lr": 1e-2}], epochs=3)
    >>> [h.epochs_run for h in hists]
    [3, 3]
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import vector_to_parameters

from . import _validate as check
from .data import CLASSIFICATION, Data, Split
from .models import ACTIVATIONS, mlp
from .train import (
    Backprop,
    DivergenceRule,
    EarlyStopping,
    History,
    TrainSettings,
    best_epoch,
    check_training_split,
    join_predictions,
    prediction_summary,
    torch_threads,
)

MEMBER_KEYS = ("lr", "momentum", "betas", "eps", "weight_decay", "seed", "data_seed")
_RMSPROP_ALPHA = 0.99  # make_optimizer's default smoothing constant for RMSprop
_EVAL_BYTES = 2 ** 19  # scoring works in chunks whose widest activations fit in about 512 kB


# Settings of hplab.fit that only a general training loop has; these tools train course MLPs.
_FIT_ONLY = ("model", "loss", "metric", "class_weight", "device", "callbacks", "resume_from",
             "standardize_targets")


def _mlp_only(tool: str, data, settings: dict) -> None:
    """Refuse, at once and with the way out, what this tool cannot do: other models, other shapes.

    The vectorized runs here stack many copies of one MLP (``hplab.mlp``) into batched matrix
    products on the CPU, so they need tabular inputs (n, features) and the standard losses.
    """
    given = sorted(k for k in _FIT_ONLY if settings.get(k) is not None)
    if given:
        raise TypeError(f"{tool} trains many copies of the course's MLP at once (set depth, "
                        f"width, activation, dropout) and does not take {given}; for your own "
                        f"model, loss or device call hplab.fit(model, data, ...) once per "
                        f"setting, e.g. in a loop or inside your own Optuna objective")
    if isinstance(data, Data) and data.train.X.dim() != 2:
        raise ValueError(f"{tool} trains the course's MLPs, which need tabular inputs (n, "
                         f"features), but data {data.name!r} has inputs shaped "
                         f"{tuple(data.train.X.shape[1:])} per example; for image-shaped data "
                         f"build your own model and call hplab.fit(model, data, seed=s) once per "
                         f"setting or seed, or flatten X before Data.from_arrays to use an MLP")


# ----------------------------------------------------------------------------- members


def _members(configs, shared: TrainSettings, seed, data_seed):
    """Validate every configuration; return the filled-in member dicts and their schedulers.

    A member's settings are the shared ones with its own knobs (``TrainSettings.replace`` checks
    them as ``fit`` would; their ``seed`` is the member's data seed). Each member gets a
    throwaway one-number PyTorch optimizer + scheduler built from them: stepping it once per
    epoch yields exactly the lr (and momentum / beta1, which one_cycle also cycles) that
    ``fit`` would use in that epoch.
    """
    if isinstance(configs, dict) or not isinstance(configs, (list, tuple)):
        raise TypeError(f"configs must be a list of dicts, got {type(configs).__name__}")
    if not configs:
        raise ValueError("configs must hold at least one configuration, got an empty list")
    members, clocks = [], []
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, dict):
            raise TypeError(f"configs[{i}] must be a dict, got {type(cfg).__name__} {cfg!r}")
        unknown = sorted(set(cfg) - set(MEMBER_KEYS))
        if unknown:
            raise ValueError(f"configs[{i}] key(s) {unknown} are unknown; a member may set: "
                             f"{', '.join(MEMBER_KEYS)} (everything else is shared)")
        m = {**dict(lr=shared.lr, momentum=shared.momentum, betas=shared.betas, eps=shared.eps,
                    weight_decay=shared.weight_decay, seed=seed, data_seed=data_seed), **cfg}
        try:
            m["seed"] = check.seed(m["seed"])
            m["data_seed"] = m["seed"] if m["data_seed"] is None else check.seed(
                m["data_seed"], "data_seed")
            m["settings"] = shared.replace(lr=m["lr"], momentum=m["momentum"], betas=m["betas"],
                                           eps=m["eps"], weight_decay=m["weight_decay"],
                                           seed=m["data_seed"])
            dummy = m["settings"].make_optimizer([torch.zeros(1, requires_grad=True)])
            sched = m["settings"].make_schedule(dummy)
        except (TypeError, ValueError) as err:
            raise type(err)(f"configs[{i}]: {err}") from None
        group = dummy.param_groups[0]
        m["lr"], m["weight_decay"] = float(m["lr"]), group["weight_decay"]
        m["eps"] = group.get("eps", float(m["eps"]))
        m["betas"] = tuple(group.get("betas", m["betas"]))
        if m["momentum"] is None:  # the optimizer's own default (none for Adam)
            m["momentum"] = group.get("momentum")
        members.append(m)
        clocks.append((dummy, sched))
    return members, clocks


def _clock_now(dummy) -> tuple[float, float, float, float]:
    """(lr, momentum, beta1, beta2) the member uses this epoch."""
    g = dummy.param_groups[0]
    beta1, beta2 = g.get("betas", (0.0, 0.0))
    return g["lr"], g.get("momentum", 0.0), beta1, beta2


def _tick(clocks) -> None:
    for dummy, sched in clocks:
        if getattr(sched, "_step_count", 1) <= 1:  # the scheduler checks this once, at its start
            dummy.step()  # no gradient: a no-op that keeps the scheduler's bookkeeping happy
        sched.step()


# ----------------------------------------------------------------------------- the stack


class _Stack:
    """K networks as one flat parameter vector, with a stacked optimizer update.

    The vector is laid out layer by layer, each block a contiguous (K, *shape) tensor, so the
    forward pass reads weights as free views. The update rules are PyTorch's SGD (momentum,
    Nesterov), RMSprop, Adam and AdamW written once for many members at a time, with one
    hyperparameter value per member; the tests check them against PyTorch's own optimizers.
    (PyTorch's optimizers, which ``fit`` uses, take one learning rate per parameter group, and a
    member's weights are slices of the stacked tensors, not groups of their own.)
    """

    def __init__(self, nets, optimizer: str, activation: str, task: str, dropout: float = 0.0):
        self.kind = optimizer
        self.task = task
        self.act = ACTIVATIONS[activation]()
        self.dropout = dropout
        self.shapes = [tuple(p.shape) for p in nets[0].parameters()]  # W0, b0, W1, b1, ...
        self.sizes = [math.prod(s) for s in self.shapes]
        with torch.no_grad():
            self.theta = torch.cat([torch.stack([p.reshape(-1) for p in ps]).reshape(-1)
                                    for ps in zip(*(n.parameters() for n in nets))])
        self.state = {k: torch.zeros_like(self.theta) for k in self._state_names()}
        self.steps = 0  # members train in lockstep, so they share the step count
        self._delta = None  # scratch space of the fused Adam step
        self.passes = _StackPasses(nets[0], task)
        self._joined = (None, None, None, ())  # the splits score() last saw, joined
        self._owners()

    def _state_names(self):
        return {"sgd": ("buf",), "momentum": ("buf",), "nesterov": ("buf",),
                "rmsprop": ("square", "buf"), "adam": ("m", "v"), "adamw": ("m", "v")}[self.kind]

    def _owners(self):
        """Fresh gradient space and views after the members changed."""
        self.grad = torch.zeros_like(self.theta)
        self.params, self.grads = self.shaped(self.theta), self.shaped(self.grad)

    def shaped(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of a flat vector as the stacked layers: (K, out, in) weights, (K, 1, out) biases."""
        K = flat.numel() // sum(self.sizes)
        parts = torch.split(flat, [K * s for s in self.sizes])
        return [p.view(K, *shape) if len(shape) == 2 else p.view(K, 1, shape[0])
                for p, shape in zip(parts, self.shapes)]

    @property
    def k(self) -> int:
        return self.theta.numel() // sum(self.sizes)

    def __len__(self):
        return self.k

    def blocks(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of a flat vector as one (K, size) block per parameter tensor."""
        return [b.view(self.k, -1) for b in torch.split(flat, [self.k * s for s in self.sizes])]

    def flat(self, vectors: torch.Tensor) -> torch.Tensor:
        """Members' vectors (K, n_params), in ``net.parameters()`` order, laid out as ``theta``."""
        return torch.cat([b.reshape(-1) for b in torch.split(vectors, self.sizes, dim=1)])

    def member(self, row: int) -> torch.Tensor:
        """One member's parameters as a vector, in ``net.parameters()`` order."""
        return torch.cat([b[row] for b in self.blocks(self.theta)])

    def keep(self, rows: torch.Tensor) -> None:
        """Drop every member not in ``rows`` (a stopped member no longer costs anything)."""
        def pick(flat):
            return torch.cat([b[rows].reshape(-1) for b in self.blocks(flat)])

        self.state = {k: pick(v) for k, v in self.state.items()}
        self.theta = pick(self.theta)
        self._owners()

    def set_member(self, row: int, vector: torch.Tensor) -> None:
        """Member ``row`` takes the weights in ``vector`` (``net.parameters()`` order)."""
        for b, part in zip(self.blocks(self.theta), torch.split(vector, self.sizes)):
            b[row] = part

    def copy_member(self, dst: int, src: int) -> None:
        """Member ``dst`` takes over ``src``'s weights and optimizer state."""
        for flat in (self.theta, *self.state.values()):
            for b in self.blocks(flat):
                b[dst] = b[src]

    def forward(self, theta: torch.Tensor, X: torch.Tensor, gens=None) -> torch.Tensor:
        """Outputs of every member: X (K, batch, in), or (batch, in) shared -> (K, out, batch).

        With ``gens`` (one generator per member) hidden units are dropped as in training:
        each member draws its masks from its own generator, in the order ``fit`` would.
        """
        masks = _member_masks(gens) if gens is not None and self.dropout > 0 else None
        return self.passes.forward(self.shaped(theta), X, masks=masks)[0]

    @torch.no_grad()
    def score(self, *splits: Split) -> list[tuple[list[float], list[float]]]:
        """(losses, metrics) of every member on each whole split, with ``fit``'s NaN/inf rules.

        The splits go through together, in chunks of rows small enough that the
        (K, rows, width) activations stay in the CPU cache.
        """
        if self._joined[0] != [id(sp) for sp in splits]:  # joined once per run, not per epoch
            self._joined = ([id(sp) for sp in splits], torch.cat([sp.X for sp in splits]),
                            torch.cat([sp.y for sp in splits]), splits)
        X, y = self._joined[1:3]
        K, N = self.k, len(y)
        if self.task == CLASSIFICATION:
            per_row = torch.empty(K, N)  # loss per example
        else:  # squared error per target and example, (K, targets, N): R² is per target
            y = y.view(N, -1)
            per_row = torch.empty(K, y.shape[1], N)
        hits = torch.empty(K, N)
        # With a finite loss an output can only be -inf (NaN and +inf make the loss NaN/inf),
        # so classification checks for -inf alone; a regression loss is inf/NaN whenever an
        # output is, which fit's rules already turn into (inf, NaN).
        ok = torch.ones(K, N, dtype=torch.bool)
        widest = max(max(s) for s in self.shapes)
        chunk = min(1024, max(32, _EVAL_BYTES // (4 * K * widest)))
        for a in range(0, N, chunk):
            rows = slice(a, a + chunk)
            out = self.forward(self.theta, X[rows])  # (K, n_outputs, rows)
            if self.task == CLASSIFICATION:
                yc = y[rows].expand(K, -1)
                per_row[:, rows] = F.cross_entropy(out, yc, reduction="none")
                hits[:, rows] = out.max(dim=1).indices == yc  # argmax: slower along dim 1
                ok[:, rows] = out.amin(dim=1) > -math.inf
            else:
                per_row[..., rows] = (out - y[rows].t()).pow_(2)
        results, a = [], 0
        for sp in splits:
            rows, n = slice(a, a + len(sp.y)), len(sp.y)
            a += n
            total = per_row[..., rows].sum(dim=-1, dtype=torch.float64)  # (K,) or (K, targets)
            if self.task == CLASSIFICATION:
                loss, metric = total / n, hits[:, rows].sum(dim=1, dtype=torch.float64) / n
            else:  # R² per target, averaged over the targets, as fit and scikit-learn do
                yt = sp.y.view(n, -1).double()
                sst = ((yt - yt.mean(dim=0)) ** 2).sum(dim=0)  # (targets,)
                r2 = torch.where(sst > 0, 1 - total / sst.clamp_min(1e-30), (total == 0).double())
                loss, metric = total.sum(dim=1) / sp.y.numel(), r2.mean(dim=1)
            results.append(_fit_rules(loss, metric, ok[:, rows].all(dim=1)))
        return results

    def train_epoch(self, X, y, order, batch_size, hyper, gens=None,
                    limits=None) -> tuple[torch.Tensor, dict]:
        """One pass: ``order`` (K, n) gives each member's minibatch order.

        ``hyper`` maps lr, momentum, beta1, beta2, eps, weight_decay to one value per member.
        ``limits`` (K,) are the minibatch losses past which a member blows up, as in ``fit``: that
        member keeps the weights that gave the loss (the stack goes on computing its row, but
        its row is put back to those weights at the end of the epoch).

        Returns the (steps, K) minibatch losses and {row: step of the epoch (1-based) at which it
        blew up}; a member's losses after that step mean nothing.
        """
        h = {k: self._spread(v) for k, v in hyper.items()}
        h["decay"] = bool(hyper["weight_decay"].any())
        h["1-beta1"], h["1-beta2"] = 1 - h["beta1"], 1 - h["beta2"]
        masks = _member_masks(gens) if gens is not None and self.dropout > 0 else None
        K, n = order.shape
        shared = bool((order == order[0]).all())  # the same minibatches for every member
        if shared:
            Xs = X[order[0]]
        targets = () if self.task == CLASSIFICATION else (-1,)  # regression: (K, n, targets)
        ys = y.index_select(0, order.view(-1)).view(K, n, *targets)
        if limits is not None:  # NaN and inf fail `loss <= limit` for any finite limit
            limits = limits.nan_to_num(posinf=torch.finfo(limits.dtype).max)
        losses, blown, kept = [], {}, {}
        for i in range(0, n, batch_size):
            if shared:
                xb = Xs[i:i + batch_size]
            else:  # each member's own minibatch, gathered while it is needed (cache-sized)
                rows = order[:, i:i + batch_size]
                xb = X.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
            loss = self.passes.step(self.params, self.grads, xb, ys[:, i:i + batch_size],
                                    masks=masks)  # (K,): members do not interact
            losses.append(loss)
            if limits is not None:
                fine = loss <= limits
                if not bool(fine.all()):
                    for r in (~fine).nonzero().flatten().tolist():
                        if r not in blown:
                            blown[r], kept[r] = len(losses), self.member(r)
            self._update(self.theta, self.grad, h)
        for r, vector in kept.items():
            self.set_member(r, vector)
        return torch.stack(losses), blown

    def _spread(self, values: torch.Tensor):
        """A per-member value as a plain number when all members agree (cheaper), else one
        value per parameter entry (the flat vector's layout: block by block, member by member)."""
        if bool((values == values[0]).all()):
            return float(values[0])
        per_member = values.float().unsqueeze(1)  # (K, 1)
        return torch.cat([per_member.expand(-1, s).reshape(-1) for s in self.sizes])

    def _update(self, p, g, h):
        """One optimizer step for every member, in place (``g`` is scratch space)."""
        s = self.state
        if h["decay"] and self.kind != "adamw":
            _axpy(g, h["weight_decay"], p)  # L2 penalty: g += wd * p
        if self.kind in ("sgd", "momentum", "nesterov"):
            s["buf"].mul_(h["momentum"]).add_(g)
            if self.kind == "nesterov":
                _axpy(g, h["momentum"], s["buf"])
            _axpy(p, h["lr"], g if self.kind == "nesterov" else s["buf"], sign=-1.0)
        elif self.kind == "rmsprop":
            s["square"].mul_(_RMSPROP_ALPHA).addcmul_(g, g, value=1 - _RMSPROP_ALPHA)
            s["buf"].mul_(h["momentum"]).addcdiv_(g, s["square"].sqrt().add_(h["eps"]))
            _axpy(p, h["lr"], s["buf"], sign=-1.0)
        elif _FUSED_ADAM is not None and all(isinstance(h[k], float) for k in ("beta1", "beta2", "eps")):
            self._fused_adam(p, g, h)
        else:
            self.steps += 1
            t = self.steps
            if h["decay"] and self.kind == "adamw":
                p.mul_(1 - h["lr"] * h["weight_decay"])  # decoupled weight decay
            s["m"].lerp_(g, h["1-beta1"])
            s["v"].mul_(h["beta2"])
            if isinstance(h["1-beta2"], float):
                s["v"].addcmul_(g, g, value=h["1-beta2"])
            else:
                s["v"].addcmul_(g * h["1-beta2"], g)
            bc1, bc2 = 1 - h["beta1"] ** t, 1 - h["beta2"] ** t
            bc2_sqrt = math.sqrt(bc2) if isinstance(bc2, float) else bc2.sqrt()
            denom = s["v"].sqrt().div_(bc2_sqrt).add_(h["eps"])
            step = h["lr"] / bc1
            if isinstance(step, float):
                p.addcdiv_(s["m"], denom, value=-step)
            else:
                p.addcdiv_(s["m"], denom.div_(step), value=-1)


    def _fused_adam(self, p, g, h):
        """Adam / AdamW through PyTorch's fused kernel: one pass instead of eight.

        The kernel takes one learning rate, so it computes each member's step at rate 1 into
        scratch space and the members' own rates scale it; betas and eps must be shared.
        """
        self.steps += 1
        s = self.state
        if h["decay"]:
            if self.kind == "adamw":
                p.mul_(1 - h["lr"] * h["weight_decay"])  # decoupled weight decay
            else:
                _axpy(g, h["weight_decay"], p)  # L2 penalty: g += wd * p
        delta = self._delta
        if delta is None or delta.shape != p.shape:
            delta = self._delta = torch.zeros_like(p)  # reused: allocating it costs more
        else:
            delta.zero_()
        _FUSED_ADAM([delta], [g], [s["m"]], [s["v"]], [], [torch.tensor(float(self.steps))],
                    amsgrad=False, lr=1.0, beta1=h["beta1"], beta2=h["beta2"], weight_decay=0.0,
                    eps=h["eps"], maximize=False, grad_scale=None, found_inf=None)
        _axpy(p, h["lr"], delta)


_FUSED_ADAM = getattr(torch, "_fused_adam_", None)  # PyTorch's fused CPU kernel (2.4 and later)


class _StackPasses:
    """Forward and backward passes of a stack, its outputs kept class-major: (K, out, rows).

    The hidden layers are :class:`hplab.train.Backprop`'s, the same chain rule ``fit``
    runs; only the last layer and the loss are written here, because they are laid out
    differently: a softmax over 10 classes of a (K, rows, 10) block, and the thin (64 -> 10)
    product, cost several times more than along the rows of a (K, 10, rows) block.
    """

    def __init__(self, net, task: str):
        self.hidden = Backprop(Backprop.of(net, task).steps[:-1], task)  # all but the last Linear
        self.task = task
        self._minus_one = torch.tensor(-1.0)

    def forward(self, params, x, *, masks=None):
        """``(out, h, saved)``: out (K, n_outputs, rows), h the last hidden layer (K, rows, width)."""
        h, saved = self.hidden.forward(params[:-2], x, masks=masks)
        W, b = params[-2], params[-1]  # (K, out, width), (K, 1, out)
        if h.dim() == 2:  # no hidden layer: every member reads the same inputs
            h = h.expand(W.shape[0], *h.shape)
        return torch.baddbmm(b.transpose(1, 2), W, h.transpose(1, 2)), h, saved

    def loss_grad(self, out, y):
        """Mean loss per member (K,) and its gradient with respect to ``out`` (K, out, rows).

        ``y`` is (K, rows) class indices, or (K, rows, n_targets) regression targets.
        """
        rows = out.shape[2]
        if self.task == CLASSIFICATION:
            logp = torch.log_softmax(out, dim=1)
            index = y.unsqueeze(1)  # (K, 1, rows)
            loss = -logp.gather(1, index).squeeze(1).mean(dim=1)
            grad = logp.exp_()  # softmax - one_hot, over the batch
            grad.scatter_add_(1, index, self._minus_one.expand(index.shape))
            return loss, grad.div_(rows)
        diff = out - y.transpose(1, 2)
        return diff.pow(2).flatten(1).mean(dim=1), diff.mul_(2.0 / diff[0].numel())

    def step(self, params, grads, x, y, *, masks=None) -> torch.Tensor:
        """One forward and backward pass of every member; fills ``grads``, returns losses (K,)."""
        out, h, saved = self.forward(params, x, masks=masks)
        loss, g = self.loss_grad(out, y)
        torch.bmm(g, h, out=grads[-2])  # (K, out, rows) @ (K, rows, width)
        torch.sum(g, dim=2, keepdim=True, out=grads[-1].view(g.shape[0], -1, 1))
        if self.hidden.steps:
            dh = torch.bmm(g.transpose(1, 2), params[-2])  # (K, rows, width)
            self.hidden.backward(params[:-2], grads[:-2], saved, dh)
        return loss


def _fit_rules(loss, metric, finite) -> tuple[list[float], list[float]]:
    """Per-member lists with fit's rules: a member with a non-finite output scores inf / NaN."""
    losses, metrics = [], []
    for lo, me, ok in zip(loss.tolist(), metric.tolist(), finite.tolist()):
        if not math.isfinite(lo) or not ok:
            losses.append(lo if not math.isfinite(lo) else math.inf)
            metrics.append(math.nan)
        else:
            losses.append(lo)
            metrics.append(me)
    return losses, metrics


def _member_masks(gens):
    """Dropout masks for a stack: each member draws its own from its generator, like ``fit``."""
    def draw(shape, keep):
        return torch.stack([torch.empty(shape[1:]).bernoulli_(keep, generator=g)
                            for g in gens]).div_(keep)
    return draw


def _axpy(x: torch.Tensor, a, y: torch.Tensor, sign: float = 1.0) -> None:
    """x += sign * a * y in place, for a plain number or a tensor ``a``."""
    if isinstance(a, float):
        x.add_(y, alpha=sign * a)
    else:
        x.addcmul_(a, y, value=sign)


# ----------------------------------------------------------------------------- fit_many


class _Run:
    """The bookkeeping around a stack: histories, early stopping, divergence, freezing."""

    def __init__(self, data, members, clocks, shared: TrainSettings, *, depth, width,
                 activation, dropout, early_stopping, train):
        self.data, self.train, self.members, self.clocks = data, train, members, clocks
        self.batch_size, self.epochs = shared.batch_size, shared.epochs
        self.schedule, self.factor = shared.schedule, shared.divergence_factor
        self.nets = [mlp(data.n_features, data.n_outputs, depth=depth, width=width,
                         activation=activation, dropout=dropout, seed=m["seed"])
                     for m in members]
        self.stack = _Stack(self.nets, shared.optimizer, activation, data.task, dropout)
        self.alive = list(range(len(members)))  # member index of each stack row
        self.final = [None] * len(members)  # weights of members that stopped
        self.lr_factor = [1.0] * len(members)  # population-based training rescales lrs
        self.gens = [torch.Generator().manual_seed(m["data_seed"]) for m in members]
        self.masks = [torch.Generator().manual_seed(m["data_seed"]) for m in members]  # dropout
        n = len(train.y)
        metric = "accuracy" if data.task == CLASSIFICATION else "r2"
        self.hists = []
        for m in members:  # fit's config, with "seed" for the initial weights, "data_seed" the order
            config = {**m["settings"].as_config(n_train=n, depth=depth, width=width,
                                                activation=activation),
                      "seed": m["seed"], "data_seed": m["data_seed"]}
            self.hists.append(History(task=data.task, config=config, metric_name=metric,
                                      steps_per_epoch=math.ceil(n / self.batch_size)))
        # early_stopping is a template: each member keeps its own best value, epoch and patience
        self.stopper = early_stopping
        self.trackers = [None if early_stopping is None else early_stopping.tracker()
                         for _ in members]
        self.best_theta = {}
        self._begin()

    def _begin(self):
        (tl, tm), (vl, vm) = self.stack.score(self.train, self.data.val)
        with torch.no_grad():  # every member's initial outputs, (K, n_outputs, rows)
            out = self.stack.forward(self.stack.theta, self.data.val.X)
        self.before = [prediction_summary(self.data.task, o.t(), self.data.val.y) for o in out]
        self.rules = [DivergenceRule(start, self.factor) for start in tl]  # fit's rule, per member
        for k, h in enumerate(self.hists):
            h.initial = dict(train_loss=tl[k], val_loss=vl[k], train_metric=tm[k],
                             val_metric=vm[k])

    def hyper(self) -> tuple[dict, list[float]]:
        now = [_clock_now(self.clocks[k][0]) for k in self.alive]
        lrs = [now[r][0] * self.lr_factor[k] for r, k in enumerate(self.alive)]
        m = [self.members[k] for k in self.alive]
        h = dict(lr=lrs, momentum=[x[1] for x in now], beta1=[x[2] for x in now],
                 beta2=[x[3] for x in now], eps=[x["eps"] for x in m],
                 weight_decay=[x["weight_decay"] for x in m])
        return {k: torch.tensor(v, dtype=torch.float64) for k, v in h.items()}, lrs

    def epoch(self, epoch: int) -> None:
        """Train every live member one epoch, record it, and freeze the ones that stop."""
        start = time.perf_counter()
        hyper, lrs = self.hyper()
        order = torch.stack([torch.randperm(len(self.train.y), generator=self.gens[k])
                             for k in self.alive])
        # DivergenceRule.batch_blown, for all members at once inside the stack's epoch
        limits = torch.tensor([self.rules[k].batch_limit for k in self.alive], dtype=torch.float64)
        batch, blown = self.stack.train_epoch(self.train.X, self.train.y, order, self.batch_size,
                                              hyper, [self.masks[k] for k in self.alive], limits)
        if self.schedule not in (None, "constant"):  # a constant rate needs no clock
            _tick(self.clocks)
        (tl, tm), (vl, vm) = self.stack.score(self.train, self.data.val)
        seconds = time.perf_counter() - start  # the whole stack's epoch, shared by its members
        stopped = []
        for r, (k, losses) in enumerate(zip(self.alive, batch.t().tolist())):
            h = self.hists[k]
            h.epoch.append(epoch)
            h.train_loss.append(tl[r])
            h.val_loss.append(vl[r])
            h.train_metric.append(tm[r])
            h.val_metric.append(vm[r])
            h.lr.append(lrs[r])
            h.seconds.append(seconds)
            h.batch_loss.extend(losses[:blown.get(r, len(losses))])
            if self._should_stop(k, r, epoch, blown.get(r)):
                stopped.append(r)
        if stopped:
            for r in stopped:
                self.final[self.alive[r]] = self.stack.member(r)
            rows = [r for r in range(len(self.alive)) if r not in stopped]
            self.stack.keep(torch.tensor(rows, dtype=torch.long))
            self.alive = [self.alive[r] for r in rows]

    def _should_stop(self, k: int, r: int, epoch: int, blown_at: int | None) -> bool:
        """fit's rules: divergence (minibatch or epoch), then early stopping."""
        h = self.hists[k]
        blown = None
        if blown_at is not None:
            blown = ((epoch - 1) * h.steps_per_epoch + blown_at, h.batch_loss[-1])
        reason = self.rules[k].reason(blown, h.train_loss[-1], epoch)
        if reason:
            h.status, h.stopped_epoch, h.stop_reason = "diverged", epoch, reason
            h.stopped_step = blown[0] if blown else len(h.batch_loss)
            return True
        tracker, es = self.trackers[k], self.stopper
        if tracker is None:
            return False
        if tracker.update(getattr(h, es.monitor)[-1], epoch):
            if es.restore_best_weights:
                self.best_theta[k] = self.stack.member(r)
            return False
        if not tracker.exhausted:
            return False
        h.status, h.stopped_epoch, h.stopped_step = "early_stopped", epoch, len(h.batch_loss)
        h.stop_reason = tracker.reason(es.monitor)
        return True

    def finish(self, models: bool = True) -> list:
        """Close every History (best epoch, restored weights); return the trained networks
        (with ``models=False`` they keep their initial weights: nobody will read them)."""
        for r, k in enumerate(self.alive):
            self.final[k] = self.stack.member(r)
        for k, (h, tracker) in enumerate(zip(self.hists, self.trackers)):
            h.best_epoch = best_epoch(h.val_loss, h.epoch)
            if tracker is not None and tracker.best_epoch is not None:  # as EarlyStopping does
                h.best_epoch = tracker.best_epoch
                if self.stopper.restore_best_weights and not h.diverged:
                    self.final[k] = self.best_theta[k]
        with torch.no_grad():  # every member's final outputs at once, (K, n_outputs, rows)
            out = self.stack.forward(self.stack.flat(torch.stack(self.final)), self.data.val.X)
        for h, o, before in zip(self.hists, out, self.before):
            h.predictions = join_predictions(prediction_summary(self.data.task, o.t(),
                                                                self.data.val.y), before)
        if models:
            for net, vector in zip(self.nets, self.final):
                vector_to_parameters(vector, net.parameters())
                net.eval()
        return self.nets


def _prepare(data, configs, *, depth, width, activation, dropout, optimizer, batch_size, epochs,
             schedule, schedule_options, early_stopping, divergence_factor, train_split, lr,
             momentum, betas, eps, weight_decay, seed, data_seed):
    if not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset), "
                        f"got {type(data).__name__}")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"early_stopping must be an EarlyStopping or None, got {early_stopping!r}")
    train, batch_size = check_training_split(data, train_split, batch_size)
    # the shared settings, checked once as fit checks them; members replace their own knobs
    shared = TrainSettings(optimizer=optimizer, lr=lr, momentum=momentum, betas=betas, eps=eps,
                           weight_decay=weight_decay, batch_size=batch_size, epochs=epochs,
                           schedule=schedule, schedule_options=schedule_options,
                           divergence_factor=divergence_factor, seed=check.seed(seed))
    mlp(data.n_features, data.n_outputs, depth=depth, width=width, activation=activation,
        dropout=dropout)
    members, clocks = _members(configs, shared, seed, data_seed)
    return _Run(data, members, clocks, shared, depth=depth, width=width, activation=activation,
                dropout=dropout, early_stopping=early_stopping, train=train)


def fit_many(data: Data, configs, *, depth: int = 2, width: int = 32, activation: str = "relu",
             dropout: float = 0.0, optimizer: str = "adam", batch_size: int = 32, epochs: int = 20,
             lr: float = 1e-3, momentum: float | None = None, betas=(0.9, 0.999),
             eps: float = 1e-8, weight_decay: float = 0.0, seed: int = 0,
             data_seed: int | None = None, schedule: str | None = None,
             schedule_options: dict | None = None, early_stopping: EarlyStopping | None = None,
             divergence_factor: float = 10.0, train_split: Split | None = None,
             threads: int = 1, return_models: bool = False, model=None):
    """Train one MLP per configuration, all in a single vectorized run.

    A member ``{"seed": s, "data_seed": d, "lr": ...}`` matches
    ``hplab.fit(hplab.mlp(..., seed=s), data, seed=d, lr=..., ...)``: ``seed`` sets the initial
    weights and ``data_seed`` (default: the same as ``seed``) the minibatch order.

    Args:
        configs: a list of dicts; each may set lr, momentum, betas, eps, weight_decay, seed,
            data_seed. Keyword arguments of the same names are the defaults for every member.
        depth, width, activation, dropout: the shared architecture (see :func:`hplab.mlp`);
            each member draws its dropout masks as ``fit`` would with its ``data_seed``.
        optimizer, batch_size, epochs, schedule, schedule_options, divergence_factor,
            train_split: shared, with the same meaning as in :func:`hplab.fit`.
        early_stopping: an :class:`EarlyStopping` used as a template: each member stops on its
            own and keeps its own best weights.
        return_models: also return the trained networks.
        model: not taken: fit_many builds MLPs (``hplab.mlp``) on tabular data; for your own
            model call :func:`hplab.fit` once per configuration.

    Returns:
        One :class:`History` per configuration, in order (and the networks, if asked). A member
        that diverges, by ``fit``'s rule (a minibatch loss that blows up, checked before every
        update, or an epoch's training loss), is frozen at that minibatch with
        ``status="diverged"`` and the same ``stopped_step`` as ``fit``; the others carry on.
        ``seconds`` holds the wall time of the whole vectorized epoch.

    Example:
        >>> hists = fit_many(data, [{"lr": lr} for lr in (1e-3, 1e-2, 1e-1)],
        ...                  optimizer="sgd", epochs=30)  # doctest: +SKIP
    """
    _mlp_only("fit_many", data, {"model": model})
    threads = check.integer("threads", threads, low=1, high=256)
    check.boolean("return_models", return_models)
    run = _prepare(data, configs, depth=depth, width=width, activation=activation,
                   dropout=dropout, optimizer=optimizer, batch_size=batch_size, epochs=epochs, schedule=schedule,
                   schedule_options=schedule_options, early_stopping=early_stopping,
                   divergence_factor=divergence_factor, train_split=train_split, lr=lr,
                   momentum=momentum, betas=betas, eps=eps, weight_decay=weight_decay, seed=seed,
                   data_seed=data_seed)
    with torch_threads(threads):
        for epoch in range(1, run.epochs + 1):
            if not run.alive:
                break
            run.epoch(epoch)
        nets = run.finish(models=return_models)
    return (run.hists, nets) if return_models else run.hists


# ----------------------------------------------------------------------------- seeds and sweeps


def fit_seeds(data: Data, seeds=(0, 1, 2, 3, 4), *, data_seeds: bool = True,
              **settings) -> list[History]:
    """The same configuration trained once per seed, in one vectorized run.

    Args:
        seeds: initialisation seeds, one member each (at least one, no repeats).
        data_seeds: also vary the minibatch order with the seed (else every member uses
            ``data_seed``, default 0, so only the initial weights differ).
        settings: anything :func:`fit_many` accepts (lr, optimizer, epochs, depth, ...).

    Example:
        >>> hists = fit_seeds(data, seeds=range(5), lr=1e-2, epochs=30)  # doctest: +SKIP
        >>> band = seed_band(hists)                                      # doctest: +SKIP
    """
    _mlp_only("fit_seeds", data, settings)
    seeds = _seed_list(seeds)
    check.boolean("data_seeds", data_seeds)
    if "configs" in settings or "seed" in settings:
        raise TypeError("fit_seeds takes the seeds through `seeds`, not `seed` or `configs`")
    if data_seeds:
        configs = [{"seed": s, "data_seed": s} for s in seeds]
    else:
        base = settings.pop("data_seed", None)
        base = 0 if base is None else check.seed(base, "data_seed")
        configs = [{"seed": s, "data_seed": base} for s in seeds]
    return fit_many(data, configs, **settings)


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of integers, got {type(seeds).__name__} {seeds!r}")
    seeds = [check.seed(s, "seeds") for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat, got {seeds}")
    return seeds


class Band(NamedTuple):
    """Mean and spread of one number across runs, per epoch (arrays of equal length)."""

    epoch: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray  # smallest run at that epoch
    high: np.ndarray  # largest run at that epoch
    count: np.ndarray  # runs still going at that epoch (early stopping ends some sooner)


def seed_band(histories, key: str = "val_loss") -> Band:
    """Per-epoch mean, standard deviation and min..max of ``key`` over several Histories.

    Runs that stopped early simply stop counting; diverged (non-finite) values are left out.

    Example:
        >>> band = seed_band(fit_seeds(data, seeds=range(5)))   # doctest: +SKIP
        >>> band.mean[-1], band.std[-1]                           # doctest: +SKIP
    """
    if isinstance(histories, History) or not isinstance(histories, (list, tuple)):
        raise TypeError(f"histories must be a list of History objects, got "
                        f"{type(histories).__name__}")
    if not histories:
        raise ValueError("histories must hold at least one History, got an empty list")
    for i, h in enumerate(histories):
        if not isinstance(h, History):
            raise TypeError(f"histories[{i}] must be a History, got {type(h).__name__}")
    keys = ("train_loss", "val_loss", "train_metric", "val_metric", "lr")
    key = check.choice("key", key, keys)
    length = max(h.epochs_run for h in histories)
    if length == 0:
        raise ValueError("histories must contain at least one trained epoch, got none")
    table = np.full((len(histories), length), np.nan)
    for i, h in enumerate(histories):
        table[i, :h.epochs_run] = getattr(h, key)
    table[~np.isfinite(table)] = np.nan
    count = np.isfinite(table).sum(axis=0)
    cols = count > 0
    t = table[:, cols]
    return Band(epoch=np.arange(1, length + 1)[cols], mean=np.nanmean(t, axis=0),
                std=np.nanstd(t, axis=0), low=np.nanmin(t, axis=0), high=np.nanmax(t, axis=0),
                count=count[cols])


class LRSweep(NamedTuple):
    """One network per learning rate: the curves and where each one ended."""

    lrs: list
    histories: list
    final_train_loss: list  # inf for a run that diverged
    final_val_loss: list

    @property
    def best_lr(self) -> float | None:
        """The learning rate with the lowest final validation loss (None if all diverged)."""
        finite = [(v, lr) for v, lr in zip(self.final_val_loss, self.lrs) if math.isfinite(v)]
        return min(finite)[1] if finite else None


def lr_sweep(data: Data, lrs, *, seed: int = 0, **settings) -> LRSweep:
    """Train one network per learning rate at once (same seed, same minibatch order).

    Args:
        lrs: learning rates (> 0), e.g. ``np.logspace(-4, 0, 24)``.
        settings: anything :func:`fit_many` accepts (optimizer, epochs, depth, width, ...).

    Example:
        >>> sweep = lr_sweep(data, np.logspace(-4, 0, 24), optimizer="sgd", epochs=20)  # doctest: +SKIP
        >>> sweep.best_lr                                                                 # doctest: +SKIP
    """
    _mlp_only("lr_sweep", data, settings)
    if isinstance(lrs, (str, bytes)) or not hasattr(lrs, "__iter__"):
        raise TypeError(f"lrs must be a list of learning rates, got {type(lrs).__name__} {lrs!r}")
    lrs = [check.positive("lrs", float(lr) if isinstance(lr, np.floating) else lr) for lr in lrs]
    if not lrs:
        raise ValueError("lrs must hold at least one learning rate, got none")
    if {"configs", "lr", "return_models"} & set(settings):
        raise TypeError("lr_sweep takes the learning rates through `lrs` (not `lr` or `configs`) "
                        "and returns no models; use fit_many for those")
    hists = fit_many(data, [{"lr": lr} for lr in lrs], seed=seed, **settings)

    def last(h, k):
        return math.inf if h.diverged or not h.epoch else getattr(h, k)[-1]

    return LRSweep(lrs, hists, [last(h, "train_loss") for h in hists],
                   [last(h, "val_loss") for h in hists])


# ----------------------------------------------------------------------------- population-based training


class PBTResult(NamedTuple):
    """A population-based training run: every member's History and every exploit step."""

    histories: list  # one per member; ``lr`` shows each member's learning rate over time
    events: list  # dicts: epoch, member, donor, lr_before, lr_after
    best: int  # the member with the lowest final validation loss

    @property
    def best_history(self) -> History:
        return self.histories[self.best]


def pbt(data: Data, lrs=None, *, population: int = 8, epochs: int = 24, interval: int = 4,
        fraction: float = 0.25, perturb=(0.8, 1.25), lr_range=(1e-4, 1e-1),
        exploit: bool = True, seed: int = 0, **settings) -> PBTResult:
    """Population-based training of the learning rate, the whole population in one vectorized run.

    Every ``interval`` epochs the members are ranked by validation loss; each member in the
    bottom ``fraction`` copies the weights and optimizer state of a random member of the top
    ``fraction`` (exploit) and takes that member's learning rate times a random factor from
    ``perturb`` (explore). ``exploit=False`` trains the same members without any of this, for
    comparison. A member that diverges drops out.

    Args:
        lrs: the starting learning rates (one member each); by default ``population`` rates drawn
            log-uniformly from ``lr_range`` with ``seed``.
        settings: shared settings for :func:`fit_many` (optimizer, batch_size, depth, width,
            data_seed, ...); no schedule or early stopping.

    Example:
        >>> result = pbt(data, population=8, epochs=24, optimizer="sgd")  # doctest: +SKIP
        >>> result.best_history.lr                                         # doctest: +SKIP
    """
    _mlp_only("pbt", data, settings)
    seed = check.seed(seed)
    epochs = check.integer("epochs", epochs, low=1, high=100_000)
    interval = check.integer("interval", interval, low=1)
    fraction = check.number("fraction", fraction, low=0, high=0.5, low_open=True)
    check.boolean("exploit", exploit)
    perturb = _factors(perturb)
    banned = {"configs", "lr", "schedule", "schedule_options", "early_stopping", "return_models",
              "seed"} & set(settings)
    if banned:
        raise TypeError(f"pbt does not take {sorted(banned)}: learning rates come from `lrs`, "
                        f"seeds from `seed`, and schedules would fight the perturbations")
    rng = np.random.default_rng(seed)
    if lrs is None:
        population = check.integer("population", population, low=2, high=1024)
        low, high = _lr_range(lr_range)
        lrs = np.exp(rng.uniform(math.log(low), math.log(high), population)).tolist()
    elif isinstance(lrs, (str, bytes)) or not hasattr(lrs, "__iter__"):
        raise TypeError(f"lrs must be a list of learning rates, got {type(lrs).__name__} {lrs!r}")
    configs = [{"lr": lr, "seed": seed + i} for i, lr in enumerate(lrs)]
    threads = check.integer("threads", settings.pop("threads", 1), low=1, high=256)
    run = _prepare(data, configs, epochs=epochs, schedule=None, schedule_options=None,
                   early_stopping=None, **_fit_many_defaults(settings))
    events = []
    with torch_threads(threads):
        for epoch in range(1, epochs + 1):
            if not run.alive:
                break
            run.epoch(epoch)
            if exploit and epoch % interval == 0 and epoch < epochs:
                events += _exploit(run, epoch, fraction, perturb, rng)
        run.finish(models=False)
    finals = [h.val_loss[-1] if h.epoch and not h.diverged else math.inf for h in run.hists]
    return PBTResult(run.hists, events, int(np.argmin(finals)))


def _exploit(run: _Run, epoch: int, fraction: float, perturb, rng) -> list[dict]:
    """The bottom members copy a top member's weights and optimizer state, then perturb its lr."""
    rows = len(run.alive)
    if rows < 2:
        return []
    scores = [run.hists[k].val_loss[-1] for k in run.alive]
    ranked = sorted(range(rows), key=lambda r: scores[r] if math.isfinite(scores[r]) else math.inf)
    n = max(1, round(fraction * rows))
    top, bottom = ranked[:n], ranked[-n:]
    events = []
    for r in bottom:
        src = top[int(rng.integers(len(top)))]
        member, donor = run.alive[r], run.alive[src]
        run.stack.copy_member(r, src)
        new_lr = run.hists[donor].lr[-1] * perturb[int(rng.integers(len(perturb)))]
        run.lr_factor[member] = new_lr / run.members[member]["lr"]
        events.append(dict(epoch=epoch, member=member, donor=donor,
                           lr_before=run.hists[member].lr[-1], lr_after=new_lr))
    return events


def _fit_many_defaults(settings: dict) -> dict:
    """fit_many's keyword defaults for the shared settings pbt passes through."""
    known = dict(depth=2, width=32, activation="relu", dropout=0.0, optimizer="adam",
                 batch_size=32, momentum=None, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, data_seed=None,
                 divergence_factor=10.0, train_split=None)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise TypeError(f"pbt got unknown setting(s) {unknown}; choose from: "
                        f"{', '.join(sorted(known))}")
    return {**known, **settings, "lr": 1e-3, "seed": 0}


def _factors(perturb) -> tuple:
    if isinstance(perturb, (str, bytes)) or not hasattr(perturb, "__iter__"):
        raise TypeError(f"perturb must be a list of factors, got {type(perturb).__name__} "
                        f"{perturb!r}")
    perturb = tuple(check.positive("perturb", f) for f in perturb)
    if not perturb:
        raise ValueError("perturb must hold at least one factor, got none")
    return perturb


def _lr_range(lr_range) -> tuple[float, float]:
    if not isinstance(lr_range, (tuple, list)) or len(lr_range) != 2:
        raise TypeError(f"lr_range must be a pair (low, high), got {lr_range!r}")
    low, high = (check.positive(f"lr_range[{i}]", v) for i, v in enumerate(lr_range))
    if not low < high:
        raise ValueError(f"lr_range must have low < high, got {lr_range!r}")
    return low, high
