"""A shared study's leaderboard: the best trials with the learner who ran each, and everyone's
best-so-far curve, read straight from the storage (so it can be refreshed while workers run)."""

from __future__ import annotations

import math

from .study import load

_FINISHED = ("completed", "early_stopped")


def _table(storage, study_name):
    result = load(storage, study_name)
    table = result.trials
    names = {t.number: t.user_attrs.get("learner", "") for t in
             result.study.get_trials(deepcopy=False)}
    table.insert(0, "learner", [names.get(n) or "(no name)" for n in table.index])
    return table[table["status"].isin(_FINISHED) & table["val_loss"].map(math.isfinite)]


def leaderboard(storage=None, study_name: str = "hplab", *, top: int = 10):
    """The ``top`` finished trials by validation loss, best first, with who ran each.

    Learners name their trials with ``python -m hplab.tune join --learner NAME`` (or
    ``tune.join(..., learner=NAME)``); ``storage`` None reads ``$HPLAB_STORAGE``.

        tune.leaderboard(study_name="class", top=5)[["learner", "lr", "val_loss"]]
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}")
    return _table(storage, study_name).sort_values("val_loss").head(top)


def best_so_far(storage=None, study_name: str = "hplab"):
    """Each learner's best validation loss so far, after every trial of the study.

    Returns a DataFrame indexed by trial number, one column per learner (NaN before that
    learner's first finished trial); plot it with ``.plot(drawstyle="steps-post")``.
    """
    table = _table(storage, study_name)
    wide = table.pivot_table(index=table.index, columns="learner", values="val_loss")
    return wide.cummin().ffill()
