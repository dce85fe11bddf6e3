"""Exercise 05 · Batch size: updates per epoch, and the noise of minibatch losses."""

from __future__ import annotations

import math

import numpy as np

from ..train import History
from ._feedback import (
    ERROR_HINT,
    Feedback,
    as_number,
    attempt,
    checks_function,
    per_run,
)

UPDATES = "updates_per_epoch(n, batch_size)"
NOISE = "batch_noise(hist)"


@checks_function(UPDATES, "updates_per_epoch")
def updates_per_epoch(fn) -> Feedback:
    """Test ``fn(n, batch_size)``: how many optimizer steps one epoch takes."""
    fb = Feedback(UPDATES, hint="An epoch is a pass over all n examples, batch_size at a time; "
                                "round up.")
    for n, b in [(240, 8), (240, 32), (240, 240), (100, 1), (1000, 128)]:
        value, error = attempt("updates_per_epoch", fn, n, b)
        if error is not None:
            fb.wrong.append(f"n={n}, batch_size={b}: {error}")
            fb.hint = ERROR_HINT
            continue
        want, got = math.ceil(n / b), as_number(value)
        if got == want:
            fb.right.append(f"n={n}, batch_size={b}: {want} updates.")
        elif got == n // b:
            fb.wrong.append(f"n={n}, batch_size={b}: got {value}, expected {want}: the last, "
                            "smaller batch is an update too.")
        else:
            fb.wrong.append(f"n={n}, batch_size={b}: got {value!r}, expected {want}.")
    return fb


def _last_epoch(hist: History) -> list:
    return hist.batch_loss[-hist.steps_per_epoch:]


def _reference_noise(hist: History, ddof: int = 0) -> float:
    last = _last_epoch(hist)
    return float(np.std(last, ddof=ddof)) if len(last) > 1 else 0.0


@checks_function(NOISE, "batch_noise", runs="histories")
def batch_noise(fn, histories) -> Feedback:
    """Test ``fn(hist)``: the spread (std) of the minibatch losses in the last epoch.

    The population and the sample standard deviation (np.std, torch.std) are both accepted.
    """
    def mistake(got, hist):
        if math.isclose(got, float(np.std(hist.batch_loss)), rel_tol=1e-3):
            return ("you took the spread over the whole run, which mostly measures how far the "
                    "loss fell; use the last epoch only.")
        if math.isclose(got, float(np.std(hist.train_loss)), rel_tol=1e-3):
            return ("that is the spread of the per-epoch losses; use the minibatch losses of "
                    "the last epoch (hist.batch_loss).")
        return None

    def sample_std(got, hist):
        return math.isclose(got, _reference_noise(hist, ddof=1), rel_tol=1e-3)

    fb = Feedback(NOISE, hint="hist.batch_loss holds every minibatch loss in order; the last "
                              "epoch is the last hist.steps_per_epoch of them. np.std gives the "
                              "spread.")
    return per_run(fb, "batch_noise", fn, histories, _reference_noise, "{:.4f}.", mistake,
                   also_right=sample_std)
