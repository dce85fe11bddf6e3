"""Read a training run the way an experienced practitioner would, and say it in words.

    >>> d = diagnose(hist)            # doctest: +SKIP
    >>> d.label, d.evidence["best_epoch"]
    ('overfitting', 12)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .train import History

LABELS = ("diverged", "collapsed", "unstable", "slow", "underfitting", "trivial", "overfitting",
          "good")

# Thresholds, in one place so a lesson can show them.
UNSTABLE_RISE = 0.5        # summed epoch-to-epoch rises of the training loss, over the starting loss,
UNSTABLE_DROP = 0.8        # ... in a run whose loss never got below this share of its start
SLOW_DROP = 0.5            # the loss fell by less than this share of its start ...
SLOW_STILL_FALLING = 0.3   # ... and falls at the end at least this share of its early pace
UNDERFIT_ACCURACY = 0.85   # training accuracy below this (classification) ...
UNDERFIT_R2 = 0.8          # ... or training R² below this (regression) means high bias
OVERFIT_RISE = 0.15        # final validation loss this share above its minimum ...
OVERFIT_GAP = 0.05         # ... or a train-minus-validation metric gap above this
COLLAPSE_SHARE = 0.95      # at least this share of validation inputs get the same predicted class
COLLAPSE_SPREAD = 0.05     # ... or (regression) predictions spread less than this share of the targets'
TRIVIAL_GAIN = 0.1         # validation metric closes less than this share of the way from the trivial
                           # model's score (majority class, training mean) to a perfect 1.0
BOUNDED_METRICS = ("accuracy", "balanced_accuracy", "f1", "r2")  # a perfect score is 1.0


@dataclass
class Diagnosis:
    """A label, the numbers it rests on, and what to say and do about it.

    ``label`` is the one finding to act on first. ``also`` lists further labels whose checks fit
    the same run (for now: a slow run whose training accuracy is also low is "slow" with
    ``also=["underfitting"]``); ``explanation`` and ``advice`` cover them too.
    """

    label: str
    evidence: dict = field(default_factory=dict)
    explanation: str = ""
    advice: str = ""
    also: list = field(default_factory=list)

    def __str__(self) -> str:
        more = f" (also: {', '.join(self.also)})" if self.also else ""
        return f"{self.label.upper()}{more}: {self.explanation} Next: {self.advice}"

    def _repr_markdown_(self) -> str:
        facts = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        more = f" (also: {', '.join(self.also)})" if self.also else ""
        return (f"**{self.label}**{more} — {self.explanation}\n\n*Next:* {self.advice}\n\n"
                f"<small>evidence: {facts}</small>")

    def _repr_html_(self) -> str:
        """The verdict, and its evidence as a short table of plain words and thresholds."""
        from .plots._style import diagnosis_html

        return diagnosis_html(self)


def _fmt(v):
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _evidence(h: History) -> dict:
    tl, vl = h.train_loss, h.val_loss
    start = h.initial.get("train_loss", tl[0])
    finite_v = [(v, e) for v, e in zip(vl, h.epoch) if math.isfinite(v)]
    best_v, best_e = min(finite_v) if finite_v else (math.inf, None)
    rises = sum(max(0.0, b - a) for a, b in zip(tl, tl[1:]) if math.isfinite(a) and math.isfinite(b))
    k = max(1, len(tl) // 4)  # a quarter of the run
    head = [start] + tl[:k]
    tail = tl[-k - 1:]
    early_pace = (head[0] - head[-1]) / k
    late_pace = (tail[0] - tail[-1]) / k if len(tail) > k else 0.0
    pace = late_pace / early_pace if early_pace > 0 else 0.0
    min_train = min((v for v in tl if math.isfinite(v)), default=math.inf)
    return dict(
        epochs=len(tl),
        start_loss=start,
        final_train_loss=tl[-1],
        final_val_loss=vl[-1],
        best_val_loss=best_v,
        best_epoch=best_e,
        loss_drop=(start - min_train) / max(start, 1e-12),
        rise_ratio=rises / max(start, 1e-12),
        end_pace=pace,
        val_rise=(vl[-1] - best_v) / max(abs(best_v), 1e-12) if finite_v else math.inf,
        train_metric=h.train_metric[-1],
        val_metric=h.val_metric[-1],
        gap=h.train_metric[-1] - h.val_metric[-1],
        **h.predictions,
        **({"baseline_metric": h.baseline["val_metric"], "baseline_rule": h.baseline["rule"]}
           if h.baseline else {}),
    )


def _collapsed(ev: dict, history: History) -> bool:
    """Nearly one answer for every validation input, and not merely where the network started.

    A network that has not trained yet can give one class to everything too (a slow run), so
    the answers must have been varied at the start, or the training loss must have climbed above
    its starting value on the way: something knocked the network into its one answer.
    """
    if "top_class_share" in ev:
        one = ev["top_class_share"] >= COLLAPSE_SHARE and ev["majority_share"] < COLLAPSE_SHARE
        varied = ev.get("start_top_class_share", 1.0) < COLLAPSE_SHARE
    elif "spread" in ev:
        one = ev["spread"] < COLLAPSE_SPREAD
        varied = ev.get("start_spread", 0.0) >= COLLAPSE_SPREAD
    else:  # no record of the predictions (a History built by hand)
        return False
    climbed = max((v for v in history.train_loss if math.isfinite(v)), default=math.inf) \
        > ev["start_loss"]
    return one and (varied or climbed)


def _no_better_than_trivial(history: History, metric: float) -> bool:
    """The kept model's validation metric hardly beats the trivial model's (``History.baseline``).

    For a metric whose perfect score is 1.0 it must close at least ``TRIVIAL_GAIN`` of the way
    from the trivial score to 1.0; for one of the learner's own metrics it must beat it at all.
    """
    if not history.baseline or not math.isfinite(metric):
        return False
    base = history.baseline["val_metric"]
    if not math.isfinite(base):
        return False
    if history.metric_name in BOUNDED_METRICS and base < 1:
        return (metric - base) / (1 - base) < TRIVIAL_GAIN
    return metric <= base


def diagnose(history: History) -> Diagnosis:
    """Label a run as diverged, collapsed, unstable, slow, underfitting, trivial, overfitting or good.

    The checks run in that order and the first that fits wins; ``evidence`` holds every number
    used, so the verdict can be checked by eye against the curves. "collapsed" means the final
    network gives (nearly) the same answer to every validation input (``History.predictions``):
    at least ``COLLAPSE_SHARE`` of them get one class, or regression predictions spread less than
    ``COLLAPSE_SPREAD`` of the targets' spread, when it did not start out that way (see
    ``_collapsed``). A slow run whose training accuracy is also low says both: label "slow",
    ``also=["underfitting"]``. "trivial" means the model kept scores on validation hardly better
    than always answering the majority class (classification) or the training mean (regression)
    would (``History.baseline``, see ``TRIVIAL_GAIN``): on imbalanced classes a high accuracy
    can mean nothing was learned.
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be an hplab History (from fit), got {type(history).__name__}")
    if not history.epoch:
        raise ValueError("history has no epochs to diagnose")
    ev = _evidence(history)
    classification = history.task == "classification"
    name = history.metric_name

    if history.status == "diverged":
        return Diagnosis("diverged", ev,
                         "The loss blew up: each step overshot the minimum by more than the last, "
                         "so the weights grew until the numbers overflowed. The step size "
                         "(learning rate) is too large for this loss surface.",
                         "Lower the learning rate by 3-10x (or add warm-up); check the inputs "
                         "are standardized.")
    if _collapsed(ev, history):
        if classification:
            what = (f"{ev['top_class_share']:.0%} of the validation inputs get the same class "
                    f"(a constant guess would be right {ev['majority_share']:.0%} of the time)")
        else:
            what = (f"its predictions spread only {ev['spread']:.2f} times as much as the "
                    "targets")
        return Diagnosis("collapsed", ev,
                         f"The network gives nearly one answer to every input: {what}. Its "
                         "answer no longer depends on the input, typically because steps that "
                         "were too large pushed the hidden units into a state they cannot leave "
                         "(dead ReLUs, saturated units), so the loss stays finite but learning "
                         "has stopped.",
                         "Lower the learning rate by 3-10x (or add warm-up or gradient clipping) "
                         "and train a fresh network; this one will not recover.")
    if ev["rise_ratio"] > UNSTABLE_RISE and ev["loss_drop"] < UNSTABLE_DROP:
        return Diagnosis("unstable", ev,
                         "The training loss keeps jumping back up instead of falling steadily: "
                         "steps are so large that they bounce across the valley of the loss.",
                         "Lower the learning rate, use a decaying schedule, or a larger batch for "
                         "less noisy steps.")
    low = UNDERFIT_ACCURACY if classification else UNDERFIT_R2
    # judge the model that was kept: the best epoch's weights when early stopping restored them
    kept = ev["best_epoch"] if history.status == "early_stopped" and ev["best_epoch"] else ev["epochs"]
    kept_train = history.train_metric[kept - 1]
    kept_gap = kept_train - history.val_metric[kept - 1]
    underfit = not kept_train >= low and kept_gap < 2 * OVERFIT_GAP  # low, and no better on training
    if ev["loss_drop"] < SLOW_DROP and ev["end_pace"] > SLOW_STILL_FALLING:
        small = (f" The training {name} is also only {kept_train:.2f}: if it stays low once the "
                 "loss has flattened, the model is short of capacity as well (underfitting)."
                 if underfit else "")
        return Diagnosis("slow", ev,
                         f"The loss fell only {ev['loss_drop']:.0%} of the way and is still "
                         "falling: training works, but the steps are too small to get far in "
                         "this many epochs." + small,
                         "Raise the learning rate (try 3-10x), switch to an adaptive optimizer "
                         "such as Adam, or train for more epochs"
                         + ("; then, if the training score is still low, add capacity (more layers "
                            "or units)." if underfit else "."),
                         also=["underfitting"] if underfit else [])
    if underfit:
        return Diagnosis("underfitting", ev,
                         f"Even on the training data the {name} is only {kept_train:.2f}: "
                         "the model cannot represent the pattern (high bias), so more data or "
                         "more epochs will not fix it.",
                         "Add capacity (more layers or units), reduce regularization (dropout, "
                         "weight decay), or train longer if the loss is still falling.")
    kept_val = history.val_metric[kept - 1]
    if _no_better_than_trivial(history, kept_val):
        base = history.baseline
        return Diagnosis("trivial", ev,
                         f"The validation {name} is {kept_val:.3f}, and the trivial model that "
                         f"gives {base['rule']} to every input scores {base['val_metric']:.3f}: "
                         "the network has learned next to nothing beyond it. On imbalanced "
                         "classes accuracy hides this; balanced accuracy or F1 show it.",
                         "Score with metric='balanced_accuracy' or 'f1', weight the classes "
                         "(class_weight='balanced'), check that the inputs carry signal, then "
                         "tune the learning rate and capacity.")
    stopped_early = history.status == "early_stopped"
    if not stopped_early and (ev["val_rise"] > OVERFIT_RISE and ev["best_epoch"] is not None
                              and ev["best_epoch"] < ev["epochs"] * 0.8
                              and ev["gap"] > OVERFIT_GAP / 2 or ev["gap"] > 2 * OVERFIT_GAP
                              and ev["val_rise"] > OVERFIT_RISE):
        return Diagnosis("overfitting", ev,
                         f"Validation loss was lowest at epoch {ev['best_epoch']} and has risen "
                         f"{ev['val_rise']:.0%} since, while training keeps improving (train-val "
                         f"{name} gap {ev['gap']:.2f}): the model is memorizing noise in the "
                         "training set (high variance).",
                         "Stop earlier (early stopping), add dropout or weight decay, shrink the "
                         "model, or get more training data.")
    scores = f"{name} {ev['train_metric']:.2f} on training and {ev['val_metric']:.2f} on validation"
    if not stopped_early and ev["best_epoch"] == ev["epochs"] and ev["end_pace"] > SLOW_STILL_FALLING:
        return Diagnosis("good", ev,
                         f"Training works ({scores}) but has not converged: the best validation "
                         f"loss is at the last epoch ({ev['epochs']}) and the training loss is "
                         "still falling.",
                         "Train for more epochs, with early stopping, before you keep it as a "
                         "baseline or compare it with other settings.")
    why = ("early stopping ended it near the best validation loss" if stopped_early
           else "the validation loss is near its best")
    return Diagnosis("good", ev,
                     f"Training converged: {scores}, and {why}.",
                     "Keep this as a baseline. To judge a knob, re-tune the learning rate for each "
                     "of its values and compare the best runs on the validation score.")
