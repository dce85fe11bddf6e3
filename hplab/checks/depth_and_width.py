"""Exercise 03 · Depth and width: cure an overfitting model two different ways."""

from __future__ import annotations

from ..diagnose import diagnose
from ..train import History
from ._feedback import Feedback, need_histories, strict_when_asked


@strict_when_asked
def overfitting_cures(baseline, cures) -> Feedback:
    """Check that each cure beats the overfitting baseline, and that they use different knobs.

    Args:
        baseline: History of the overfitting run.
        cures: {short description: History}, at least two runs, each changing one thing.
    """
    title = "Cure an overfitting model two different ways"
    if not isinstance(baseline, History):
        return Feedback(title, wrong=["baseline should be the History of the overfitting run."])
    fail = need_histories(title, cures, "cures")
    if fail is not None:
        return fail
    fb = Feedback(title)
    if len(cures) < 2:
        fb.wrong.append(f"you tried {len(cures)} cure(s); try two different ones.")
    base = baseline.val_loss[-1]
    for name, hist in cures.items():
        final = hist.val_loss[-1]
        label = diagnose(hist).label
        fb.verdict(final < base and label != "overfitting",
                   f"{name}: final validation loss {final:.3f} vs {base:.3f} before, "
                   f"diagnosis '{label}'.",
                   f"{name}: final validation loss {final:.3f} vs {base:.3f} before, "
                   f"diagnosis '{label}': not cured yet.")
    curves = [tuple(h.val_loss) for h in cures.values()]
    if len(set(curves)) < len(curves):
        fb.wrong.append("two of your cures gave identical runs; change a different knob.")
    fb.hint = ("Knobs that fight overfitting: a smaller model (width, depth), dropout, weight "
               "decay, early stopping, more training data.")
    return fb
