"""Exercise checkers: each one looks at your answer and says what is right, what is wrong, and
what to try next.

A check never raises because an answer is wrong; it returns a :class:`Feedback` that shows as a
green or red box in a notebook (and is truthy only when everything passed). A placeholder that
still raises ``NotImplementedError`` is reported as "not written yet".

    >>> from hplab import checks
    >>> fb = checks.updates_per_epoch(lambda n, b: -(-n // b))
    >>> fb.passed
    True
"""

from __future__ import annotations

import functools
import html
import inspect
import itertools
import math
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import _validate as check
from .data import Data
from .diagnose import LABELS, diagnose
from .models import mlp
from .train import Callback, History, Trainer, evaluate, fit


@dataclass
class Feedback:
    """The verdict of one check: what is right, what is wrong, and a hint for the next try."""

    title: str
    right: list = field(default_factory=list)
    wrong: list = field(default_factory=list)
    hint: str = ""

    @property
    def passed(self) -> bool:
        return not self.wrong

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{'PASSED' if self.passed else 'NOT YET'}: {self.title}"
        lines = [head] + [f"  ok   {r}" for r in self.right] + [f"  fix  {w}" for w in self.wrong]
        if self.hint and not self.passed:
            lines.append(f"  hint {self.hint}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color, mark = ("#1a7f37", "Passed") if self.passed else ("#b35900", "Not yet")
        items = [f"<li>&#10003; {html.escape(r)}</li>" for r in self.right]
        items += [f"<li>&#10007; <b>{html.escape(w)}</b></li>" for w in self.wrong]
        hint = (f"<p><i>Hint:</i> {html.escape(self.hint)}</p>"
                if self.hint and not self.passed else "")
        return (f'<div style="border-left:5px solid {color};padding:4px 12px;margin:4px 0">'
                f'<b style="color:{color}">{mark}</b> &mdash; {html.escape(self.title)}'
                f'<ul style="margin:4px 0">{"".join(items)}</ul>{hint}</div>')


STRICT_ENV = "HPLAB_STRICT_CHECKS"  # "1": a check that does not pass raises (testing solutions)


def _strict_when_asked(check_fn):
    """Return the Feedback as usual; raise AssertionError instead when STRICT_ENV is "1".

    The solution notebooks run with it set, so a check that stops passing on its own solution
    fails the tests instead of quietly printing "Not yet".
    """
    @functools.wraps(check_fn)
    def wrapper(*args, **kwargs):
        fb = check_fn(*args, **kwargs)
        if not fb.passed and os.environ.get(STRICT_ENV) == "1":
            raise AssertionError(str(fb))
        return fb
    return wrapper


def _not_written(title: str, what: str) -> Feedback:
    return Feedback(title, wrong=[f"{what} is not written yet (it still raises "
                                  "NotImplementedError)."],
                    hint="Replace the `raise NotImplementedError` line with your code, then run "
                         "this cell again.")


def _call(title: str, what: str, fn, *args):
    """Call the learner's ``fn``; return (value, None) or (None, Feedback on the error)."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, _not_written(title, what)
    except Exception as exc:  # the learner's code failed: show the error inside the feedback
        return None, Feedback(title, wrong=[f"{what} raised {type(exc).__name__}: {exc}"],
                              hint="Run it on its own on a small input and read the traceback.")


def _need_callable(title: str, what: str, fn):
    if not callable(fn):
        return Feedback(title, wrong=[f"{what} should be a function, got {type(fn).__name__}."],
                        hint="Pass the function itself, without calling it (no parentheses).")
    return None


def _first(*failures):
    """The first problem found, or None (a Feedback is falsy when it failed, so no ``or``)."""
    return next((f for f in failures if f is not None), None)


def _need_histories(title: str, histories, what: str = "histories"):
    if not isinstance(histories, dict) or not histories:
        return Feedback(title, wrong=[f"{what} should be a non-empty dict of History objects, "
                                      f"got {type(histories).__name__}."],
                        hint="Collect each run in a dict: runs[key] = hplab.fit(...).")
    bad = [k for k, h in histories.items() if not isinstance(h, History)]
    if bad:
        return Feedback(title, wrong=[f"{what}[{bad[0]!r}] is not a History; store what "
                                      "hplab.fit returns."])
    return None


# ----------------------------------------------------------------------------- 01 learning rate


@_strict_when_asked
def learning_rate_predictions(predictions, histories) -> Feedback:
    """Compare your predicted diagnosis for each learning rate with what the runs show.

    Args:
        predictions: {lr: label} with labels from hplab's diagnoses (slow, good, diverged, ...).
        histories: {lr: History} from training with each rate.
    """
    title = "Predict, then verify: the effect of the learning rate"
    fail = _need_histories(title, histories)
    if fail is not None:
        return fail
    if not isinstance(predictions, dict):
        return Feedback(title, wrong=[f"predictions should be a dict {{lr: label}}, got "
                                      f"{type(predictions).__name__}."])
    fb = Feedback(title)
    rates = sorted(histories)
    if len(rates) < 3 or rates[-1] / rates[0] < 100:
        fb.wrong.append(f"try at least three rates spanning 100x or more; you tried {rates}.")
    unknown = {k: v for k, v in predictions.items() if v not in LABELS}
    if unknown:
        fb.wrong.append(f"labels {sorted(set(unknown.values()))} are not diagnoses; use one of "
                        f"{', '.join(LABELS)}.")
    missing = [lr for lr in rates if lr not in predictions]
    if missing:
        fb.wrong.append(f"no prediction for lr={missing}: write it down before you look.")
    labels = {lr: diagnose(histories[lr]).label for lr in rates}
    for lr in rates:
        if lr in predictions and predictions[lr] in LABELS:
            said, saw = predictions[lr], labels[lr]
            (fb.right if said == saw else fb.wrong).append(
                f"lr={lr:g}: you predicted '{said}', the run is '{saw}'.")
    if labels[rates[0]] not in ("slow", "underfitting"):
        fb.wrong.append(f"your smallest rate ({rates[0]:g}) is not slow yet; go smaller to see "
                        "what a too-small rate does.")
    if labels[rates[-1]] not in ("diverged", "unstable"):
        fb.wrong.append(f"your largest rate ({rates[-1]:g}) trains fine; go bigger to see what a "
                        "too-large rate does.")
    fb.hint = ("Too small: the loss falls slowly and is still falling at the end. Too large: the "
               "loss jumps around (unstable) or blows up (diverged). Compare your guess with "
               "hplab.diagnose(hist).explanation for each run.")
    return fb


@_strict_when_asked
def best_learning_rate(choice, histories) -> Feedback:
    """Check that ``choice`` is the rate whose run reached the lowest *validation* loss."""
    title = "Pick the best learning rate"
    fail = _need_histories(title, histories)
    if fail is not None:
        return fail
    best = min(histories, key=lambda k: histories[k].best_val_loss)
    by_train = min(histories, key=lambda k: min(histories[k].train_loss, default=math.inf))
    if choice == best:
        return Feedback(title, right=[f"lr={best:g} reached the lowest validation loss "
                                      f"({histories[best].best_val_loss:.3f})."])
    fb = Feedback(title, wrong=[f"lr={choice!r} is not the rate with the lowest validation loss."])
    if choice == by_train and by_train != best:
        fb.wrong.append("you picked by training loss; the training loss rewards memorizing, "
                        "the validation loss measures what we care about.")
    fb.hint = "Compare hist.best_val_loss across the runs and take the smallest."
    return fb


# ----------------------------------------------------------------------------- 02 LR range test


@_strict_when_asked
def lr_range_test(lrs, losses) -> Feedback:
    """Check the record of a hand-written learning-rate range test."""
    title = "Your learning-rate range test"
    fb = Feedback(title)
    try:
        lrs = np.asarray(lrs, dtype=float)
        losses = np.asarray(losses, dtype=float)
    except (TypeError, ValueError):
        return Feedback(title, wrong=["lrs and losses should be lists of numbers."])
    if lrs.ndim != 1 or len(lrs) < 20:
        return Feedback(title, wrong=[f"record at least 20 steps; got {lrs.size}."],
                        hint="Append the rate and the loss after every minibatch step.")
    if len(losses) != len(lrs):
        return Feedback(title, wrong=[f"lrs has {len(lrs)} values but losses has {len(losses)}; "
                                      "record one loss per rate."])
    if np.any(np.diff(lrs) <= 0) or lrs[0] <= 0:
        fb.wrong.append("the rates must be positive and grow at every step.")
        return fb
    fb.right.append(f"{len(lrs)} steps, rates growing from {lrs[0]:.2g} to {lrs[-1]:.2g}.")
    ratios = lrs[1:] / lrs[:-1]
    if ratios.max() / ratios.min() > 1.01:
        fb.wrong.append("the rates grow by a fixed amount, not a fixed factor: most steps land in "
                        "the last decade. Multiply the rate by the same factor each step.")
    else:
        fb.right.append(f"each step multiplies the rate by {ratios[0]:.3f}, so every decade gets "
                        "the same number of steps.")
    decades = math.log10(lrs[-1] / lrs[0])
    if decades < 3:
        fb.wrong.append(f"the sweep covers only {decades:.1f} decades; cover 3 or more.")
    finite = losses[np.isfinite(losses)]
    if len(finite) and (not np.isfinite(losses[-1]) or losses[-1] > 2 * finite.min()):
        fb.right.append("the sweep went far enough to see the loss blow up.")
    else:
        fb.wrong.append("the loss never turned up: raise the final rate until it blows up, so you "
                        "can see where the safe range ends.")
    fb.hint = "lr = start * factor**step with factor = (end / start) ** (1 / (steps - 1))."
    return fb


def _smooth(losses, window=5):
    """Centred moving average; entry i belongs to rate i + window // 2 (no lag, unlike an EMA)."""
    return np.convolve(losses, np.ones(window) / window, mode="valid")


@_strict_when_asked
def lr_choice(chosen, lrs, losses) -> Feedback:
    """Check a learning rate read off a range test: below the bottom of the curve, not too far."""
    title = "Reading a learning rate off the range test"
    chosen_ok = isinstance(chosen, (int, float)) and not isinstance(chosen, bool) and chosen > 0
    if not chosen_ok:
        return Feedback(title, wrong=[f"the chosen rate should be a positive number, got "
                                      f"{chosen!r}."])
    lrs = np.asarray(lrs, dtype=float)
    smooth = _smooth(np.nan_to_num(np.asarray(losses, dtype=float), nan=1e9, posinf=1e9))
    bottom = lrs[int(np.argmin(smooth)) + 2]
    low, high = bottom / 30, bottom / 2
    if chosen >= bottom:
        return Feedback(title, wrong=[f"{chosen:.2g} is at or past the bottom of the curve "
                                      f"({bottom:.2g}); there the loss is about to blow up."],
                        hint="Step back to where the loss is still falling steeply, about 10x "
                             "below the bottom.")
    if chosen > high:
        return Feedback(title, wrong=[f"{chosen:.2g} is too close to the bottom ({bottom:.2g}): "
                                      "in a real run the rate works longer and noise pushes it "
                                      "over the edge."],
                        hint="Leave a safety margin: about a tenth of the rate at the bottom.")
    if chosen < low:
        return Feedback(title, wrong=[f"{chosen:.2g} is very cautious: the loss barely moves "
                                      f"there and training would be slow (bottom at {bottom:.2g})."],
                        hint="Choose where the curve falls steeply, about a decade below the "
                             "bottom.")
    return Feedback(title, right=[f"{chosen:.2g} is {bottom / chosen:.0f}x below the bottom of "
                                  f"the smoothed curve ({bottom:.2g}), where the loss still falls "
                                  "fast: a good rate."])


# ----------------------------------------------------------------------------- 03 diagnosis


MYSTERY_RECIPES = {  # dataset, fit and model settings that produce each kind of run
    "diverged": dict(data="moons", optimizer="momentum", lr=1.0, epochs=30),
    "unstable": dict(data="moons", optimizer="sgd", lr=2.0, epochs=30),
    "slow": dict(data="moons", optimizer="sgd", lr=1e-3, epochs=30),
    "underfitting": dict(data="circles", optimizer="adam", lr=1e-2, epochs=30, depth=0),
    "overfitting": dict(data="small_moons", optimizer="adam", lr=1e-2, epochs=150, depth=3,
                        width=128, batch_size=16),
    "good": dict(data="moons", optimizer="sgd", lr=0.1, epochs=30),
}


def _mystery_data(name: str, seed: int) -> Data:
    from .data import load_dataset

    if name == "circles":
        return load_dataset("circles", n_samples=400, noise=0.2, seed=seed)
    data = load_dataset("moons", n_samples=400, noise=0.25, seed=seed)
    return data.subset(40, seed=seed) if name == "small_moons" else data


def mystery_runs(*, seed: int = 0) -> dict:
    """Six training runs named "A" to "F", one of each kind, in a seeded shuffled order.

    Returns {name: History}; read their curves and say what went wrong in each.
    """
    seed = check.seed(seed)
    kinds = list(MYSTERY_RECIPES)
    order = np.random.default_rng(seed).permutation(len(kinds))
    runs = {}
    for name, i in zip("ABCDEF", order):
        recipe = dict(MYSTERY_RECIPES[kinds[i]])
        data = _mystery_data(recipe.pop("data"), 0)
        model = mlp(data.n_features, data.n_outputs, depth=recipe.pop("depth", 2),
                    width=recipe.pop("width", 32), seed=0)
        runs[name] = fit(model, data, seed=0, **recipe)
    return runs


@_strict_when_asked
def mystery_diagnoses(answers, runs) -> Feedback:
    """Compare your labels for the mystery runs with hplab's diagnosis of each."""
    title = "Six mystery runs, diagnosed from their curves"
    fail = _need_histories(title, runs, "runs")
    if fail is not None:
        return fail
    if not isinstance(answers, dict):
        return Feedback(title, wrong=[f"answers should be a dict {{run name: label}}, got "
                                      f"{type(answers).__name__}."])
    fb = Feedback(title)
    for name, hist in runs.items():
        truth = diagnose(hist)
        said = answers.get(name)
        if said is None:
            fb.wrong.append(f"run {name}: no answer yet.")
        elif said not in LABELS:
            fb.wrong.append(f"run {name}: '{said}' is not one of {', '.join(LABELS)}.")
        elif said == truth.label:
            fb.right.append(f"run {name}: {said}.")
        else:
            fb.wrong.append(f"run {name}: you said '{said}'; look again ({_clue(truth.label)})")
    fb.hint = ("Read the training curve first (does it fall? blow up? jump?), then the gap "
               "between training and validation.")
    return fb


def _clue(label: str) -> str:
    return {
        "diverged": "the run ended early with the loss exploding",
        "unstable": "the training loss keeps jumping back up",
        "slow": "the loss is still falling steadily at the last epoch",
        "underfitting": "even the training accuracy stays low",
        "overfitting": "the validation loss turns up while the training loss keeps falling",
        "good": "both curves flatten out close together",
    }[label]


@_strict_when_asked
def overfitting_cures(baseline, cures) -> Feedback:
    """Check that each cure beats the overfitting baseline, and that they use different knobs.

    Args:
        baseline: History of the overfitting run.
        cures: {short description: History}, at least two runs, each changing one thing.
    """
    title = "Cure an overfitting model two different ways"
    if not isinstance(baseline, History):
        return Feedback(title, wrong=["baseline should be the History of the overfitting run."])
    fail = _need_histories(title, cures, "cures")
    if fail is not None:
        return fail
    fb = Feedback(title)
    if len(cures) < 2:
        fb.wrong.append(f"you tried {len(cures)} cure(s); try two different ones.")
    base = baseline.val_loss[-1]
    for name, hist in cures.items():
        final = hist.val_loss[-1]
        label = diagnose(hist).label
        if final < base and label != "overfitting":
            fb.right.append(f"{name}: final validation loss {final:.3f} vs {base:.3f} before, "
                            f"diagnosis '{label}'.")
        else:
            fb.wrong.append(f"{name}: final validation loss {final:.3f} vs {base:.3f} before, "
                            f"diagnosis '{label}': not cured yet.")
    curves = [tuple(h.val_loss) for h in cures.values()]
    if len(set(curves)) < len(curves):
        fb.wrong.append("two of your cures gave identical runs; change a different knob.")
    fb.hint = ("Knobs that fight overfitting: a smaller model (width, depth), dropout, weight "
               "decay, early stopping, more training data.")
    return fb


# ----------------------------------------------------------------------------- 04 optimizers


def _fake_history(val_metric) -> History:
    n = len(val_metric)
    return History(epoch=list(range(1, n + 1)), val_metric=list(val_metric),
                   train_metric=list(val_metric), train_loss=[1.0] * n, val_loss=[1.0] * n)


@_strict_when_asked
def epochs_to_reach(fn) -> Feedback:
    """Test ``fn(hist, target)``: the first epoch (1-based) whose val_metric >= target, or None."""
    title = "epochs_to_reach(hist, target)"
    fail = _need_callable(title, "epochs_to_reach", fn)
    if fail is not None:
        return fail
    cases = [([0.5, 0.8, 0.92, 0.95], 0.9, 3, "reached at epoch 3"),
             ([0.91, 0.95], 0.9, 1, "reached after the first epoch"),
             ([0.5, 0.9, 0.85], 0.9, 2, "exactly equal to the target counts"),
             ([0.5, 0.6, 0.7], 0.9, None, "never reached"),
             ([0.95, 0.5, 0.97], 0.9, 1, "the first time counts, even if it drops later")]
    fb = Feedback(title)
    for metric, target, want, why in cases:
        got, err = _call(title, "epochs_to_reach", fn, _fake_history(metric), target)
        if err is not None:
            return err
        if got == want and (got is None) == (want is None):
            fb.right.append(f"{why}: {got}.")
        else:
            msg = f"val_metric={metric}, target={target}: expected {want}, got {got!r} ({why})."
            if isinstance(want, int) and got == want - 1:
                msg += " Epochs count from 1 (hist.epoch), not from 0."
            if want is None and got is not None:
                msg += " Return None when the target is never reached."
            fb.wrong.append(msg)
    fb.hint = ("Loop over zip(hist.epoch, hist.val_metric) and return the first epoch with "
               "metric >= target; after the loop, return None.")
    return fb


@_strict_when_asked
def optimizer_ranking(ranking, histories, target: float) -> Feedback:
    """Check a ranking of optimizers, fastest first, by epochs needed to reach ``target``."""
    title = f"Rank the optimizers by epochs to {target:g} validation accuracy"
    fail = _need_histories(title, histories)
    if fail is not None:
        return fail
    target = check.number("target", target)
    reached = {}
    for name, h in histories.items():
        reached[name] = next((e for e, m in zip(h.epoch, h.val_metric) if m >= target), None)
    order = sorted(histories, key=lambda k: (reached[k] is None, reached[k] or 0))
    facts = ", ".join(f"{k}: {reached[k] if reached[k] else 'never'}" for k in order)
    if list(ranking) == order:
        return Feedback(title, right=[f"fastest first: {facts}."])
    return Feedback(title, wrong=[f"your ranking {list(ranking)} does not match the runs."],
                    hint=f"Count the epochs with your epochs_to_reach; runs that never reach "
                         f"the target go last. ({len(order)} runs.)")


# ----------------------------------------------------------------------------- 05 batch size


@_strict_when_asked
def updates_per_epoch(fn) -> Feedback:
    """Test ``fn(n, batch_size)``: how many optimizer steps one epoch takes."""
    title = "updates_per_epoch(n, batch_size)"
    fail = _need_callable(title, "updates_per_epoch", fn)
    if fail is not None:
        return fail
    fb = Feedback(title)
    for n, b in [(240, 8), (240, 32), (240, 240), (100, 1), (1000, 128)]:
        got, err = _call(title, "updates_per_epoch", fn, n, b)
        if err is not None:
            return err
        want = math.ceil(n / b)
        if got == want:
            fb.right.append(f"n={n}, batch_size={b}: {want} updates.")
        elif got == n // b:
            fb.wrong.append(f"n={n}, batch_size={b}: got {got}, expected {want}: the last, "
                            "smaller batch is an update too.")
        else:
            fb.wrong.append(f"n={n}, batch_size={b}: got {got!r}, expected {want}.")
    fb.hint = "An epoch is a pass over all n examples, batch_size at a time; round up."
    return fb


def _reference_noise(hist: History) -> float:
    last = hist.batch_loss[-hist.steps_per_epoch:]
    return float(np.std(last)) if len(last) > 1 else 0.0


def _per_run(fb: Feedback, what: str, fn, histories, reference, right: str, mistake):
    """Compare ``fn(hist)`` with ``reference(hist)`` on every run, filling ``fb``.

    ``right`` formats a correct value; ``mistake(got, hist)`` names a typical error or returns None.
    Returns the feedback on the first error the learner's code raised, else ``fb``.
    """
    for key, hist in histories.items():
        got, err = _call(fb.title, what, fn, hist)
        if err is not None:
            return err
        want = reference(hist)
        number = isinstance(got, (int, float)) and not isinstance(got, bool)
        if number and math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-9):
            fb.right.append(f"{key}: {right.format(want)}")
        else:
            named = mistake(got, hist) if number else None
            fb.wrong.append(f"{key}: " + (named or f"got {got!r}, expected {want:.4g}."))
    return fb


