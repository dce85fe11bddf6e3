"""Exercise 02a · The learning rate: predict, verify, pick.

The runs are looked at before the predictions: a training function that never updates the
weights, ignores the rate, or lets one network carry its weights from run to run is named as
the problem, instead of blaming the prediction.
"""

from __future__ import annotations

import math

from ..diagnose import LABELS, diagnose
from ..train import History
from ._feedback import (
    ERROR_HINT,
    Feedback,
    as_label,
    as_number,
    as_rate,
    attempt,
    catch_not_written,
    clue,
    make_history,
    need_histories,
    same_rate,
    strict_when_asked,
    unknown_label,
)


def _rated(title: str, histories):
    """({rate: History}, None) from runs keyed by rate (numbers or numeric strings)."""
    fail = need_histories(title, histories, "runs")
    if fail is not None:
        return None, fail
    rated = {as_rate(k): h for k, h in histories.items()}
    if None in rated or len(rated) < len(histories):
        bad = [k for k in histories if as_rate(k) is None]
        return None, Feedback(title, wrong=[f"runs should be keyed by learning rate; "
                                            f"{bad or list(histories)} are not distinct rates."],
                              hint="runs = {lr: train(lr) for lr in rates}")
    return dict(sorted(rated.items())), None


def _constant(values, rel: float) -> bool:
    values = [float(v) for v in values]
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        return False
    return max(values) - min(values) <= rel * max(1.0, abs(values[0]))


def _initial_val(hist: History):
    return as_number((hist.initial or {}).get("val_loss"))


def _rates(rates) -> str:
    return ", ".join(f"{r:g}" for r in rates)


def train_problems(runs: dict, *, optimizer: str | None = None,
                   epochs: int | None = None) -> list:
    """What in these runs points at the training function rather than at the rate.

    Args:
        runs: {rate: History}, sorted by rate.
        optimizer, epochs: the settings the task asks for (None: not checked).
    """
    problems = []
    frozen = [lr for lr, h in runs.items()
              if _constant(h.val_loss, 1e-9) and _constant(h.train_loss, 1e-6)]
    if frozen:
        runs_at = "runs at" if len(frozen) > 1 else "run at"
        problems.append(f"the loss of the {runs_at} lr={_rates(frozen)} is the same at every "
                        "epoch, so the weights never changed. Does train() update them (an optimizer "
                        "step after each backward pass, or hplab.fit)?")
    configs = {lr: h.config or {} for lr, h in runs.items()}
    used = {lr: as_number(c.get("lr")) for lr, c in configs.items()}
    ignored = {lr: u for lr, u in used.items() if u is not None and not same_rate(u, lr)}
    if ignored:
        problems.append(f"the runs stored under lr={_rates(ignored)} trained with "
                        f"lr={_rates(ignored.values())}: pass the rate on "
                        "(hplab.fit(..., lr=lr)).")
    for name, want, default in (("optimizer", optimizer, " (hplab.fit's default is 'adam')"),
                                ("epochs", epochs, "")):
        other = {lr: c[name] for lr, c in configs.items() if want and c.get(name) not in
                 (None, want)}
        if other:
            got = ", ".join(sorted({repr(v) for v in other.values()}))
            problems.append(f"the runs at lr={_rates(other)} trained with {name}={got}; the task "
                            f"uses {name}={want!r}{default}.")
    problems += _carry_over(runs)
    curves = [tuple(h.val_loss) for h in runs.values()]
    if len(curves) > 1 and len(set(curves)) == 1 and not ignored and not frozen:
        problems.append("every rate gave exactly the same run: does train() pass lr on?")
    return problems


def _carry_over(runs: dict) -> list:
    """Runs that did not start from the same fresh network, named as precisely as possible."""
    starts = {lr: _initial_val(h) for lr, h in runs.items()}
    starts = {lr: v for lr, v in starts.items() if v is not None}
    if len(set(starts.values())) <= 1:
        return []
    follows = [f"lr={lr:g} started where lr={other:g} ended"
               for lr, start in starts.items() for other, hist in runs.items()
               if other != lr and hist.val_loss
               and math.isclose(start, hist.val_loss[-1], rel_tol=1e-7)]
    listed = ", ".join(f"{v:.4f} (lr={lr:g})" for lr, v in starts.items())
    what = (f"one network was trained again and again: {', '.join(follows)}" if follows else
            f"the runs start from different weights (validation loss before training: {listed})")
    return [f"{what}. Build a fresh network inside train(), with seed=0, so that the rate is "
            "the only difference between the runs."]


