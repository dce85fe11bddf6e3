"""Exercise 08 · The tuning workflow: an honest test score at the end."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..data import Data
from ._feedback import Feedback, as_number, strict_when_asked


@strict_when_asked
def honest_test_score(data, model, reported) -> Feedback:
    """Check a final report: the test set read once, at the end, and the score reported as is.

    Args:
        data: the Data bundle used throughout (its ``test_reads`` counts every look).
        model: the final model.
        reported: the test accuracy you report.
    """
    title = "An honest test score"
    if not isinstance(data, Data) or not isinstance(model, nn.Module):
        return Feedback(title, wrong=["pass the Data bundle, the final model and your score."])
    fb = Feedback(title)
    with torch.no_grad():
        model.eval()
        test_acc = (model(data._test.X).argmax(1) == data._test.y).float().mean().item()
        val_acc = (model(data.val.X).argmax(1) == data.val.y).float().mean().item()
    if data.test_reads == 0:
        fb.wrong.append("the test set was never read: evaluate the final model on it once.")
    elif data.test_reads == 1:
        fb.right.append("the test set was read exactly once.")
    else:
        fb.wrong.append(f"the test set was read {data.test_reads} times. Every look after the "
                        "first can steer a choice, and then the score is no longer an unbiased "
                        "estimate. Make every choice on validation data.")
    score = as_number(reported)
    if score is None:
        fb.wrong.append(f"report the test accuracy as a number, got {reported!r}.")
    elif math.isclose(score, test_acc, abs_tol=1e-6):
        fb.right.append(f"the reported score {score:.3f} is the final model's test accuracy.")
    elif math.isclose(score, val_acc, abs_tol=1e-6):
        fb.wrong.append(f"{score:.3f} is the validation accuracy; the test accuracy is what "
                        "you report at the end.")
    elif math.isclose(score / 100, test_acc, abs_tol=1e-6):
        fb.wrong.append(f"{score:g} is the test accuracy in percent; report it as a fraction "
                        "between 0 and 1, as hplab.evaluate gives it.")
    else:
        fb.wrong.append(f"{score:.3f} is not this model's test accuracy: report the number "
                        "hplab.evaluate gives for the final model.")
    fb.hint = "Tune on validation, refit, then call hplab.evaluate(model, data, 'test') once."
    return fb


