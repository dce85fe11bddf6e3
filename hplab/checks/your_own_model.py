"""Exercise 14 · A model factory for your own network, ready for ``tune.search(model=...)``.

The factory is called as a search calls it, on the digits as 1x8x8 images and on made-up
3x12x12 images of five classes, with small and large ``channels``; every mistake is reported at
once. A few epochs of training then show whether the network learns.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..data import Data
from ..train import fit
from ._feedback import Feedback, attempt, catch_not_written, strict_when_asked

TITLE = "A model factory for your own network"


def _images(shape, classes, n=200, seed=0) -> Data:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *shape)).astype(np.float32)
    return Data.from_arrays(X, np.arange(n) % classes, seed=seed, name="made-up images")


def _digits() -> Data:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return Data.from_arrays(digits.data.reshape(-1, 1, 8, 8), digits.target, seed=0)


def _n_weights(model) -> int:
    return sum(p.numel() for p in model.parameters())


@strict_when_asked
@catch_not_written(TITLE)
def model_factory(factory, *, train: bool = True) -> Feedback:
    """Check ``factory(params, data) -> nn.Module``: a network for ``data.input_shape`` with one
    output per class, whose size follows ``params["channels"]``, and that learns the digits.

    Args:
        factory: your function.
        train: also train it 5 epochs on the digits (a second or two) and ask for > 60%
            validation accuracy (a constant guess scores about 10%).
    """
    fb = Feedback(TITLE)
    if not callable(factory):
        fb.wrong.append(f"pass your function itself (e.g. make_cnn), got {type(factory).__name__}.")
        return fb
    digits, other = _digits(), _images((3, 12, 12), 5)
    extra = {"lr": 0.01, "batch_size": 32}  # a search passes every value of the trial
    built = {}
    for data, k in [(digits, 4), (digits, 16), (other, 8)]:
        torch.manual_seed(0)
        model, error = attempt(f"factory({{'channels': {k}, ...}}, data)", factory,
                               dict(extra, channels=k), data)
        if error:
            fb.wrong.append(f"{error} (data of shape {data.input_shape}).")
            continue
        if not isinstance(model, nn.Module):
            fb.wrong.append(f"the factory must return an nn.Module, got {type(model).__name__}.")
            continue
        model.eval()
        with torch.no_grad():
            out, error = attempt("the network", model, data.val.X[:7])
        if error:
            fb.wrong.append(f"{error} on a batch of shape {tuple(data.val.X[:7].shape)}: size "
                            "the layers from data.input_shape (channels, height, width), not "
                            "from fixed numbers.")
            continue
        if tuple(out.shape) != (7, data.n_outputs):
            fb.wrong.append(f"on {data.input_shape} inputs with {data.n_outputs} classes the "
                            f"output has shape {tuple(out.shape)}, not (batch, "
                            f"{data.n_outputs}): end with one output per class, data.n_outputs.")
            continue
        built[(data.input_shape, k)] = model
    if len(built) == 3:
        again, _ = attempt("factory", factory, dict(extra, channels=16), digits)
        fb.verdict(again is not built[((1, 8, 8), 16)],
                   "every call builds a new network, so each trial starts from fresh weights.",
                   "two calls returned the same network object: build it inside the factory, "
                   "or every trial goes on training the weights the last one left.")
    small, large = built.get(((1, 8, 8), 4)), built.get(((1, 8, 8), 16))
    if small is not None and large is not None:
        fb.verdict(_n_weights(large) > _n_weights(small),
                   "the network grows with params['channels'], so a search can tune it.",
                   "channels=4 and channels=16 give networks of the same size: read "
                   "params['channels'] for the convolution's output channels.")
    if len(built) == 3:
        fb.right.append("the factory builds a network of the right output size for 1x8x8 and "
                        "3x12x12 images.")
        if train and large is not None:
            hist = fit(large, digits, lr=1e-2, epochs=5, seed=0)
            fb.verdict(max(hist.val_metric) > 0.6,
                       f"with 16 channels it learns the digits: validation accuracy "
                       f"{max(hist.val_metric):.3f} after 5 epochs.",
                       f"with 16 channels it reaches only {max(hist.val_metric):.3f} validation "
                       "accuracy in 5 epochs: are the layers connected in order, and does the "
                       "network end in raw scores (no softmax: the loss takes logits)?")
    fb.hint = ("c, h, w = data.input_shape; Conv2d(c, k, 3, padding=1), ReLU, MaxPool2d(2), "
               "Flatten, Linear(k * (h // 2) * (w // 2), data.n_outputs).")
    return fb
