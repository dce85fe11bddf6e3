"""Search spaces and search methods, on top of Optuna.

Describe what may vary, pick a method, and ``search`` trains one configuration per trial with
:func:`hplab.fit` on the training split, scoring it on the validation split only. The test split
is left sealed until :func:`final_evaluation`.

    >>> from hplab import tune
    >>> space = {"lr": tune.LogUniform(1e-4, 1.0), "depth": tune.Int(1, 3),
    ...          "activation": tune.Choice(["relu", "tanh"])}
    >>> result = tune.search(data, space, method="tpe", n_trials=20, epochs=15)  # doctest: +SKIP
    >>> result.best_params, result.trials.head()                                  # doctest: +SKIP

Methods: ``manual`` (your own list of configurations), ``grid``, ``random``, ``qmc``
(quasi-random Sobol points), ``tpe`` and ``gp`` (Bayesian), ``hyperband`` and ``halving``
(random configurations, poor ones stopped early by Optuna's pruners). Pass
``storage="sqlite:///study.db"`` to keep a study on disk: it survives a kernel restart or a killed
process, and several processes (or machines, with a shared database) can add trials to it.

This subpackage is the only part of hplab that imports optuna, and it does so inside functions,
so ``import hplab`` stays fast. Modules: ``space`` (ranges and budget arithmetic), ``study``
(searches, storages, workers), ``results`` (trial tables, health check, final evaluation),
``lookup`` (precomputed curves), ``race`` (methods compared over seeds), ``compare``
(is a winner's edge real: configurations over seeds, PBT with and without exploitation).
"""

from ._draw import plot_axes
from .callbacks import KillSwitch
from .compare import (
    SeedComparison,
    compare_pbt,
    compare_seeds,
    final_losses,
    pbt_table,
    top_configs,
)
from .leaderboard import best_so_far, leaderboard
from .lookup import LookupTable, load_race_table
from .race import Race, race
from .results import FinalEvaluation, SearchResult, final_evaluation, health_check
from .space import (
    FIT_KEYS,
    MODEL_KEYS,
    Choice,
    Dimension,
    Float,
    Int,
    LogUniform,
    Uniform,
    budget,
    budget_table,
    check_space,
    grid_cost,
    grid_of,
    random_hit_chance,
    space_from_dict,
    space_to_dict,
    trials_needed,
)
from .storage import export
from .study import (
    METHODS,
    PRUNERS,
    join,
    load,
    run_workers,
    search,
    start_worker,
    wait_for_trials,
    worker_report,
)

__all__ = [
    "FIT_KEYS", "METHODS", "MODEL_KEYS", "PRUNERS",
    "Choice", "Dimension", "FinalEvaluation", "Float", "Int", "KillSwitch", "LogUniform",
    "LookupTable", "Race",
    "SearchResult", "SeedComparison", "Uniform",
    "compare_pbt", "compare_seeds", "final_losses", "pbt_table", "top_configs",
    "best_so_far", "budget", "budget_table", "check_space", "export", "final_evaluation",
    "grid_cost", "grid_of", "health_check", "join", "leaderboard", "load", "load_race_table",
    "plot_axes", "race", "random_hit_chance",
    "run_workers", "search", "space_from_dict", "space_to_dict", "start_worker", "trials_needed",
    "wait_for_trials", "worker_report",
]
