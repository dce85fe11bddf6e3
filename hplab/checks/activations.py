"""Exercise 06 · Activations: how much gradient reaches the first layer."""

from __future__ import annotations

import math

from ..train import History
from ._feedback import Feedback, checks_function, per_run

TITLE = "gradient_ratio(hist)"


def _reference_ratio(hist: History) -> float:
    norms = hist.grad_norms[0]  # epoch 1: one norm per Linear layer, input side first
    return norms[0] / norms[-1] if norms[-1] > 0 else math.inf


@checks_function(TITLE, "gradient_ratio", runs="histories")
def gradient_ratio(fn, histories) -> Feedback:
    """Test ``fn(hist)``: first-layer over last-layer gradient norm in epoch 1."""
    missing = [k for k, h in histories.items() if not h.grad_norms]
    if missing:
        return Feedback(TITLE, wrong=[f"{k}: no gradient norms were recorded." for k in missing],
                        hint="Train with hplab.fit(..., track_gradients=True).")

    def mistake(got, hist):
        if got and math.isclose(got, 1 / _reference_ratio(hist), rel_tol=1e-3):
            return "you divided the other way round (last / first)."
        if math.isclose(got, hist.grad_norms[-1][0] / hist.grad_norms[-1][-1], rel_tol=1e-3):
            return "that is the last epoch's ratio; use epoch 1 (hist.grad_norms[0])."
        return None

    fb = Feedback(TITLE, hint="hist.grad_norms[0] lists one norm per Linear layer for epoch 1, "
                              "input side first: divide the first entry by the last.")
    return per_run(fb, "gradient_ratio", fn, histories, _reference_ratio,
                   "the first layer gets {:.3g}x the gradient of the last.", mistake)
