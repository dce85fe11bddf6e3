"""Exercise 04 · Optimizers: epochs to a target accuracy, and a ranking by them."""

from __future__ import annotations

from .. import _validate as check
from ._feedback import (
    ERROR_HINT,
    Feedback,
    attempt,
    checks_function,
    make_history,
    need_histories,
    strict_when_asked,
)

REACH = "epochs_to_reach(hist, target)"


def _fake_history(val_metric):
    return make_history(val_metric=val_metric, train_metric=val_metric)


CASES = [([0.5, 0.8, 0.92, 0.95], 0.9, 3, "reached at epoch 3"),
         ([0.91, 0.95], 0.9, 1, "reached after the first epoch"),
         ([0.5, 0.9, 0.85], 0.9, 2, "exactly equal to the target counts"),
         ([0.5, 0.6, 0.7], 0.9, None, "never reached"),
         ([0.95, 0.5, 0.97], 0.9, 1, "the first time counts, even if it drops later")]


@checks_function(REACH, "epochs_to_reach")
def epochs_to_reach(fn) -> Feedback:
    """Test ``fn(hist, target)``: the first epoch (1-based) whose val_metric >= target, or None."""
    fb = Feedback(REACH, hint="Loop over zip(hist.epoch, hist.val_metric) and return the first "
                              "epoch with metric >= target; after the loop, return None.")
    for metric, target, want, why in CASES:
        got, error = attempt("epochs_to_reach", fn, _fake_history(metric), target)
        if error is not None:
            fb.wrong.append(f"val_metric={metric}, target={target}: {error}")
            fb.hint = ERROR_HINT
            continue
        if got == want and (got is None) == (want is None):
            fb.right.append(f"{why}: {got}.")
            continue
        msg = f"val_metric={metric}, target={target}: expected {want}, got {got!r} ({why})."
        if isinstance(want, int) and got == want - 1:
            msg += " Epochs count from 1 (hist.epoch), not from 0."
        if want is None and got is not None:
            msg += " Return None when the target is never reached."
        fb.wrong.append(msg)
    return fb


def _reached(hist, target):
    return next((e for e, m in zip(hist.epoch, hist.val_metric) if m >= target), None)


@strict_when_asked
def optimizer_ranking(ranking, histories, target: float) -> Feedback:
    """Check a ranking of optimizers, fastest first, by epochs needed to reach ``target``.

    Optimizers that reach the target in the same epoch may come in either order.
    """
    title = f"Rank the optimizers by epochs to {target:g} validation accuracy"
    fail = need_histories(title, histories)
    if fail is not None:
        return fail
    target = check.number("target", target)
    reached = {name: _reached(h, target) for name, h in histories.items()}

    def speed(name):
        return (reached[name] is None, reached[name] or 0)

    order = sorted(histories, key=speed)
    facts = ", ".join(f"{k}: {reached[k] if reached[k] else 'never'}" for k in order)
    hint = ("Count the epochs with your epochs_to_reach; runs that never reach the target go "
            f"last. (The runs: {', '.join(histories)}.)")
    try:
        ranking = list(ranking)
    except TypeError:
        return Feedback(title, wrong=[f"ranking should be a list of names, got {ranking!r}."],
                        hint=hint)
    fb = Feedback(title, hint=hint)
    unknown = [r for r in ranking if r not in histories]
    missing = [k for k in histories if k not in ranking]
    if unknown:
        fb.wrong.append(f"{unknown} are not among the runs ({', '.join(histories)}).")
    if missing:
        fb.wrong.append(f"the ranking leaves out {missing}.")
    if len(set(map(str, ranking))) < len(ranking):
        fb.wrong.append("a name appears twice in your ranking.")
    known = [r for r in ranking if r in histories]
    for a, b in zip(known, known[1:]):
        if speed(a) > speed(b):
            fb.wrong.append(f"{a} comes before {b}, but {b} is faster "
                            f"({b}: {reached[b] or 'never'}, {a}: {reached[a] or 'never'}).")
    if fb.passed:
        fb.right.append(f"fastest first: {facts}.")
    return fb
