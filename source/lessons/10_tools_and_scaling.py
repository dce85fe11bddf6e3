# %% [markdown]
# # 10 · Tools, and tuning at scale
#
# The ideas of lessons 08 and 09 — a search space, a method, validation scores, one final test —
# appear in every tuning tool under different names. This lesson runs the same kind of search with
# scikit-learn's searchers and with Optuna directly, maps the names used by Keras Tuner and Ray
# Tune, and then scales out: several processes sharing one saved study, and a study that survives
# its process being killed.
# Last, population-based training lets the runs of one search learn from each other
# while they train.

# %%
import tempfile
import warnings
from pathlib import Path
from statistics import median

import matplotlib.pyplot as plt
import optuna
import pandas as pd
from scipy.stats import loguniform
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (switches it on)
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV
from sklearn.neural_network import MLPClassifier

import hplab
from hplab import plots, tune

# %% [markdown]
# ## scikit-learn: GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV
#
# scikit-learn's searchers take an estimator and a space, and score each candidate by
# **cross-validation**: the data are cut into *k* folds, and each candidate is trained *k* times,
# each time validated on a different fold. It costs *k* times more, and gives a steadier score on
# small data. We hand them training + validation data; the test split stays sealed.
#
# Our network here is scikit-learn's own `MLPClassifier` (one hidden layer of 32 units, 12 epochs).

# %%
data = hplab.load_dataset("digits", seed=0)
X, y = (t.numpy() for t in data.train_val())   # CV makes its own validation folds
net = MLPClassifier(hidden_layer_sizes=(32,), max_iter=12, random_state=0)
grid = {"learning_rate_init": [1e-3, 1e-2, 1e-1], "alpha": [1e-4, 1e-2]}   # alpha: L2 penalty
warnings.filterwarnings("ignore", category=ConvergenceWarning)   # 12 epochs is short on purpose

# %%
searches = {
    "GridSearchCV": GridSearchCV(net, grid, cv=3),
    "RandomizedSearchCV": RandomizedSearchCV(
        net, {"learning_rate_init": loguniform(1e-4, 1), "alpha": loguniform(1e-5, 1e-1)},
        n_iter=5, cv=3, random_state=0),
    "HalvingGridSearchCV": HalvingGridSearchCV(net, grid, cv=3, factor=3, random_state=0),
}
for search in searches.values():
    search.fit(X, y)

# %%
pd.DataFrame({name: {"best params": s.best_params_, "best CV accuracy": round(s.best_score_, 3),
                     "candidates": len(s.cv_results_["params"]),
                     "fits": len(s.cv_results_["params"]) * s.n_splits_}
              for name, s in searches.items()}).T


# %% [markdown]
# `HalvingGridSearchCV` is successive halving — the idea inside Hyperband: all six candidates first
# train on a small share of the data, and only the best third move on to more. The table counts
# its rounds as extra candidates; most of them were cheap.
#
# ## Optuna directly
#
# `hplab.tune` runs on Optuna, and everything it returns keeps the underlying Optuna `Study`. You
# can also write an Optuna objective yourself. Optuna is *define-by-run*: the space is whatever
# the objective asks the `trial` for, so it may branch (a momentum only for SGD, a width per layer).

# %%
def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    width = trial.suggest_int("width", 16, 128, log=True)
    model = hplab.mlp(data.n_features, data.n_outputs, width=width, seed=0)
    history = hplab.fit(model, data, lr=lr, batch_size=64, epochs=4)
    return history.best_val_loss   # Optuna minimizes what you return

optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=4))
study.optimize(objective, n_trials=8)
study.best_params

# %% [markdown]
# Optuna draws its own diagnostic pictures. `optuna.visualization.matplotlib` needs only
# matplotlib (the default `optuna.visualization` draws with plotly). The optimization history is
# lesson 09's best-so-far curve; the slice plot is lesson 08's axis plot.

# %%
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
optuna.visualization.matplotlib.plot_optimization_history(study);
optuna.visualization.matplotlib.plot_slice(study, params=["lr"]);
plt.style.use("default")   # Optuna switched matplotlib to its "ggplot" style: switch back

