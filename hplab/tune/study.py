"""Searches on Optuna: trials, samplers, pruners, storages, resuming and shared workers."""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np

from .. import _validate as check
from ..data import Data, load_dataset
from ..models import mlp
from ..train import Callback, fit
from .lookup import LookupTable
from .results import SearchResult, _outcome
from .space import (
    FIT_KEYS,
    MODEL_KEYS,
    build_model,
    check_space,
    factory_name,
    grid_of,
    resolve_factory,
    space_from_dict,
    space_to_dict,
)
from .storage import (
    ENV,
    HEARTBEAT,
    HOST,
    MAX_RETRY,
    _log,
    dead_local_worker,
    is_outage,
    open_storage,
    retrying,
    storage_from_env,
    study_names,
    unknown_study,
)

METHODS = ("manual", "grid", "random", "qmc", "tpe", "gp", "hyperband", "halving")
PRUNERS = ("hyperband", "halving")
_FINISHED = ("COMPLETE", "PRUNED")
WORKER = f"{HOST}:{os.getpid()}"  # which process ran a trial (shared studies)


class _Report(Callback):
    """Reports validation loss to the Optuna trial after every epoch; stops a pruned run."""

    def __init__(self, trial, prune, epochs):
        self.trial, self.prune, self.epochs, self.pruned = trial, prune, epochs, False

    def on_epoch_end(self, trainer, epoch, logs):
        if math.isfinite(logs["val_loss"]):
            self.trial.report(logs["val_loss"], epoch)
        if self.prune and epoch < self.epochs and self.trial.should_prune():
            self.pruned = True
            trainer.stop = True


def _train_trial(data: Data, config: dict, trial, epochs: int, seed: int, prune: bool,
                 callbacks=(), factory=None) -> dict:
    """Train one configuration with hplab.fit; return what the trial table records."""
    fit_kw = {k: config[k] for k in FIT_KEYS if k in config}
    if factory is None:
        model = mlp(data.n_features, data.n_outputs, seed=seed,
                    **{k: config[k] for k in MODEL_KEYS if k in config})
    else:
        model = build_model(factory, config, data, seed)
    report = _Report(trial, prune, epochs)
    hist = fit(model, data, epochs=epochs, callbacks=[report, *callbacks], seed=seed, **fit_kw)
    status = "pruned" if report.pruned else hist.status
    best = hist.best_epoch
    return dict(status=status, epochs=hist.epochs_run, seconds=float(sum(hist.seconds)),
                val_loss=hist.best_val_loss if best else math.inf,
                val_metric=hist.val_metric[best - 1] if best else math.nan,
                best_epoch=best, initial_val_loss=hist.initial["val_loss"])


def _lookup_trial(table: LookupTable, config: dict, trial, epochs: int, prune: bool) -> dict:
    """Read one configuration's curve from a LookupTable, reporting it epoch by epoch."""
    idx = table.index(config)
    curve, acc = table.val_loss[idx][:epochs], table.val_accuracy[idx][:epochs]
    status, used = "completed", epochs
    for epoch, value in enumerate(curve, start=1):
        if not math.isfinite(value):
            status, used = "diverged", epoch
            break
        trial.report(float(value), epoch)
        if prune and epoch < epochs and trial.should_prune():
            status, used = "pruned", epoch
            break
    seen = curve[:used][np.isfinite(curve[:used])]
    best = int(np.argmin(seen)) if len(seen) else None
    return dict(status=status, epochs=used, seconds=float(table.seconds_per_epoch[idx] * used),
                val_loss=float(seen[best]) if best is not None else math.inf,
                val_metric=float(acc[best]) if best is not None else math.nan,
                best_epoch=best + 1 if best is not None else None,
                initial_val_loss=float(table.initial_val_loss[idx]))


