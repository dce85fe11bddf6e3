"""Exercise 07 · Early stopping written by hand, and raced against hplab's.

The callback is driven through made-up epochs on a one-number model whose weight is set to the
epoch, so the weight left at the end tells which epoch's weights were put back. Stopping,
restoring and resetting are tested separately, so every mistake shows in one run of the check.
"""

from __future__ import annotations

import inspect
import math

import torch
from torch import nn

from ..data import Data
from ..train import Callback, History, Trainer, evaluate
from ._feedback import Feedback, strict_when_asked

TITLE = "Early stopping written by hand"
# validation loss per epoch: best at epoch 4, then worse and worse; the training loss keeps
# falling, so a callback that watches it never stops
VAL = [1.0, 0.8, 0.9, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1]
TRAIN = [1.0 - 0.05 * i for i in range(len(VAL))]
FRESH = [2.0, 1.5, 1.4, 1.3, 1.2, 1.1]  # always improving: a fresh callback never stops


class _Probe(nn.Module):
    """A one-number model: its weight is set to the epoch, so restored weights show the epoch."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.loads = 0

    def load_state_dict(self, *args, **kwargs):
        self.loads += 1
        return super().load_state_dict(*args, **kwargs)


def _drive(callback, val_losses, train_losses=None) -> dict:
    """Feed epochs to a callback like fit does.

    Returns {"stopped": stop epoch or None, "weight": the model's weight at the end, "loads":
    calls of load_state_dict, "error": what the callback raised or None, "ended": whether every
    epoch ran without an error}. NotImplementedError is passed on.
    """
    train_losses = train_losses or val_losses
    model = _Probe()
    trainer = Trainer(model, None, History())
    hist = trainer.history
    out = dict(stopped=None, weight=None, loads=0, error=None, ended=False)
    method = "on_train_begin"
    try:
        callback.on_train_begin(trainer)
        method = "on_epoch_end"
        for epoch, (t, v) in enumerate(zip(train_losses, val_losses), start=1):
            with torch.no_grad():
                model.w.fill_(epoch)
            logs = dict(train_loss=t, val_loss=v, train_metric=0.0, val_metric=0.0, lr=0.1)
            for key, value in [("epoch", epoch)] + list(logs.items()):
                getattr(hist, key).append(value)
            callback.on_epoch_end(trainer, epoch, logs)
            if trainer.stop:
                out["stopped"] = epoch
                break
        out["ended"] = True
        method = "on_train_end"
        callback.on_train_end(trainer)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's callback failed: report it, judge the rest
        out["error"] = f"{method} raised {type(exc).__name__}: {exc}"
        return out
    final = trainer.model if isinstance(trainer.model, _Probe) else model
    out["weight"], out["loads"] = final.w.item(), model.loads
    return out


def _reference_stop(losses, patience, late: int = 0):
    """The epoch a correct callback stops at (``late=1``: the off-by-one), or None."""
    best, wait = math.inf, 0
    for epoch, v in enumerate(losses, start=1):
        if v < best:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= patience + late:
                return epoch
    return None


def _run(cls, patience, *runs) -> list:
    """Make ``cls(patience=patience)`` and drive that one instance through each run."""
    cb = cls(patience=patience)
    return [_drive(cb, *losses) for losses in runs]


def _stopping(fb: Feedback, stops: dict) -> None:
    """Judge the stop epochs, {patience: epoch or None}, on VAL."""
    want = {p: _reference_stop(VAL, p) for p in stops}
    if stops == want:
        fb.right.append("stops once `patience` epochs pass without improvement ("
                        + ", ".join(f"patience={p}: epoch {e}" for p, e in want.items()) + ").")
    elif all(e is None for e in stops.values()):
        fb.wrong.append("never stopped: set trainer.stop = True once `patience` epochs pass "
                        "without improvement. Watch logs['val_loss']: here the training loss "
                        "keeps falling while the validation loss rises.")
    elif stops == {p: _reference_stop(VAL, p, late=1) for p in stops}:
        fb.wrong.append("stops one epoch late (" + ", ".join(
            f"patience={p}: epoch {e}, expected {want[p]}" for p, e in stops.items())
            + "): an off-by-one in the patience counter. Stop when the count of epochs "
            "without improvement reaches patience (wait >= patience).")
    elif len(set(stops.values())) == 1:
        fb.wrong.append(f"stopped at epoch {next(iter(stops.values()))} whatever the patience; "
                        "use the patience passed to __init__ (self.patience).")
    else:
        for p, e in stops.items():
            if e != want[p]:
                did = "never stopped" if e is None else f"stopped at epoch {e}"
                fb.wrong.append(f"with patience={p} it {did}, expected epoch {want[p]}: the "
                                f"val_loss was {VAL[:want[p]]}.")


def _restoring(fb: Feedback, run: dict) -> None:
    """Judge the weight left after the patience=3 run on VAL."""
    stopped, weight, loads = run["stopped"], run["weight"], run["loads"]
    ran = VAL[:stopped] if stopped else VAL
    best, last = ran.index(min(ran)) + 1, len(ran)
    if weight == best:
        fb.right.append(f"puts back the weights of the best epoch ({best}) at the end.")
    elif loads and weight == last and stopped is None:
        fb.wrong.append(f"at the end the model holds the weights of epoch {last}, the lowest "
                        f"training loss; keep those of the lowest validation loss (epoch {best}).")
    elif loads and weight == last:
        fb.wrong.append(f"at the end the model holds the weights of epoch {last}, not of the best "
                        f"epoch {best}, although on_train_end loaded a saved state: the saved "
                        "state followed the live weights. Save a copy "
                        "(copy.deepcopy(model.state_dict())), and only when the loss improves.")
    elif weight == last:
        fb.wrong.append(f"at the end the model holds the weights of epoch {last}, not of the best "
                        f"epoch {best}. Save a copy (copy.deepcopy(model.state_dict())) when the "
                        "loss improves and load it in on_train_end.")
    else:
        fb.wrong.append(f"at the end the model holds the weights of epoch {weight:g}; the best "
                        f"epoch was {best}. Save the weights when the validation loss improves.")


def _resetting(fb: Feedback, run: dict) -> None:
    """Judge the second run of the same instance, on FRESH, where every epoch improves."""
    stopped, weight = run["stopped"], run["weight"]
    if stopped is None and weight == len(FRESH):
        fb.right.append("starts fresh when reused for a second run.")
        return
    what = (f"it stopped at epoch {stopped}" if stopped else
            f"it ended with the weights of epoch {weight:g}")
    fb.wrong.append(f"reused for a second run, it remembered the first run's best loss ({what}, "
                    "while every epoch improved); reset what you track in on_train_begin.")


@strict_when_asked
def early_stopping_callback(cls) -> Feedback:
    """Test a hand-written early-stopping callback class ``cls(patience=...)``.

    It must watch ``logs["val_loss"]``, stop after ``patience`` epochs without improvement,
    put back the best epoch's weights at the end, and reset itself in ``on_train_begin``.
    Every one of these is tested, and every problem is reported at once.
    """
    if not (inspect.isclass(cls) and issubclass(cls, Callback)):
        return Feedback(TITLE, wrong=[f"expected a subclass of hplab.Callback, got {cls!r}."],
                        hint="class MyEarlyStopping(hplab.Callback): ...")
    try:
        main, again = _run(cls, 3, (VAL, TRAIN), (FRESH,))
        (short,) = _run(cls, 1, (VAL, TRAIN))
    except NotImplementedError:
        return Feedback(TITLE, wrong=["the callback is not written yet (it still raises "
                                      "NotImplementedError)."],
                        hint="Fill in each method, then run this cell again.")
    except TypeError as exc:  # __init__ does not take patience
        return Feedback(TITLE, wrong=[f"{cls.__name__}(patience=3) failed: {exc}"],
                        hint="Give __init__ a patience parameter.")
    fb = Feedback(TITLE, hint="Keep best, best_state and wait; in on_epoch_end either record "
                              "an improvement (wait = 0, a copy of the weights) or count one "
                              "more epoch without one.")
    for error in dict.fromkeys(r["error"] for r in (main, short, again) if r["error"]):
        fb.wrong.append(f"the callback's {error}")
    if main["ended"] and short["ended"]:
        _stopping(fb, {3: main["stopped"], 1: short["stopped"]})
    if main["error"] is None:
        _restoring(fb, main)
        if again["error"] is None:
            _resetting(fb, again)
    return fb


@strict_when_asked
def same_as_reference(mine, reference, data: Data) -> Feedback:
    """Compare two trained (model, History) pairs: your early stopping vs hplab's."""
    title = "Your early stopping against hplab.EarlyStopping"
    pairs = [(what, run) for what, run in (("mine", mine), ("reference", reference))
             if not (isinstance(run, tuple) and len(run) == 2 and isinstance(run[0], nn.Module)
                     and isinstance(run[1], History))]
    if pairs:
        return Feedback(title, wrong=[f"{what} should be a (model, History) pair, got "
                                      f"{type(run).__name__}." for what, run in pairs],
                        hint="Return both from your run function: return model, hplab.fit(...).")
    (m1, h1), (m2, h2) = mine, reference
    fb = Feedback(title, hint="Use the same patience, seed and settings for both runs.")
    e1, e2 = h1.epochs_run, h2.epochs_run
    fb.verdict(e1 == e2, f"training ran {e1} epochs, as with hplab's.",
               f"training ran {e1} epochs (hplab: {e2}).")
    v1, v2 = evaluate(m1, data)["loss"], evaluate(m2, data)["loss"]
    fb.verdict(math.isclose(v1, v2, rel_tol=1e-6),
               f"final models have the same validation loss ({v1:.4f}).",
               f"final validation loss {v1:.4f} vs hplab's {v2:.4f}: were the best weights "
               "restored?")
    return fb