@_strict_when_asked
def batch_noise(fn, histories) -> Feedback:
    """Test ``fn(hist)``: the spread (std) of the minibatch losses in the last epoch."""
    title = "batch_noise(hist)"
    fail = _first(_need_callable(title, "batch_noise", fn), _need_histories(title, histories))
    if fail is not None:
        return fail

    def mistake(got, hist):
        if math.isclose(got, float(np.std(hist.batch_loss)), rel_tol=1e-3):
            return ("you took the spread over the whole run, which mostly measures how far the "
                    "loss fell; use the last epoch only.")
        return None

    fb = Feedback(title, hint="hist.batch_loss holds every minibatch loss in order; the last "
                              "epoch is the last hist.steps_per_epoch of them. np.std gives the "
                              "spread.")
    return _per_run(fb, "batch_noise", fn, histories, _reference_noise, "{:.4f}.", mistake)


# ----------------------------------------------------------------------------- 06 activations


def _reference_ratio(hist: History) -> float:
    first, last = hist.grad_norms[0][0], hist.grad_norms[0][-1]
    return first / last if last > 0 else math.inf


@_strict_when_asked
def gradient_ratio(fn, histories) -> Feedback:
    """Test ``fn(hist)``: first-layer over last-layer gradient norm in epoch 1."""
    title = "gradient_ratio(hist)"
    fail = _first(_need_callable(title, "gradient_ratio", fn), _need_histories(title, histories))
    if fail is not None:
        return fail
    missing = [k for k, h in histories.items() if not h.grad_norms]
    if missing:
        return Feedback(title, wrong=[f"{missing[0]}: no gradient norms were recorded."],
                        hint="Train with hplab.fit(..., track_gradients=True).")

    def mistake(got, hist):
        if got and math.isclose(got, 1 / _reference_ratio(hist), rel_tol=1e-3):
            return "you divided the other way round (last / first)."
        return None

    fb = Feedback(title, hint="hist.grad_norms[0] lists one norm per Linear layer for epoch 1, "
                              "input side first: divide the first entry by the last.")
    return _per_run(fb, "gradient_ratio", fn, histories, _reference_ratio,
                    "the first layer gets {:.3g}x the gradient of the last.", mistake)