@strict_when_asked
def learning_rate_predictions(predictions, histories, *, optimizer: str | None = "momentum",
                              epochs: int | None = 30) -> Feedback:
    """Compare your predicted diagnosis for each learning rate with what the runs show.

    Args:
        predictions: {lr: label} with labels from hplab's diagnoses (slow, good, diverged, ...);
            rates may be numbers or numeric strings ("1e-4"), labels any case.
        histories: {lr: History} from training with each rate.
        optimizer, epochs: the settings the exercise trains with (None: not checked).
    """
    title = "Predict, then verify: the effect of the learning rate"
    runs, fail = _rated(title, histories)
    if fail is not None:
        return fail
    if not isinstance(predictions, dict):
        return Feedback(title, wrong=[f"predictions should be a dict {{lr: label}}, got "
                                      f"{type(predictions).__name__}."])
    fb = Feedback(title)
    said = _read_predictions(predictions, runs, fb)
    rates = list(runs)
    if len(rates) < 3 or rates[-1] / rates[0] < 100:
        fb.wrong.append("try at least three rates spanning 100x or more; you tried "
                        f"{[f'{r:g}' for r in rates]}.")
    problems = train_problems(runs, optimizer=optimizer, epochs=epochs)
    if problems:
        fb.wrong += ["train(): " + p for p in problems]
        fb.wrong.append("your predictions are not compared yet: the runs do not show what the "
                        "rate does until train() is fixed.")
        fb.hint = ("The problem is in train(), not in your predictions. Inside train(): build "
                   "a fresh hplab.mlp(..., seed=0), then return hplab.fit(model, data, "
                   "optimizer='momentum', lr=lr, epochs=30).")
        return fb
    labels = {lr: diagnose(runs[lr]).label for lr in rates}
    for lr, label in said.items():
        saw = labels[lr]
        fb.verdict(label == saw, f"lr={lr:g}: you predicted '{label}', and the run is '{saw}'.",
                   f"lr={lr:g}: you predicted '{label}', the run is '{saw}' ({clue(saw)}).")
    if labels[rates[0]] not in ("slow", "underfitting"):
        fb.wrong.append(f"your smallest rate ({rates[0]:g}) is not slow yet; go smaller to see "
                        "what a too-small rate does.")
    if labels[rates[-1]] not in ("diverged", "unstable", "collapsed"):
        fb.wrong.append(f"your largest rate ({rates[-1]:g}) trains fine; go bigger to see what a "
                        "too-large rate does.")
    fb.hint = ("Too small: the loss falls slowly and is still falling at the end. Too large: the "
               "loss jumps around (unstable), blows up (diverged), or the network dies and gives every "
               "input the same answer (collapsed). Compare your guess with "
               "hplab.diagnose(hist).explanation for each run.")
    return fb


def _read_predictions(predictions: dict, runs: dict, fb: Feedback) -> dict:
    """{rate of a run: label} for the readable predictions; every unreadable one goes to fb."""
    said = {}
    for key, value in predictions.items():
        rate = as_rate(key)
        match = next((r for r in runs if rate is not None and same_rate(r, rate)), None)
        if rate is None:
            fb.wrong.append(f"{key!r} is not a learning rate; key each prediction by its rate, "
                            "e.g. {1e-4: 'slow'}.")
        elif match is None:
            fb.wrong.append(f"you predicted for lr={rate:g}, but no run used that rate (the runs: "
                            f"{', '.join(f'{r:g}' for r in runs)}).")
        elif as_label(value) not in LABELS:
            fb.wrong.append(f"lr={rate:g}: {unknown_label(value)}")
        else:
            said[match] = as_label(value)
    missing = [r for r in runs if r not in said and not any(
        as_rate(k) is not None and same_rate(as_rate(k), r) for k in predictions)]
    if missing:
        fb.wrong.append(f"no prediction for lr={_rates(missing)}: write it down before you look.")
    elif len(said) == len(runs):
        fb.right.append("a prediction for every rate.")
    return said


# ----------------------------------------------------------------------------- picking a rate


def selection_scenario() -> dict:
    """Four runs where choosing by training loss and by validation loss disagree.

    lr=0.3 fits the training set best but overfits; lr=0.03 is best on validation data by every
    measure (best and final loss, best and final accuracy); lr=3 diverged (its last losses are
    NaN) and comes first, to catch comparisons that NaN silently wins.
    """
    nan = math.nan
    return {
        3.0: make_history(status="diverged", lr=3.0, train_loss=[0.70, 2.5, nan],
                          val_loss=[0.72, 2.9, nan], train_metric=[0.5, 0.5, 0.5],
                          val_metric=[0.5, 0.5, 0.5]),
        0.3: make_history(lr=0.3, train_loss=[0.40, 0.15, 0.05, 0.02], val_loss=[0.42, 0.33, 0.45, 0.60],
                          train_metric=[0.82, 0.95, 0.99, 1.0],
                          val_metric=[0.80, 0.86, 0.84, 0.82]),
        0.03: make_history(lr=0.03, train_loss=[0.55, 0.35, 0.25, 0.20],
                           val_loss=[0.56, 0.36, 0.27, 0.22],
                           train_metric=[0.75, 0.86, 0.90, 0.92],
                           val_metric=[0.74, 0.85, 0.89, 0.91]),
        0.003: make_history(lr=0.003, train_loss=[0.68, 0.64, 0.60, 0.57],
                            val_loss=[0.69, 0.65, 0.61, 0.58],
                            train_metric=[0.55, 0.60, 0.65, 0.70],
                            val_metric=[0.54, 0.59, 0.64, 0.69]),
    }


