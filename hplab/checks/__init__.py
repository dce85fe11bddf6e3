"""Exercise checkers: each one looks at your answer and says what is right, what is wrong, and
what to try next.

One module per exercise, named after it (``checks.learning_rate`` goes with
``exercises/02_learning_rate.ipynb``); every check is also available here, as
``checks.early_stopping_callback(...)``. A check never raises because an answer is wrong: it
reports every problem it finds at once in a :class:`Feedback`, which shows as a green or red box
in a notebook (and is truthy only when everything passed). A placeholder that still raises
``NotImplementedError`` is reported as "not written yet".

    >>> from hplab import checks
    >>> fb = checks.updates_per_epoch(lambda n, b: -(-n // b))
    >>> fb.passed
    True
"""

from ._feedback import STRICT_ENV, Feedback
from .activations import gradient_ratio
from .batch_size import batch_noise, updates_per_epoch
from .depth_and_width import overfitting_cures
from .early_stopping import early_stopping_callback, same_as_reference
from .learning_rate import best_learning_rate, learning_rate_predictions
from .lr_range_test import lr_choice, lr_range_test  # the function shadows its module's name
from .optimizers import epochs_to_reach, optimizer_ranking
from .search_methods import grid_search, random_search
from .tools_and_scaling import beat_target, search_space
from .tuning_workflow import honest_test_score
from .why_tune import MYSTERY_RECIPES, mystery_diagnoses, mystery_runs
from .your_own_model import model_factory

__all__ = [
    "MYSTERY_RECIPES", "STRICT_ENV", "Feedback", "batch_noise", "beat_target",
    "best_learning_rate", "early_stopping_callback", "epochs_to_reach", "gradient_ratio",
    "grid_search", "honest_test_score", "learning_rate_predictions", "lr_choice", "lr_range_test",
    "mystery_diagnoses", "mystery_runs", "optimizer_ranking", "overfitting_cures",
    "random_search", "same_as_reference", "search_space", "updates_per_epoch",
    "model_factory",
]