# ----------------------------------------------------------------------------- 07 early stopping


class _Probe(nn.Module):
    """A one-number model: its weight is set to the epoch, so restored weights show the epoch."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))


def _drive(callback, val_losses):
    """Feed ``val_losses`` to a callback like fit does; return (stop epoch, weight at the end)."""
    model = _Probe()
    trainer = Trainer(model, None, History())
    callback.on_train_begin(trainer)
    stopped = None
    for epoch, v in enumerate(val_losses, start=1):
        with torch.no_grad():
            model.w.fill_(epoch)
        logs = dict(train_loss=v, val_loss=v, train_metric=0.0, val_metric=0.0, lr=0.1)
        callback.on_epoch_end(trainer, epoch, logs)
        if trainer.stop:
            stopped = epoch
            break
    callback.on_train_end(trainer)
    return stopped, model.w.item()


@_strict_when_asked
def early_stopping_callback(cls) -> Feedback:
    """Test a hand-written early-stopping callback class ``cls(patience=...)``.

    It must watch ``logs["val_loss"]``, stop after ``patience`` epochs without improvement,
    put back the best epoch's weights at the end, and reset itself in ``on_train_begin``.
    """
    title = "Early stopping written by hand"
    if not (inspect.isclass(cls) and issubclass(cls, Callback)):
        return Feedback(title, wrong=[f"expected a subclass of hplab.Callback, got {cls!r}."],
                        hint="class MyEarlyStopping(hplab.Callback): ...")
    try:
        cb = cls(patience=3)
    except NotImplementedError:
        return _not_written(title, "__init__")
    except TypeError as exc:
        return Feedback(title, wrong=[f"{cls.__name__}(patience=3) failed: {exc}"],
                        hint="Give __init__ a patience parameter.")
    losses = [1.0, 0.8, 0.9, 0.7, 0.75, 0.8, 0.85, 0.9, 0.6]  # best at 4, then 3 worse
    result, err = _call(title, "the callback", _drive, cb, losses)
    if err is not None:
        return err
    stopped, weight = result
    fb = Feedback(title)
    if stopped == 7:
        fb.right.append("stops after 3 epochs without improvement (epoch 7 of "
                        f"val_loss={losses}).")
    elif stopped is None:
        fb.wrong.append("never stopped: set trainer.stop = True once patience runs out.")
    else:
        fb.wrong.append(f"stopped at epoch {stopped}, expected 7: the best was epoch 4, then 3 "
                        "epochs (5, 6, 7) without improvement. Check the off-by-one in your "
                        "patience counter.")
    if stopped == 7 and weight == 4:
        fb.right.append("puts back the weights of the best epoch (4) at the end.")
    elif stopped == 7:
        fb.wrong.append(f"at the end the model holds the weights of epoch {weight:g}, not of the "
                        "best epoch 4. Save a copy (copy.deepcopy(model.state_dict())) when the "
                        "loss improves and load it in on_train_end.")
    if stopped == 7:
        second, err = _call(title, "the callback", _drive, cb, [2.0, 1.5, 1.4, 1.3])
        if err is not None:
            return err
        if second[0] is None and second[1] == 4:
            fb.right.append("starts fresh when reused for a second run.")
        else:
            fb.wrong.append("reused for a second run, it remembered the first run's best loss; "
                            "reset your counters in on_train_begin.")
    fb.hint = ("Keep best, best_epoch, best_state and wait; in on_epoch_end either record an "
               "improvement (wait = 0) or count one more epoch without one.")
    return fb


@_strict_when_asked
def same_as_reference(mine, reference, data: Data) -> Feedback:
    """Compare two trained (model, History) pairs: your early stopping vs hplab's."""
    title = "Your early stopping against hplab.EarlyStopping"
    (m1, h1), (m2, h2) = mine, reference
    fb = Feedback(title)
    e1, e2 = h1.epochs_run, h2.epochs_run
    (fb.right if e1 == e2 else fb.wrong).append(f"training ran {e1} epochs (hplab: {e2}).")
    v1, v2 = evaluate(m1, data)["loss"], evaluate(m2, data)["loss"]
    if math.isclose(v1, v2, rel_tol=1e-6):
        fb.right.append(f"final models have the same validation loss ({v1:.4f}).")
    else:
        fb.wrong.append(f"final validation loss {v1:.4f} vs hplab's {v2:.4f}: were the best "
                        "weights restored?")
    fb.hint = "Use the same patience, seed and settings for both runs."
    return fb