# %% [markdown]
# ## The same ideas under other names
#
# | idea | hplab.tune / Optuna | scikit-learn | Keras Tuner | Ray Tune |
# |---|---|---|---|---|
# | search space | `tune.LogUniform`, `Int`, `Choice` / `trial.suggest_*` | `param_grid`, `param_distributions` | `hp.Float(..., sampling="log")`, `hp.Int`, `hp.Choice` | `tune.loguniform`, `tune.randint`, `tune.choice` |
# | one configuration tried | trial | candidate | trial | trial |
# | the whole search | study | `*SearchCV` object | tuner | `Tuner` / experiment |
# | grid | `method="grid"` / `GridSampler` | `GridSearchCV` | `GridSearch` | `tune.grid_search` |
# | random | `"random"` / `RandomSampler` | `RandomizedSearchCV` | `RandomSearch` | `BasicVariantGenerator` |
# | Bayesian | `"tpe"`, `"gp"` / `TPESampler`, `GPSampler` | — | `BayesianOptimization` | `OptunaSearch`, `HyperOptSearch` |
# | early stopping of poor trials | `"hyperband"` / `HyperbandPruner` | `HalvingGridSearchCV` | `Hyperband` | `ASHAScheduler`, `HyperBandScheduler` |
# | population-based training | — (here: `hplab.pbt`) | — | — | `PopulationBasedTraining` |
# | report progress per epoch | `trial.report` + `should_prune` | — | callbacks | `tune.report` |
# | save and resume | `storage="sqlite:///..."` | — | `directory=`, `overwrite=False` | `storage_path`, `Tuner.restore` |
# | many workers | shared storage | `n_jobs` (one machine) | distributed mode (chief/workers) | a Ray cluster |
#
# **When to pick which.** scikit-learn's searchers suit scikit-learn estimators and small data,
# where cross-validation is affordable. Keras Tuner fits if the model is already Keras. Optuna is a
# light library that works with any code, including PyTorch, and scales through a shared database.
# Ray Tune earns its weight when trials must be spread over a cluster of machines and GPUs, or
# when you need population-based training.
#
# ## Several workers, one study
#
# With a storage, a study lives in a database instead of in one Python process. Any number of
# processes — on this machine, or on many machines sharing a PostgreSQL server — can add trials to
# it. Each asks the database for the next trial number, so no trial is run or recorded twice.
#
# Below, a "teacher" creates a study in an SQLite file. A second process joins it — it runs
# `python -m hplab.tune join <storage> --study-name class --seed 1` — and this notebook adds
# trials too, at the same time, until the study holds 6.

# %%
folder = Path(tempfile.mkdtemp())
url = f"sqlite:///{folder / 'class.db'}"
space = {"lr": tune.LogUniform(1e-4, 1.0), "width": tune.Int(16, 128, log=True)}
tune.search(data, space, method="random", n_trials=2, epochs=5, fixed={"batch_size": 64},
            storage=url, study_name="class")              # the teacher creates the study
worker = tune.start_worker(url, "class", n_trials=40, seed=1)   # another process joins...
here = tune.join(url, "class", n_trials=6, seed=2)              # ...and so does this notebook

# %% [markdown]
# ## Killed, and resumed
#
# A process can die mid-search: a kernel restart, a laptop lid, a cluster pre-empting a job. With a
# storage, nothing finished is lost. Once the study holds nine completed trials, the other
# process is killed with SIGKILL — no chance to clean up.

# %%
tune.wait_for_trials(url, "class", n=9)
worker.kill()                                  # SIGKILL
tune.worker_report(worker)

# %% [markdown]
# Anyone can open the study and see the leaderboard, with the process ("host:process id") each
# trial came from. The trial that was running at the moment of the kill stays marked `running`: it
# never finished, so it is not counted, and no trial appears twice.

# %%
board = tune.load(url, "class").trials
print(board["status"].value_counts().to_dict())
print(board.groupby("worker").size().to_dict())    # trials per process
board.sort_values("val_loss").head(5)[["lr", "width", "val_loss", "val_metric", "worker"]]

# %% [markdown]
# Resuming is the same call again, asking for the total number of finished trials we want. The
# trial numbers simply continue.

# %%
done = int((board["status"] == "completed").sum())
resumed = tune.join(url, "class", n_trials=done + 2, seed=7)
resumed.trials.tail(4)[["lr", "width", "val_loss", "status", "worker"]]

# %% [markdown]
# **In practice.** `storage="sqlite:///study.db"` is the simplest choice on one machine. For many
# machines, point every worker at one server: `storage="postgresql://user:password@host/db"`
# (or MySQL). A journal file, `storage="study.log"`, is an alternative for processes on one machine
# or a shared file system. A classroom can run one study together: the teacher creates it, each
# student runs `python -m hplab.tune join <url> --study-name class --seed <student number>`, and
# the leaderboard shows whose trial leads.

# %% [markdown]
# ## Population-based training: a schedule found while training
#
# Every method so far treats a trial as a closed box: pick the hyperparameters, train, read the
# score. **Population-based training** (PBT, introduced by DeepMind; `PopulationBasedTraining` in
# Ray Tune) lets the trials of one search help each other while they train. A *population* of
# networks starts from different learning rates and trains side by side. Every few epochs (the
# *interval*) the members are ranked by validation loss, and the weakest quarter
#
# - **exploit**: drop their own weights and copy those of a member from the top quarter, together
#   with its optimizer state, and
# - **explore**: take that member's learning rate times a random factor (here 0.8 or 1.25).
#
# A bad start is therefore not fatal, and a member's learning rate ends up as a *schedule*: a
# staircase discovered during training instead of written down before it. `hplab.pbt` trains the
# whole population in one vectorized run; `exploit=False` trains the very same members (same
# starting rates, same seeds) without any copying, for comparison.
#
# **Predict:** eight learning rates are drawn between 1e-5 and 1e-1 on a log scale. How many of
# them are too small to learn the spirals in 24 epochs, and what happens to those members with
# PBT?