def _objective(source, space, fixed, epochs, seed, prune, callbacks=(), factory=None):
    import optuna

    def objective(trial):
        trial.set_user_attr("worker", WORKER)  # first, so a killed trial still names its process
        config = {name: dim.suggest(trial, name) for name, dim in space.items()}
        config.update(fixed)
        if isinstance(source, LookupTable):
            config = source.snap(config)
            out = _lookup_trial(source, config, trial, epochs, prune)
        else:
            out = _train_trial(source, config, trial, epochs, seed, prune, callbacks, factory)
        diverged = out["status"] == "diverged" or not math.isfinite(out["val_loss"])
        # one write for the outcome: every database write is a transaction, and they add up
        trial.set_user_attr("outcome", {
            "config": config, "epochs": out["epochs"],
            "status": "diverged" if diverged else out["status"],
            "seconds": out["seconds"], "val_metric": out["val_metric"],
            "best_epoch": out["best_epoch"]})
        if out["status"] == "pruned":
            raise optuna.TrialPruned()
        if diverged:
            # a blown-up run scores as badly as the untrained network: no better than not training
            return out["initial_val_loss"]
        return out["val_loss"]

    return objective


# ----------------------------------------------------------------------------- the search


def _sampler(method, space, seed, grid_points, n_startup_trials):
    import optuna.samplers as s

    if method == "grid":
        return s.GridSampler(grid_of(space, grid_points), seed=seed)
    if method == "qmc":
        return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed,
                            warn_independent_sampling=False, warn_asynchronous_seeding=False)
    if method == "tpe":
        return s.TPESampler(seed=seed, n_startup_trials=n_startup_trials)
    if method == "gp":
        return s.GPSampler(seed=seed, n_startup_trials=n_startup_trials,
                           warn_independent_sampling=False)
    return s.RandomSampler(seed=seed)  # random, manual (after the list), hyperband, halving


def _pruner(name, epochs, min_epochs, reduction_factor):
    import optuna.pruners as p

    if name == "hyperband":
        return p.HyperbandPruner(min_resource=min_epochs, max_resource=epochs,
                                 reduction_factor=reduction_factor)
    if name == "halving":
        return p.SuccessiveHalvingPruner(min_resource=min_epochs,
                                         reduction_factor=reduction_factor)
    return p.NopPruner()


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's per-trial log lines and experimental-feature warnings, off for the duration."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)


def _source_recipe(source) -> dict:
    if isinstance(source, LookupTable):
        return {"lookup": source.path}
    return {"dataset": dict(source.params)}


def _source_from_recipe(recipe: dict, study_name: str = "hplab"):
    if "lookup" in recipe:
        return LookupTable(recipe["lookup"])
    params = dict(recipe["dataset"])
    if params.get("source") == "arrays":
        raise ValueError(
            f"study {study_name!r} trains on data made by Data.from_arrays "
            f"({params.get('name')!r}), which join cannot rebuild: the arrays are not stored "
            f"with the study. Have each worker build the same Data and call tune.search(data, "
            f"space, ..., storage=..., study_name={study_name!r}) with the study's settings: "
            f"it resumes the saved study and adds trials to it")
    subset, subset_seed = params.pop("subset", None), params.pop("subset_seed", 0)
    data = load_dataset(params.pop("name"), **params)
    return data.subset(subset, seed=subset_seed) if subset else data


def _check_configs(configs, space):
    if not isinstance(configs, (list, tuple)) or not configs:
        raise ValueError(f"configs must be a non-empty list of dicts for method 'manual', "
                         f"got {configs!r}")
    for i, config in enumerate(configs):
        if not isinstance(config, dict) or set(config) != set(space):
            raise ValueError(f"configs[{i}] must give exactly {sorted(space)}, got {config!r}")
        for name, value in config.items():
            if not space[name].contains(value):
                raise ValueError(f"configs[{i}][{name!r}] = {value!r} is outside its range "
                                 f"{space[name]!r}")
    return list(configs)


class _EpochBudget:
    """Study callback: stop once the finished trials have used ``budget`` epochs in total."""

    def __init__(self, budget):
        self.budget = budget

    def __call__(self, study, trial):
        if _spent(study) >= self.budget:
            study.stop()


class _Progress:
    """Study callback: a tqdm.auto bar, one tick per finished trial."""

    def __init__(self, total, method):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=f"{method} search", unit="trial")

    def __call__(self, study, trial):
        self.bar.update(1)
        best = [t.value for t in study.get_trials(deepcopy=False)
                if t.value is not None and t.state.name == "COMPLETE"]
        if best:
            self.bar.set_postfix(best_val_loss=f"{min(best):.4g}")


