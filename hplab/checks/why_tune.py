"""Exercise 01 · Why tune: six mystery runs, diagnosed from their curves."""

from __future__ import annotations

import numpy as np

from .. import _validate as check
from ..data import Data, load_dataset
from ..diagnose import LABELS, diagnose
from ..models import mlp
from ..train import fit
from ._feedback import Feedback, as_label, clue, need_histories, strict_when_asked, unknown_label

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


@strict_when_asked
def mystery_diagnoses(answers, runs) -> Feedback:
    """Compare your labels for the mystery runs with hplab's diagnosis of each.

    Labels are read without regard to case or surrounding spaces ("Slow " is "slow").
    """
    title = "Six mystery runs, diagnosed from their curves"
    fail = need_histories(title, runs, "runs")
    if fail is not None:
        return fail
    if not isinstance(answers, dict):
        return Feedback(title, wrong=[f"answers should be a dict {{run name: label}}, got "
                                      f"{type(answers).__name__}."])
    fb = Feedback(title)
    names = {str(k).strip().upper(): k for k in answers}
    for name, hist in runs.items():
        truth = diagnose(hist).label
        key = names.get(str(name).upper())
        said = as_label(answers[key]) if key is not None else None
        if key is None:
            fb.wrong.append(f"run {name}: no answer yet.")
        elif said not in LABELS:
            fb.wrong.append(f"run {name}: {unknown_label(answers[key])}")
        elif said == truth:
            fb.right.append(f"run {name}: {said}.")
        else:
            fb.wrong.append(f"run {name}: you said '{said}'; look again ({clue(truth)}).")
    extra = [k for k in names if k not in {str(n).upper() for n in runs}]
    if extra:
        fb.wrong.append(f"there is no run named {', '.join(map(repr, extra))}; the runs are "
                        f"{', '.join(runs)}.")
    fb.hint = ("Read the training curve first (does it fall? blow up? jump?), then the gap "
               "between training and validation.")
    return fb