def _finite(values):
    return [float(v) for v in values if math.isfinite(float(v))]


def _argbest(runs: dict, score, lowest: bool = True) -> set:
    """Every rate whose ``score(hist)`` is the best (ties included); runs without one skipped."""
    scores = {lr: score(h) for lr, h in runs.items()}
    scores = {lr: s for lr, s in scores.items() if s is not None and math.isfinite(s)}
    if not scores:
        return set()
    best = (min if lowest else max)(scores.values())
    return {lr for lr, s in scores.items() if math.isclose(s, best, rel_tol=1e-9)}


def _last(values):
    return float(values[-1]) if values and math.isfinite(float(values[-1])) else None


def _by(runs: dict) -> dict:
    """The rates each way of choosing would keep."""
    return {
        "validation": (_argbest(runs, lambda h: min(_finite(h.val_loss), default=None))
                       | _argbest(runs, lambda h: _last(h.val_loss))
                       | _argbest(runs, lambda h: max(_finite(h.val_metric), default=None), False)
                       | _argbest(runs, lambda h: _last(h.val_metric), False)),
        "training": (_argbest(runs, lambda h: min(_finite(h.train_loss), default=None))
                     | _argbest(runs, lambda h: _last(h.train_loss))
                     | _argbest(runs, lambda h: max(_finite(h.train_metric), default=None),
                                False)),
    }


def _judge(choice, runs: dict, where: str, fb: Feedback) -> None:
    """Add to ``fb`` whether ``choice`` is a rate chosen on validation data from ``runs``."""
    if isinstance(choice, History):
        fb.wrong.append(f"{where}: got a History; return the rate itself (the key of runs).")
        return
    rate = as_rate(choice)
    if rate is None:
        fb.wrong.append(f"{where}: got {choice!r}; return one of the rates (a key of runs).")
        return
    chosen = next((r for r in runs if same_rate(r, rate)), None)
    names = ", ".join(f"{r:g}" for r in runs)
    if chosen is None:
        fb.wrong.append(f"{where}: {rate:g} is not one of the rates given ({names}). Choose "
                        "from the runs passed in, not from a variable outside the function.")
        return
    by = _by(runs)
    if not by["validation"]:
        fb.wrong.append(f"{where}: no run has a finite validation loss; train again with "
                        "smaller rates.")
        return
    best = min(by["validation"], key=lambda r: runs[r].best_val_loss)
    val = runs[best].best_val_loss
    if chosen in by["validation"]:
        fb.right.append(f"{where}: lr={chosen:g}, the lowest validation loss ({val:.3f}).")
    elif _last(runs[chosen].val_loss) is None:
        fb.wrong.append(f"{where}: lr={chosen:g} diverged (its last validation loss is not a "
                        "finite number). NaN is neither smaller nor larger than "
                        "anything, so min() can keep it; hist.best_val_loss skips such values.")
    elif chosen in by["training"]:
        fb.wrong.append(f"{where}: lr={chosen:g} has the lowest training loss, but lr={best:g} "
                        f"has the lowest validation loss ({val:.3f}). The training loss rewards "
                        "memorizing; the validation loss measures how the model does on new "
                        "data.")
    else:
        fb.wrong.append(f"{where}: lr={chosen:g} is not the rate with the lowest validation loss "
                        f"(that is lr={best:g}, {val:.3f}).")


@strict_when_asked
@catch_not_written("Pick the best learning rate")
def best_learning_rate(pick, histories) -> Feedback:
    """Check a rule for picking the rate, ``pick(runs) -> rate``, or a rate already picked.

    A rule is tried on your runs and on runs of the check's own, where the run with the lowest
    training loss is not the one with the lowest validation loss: it passes when it picks by
    validation loss (best or final) or validation accuracy.
    """
    title = "Pick the best learning rate"
    runs, fail = _rated(title, histories)
    if fail is not None:
        return fail
    fb = Feedback(title, hint="Pick by validation loss: min(runs, key=lambda lr: "
                              "runs[lr].best_val_loss).")
    if not callable(pick):
        _judge(pick, runs, "your choice", fb)
        return fb
    for where, scenario in (("on your runs", histories), ("on the check's runs, where "
                                                          "training and validation disagree",
                                                          selection_scenario())):
        got, error = attempt("pick_rate", pick, scenario)
        if error is not None:
            fb.wrong.append(f"{where}: {error}")
            fb.hint = ERROR_HINT
        else:
            _judge(got, runs if scenario is histories else dict(scenario), where, fb)
    return fb