def search(data, space: dict, *, method: str = "random", n_trials: int | None = None,
           epochs: int = 20, seed: int = 0, storage=None, study_name: str | None = None,
           fixed: dict | None = None, configs=None, grid_points=3, pruner: str | None = None,
           min_epochs: int = 1, reduction_factor: int = 3, n_startup_trials: int = 10,
           epoch_budget: int | None = None, progress: bool = False,
           heartbeat: float | None = None, train_callbacks=(),
           learner: str | None = None, model=None) -> SearchResult:
    """Search ``space`` with one of Optuna's methods; every trial trains on train, scores on val.

    Args:
        data: a :class:`~hplab.Data` bundle, or a :class:`LookupTable` of precomputed curves.
        space: name -> Float / LogUniform / Uniform / Int / Choice. Names are ``mlp`` and ``fit``
            arguments: depth, width, activation, dropout, optimizer, lr, batch_size, momentum,
            weight_decay, schedule (or the table's names). With ``model=`` any other name is
            allowed too: it goes to your factory.
        model: your own network: a function ``(params, data) -> nn.Module`` or its name
            "package.module:function". ``params`` holds the trial's values (space and fixed,
            all of them); the ``fit`` names among them (lr, batch_size, optimizer, ...) also go
            to ``hplab.fit``. PyTorch's generator is seeded with ``seed`` before the call, so
            the initial weights repeat. Default: the course's MLP (``hplab.mlp``), which needs
            tabular data. A storage keeps the factory's import name with the study, so ``join``
            workers can import it; one defined in a notebook cannot be imported by a worker
            (``join`` says so): put it in a .py file beside the notebook.
        method: manual, grid, random, qmc, tpe, gp, hyperband or halving.
        n_trials: how many finished trials the study should hold (with a storage, trials saved
            earlier count, so re-running the same call finishes an interrupted study). ``None``
            means the whole grid or list (grid, manual), "until ``epoch_budget`` is spent" when
            that is set, and 20 otherwise.
        epochs: training epochs per trial (the most a pruned method gives one trial).
        seed: seeds the sampler, the network's initial weights and the minibatch order.
        storage: None (in memory), "sqlite:///study.db", any Optuna RDB URL, a journal file
            "study.log", or an Optuna storage object. The study is created or resumed.
        study_name: the study's name inside the storage (default "hplab").
        fixed: settings every trial shares, e.g. ``{"optimizer": "sgd", "batch_size": 64}``.
        configs: for ``manual``, the list of configurations to try, in order.
        grid_points: values per continuous range for ``grid`` (an int, or a dict per name).
        pruner: add "hyperband" or "halving" early stopping to any sampler (``tpe`` + hyperband
            is close to BOHB).
        min_epochs, reduction_factor: the pruners' smallest budget and how harshly each rung
            cuts (keep 1 in ``reduction_factor``).
        n_startup_trials: random trials ``tpe`` and ``gp`` run before their model takes over.
        epoch_budget: stop once finished trials have trained this many epochs in total.
        progress: show a tqdm progress bar.
        train_callbacks: training callbacks (``hplab.Callback``) given to every trial's
            ``fit``, such as ``tune.KillSwitch``.
        heartbeat: seconds between a running trial's heartbeats in a storage (default 10); a
            trial silent for three is taken for a dead worker's, failed, and run again.
        learner: a name written on every trial this call runs, for a shared study's
            leaderboard (:func:`hplab.tune.leaderboard`).

    Returns:
        A :class:`SearchResult` (trial table, best_params, plots, the Optuna ``study``).
    """

    method = check.choice("method", method, METHODS)
    if pruner is not None:
        pruner = check.choice("pruner", pruner, PRUNERS)
    if method in PRUNERS:
        pruner = method
    table = isinstance(data, LookupTable)
    if not table and not isinstance(data, Data):
        raise TypeError(f"data must be an hplab Data bundle (see load_dataset) or a "
                        f"tune.LookupTable, got {type(data).__name__}")
    factory = None if model is None else resolve_factory(model)
    if factory is not None and table:
        raise ValueError("model cannot be used with a LookupTable: its curves were trained "
                         "already; pass a Data bundle to train your own model")
    if factory is None and not table and len(data.input_shape) != 1:
        raise ValueError(f"search without model= trains the course's MLP, which needs tabular "
                         f"inputs (n, features), but this data has examples of shape "
                         f"{data.input_shape}; pass model=your_factory, a function (params, data) "
                         f"-> nn.Module such as a CNN")
    allowed = tuple(data.levels) if table else None if factory else MODEL_KEYS + FIT_KEYS
    space = check_space(space, allowed)
    fixed = dict(fixed or {})
    for name in fixed:
        if not isinstance(name, str):
            raise TypeError(f"fixed keys must be strings, got {type(name).__name__} {name!r}")
        if allowed is not None and name not in allowed:
            raise ValueError(f"fixed key {name!r} is unknown; choose from: "
                             f"{', '.join(sorted(allowed))}")
    overlap = set(fixed) & set(space)
    if overlap:
        raise ValueError(f"fixed and space both set {sorted(overlap)}; a name goes in one only")
    epochs = check.integer("epochs", epochs, low=1, high=data.epochs if table else 100_000)
    seed = check.seed(seed)
    min_epochs = check.integer("min_epochs", min_epochs, low=1, high=epochs)
    reduction_factor = check.integer("reduction_factor", reduction_factor, low=2)
    n_startup_trials = check.integer("n_startup_trials", n_startup_trials, low=1)
    check.boolean("progress", progress)
    if epoch_budget is not None:
        epoch_budget = check.integer("epoch_budget", epoch_budget, low=1)
    if method == "manual":
        configs = _check_configs(configs, space)
    elif configs is not None:
        raise ValueError(f"configs is only used by method 'manual', got method {method!r}")
    full = (math.prod(len(v) for v in grid_of(space, grid_points).values())
            if method == "grid" else len(configs) if method == "manual" else None)
    if n_trials is None:
        n_trials = full or (10**9 if epoch_budget is not None else 20)
    n_trials = check.integer("n_trials", n_trials, low=1, high=full if method == "manual" else None)

    recipe = dict(method=method, space=space_to_dict(space), fixed=fixed, epochs=epochs,
                  pruner=pruner, min_epochs=min_epochs, reduction_factor=reduction_factor,
                  grid_points=grid_points, n_startup_trials=n_startup_trials,
                  configs=configs, source=_source_recipe(data))
    if factory is not None:  # the name a join worker imports it by
        name = factory_name(model)
        recipe.update(model=name or f"{factory.__module__}:{factory.__qualname__}",
                      model_importable=name is not None)
    with _quiet_optuna():
        study = _open_study(storage, study_name, recipe, heartbeat)
        done = _count(study, _FINISHED)
        # a resumed random-style sampler must not replay the draws it made before the restart,
        # and two workers must not share a stream: mix the seed with the trials already there
        offset = 0 if method in ("qmc", "grid") else len(study.trials)
        mixed = seed if offset == 0 else int(
            np.random.SeedSequence([seed, offset]).generate_state(1)[0])
        study.sampler = _sampler(method, space, mixed, grid_points, n_startup_trials)
        study.pruner = _pruner(pruner, epochs, min_epochs, reduction_factor)
        if method == "manual":
            for config in configs:
                study.enqueue_trial(config, skip_if_exists=True)
        callbacks = [_Enough(n_trials)]
        if epoch_budget is not None:
            callbacks.append(_EpochBudget(epoch_budget))
        remaining = n_trials - done
        if progress and remaining > 0:
            callbacks.append(_Progress(remaining, method))
        if remaining > 0 and (epoch_budget is None or _spent(study) < epoch_budget):
            _fill(study, _objective(data, space, fixed, epochs, seed, pruner is not None,
                                    tuple(train_callbacks), factory),
                  n_trials, callbacks, epoch_budget, _check_learner(learner))
        if progress and remaining > 0:
            callbacks[-1].bar.close()
    return SearchResult(study, space, method=method, epochs=epochs, fixed=fixed,
                        pruner=pruner, model=factory)


