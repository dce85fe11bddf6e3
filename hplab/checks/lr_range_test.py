"""Exercise 02b · A learning-rate range test by hand, and a rate read off its curve."""

from __future__ import annotations

import math

import numpy as np

from ._feedback import Feedback, as_number, strict_when_asked


@strict_when_asked
def lr_range_test(lrs, losses) -> Feedback:
    """Check the record of a hand-written learning-rate range test."""
    title = "Your learning-rate range test"
    try:
        lrs = np.asarray(lrs, dtype=float)
        losses = np.asarray(losses, dtype=float)
    except (TypeError, ValueError):
        return Feedback(title, wrong=["lrs and losses should be lists of numbers."])
    fb = Feedback(title, hint="lr = start * factor**step with factor = (end / start) ** "
                              "(1 / (steps - 1)).")
    if lrs.ndim != 1 or len(lrs) < 20:
        fb.wrong.append(f"record at least 20 steps; got {lrs.size}. Append the rate and the loss "
                        "after every minibatch step.")
        return fb
    if losses.shape != lrs.shape:
        fb.wrong.append(f"lrs has {len(lrs)} values but losses has {losses.size}; record one loss "
                        "per rate.")
    if np.any(np.diff(lrs) <= 0) or lrs[0] <= 0:
        fb.wrong.append("the rates must be positive and grow at every step.")
        return fb
    fb.right.append(f"{len(lrs)} steps, rates growing from {lrs[0]:.2g} to {lrs[-1]:.2g}.")
    ratios = lrs[1:] / lrs[:-1]
    fb.verdict(ratios.max() / ratios.min() <= 1.01,
               f"each step multiplies the rate by {ratios[0]:.3f}, so every decade gets the "
               "same number of steps.",
               "the rates grow by a fixed amount, not a fixed factor: most steps land in the "
               "last decade. Multiply the rate by the same factor each step.")
    decades = math.log10(lrs[-1] / lrs[0])
    fb.verdict(decades >= 3, f"the sweep covers {decades:.1f} decades.",
               f"the sweep covers only {decades:.1f} decades; cover 3 or more.")
    if losses.shape == lrs.shape:
        finite = losses[np.isfinite(losses)]
        blew_up = len(finite) > 0 and (not np.isfinite(losses[-1])
                                       or losses[-1] > 2 * finite.min())
        fb.verdict(blew_up, "the sweep went far enough to see the loss blow up.",
                   "the loss never turned up: raise the final rate until it blows up, so you "
                   "can see where the safe range ends.")
    return fb


def smooth(losses, window=5):
    """Centred moving average; entry i belongs to rate i + window // 2 (no lag, unlike an EMA)."""
    return np.convolve(losses, np.ones(window) / window, mode="valid")


@strict_when_asked
def lr_choice(chosen, lrs, losses) -> Feedback:
    """Check a learning rate read off a range test: below the bottom of the curve, not too far."""
    title = "Reading a learning rate off the range test"
    rate = as_number(chosen)
    if rate is None or not rate > 0:
        return Feedback(title, wrong=[f"the chosen rate should be a positive number, got "
                                      f"{chosen!r}."])
    lrs = np.asarray(lrs, dtype=float)
    curve = smooth(np.nan_to_num(np.asarray(losses, dtype=float), nan=1e9, posinf=1e9))
    bottom = lrs[int(np.argmin(curve)) + 2]
    low, high = bottom / 30, bottom / 2
    if rate >= bottom:
        return Feedback(title, wrong=[f"{rate:.2g} is at or past the bottom of the curve "
                                      f"({bottom:.2g}); there the loss is about to blow up."],
                        hint="Step back to where the loss is still falling steeply, about 10x "
                             "below the bottom.")
    if rate > high:
        return Feedback(title, wrong=[f"{rate:.2g} is too close to the bottom ({bottom:.2g}): "
                                      "in a real run the rate works longer and noise pushes it "
                                      "over the edge."],
                        hint="Leave a safety margin: about a tenth of the rate at the bottom.")
    if rate < low:
        return Feedback(title, wrong=[f"{rate:.2g} is very cautious: the loss barely moves "
                                      f"there and training would be slow (bottom at {bottom:.2g})."],
                        hint="Choose where the curve falls steeply, about a decade below the "
                             "bottom.")
    return Feedback(title, right=[f"{rate:.2g} is {bottom / rate:.0f}x below the bottom of "
                                  f"the smoothed curve ({bottom:.2g}), where the loss still falls "
                                  "fast: a good rate."])
