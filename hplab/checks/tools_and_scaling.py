"""Exercise 10 · Tools and scaling: a search space for a budget, and a target to beat."""

from __future__ import annotations

import math

from .. import _validate as check
from ._feedback import Feedback, need_callable, not_written, strict_when_asked

LOG_SCALE = ("lr", "learning_rate", "weight_decay")


@strict_when_asked
def search_space(suggest, budget: int) -> Feedback:
    """Check a search space for a budget of ``budget`` trials.

    ``suggest(trial)`` asks an Optuna trial for each hyperparameter and returns a dict.
    """
    import optuna

    title = f"A search space for {budget} trials"
    budget = check.integer("budget", budget, low=1)
    fail = need_callable(title, "suggest", suggest)
    if fail is not None:
        return fail
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    try:
        trial = study.ask()
        params = suggest(trial)
    except NotImplementedError:
        return not_written(title, "suggest")
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


@strict_when_asked
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