POLL = 1.0  # seconds between looks at the study while other workers' trials finish


class _Enough:
    """Study callback, after every trial: fail (and queue again) the trials of dead workers, then
    stop when finished plus running trials reach ``target``, so no worker starts a trial the
    study does not need."""

    def __init__(self, target):
        self.target = target

    def __call__(self, study, trial):
        _fail_dead_workers(study)
        if sum(_slots(study)) >= self.target:
            study.stop()


def _slots(study) -> tuple[int, int]:
    """(finished trials, running trials that may still finish). Without heartbeats (journal
    files) a running trial of another machine cannot be told from a dead one: not counted."""
    done = _count(study, _FINISHED)
    running = study.get_trials(deepcopy=False, states=_states(("RUNNING",)))
    if getattr(study._storage, "get_heartbeat_interval", lambda: None)() is None:
        running = [t for t in running
                   if str(t.user_attrs.get("worker", "")).rpartition(":")[0] == HOST]
    return done, len(running)


def _check_learner(learner):
    if learner is None:
        return None
    if not isinstance(learner, str) or not 0 < len(learner.strip()) <= 64:
        raise ValueError(f"learner must be a name of 1 to 64 characters, got {learner!r}")
    return learner.strip()


def _fill(study, objective, target, callbacks, epoch_budget=None, learner=None):
    """Run trials until the study holds ``target`` finished ones.

    Trials of dead workers are failed and queued to run again (by heartbeat, or at once when the
    worker was a process on this machine); while the database cannot be reached, wait and retry
    with back-off (``storage.retrying``), then go on with this worker's share.
    """
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    current = {}

    def tracked(trial):
        current["id"] = trial._trial_id
        if learner is not None:
            trial.set_user_attr("learner", learner)
        try:
            value = objective(trial)
        except UpdateFinishedTrialError:
            current["taken_over"] = True
            raise
        if study._storage.get_trial(trial._trial_id).state != TrialState.RUNNING:
            current["taken_over"] = True
            raise UpdateFinishedTrialError(f"trial {trial.number} was taken over")
        return value

    def step():
        _fail_dead_workers(study)
        if epoch_budget is not None and _spent(study) >= epoch_budget:
            return True
        done, busy = _slots(study)
        if done >= target:
            return True
        if done + busy >= target:  # the last trials run elsewhere: they finish, or their
            # worker died and they come back (see _fail_dead_workers) for this worker to run
            time.sleep(POLL)
            return False
        current.clear()
        try:
            study.optimize(tracked, n_trials=target - done - busy, callbacks=callbacks)
        except Exception as e:
            if current.get("taken_over"):  # its heartbeats stopped reaching the database (an
                # outage longer than the grace period): another worker failed it and queued it
                _log.warning("trial %s was taken over by another worker; going on",
                             current["id"])
                return False
            if current and is_outage(e):  # this worker's trial was cut off: run it again
                retrying(_fail_and_retry, study, current["id"], cut_off=True)
            raise
        return False

    while not retrying(step):
        pass


