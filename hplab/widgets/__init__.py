"""Live dashboards: move a knob, the network retrains, and the consequence is drawn and named.

This package is the only place in hplab that imports ipywidgets; what the dashboards train and
judge lives in :mod:`hplab.playground`. Every dashboard keeps its widgets in ``controls``
(name -> widget) and the outcome of its last run in ``result``, so a test can drive it exactly as
a learner does:

    >>> dash = Playground()                        # doctest: +SKIP
    >>> dash.controls["lr"].value = 3.0            # doctest: +SKIP
    >>> dash.result.diagnosis.label                # doctest: +SKIP
    'diverged'

Modules: ``_base`` (the Dashboard base class), ``labs`` (the training dashboards), ``paths``
(optimizer paths), ``quiz`` (interview cards), ``budget`` (tuning budget), ``leaderboard``.
"""

from ..playground import (
                          DATA_SEED,
                          DEFAULTS,
                          DYING_RELU,
                          N_SAMPLES,
                          POWERS_OF_TWO,
                          PRESETS,
                          USES_BETAS,
                          USES_MOMENTUM,
                          WEIGHT_DECAYS,
                          PathResult,
                          Preset,
                          Result,
                          StudyResult,
                          check_config,
                          health,
                          load_data,
                          train_run,
)
from ._base import Dashboard, make_control, render_png
from .budget import BudgetCalculator
from .labs import (
                          ActivationLab,
                          BatchSizeLab,
                          CapacityLab,
                          EarlyStoppingLab,
                          LearningRateLab,
                          PlaybookLab,
                          Playground,
                          compare_configs,
                          compare_presets,
)
from .leaderboard import Leaderboard, leaderboard_snapshot
from .paths import PathExplorer
from .quiz import FlashCards, InterviewQuiz

__all__ = [
    "DATA_SEED", "DEFAULTS", "DYING_RELU", "N_SAMPLES", "POWERS_OF_TWO", "PRESETS", "USES_BETAS",
    "USES_MOMENTUM", "WEIGHT_DECAYS", "ActivationLab", "BatchSizeLab", "BudgetCalculator",
    "CapacityLab", "Dashboard", "EarlyStoppingLab", "FlashCards", "InterviewQuiz", "Leaderboard",
    "LearningRateLab", "PathExplorer", "PathResult", "PlaybookLab", "Playground", "Preset",
    "Result", "StudyResult", "check_config", "compare_configs", "compare_presets", "health",
    "leaderboard_snapshot", "load_data", "make_control", "render_png", "train_run",
]