# %%
spirals = hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)
settings = dict(population=8, epochs=24, interval=4, optimizer="adam", lr_range=(1e-5, 1e-1),
                width=32, seed=0)
pbt_runs = {"PBT": hplab.pbt(spirals, **settings),
            "no exploit": hplab.pbt(spirals, exploit=False, **settings)}
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
plots.pbt_lrs(pbt_runs["PBT"], left)
plots.pbt_losses(pbt_runs, right);

# %% [markdown]
# On the left, each line is one member's learning rate in the PBT run; each red dot is an
# exploit step, where a member took over a better member's weights and a nudged copy of its rate.
# The two members that started near 1e-5 are lifted several hundred times after epoch 4, and the
# member that finished best (black) started at 0.008 and took over a rate of 0.056 after epoch
# 12. On the right are the same eight members with PBT (blue) and without (orange). Without
# exploitation, five members are still above 0.5 after 24 epochs; with it, the weak members drop
# onto a good member's curve at the exploit steps, and the median follows them down (its steepest
# falls come right after epochs 12 and 16).
#
# Look at the end of the blue lines too: by then most rates have drifted up to about 0.04–0.06,
# and some members bounce (one ends at 0.33). Large rates won the early rankings: that is PBT's
# greed at work.

# %%
pd.DataFrame({name: {"median final val loss": median(h.val_loss[-1] for h in r.histories),
                     "worst final val loss": max(h.val_loss[-1] for h in r.histories),
                     "exploit steps": len(r.events)}
              for name, r in pbt_runs.items()}).T.round(3)

# %% [markdown]
# Both runs cost the same: eight networks, 24 epochs each. With PBT the median member ends about
# ten times lower, because the compute went into the settings that worked instead of finishing
# the ones that did not. `pbt_runs["PBT"].events` lists every exploit step (who copied whom, the
# rate before and after), and `pbt_runs["PBT"].best_history.lr` is the schedule to replay.
#
# **When it is worth it.** Long runs, where a good schedule matters and restarting a bad trial
# costs hours, and many parallel workers, one member each: that is what PBT was built for, and
# what Ray Tune spreads over a cluster. When a run takes seconds, as here, rerunning a plain
# search costs next to nothing, and PBT's bookkeeping buys little.
#
# **What it costs, and where it misleads.**
# - It is *greedy*: members are judged after a few epochs, so it favours what looks good soon. A
#   large rate that makes quick early progress can beat a smaller one that would have finished
#   lower.
# - It needs a population: with two or three members there is little to copy from and little
#   to explore. Eight is small; tens are common.
# - It has knobs of its own. Too short an interval ranks on noise, too long wastes epochs on bad
#   members; the fraction replaced and the perturbation factors change the result too.
# - It only tunes what may change mid-run (learning rate, momentum, weight decay, dropout); a
#   new width or depth would not fit the copied weights.
# - It picks by validation loss again and again, so the validation score of the winner is
#   optimistic: score it on the sealed test split, once.
#
# **Say it in an interview.** Population-based training trains a population together and, every
# few epochs, makes the weakest members copy a strong member's weights (exploit) and perturb its
# hyperparameters (explore), so compute spent on bad starts is recycled and the learning rate
# becomes a schedule found during training. Because it ranks members after only a few epochs it
# is greedy, favouring settings that look good early, so it pays off mainly for long runs with
# many parallel workers, and its outcome depends on the interval and the perturbation factors.

# %% [markdown]
# ## Where AutoML fits
#
# AutoML tools (auto-sklearn, AutoGluon, FLAML, Google's Vertex AI AutoML, Keras's AutoKeras) wrap
# everything in this course into one call: they choose the model family, the architecture and the
# hyperparameters, usually with the same Bayesian and early-stopping methods you raced in
# lesson 09, plus ensembling. They are a strong baseline when time is short and the task is
# standard. They do not remove the need to understand the workflow: you still define what
# "better" means (the metric), keep a sealed test set, set the budget, and judge whether the
# winner's edge is real or a lucky seed.
#
# > **Takeaway.** The names change between tools; the workflow does not. Pick the lightest tool
# > that fits your model and your hardware, save every study to a storage so it can be resumed
# > and shared, and let many workers add trials to one study when the budget is larger than one
# > machine.
#
# ### Interview questions
# 1. What does cross-validation add to a hyperparameter search, and what does it cost?
# 2. How does successive halving (or Hyperband) save compute? What can it get wrong?
# 3. How would you run one search on ten machines? What must they share?
# 4. Your tuning job was killed after 40 of 100 trials. What do you need to resume it?
# 5. When would you pick Ray Tune over Optuna, or an AutoML tool over both?
# 6. What does population-based training do to a bad starting learning rate? When is it not
#    worth it?