def _fail_dead_workers(study):
    """Fail (and queue again) running trials whose worker is gone, and fail the trials of workers
    killed before their trial's first line ran (see :func:`_unstarted`)."""
    from optuna.storages import fail_stale_trials

    fail_stale_trials(study)  # silent past the heartbeat's grace period; a no-op without heartbeats
    for trial in study.get_trials(deepcopy=False, states=_states(("RUNNING",))):
        if dead_local_worker(trial.user_attrs.get("worker")):
            _fail_and_retry(study, trial._trial_id)
        elif _unstarted(study, trial):  # it drew no values: nothing to run again
            _fail_and_retry(study, trial._trial_id, retry=False)


def _unstarted(study, trial) -> bool:
    """A running trial whose objective never began: no ``worker`` tag (the objective's first
    line writes it) and no parameter, well past the time a live worker takes to get there
    (three heartbeats). Its worker died between Optuna creating the trial and calling the
    objective, before any heartbeat: nothing else would ever end it, and workers waiting for
    the study's last trials would wait for it for ever."""
    import datetime

    if "worker" in trial.user_attrs or trial.params or trial.datetime_start is None:
        return False
    beat = getattr(study._storage, "get_heartbeat_interval", lambda: None)() or HEARTBEAT
    return (datetime.datetime.now() - trial.datetime_start).total_seconds() > 3 * beat