# ----------------------------------------------------------------------------- 08 search methods


def _counting_objective(log):
    def objective(params):
        log.append(dict(params))
        return -sum(hash(str(v)) % 97 for v in params.values())  # any deterministic score
    return objective


@_strict_when_asked
def grid_search(fn) -> Feedback:
    """Test ``fn(space, objective)``: try every combination once; return [(params, score), ...]."""
    title = "Grid search by hand"
    fail = _need_callable(title, "grid_search", fn)
    if fail is not None:
        return fail
    space = {"lr": [0.001, 0.01, 0.1], "width": [16, 64], "activation": ["relu", "tanh"]}
    log = []
    results, err = _call(title, "grid_search", fn, space, _counting_objective(log))
    if err is not None:
        return err
    every = [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    tried = {tuple(sorted(p.items())) for p in log}
    want = {tuple(sorted(p.items())) for p in every}
    fb = Feedback(title)
    if tried == want and len(log) == len(every):
        fb.right.append(f"tried all {len(every)} combinations of 3 x 2 x 2 values, each once.")
    else:
        missed = want - tried
        if missed:
            fb.wrong.append(f"missed {len(missed)} of {len(every)} combinations, e.g. "
                            f"{dict(min(missed))}. Zipping the lists pairs values up "
                            "instead of combining them; use itertools.product.")
        if len(log) > len(tried):
            fb.wrong.append(f"{len(log) - len(tried)} combination(s) were trained twice.")
    if not isinstance(results, list) or len(results) != len(log):
        fb.wrong.append("return a list with one (params, score) pair per trial.")
    fb.hint = "for values in itertools.product(*space.values()): params = dict(zip(space, values))"
    return fb


@_strict_when_asked
def random_search(fn) -> Feedback:
    """Test ``fn(space, objective, n_trials, seed)``: sample each value at random.

    Lists are choices (pick one); (low, high) tuples are ranges sampled on a log scale.
    """
    title = "Random search by hand"
    fail = _need_callable(title, "random_search", fn)
    if fail is not None:
        return fail
    space = {"lr": (1e-4, 1e-1), "width": [16, 32, 64, 128]}
    runs = []
    for seed in (0, 0, 1):
        log = []
        _, err = _call(title, "random_search", fn, space, _counting_objective(log), 200, seed)
        if err is not None:
            return err
        runs.append(log)
    fb = Feedback(title)
    log = runs[0]
    if len(log) != 200:
        fb.wrong.append(f"asked for 200 trials, the objective was called {len(log)} times.")
        return fb
    fb.right.append("runs exactly n_trials trials.")
    lrs = np.array([p.get("lr", np.nan) for p in log], dtype=float)
    widths = {p.get("width") for p in log}
    if not np.all((lrs >= 1e-4) & (lrs <= 1e-1)) or not widths <= set(space["width"]):
        fb.wrong.append("some sampled values lie outside the search space.")
    elif len(set(lrs)) < 150:
        fb.wrong.append(f"only {len(set(lrs))} distinct learning rates in 200 trials: sample "
                        "ranges continuously, not from a few fixed points.")
    else:
        fb.right.append("every value lies inside the space, and ranges are sampled continuously.")
    below = float(np.mean(lrs < math.sqrt(1e-4 * 1e-1)))
    if 0.35 <= below <= 0.65:
        fb.right.append("ranges are sampled on a log scale: each decade gets its share.")
    else:
        fb.wrong.append(f"only {below:.0%} of the learning rates fall below 3e-3, the middle of "
                        "the range on a log scale: sample the exponent uniformly, not the value.")
    if runs[0] != runs[1]:
        fb.wrong.append("the same seed gave different trials: draw from a generator made from "
                        "seed (np.random.default_rng(seed)).")
    elif runs[0] == runs[2]:
        fb.wrong.append("different seeds gave the same trials: use the seed argument.")
    else:
        fb.right.append("the same seed repeats the search; another seed gives other trials.")
    fb.hint = "lr = 10 ** rng.uniform(log10(low), log10(high)); width = rng.choice(options)."
    return fb


# ----------------------------------------------------------------------------- 09 search spaces


LOG_SCALE = ("lr", "learning_rate", "weight_decay")


@_strict_when_asked
def search_space(suggest, budget: int) -> Feedback:
    """Check a search space for a budget of ``budget`` trials.

    ``suggest(trial)`` asks an Optuna trial for each hyperparameter and returns a dict.
    """
    import optuna

    title = f"A search space for {budget} trials"
    budget = check.integer("budget", budget, low=1)
    fail = _need_callable(title, "suggest", suggest)
    if fail is not None:
        return fail
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    try:
        trial = study.ask()
        params = suggest(trial)
    except NotImplementedError:
        return _not_written(title, "suggest")
    except Exception as exc:
        return Feedback(title, wrong=[f"suggest(trial) raised {type(exc).__name__}: {exc}"])
    dists = trial.distributions
    fb = Feedback(title)
    if not isinstance(params, dict):
        fb.wrong.append("suggest should return a dict of the values it drew.")
    most = max(1, budget // 5)
    if len(dists) > most:
        fb.wrong.append(f"{len(dists)} hyperparameters for {budget} trials is too many: with "
                        f"about 5 trials per knob, tune at most {most} and fix the rest.")
    else:
        fb.right.append(f"{len(dists)} hyperparameter(s) for {budget} trials.")
    lr_name = next((n for n in dists if n in ("lr", "learning_rate")), None)
    if lr_name is None:
        fb.wrong.append("the learning rate is missing: it is the knob that matters most.")
    for name, dist in dists.items():
        if isinstance(dist, optuna.distributions.CategoricalDistribution):
            continue
        low, high, log = dist.low, dist.high, getattr(dist, "log", False)
        if name in LOG_SCALE or (low > 0 and high / low >= 100):
            if not log:
                share = 0.9 if high / max(low, 1e-300) >= 100 else 0.5
                fb.wrong.append(f"{name} spans {low:g}..{high:g} on a linear scale: about "
                                f"{share:.0%} of the trials land in its top decade. Use log=True.")
            else:
                fb.right.append(f"{name} is searched on a log scale.")
        if name == lr_name:
            if not (low <= 1e-3 and high >= 1e-2):
                fb.wrong.append(f"{name} range {low:g}..{high:g} misses 1e-3..1e-2, where good "
                                "rates for Adam usually are.")
            elif math.log10(high / low) > 4:
                fb.wrong.append(f"{name} range {low:g}..{high:g} spans over 4 decades: most of "
                                "the budget goes on hopeless rates.")
            else:
                fb.right.append(f"{name} range {low:g}..{high:g} brackets the usual good rates.")
    fb.hint = ("Few knobs, sensible ranges: trial.suggest_float('lr', 1e-4, 1e-1, log=True), "
               "trial.suggest_categorical('width', [16, 32, 64]).")
    return fb


@_strict_when_asked
def beat_target(study, target: float, n_trials: int) -> Feedback:
    """Check that an Optuna study reached ``target`` validation accuracy within ``n_trials``."""
    title = f"Beat {target:g} validation accuracy within {n_trials} trials"
    import optuna

    if not isinstance(study, optuna.Study):
        return Feedback(title, wrong=[f"expected an optuna Study, got {type(study).__name__}."])
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    used = len(study.trials)
    fb = Feedback(title)
    if not done:
        return Feedback(title, wrong=["the study has no finished trials yet."])
    best = max(t.value for t in done)
    (fb.right if used <= n_trials else fb.wrong).append(f"{used} trials used of {n_trials}.")
    if best >= target:
        fb.right.append(f"best validation accuracy {best:.3f} >= {target:g} "
                        f"with {study.best_params}.")
    else:
        fb.wrong.append(f"best validation accuracy {best:.3f} < {target:g}.")
    fb.hint = "Narrow the space around what worked, or give the learning rate a log scale."
    return fb


# ----------------------------------------------------------------------------- 10 workflow


@_strict_when_asked
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
    if not isinstance(reported, (int, float)):
        fb.wrong.append(f"report the test accuracy as a number, got {reported!r}.")
    elif math.isclose(reported, test_acc, abs_tol=1e-6):
        fb.right.append(f"the reported score {reported:.3f} is the final model's test accuracy.")
    elif math.isclose(reported, val_acc, abs_tol=1e-6):
        fb.wrong.append(f"{reported:.3f} is the validation accuracy; the test accuracy is what "
                        "you report at the end.")
    else:
        fb.wrong.append(f"{reported:.3f} is not this model's test accuracy.")
    fb.hint = "Tune on validation, refit, then call hplab.evaluate(model, data, 'test') once."
    return fb


__all__ = [
    "Feedback", "batch_noise", "beat_target", "best_learning_rate", "early_stopping_callback",
    "epochs_to_reach", "gradient_ratio", "grid_search", "honest_test_score",
    "learning_rate_predictions", "lr_choice", "lr_range_test", "mystery_diagnoses",
    "mystery_runs", "optimizer_ranking", "overfitting_cures", "random_search", "same_as_reference",
    "search_space", "updates_per_epoch",
]
