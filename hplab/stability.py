"""Training that blows up: a deep plain network, its gradient norms, and two debugging checks.

``deep_run`` trains the deep, narrow network on which the fixes (clipping, warm-up,
normalization layers) are compared; ``first_jump`` finds the minibatch at which a logged series
leaves its usual range; ``overfit_one_batch`` is the first check to run on a network that does
not learn: a correct pipeline drives the loss on a few examples to about zero, a broken one
does not.

    >>> import hplab
    >>> data = hplab.load_dataset("digits", seed=0)
    >>> hist = deep_run(data, lr=0.1, clip_grad_norm=1.0)     # doctest: +SKIP
    >>> first_jump(hist.grad_norm), hist.status                # doctest: +SKIP
"""

from __future__ import annotations

import math
import statistics

import torch

from . import _validate as check
from .data import CLASSIFICATION, Data
from .models import mlp
from .train import History, fit, torch_threads

DEPTH, WIDTH = 12, 64  # deep and narrow: products of 13 layers' Jacobians
BUGS = ("shuffled_labels", "no_zero_grad")


def deep_run(data: Data, *, lr: float = 0.1, optimizer: str = "momentum", norm: str | None = None,
             epochs: int = 8, batch_size: int = 32, seed: int = 0, **fit_options) -> History:
    """Train a 12 x 64 ReLU network on ``data``, logging the gradient norm of every minibatch.

    ``seed`` sets both the initial weights and the minibatch order; ``norm`` is passed to
    :func:`hplab.mlp` ("batch", "layer" or None) and ``fit_options`` to :func:`hplab.fit`
    (``clip_grad_norm``, ``clip_grad_value``, ``schedule``, ...).
    """
    net = mlp(data.n_features, data.n_outputs, depth=DEPTH, width=WIDTH, norm=norm, seed=seed)
    return fit(net, data, optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size,
               track_gradients=True, seed=seed, **fit_options)


def first_jump(values, *, factor: float = 10.0, baseline_steps: int = 30) -> int | None:
    """Index of the first value above ``factor`` times the median of the first ``baseline_steps``
    values (NaN and inf count as above); None if there is none.

    On a list of minibatch gradient norms or losses this is the step at which the series
    leaves its usual range.
    """
    factor = check.number("factor", factor, low=1, low_open=True)
    baseline_steps = check.integer("baseline_steps", baseline_steps, low=1)
    values = [float(v) for v in values]
    if len(values) < baseline_steps:
        raise ValueError(f"values must hold at least baseline_steps ({baseline_steps}) numbers, "
                         f"got {len(values)}")
    base = statistics.median(values[:baseline_steps])
    return next((i for i, v in enumerate(values) if not v <= factor * base), None)


def overfit_one_batch(data: Data, *, bug: str | None = None, n_examples: int = 32,
                      steps: int = 300, lr: float = 0.1, depth: int = 2, width: int = 64,
                      seed: int = 0) -> list[float]:
    """Train on the first ``n_examples`` training examples alone; return the loss of every step.

    A correct pipeline memorizes a handful of examples, so its loss falls to about 0. ``bug``
    plants a classic mistake: "shuffled_labels" (inputs and labels shuffled separately at
    every step, as a loader that permutes them apart does, so a label no longer belongs to
    its input) or "no_zero_grad" (gradients pile up across steps, as when
    ``optimizer.zero_grad()`` is forgotten, so every update carries all the earlier ones).
    The loop is written out (plain SGD, full batch) so that the bug can live in it.
    """
    if bug is not None:
        bug = check.choice("bug", bug, BUGS)
    if data.task != CLASSIFICATION:
        raise ValueError(f"data must be a classification task, got {data.task!r}")
    n_examples = check.integer("n_examples", n_examples, low=2, high=len(data.train.y))
    steps = check.integer("steps", steps, low=1, high=100_000)
    lr = check.positive("lr", lr)
    seed = check.seed(seed)
    X, y = data.train.X[:n_examples], data.train.y[:n_examples]
    gen = torch.Generator().manual_seed(seed)
    net = mlp(data.n_features, data.n_outputs, depth=depth, width=width, seed=seed)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    with torch_threads(1):  # as fit: one thread is fastest for the course's small networks
        for _ in range(steps):
            if bug != "no_zero_grad":
                opt.zero_grad()
            target = y[torch.randperm(n_examples, generator=gen)] if bug == "shuffled_labels" else y
            loss = torch.nn.functional.cross_entropy(net(X), target)
            loss.backward()
            opt.step()
            losses.append(loss.item() if math.isfinite(loss.item()) else math.inf)
    return losses


# The fixes lesson 12 compares on the deep network at momentum SGD, rate 0.1 (fit's options).
FIXES = {
    "clip by norm (1.0)": {"clip_grad_norm": 1.0},
    "clip by value (0.1)": {"clip_grad_value": 0.1},
    "BatchNorm": {"norm": "batch"},
    "LayerNorm": {"norm": "layer"},
}
# Adam at a rate ten times its default: warm-up and BatchNorm against starting at full speed.
WARMUP = {
    "full rate from step 1": {},
    "warm-up (2 epochs)": {"schedule": "warmup", "schedule_options": {"warmup_epochs": 2}},
    "BatchNorm": {"norm": "batch"},
}


def norm_panel(histories: dict, ax=None, *, title: str = "gradient norm of each minibatch"):
    """The whole-gradient norm of every minibatch (log scale), one line per run."""
    from .plots import _style as style

    ax = style.new_axes() if ax is None else ax
    for i, (label, h) in enumerate(histories.items()):
        kw = style.series(i, len(histories))
        kw.update(marker=None, lw=1.2)
        finite = [v if math.isfinite(v) else float("nan") for v in h.grad_norm]
        ax.plot(range(1, len(finite) + 1), finite, label=label, **kw)
    ax.set_yscale("log")
    style.log_axis(ax, "y")
    ax.set_xlabel("update step")
    ax.set_ylabel("gradient norm")
    ax.set_title(title)
    return style.finish(ax, legend=True, loc="outside")