def _fail_and_retry(study, trial_id, *, cut_off=False, retry=True):
    """Mark a running trial failed and enqueue its configuration again, as Optuna's heartbeat
    does for a stale trial (at most ``MAX_RETRY`` times per configuration). ``cut_off``: this
    process's own trial, which Optuna may already have marked failed when the database failed.
    ``retry=False``: only mark it failed."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    storage = study._storage  # Optuna offers no public call to fail another process's trial
    state = storage.get_trial(trial_id).state
    try:
        if state == TrialState.RUNNING and not storage.set_trial_state_values(
                trial_id, state=TrialState.FAIL):
            return
    except UpdateFinishedTrialError:  # another worker got there first
        return
    if not retry or (state != TrialState.RUNNING and not (cut_off and state == TrialState.FAIL)):
        return
    RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)(study, storage.get_trial(trial_id))


def _states(names):
    import optuna

    return tuple(optuna.trial.TrialState[n] for n in names)


def _count(study, names) -> int:
    return len(study.get_trials(deepcopy=False, states=_states(names)))


def _spent(study) -> int:
    return sum(_outcome(t).get("epochs", 0) for t in study.get_trials(deepcopy=False))


def _open_study(storage, study_name, recipe, heartbeat=None):
    """Create the study, or resume it after checking it was made with the same recipe."""
    import optuna

    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name must be a string, got {type(study_name).__name__}")
    study = optuna.create_study(storage=open_storage(storage, heartbeat=heartbeat),
                                study_name=study_name or "hplab", direction="minimize",
                                load_if_exists=True)
    saved = study.user_attrs.get("hplab")
    if saved is None:
        study.set_user_attr("hplab", json.loads(json.dumps(recipe)))
    elif _same_recipe(saved, recipe) is False:
        raise ValueError(f"study {study.study_name!r} in this storage was made with a different "
                         f"space or settings ({saved['method']}, {saved['space']}); pick another "
                         f"study_name or use join() to add trials to it")
    elif (saved["method"], saved.get("pruner")) != (recipe["method"], recipe["pruner"]):
        raise ValueError(f"study {study.study_name!r} was made with method {saved['method']!r} "
                         f"(pruner {saved.get('pruner')!r}), not {recipe['method']!r} (pruner "
                         f"{recipe['pruner']!r}); resume it with the same method, or pick "
                         f"another study_name")
    return study


def _same_recipe(saved, recipe):
    keys = ("space", "fixed", "epochs", "source", "model")
    return all(saved.get(k) == json.loads(json.dumps(recipe.get(k))) for k in keys)


def _load_study(storage, study_name, heartbeat=None):
    """Open an existing study: a missing file or an unknown name is an error, never a new study."""
    import optuna

    if not isinstance(study_name, str):
        raise TypeError(f"study_name must be a string, got {type(study_name).__name__}")
    storage = storage_from_env(storage)
    opened = open_storage(storage, create=False, heartbeat=heartbeat)
    with _quiet_optuna():
        names = retrying(study_names, opened)
        if study_name not in names:
            raise ValueError(unknown_study(study_name, storage, names))
        study = optuna.load_study(study_name=study_name, storage=opened)
    recipe = study.user_attrs.get("hplab")
    if recipe is None:
        raise ValueError(f"study {study_name!r} was not made by hplab.tune.search; "
                         f"nothing tells hplab which data and space it uses")
    return study, recipe


def join(storage=None, study_name: str = "hplab", *, n_trials: int | None = None,
         seed: int | None = None, progress: bool = False,
         heartbeat: float | None = None, train_callbacks=(),
         learner: str | None = None) -> SearchResult:
    """Add trials to a saved study, rebuilding its data, space and method from the storage.

    This is how a second process, or a second machine sharing the database, helps: each worker
    runs ``join`` (best with its own ``seed``) until the study holds ``n_trials`` finished trials
    (default: one more than it holds now). ``storage`` None reads the URL from
    ``$HPLAB_STORAGE``; ``heartbeat`` is the seconds between a running trial's heartbeats;
    ``learner`` names this worker's trials on the leaderboard.

        HPLAB_STORAGE=sqlite:///study.db python -m hplab.tune join --study-name digits --seed 1
    """
    storage = storage_from_env(storage)
    study, recipe = _load_study(storage, study_name, heartbeat)
    if n_trials is None:  # one more than the trials finished or under way
        n_trials = sum(_slots(study)) + 1
    n_trials = check.integer("n_trials", n_trials, low=1)
    if recipe.get("model") and not recipe.get("model_importable", True):
        raise ValueError(f"study {study_name!r} trains the model factory {recipe['model']!r}, "
                         f"which a worker cannot import by name (defined in a notebook or "
                         f"inside another function); move it to a .py file, say "
                         f"my_models.py, and search with model='my_models:function_name'")
    return search(_source_from_recipe(recipe["source"], study_name),
                  space_from_dict(recipe["space"]), model=recipe.get("model"),
                  method=recipe["method"], n_trials=n_trials,
                  epochs=recipe["epochs"], seed=0 if seed is None else seed, storage=storage,
                  study_name=study_name, fixed=recipe["fixed"], configs=recipe["configs"],
                  grid_points=recipe["grid_points"], pruner=recipe["pruner"],
                  min_epochs=recipe["min_epochs"], reduction_factor=recipe["reduction_factor"],
                  n_startup_trials=recipe["n_startup_trials"], progress=progress,
                  heartbeat=heartbeat, train_callbacks=train_callbacks, learner=learner)


def load(storage=None, study_name: str = "hplab") -> SearchResult:
    """Open a saved study for reading: its trial table, best parameters and plots.

    ``storage`` None reads the URL from ``$HPLAB_STORAGE``."""
    study, recipe = _load_study(storage, study_name)
    return SearchResult(study, space_from_dict(recipe["space"]), method=recipe["method"],
                        epochs=recipe["epochs"], fixed=recipe["fixed"], pruner=recipe["pruner"],
                        model=recipe.get("model") if recipe.get("model_importable") else None)


def start_worker(storage=None, study_name: str = "hplab", *, n_trials: int | None = None,
                 seed: int = 0, heartbeat: float | None = None,
                 kill_after: int | None = None):
    """Start ``python -m hplab.tune join ...`` as a separate process; returns the Popen.

    The process adds trials to the saved study until it holds ``n_trials``; kill it at any time
    (``worker.kill()`` sends SIGKILL) and the completed trials stay in the storage; the trial it
    was running is run again by the next worker. The storage reaches the process through
    ``$HPLAB_STORAGE``, never its command line, where every user of the machine could read a
    password. ``kill_after`` makes the worker SIGKILL itself inside the trial after that many
    (``tune.KillSwitch``): a crash at the same moment on every run, for demonstrations and tests.
    """
    import subprocess
    import sys

    storage = storage_from_env(storage)
    if not isinstance(storage, (str, Path)):
        raise TypeError(f"storage must be a URL or journal file path, got {storage!r}")
    cmd = [sys.executable, "-m", "hplab.tune", "join", "--study-name", study_name,
           "--seed", str(check.seed(seed))]
    if n_trials is not None:
        cmd += ["--n-trials", str(check.integer("n_trials", n_trials, low=1))]
    if heartbeat is not None:
        cmd += ["--heartbeat", str(check.positive("heartbeat", heartbeat))]
    if kill_after is not None:  # tune.KillSwitch: die inside the trial after this many
        cmd += ["--kill-after", str(check.integer("kill_after", kill_after, low=0))]
    env = {**os.environ, ENV: str(storage)}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def run_workers(storage, study_name: str = "hplab", *, n_workers: int = 2,
                n_trials: int | None = None, timeout: float = 300) -> list[dict]:
    """Run ``n_workers`` processes (seeds 1, 2, ...) on one saved study and wait for them all.

    Returns one report per worker: the trial numbers it ran (``run_here``) and the study size.
    """
    n_workers = check.integer("n_workers", n_workers, low=1, high=64)
    workers = [start_worker(storage, study_name, n_trials=n_trials, seed=i + 1)
               for i in range(n_workers)]
    return [worker_report(w, timeout=timeout) for w in workers]


def worker_report(worker, *, timeout: float = 300) -> dict:
    """Wait for a worker from :func:`start_worker`; return its report.

    A worker that finished reports ``run_here`` (its trial numbers) and ``trials_in_study``;
    a killed one reports ``{"killed_by_signal": n}``.
    """
    out, err = worker.communicate(timeout=timeout)
    if worker.returncode < 0:
        return {"killed_by_signal": -worker.returncode}
    if worker.returncode != 0:
        raise RuntimeError(f"a worker failed (exit code {worker.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def wait_for_trials(storage=None, study_name: str = "hplab", n: int = 1, *,
                    timeout: float = 120) -> int:
    """Wait until the saved study holds ``n`` completed trials; return how many it holds."""

    n = check.integer("n", n, low=1)
    deadline = time.monotonic() + check.positive("timeout", timeout)
    done, study = 0, None
    while time.monotonic() < deadline:
        with _quiet_optuna():
            study = study or _load_study(storage, study_name)[0]
            done = retrying(_count, study, ("COMPLETE",))
            if done >= n:
                return done
        time.sleep(0.5)
    raise TimeoutError(f"the study {study_name!r} held {done} completed trials after "
                       f"{timeout:g} s, fewer than the {n} awaited")
