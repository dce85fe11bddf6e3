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

# %% tags=["check"]
halving = searches["HalvingGridSearchCV"]
assert halving.n_candidates_ == [6, 2] and halving.n_resources_[0] < halving.n_resources_[1]

# %% [markdown]
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
trials = study.trials_dataframe()[["number", "params_lr", "params_width", "value"]]
trials["phase"] = ["random start" if n < 4 else "TPE" for n in trials["number"]]
trials.round(4)

# %% [markdown]
# Every trial TPE chose (numbers 4 to 7) scored worse than the best of the four random ones.
# That is not a bug. The first `n_startup_trials=4` trials are drawn at random, because TPE has
# nothing to model yet. From then on it splits the finished trials into a "good" group, the best
# tenth (out of four trials, a single one), and the rest, and proposes values likely under the
# good group's density and unlikely under the rest's. Each density is a few bumps around its
# trials blended with a flat spread over the whole range; with one good trial the flat part
# dominates, so the proposals go where no poor trial sits yet. In this run that was the far ends
# of the learning-rate range (printed above), rates that train badly in four epochs. TPE starts
# to pay off after tens of trials; with eight it is no better than random search, and on five
# other sampler seeds its four picks beat the random start about half the time (the hidden check
# below counts them). Lesson 09 races the two over many seeds.

# %% tags=["check"]
values = [t.value for t in study.trials]
assert min(values[4:]) > 1.5 * min(values[:4])   # every TPE pick here is worse than the start
assert sum(not 1e-3 < t.params["lr"] < 0.1 for t in study.trials[4:]) >= 3   # at the range's ends


def tpe_beats_its_start(seed):
    s = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=4))
    s.optimize(objective, n_trials=8)
    return min(t.value for t in s.trials[4:]) < min(t.value for t in s.trials[:4])


assert 1 <= sum(tpe_beats_its_start(seed) for seed in range(1, 6)) <= 4   # "about half the time"

# %%
study.best_params

# %% [markdown]
# Optuna draws its own diagnostic pictures. `optuna.visualization.matplotlib` needs only
# matplotlib (the default `optuna.visualization` draws with plotly). The optimization history is
# lesson 09's best-so-far curve; the slice plot is lesson 08's axis plot. Both number the trials
# from 0, as Optuna does and as the course's own tables and plots do.

# %%
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
drawn = optuna.visualization.matplotlib
for ax in (drawn.plot_optimization_history(study), drawn.plot_slice(study, params=["lr"])):
    plots.fit_to_notebook(ax.figure, height=4)   # as wide as the notebook, Optuna's text enlarged
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
# Below, a "teacher" creates a study in an SQLite file with two trials. A second process joins
# it — it runs `python -m hplab.tune join --study-name class --seed 1` — and adds trials until
# the study holds 4; then this notebook joins too and adds trials until it holds 6. (Here they
# take turns, so that the output is the same on every run; in a classroom they run at once.)

# %%
folder = Path(tempfile.mkdtemp())
url = f"sqlite:///{folder / 'class.db'}"
space = {"lr": tune.LogUniform(1e-4, 1.0), "width": tune.Int(16, 128, log=True)}
tune.search(data, space, method="random", n_trials=2, epochs=5, fixed={"batch_size": 64},
            storage=url, study_name="class")              # the teacher creates the study
worker = tune.start_worker(url, "class", n_trials=4, seed=1)   # another process joins...
report = tune.worker_report(worker)                            # ...and says what it ran
print(f"the other process ran trials {report['run_here']}; the study held {report['trials_in_study']}")
here = tune.join(url, "class", n_trials=6, seed=2)             # then this notebook adds more

# %% [markdown]
# The other process reports the trial numbers it ran (`run_here`): 2 and 3. When processes run
# at the same time, each asks the database for the next trial number, so whoever asks first
# gets it and no trial is run or recorded twice. Anyone can open the study and see the
# leaderboard, with the process ("host:process id") each trial came from:

# %%
board = tune.load(url, "class").trials
print(", ".join(f"{n} {status}" for status, n in board["status"].value_counts().items()))
print(board.groupby("worker").size().to_dict())    # trials per process
board.sort_values("val_loss").head(5)[["lr", "width", "val_loss", "val_metric", "worker"]]

# %% tags=["check"]
assert board["status"].tolist() == ["completed"] * 6 and board.index.tolist() == list(range(6))
assert report["run_here"] == [2, 3]
assert board.groupby("worker").size().sort_values().tolist() == [2, 4]   # 2 there, 4 here

# %% [markdown]
# ## Killed, and resumed
#
# A process can die mid-search: a kernel restart, a laptop lid, a cluster pre-empting a job. With a
# storage, nothing finished is lost. A real crash comes at any moment; to get the same story on
# every run, the next worker is started with `kill_after=3`: it finishes three trials, then, one
# epoch into its fourth, sends itself SIGKILL — no chance to clean up (`tune.KillSwitch` does it).

# %%
before = int((board["status"] == "completed").sum())
crashing = tune.start_worker(url, "class", n_trials=40, seed=3, kill_after=3)
print("the worker died by signal", tune.worker_report(crashing)["killed_by_signal"], "(SIGKILL)")
board = tune.load(url, "class").trials
print(", ".join(f"{n} {status}" for status, n in board["status"].value_counts().items()))
board.tail(4)[["lr", "width", "val_loss", "status", "worker"]]

# %% [markdown]
# The three trials the worker finished are in the study, next to the earlier ones. The trial it
# was running at the moment of the kill stays marked `running`: it never finished, so it has no
# score and is not counted, and no trial appears twice.

