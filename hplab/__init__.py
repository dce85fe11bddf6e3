"""hplab: a hands-on course on tuning neural-network hyperparameters.

    >>> import hplab
    >>> data = hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
    >>> model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    >>> hist = hplab.fit(model, data, lr=1e-2, epochs=50)   # doctest: +SKIP
    >>> hplab.diagnose(hist).label                          # doctest: +SKIP
"""

from . import checks, interview, scenarios  # exercise checkers; interview quiz; lessons' runs
from .data import DATASETS, Data, Split, load_dataset
from .diagnose import Diagnosis, diagnose
from .lr_finder import LRRangeTest, lr_range_test, suggest_lr
from .models import ACTIVATIONS, count_parameters, mlp
from .surfaces import (
    SURFACES,
    OptimizerPath,
    Surface,
    compare_paths,
    describe_path,
    loss_grid,
    optimizer_path,
    slope_steps,
)
from .sweep import fit_many, fit_seeds, lr_sweep, pbt, seed_band
from .train import (
    OPTIMIZERS,
    SCHEDULES,
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    dead_unit_fraction,
    evaluate,
    fit,
    make_optimizer,
    make_schedule,
    schedule_lrs,
)

__all__ = [
    "ACTIVATIONS", "DATASETS", "OPTIMIZERS", "SCHEDULES",
    "Callback", "CSVLogger", "Data", "Diagnosis", "EarlyStopping", "History", "LambdaCallback",
    "ModelCheckpoint", "Split",
    "count_parameters", "dead_unit_fraction", "diagnose", "evaluate", "fit", "load_dataset",
    "make_optimizer", "make_schedule", "mlp", "schedule_lrs",
    "fit_many", "fit_seeds", "lr_sweep", "pbt", "seed_band",
    "LRRangeTest", "lr_range_test", "suggest_lr",
    "SURFACES", "OptimizerPath", "Surface", "compare_paths", "describe_path", "loss_grid",
    "optimizer_path", "slope_steps",
    "tune",
    "checks", "interview", "scenarios",
]


def __getattr__(name):
    # hplab.tune (search methods on Optuna) loads on first use, so `python -m hplab.tune` works
    if name == "tune":
        import importlib

        return importlib.import_module(".tune", __name__)
    raise AttributeError(f"module 'hplab' has no attribute {name!r}")


__version__ = "0.1.0"