# %% tags=["check"]
counts = board["status"].value_counts().to_dict()
assert counts == {"completed": before + 3, "running": 1}
assert board["status"].iloc[-1] == "running" and board["val_loss"].isna().iloc[-1]  # no score

# %% [markdown]
# Resuming is the same call again, asking for the total number of finished trials we want. The
# trial numbers simply continue. The trial left `running` belonged to a process on this machine
# that no longer exists, so the resuming worker marks it `failed` and runs its configuration
# again first (on other machines, a heartbeat tells a dead worker from a slow one).

# %%
done = int((board["status"] == "completed").sum())
resumed = tune.join(url, "class", n_trials=done + 2, seed=7)
resumed.trials.tail(4)[["lr", "width", "val_loss", "status", "worker"]]

# %% tags=["check"]
after = resumed.trials
killed = board.index[-1]
assert after.loc[killed, "status"] == "failed" and (after["status"] == "completed").sum() == done + 2
assert after.loc[killed + 1, ["lr", "width"]].tolist() == board.loc[killed, ["lr", "width"]].tolist()
assert after.loc[:killed - 1].equals(board.loc[:killed - 1])   # nothing finished was lost

# %% [markdown]
# **In practice.** `storage="sqlite:///study.db"` is the simplest choice on one machine. For many
# machines, point every worker at one server: `storage="postgresql://user:password@host/db"`
# (or MySQL). A journal file, `storage="study.log"`, is an alternative for processes on one machine
# or a shared file system. A classroom can run one study together: the teacher creates it, each
# student runs `python -m hplab.tune join <url> --study-name class --seed <student number>`, and
# the leaderboard shows whose trial leads. A URL with a password is better kept off the command
# line, where other users of the machine can read it: set `HPLAB_STORAGE=<url>` and leave the URL
# out.

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
pbt_runs = tune.compare_pbt(spirals, **settings)   # {"PBT": ..., "no exploit": ...}
fig, (left, right) = plots.grid(2, ncols=2)  # as wide as the notebook, legends within that width
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
tune.pbt_table(pbt_runs)

# %% tags=["check"]
table = tune.pbt_table(pbt_runs)["median final val loss"]
assert table["PBT"] < 0.2 * table["no exploit"]   # "about ten times lower"
assert (tune.final_losses(pbt_runs["no exploit"]) > 0.5).sum() == 5

# %% [markdown]
# Both runs cost the same: eight networks, 24 epochs each. With PBT the median member ends about
# ten times lower (the table), because the compute went into the settings that worked instead of
# finishing the ones that did not. Drawn with five other seeds (other starting rates), the gap
# stays: PBT's median ends four to fifteen times lower. `pbt_runs["PBT"].events` lists every
# exploit step (who copied whom, the rate before and after), and
# `pbt_runs["PBT"].best_history.lr` is the schedule to replay.
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
#
# **1. What does cross-validation add to a hyperparameter search, and what does it cost?**
#
# <details><summary>Show an answer</summary>
#
# Each candidate is trained k times, validated each time on a different fold, so its score is an
# average over k splits and less at the mercy of one lucky validation set; that matters most on
# small data. It costs k times the training, which is why deep-learning searches, with large data
# and long runs, usually keep one validation split instead.
# </details>
#
# **2. How does successive halving (or Hyperband) save compute? What can it get wrong?**
#
# <details><summary>Show an answer</summary>
#
# It trains many candidates on a small budget (few epochs or little data) and gives more budget
# only to the best fraction, round after round, so poor candidates cost little. Because it judges
# on early scores, it can drop a candidate that starts slowly but would finish best, such as a
# small learning rate; Hyperband hedges by running several brackets with different starting
# budgets.
# </details>
#
# **3. How would you run one search on ten machines? What must they share?**
#
# <details><summary>Show an answer</summary>
#
# Put the study in a database every machine can reach (PostgreSQL or MySQL, for example) and
# start a worker on each, each with its own seed; the database hands out trial numbers, so no
# trial runs twice. They must share the storage, the search recipe (space, data, method) and the
# same data splits, or the scores cannot be compared.
# </details>
#
# **4. Your tuning job was killed after 40 of 100 trials. What do you need to resume it?**
#
# <details><summary>Show an answer</summary>
#
# A study kept in a storage (a database or journal file) rather than in the process's memory:
# then the 40 finished trials survive, and running the same search again against that storage
# asks only for the 60 that are missing. The trial that was running when it died never finished,
# so it must be marked failed and re-run (a heartbeat does this for workers on other machines).
# </details>
#
# **5. When would you pick Ray Tune over Optuna, or an AutoML tool over both?**
#
# <details><summary>Show an answer</summary>
#
# Ray Tune pays for its weight when trials must be scheduled over a cluster of machines and GPUs,
# or when you want population-based training; Optuna is lighter and enough for one machine or a
# few workers sharing a database. An AutoML tool fits a standard task and little time, because it
# also picks the model family; you still own the metric, the sealed test set and the budget.
# </details>
#
# **6. What does population-based training do to a bad starting learning rate? When is it not
#    worth it?**
#
# <details><summary>Show an answer</summary>
#
# At the next ranking the member with the bad rate is in the bottom group, so it copies a strong
# member's weights and a perturbed copy of its rate, and the compute it would have wasted goes
# into a setting that works. It is not worth it when runs are short and cheap (rerunning a plain
# search costs less than PBT's bookkeeping), when the population is too small to copy from, or
# when the knob cannot change mid-run (width, depth).
# </details>
