# %% [markdown]
# # 14 · Your own model
#
# Every lesson so far tuned the course's own networks on the course's own data. This one is the
# bridge out: you bring the arrays, you write the network, and the same tuning workflow runs on
# it. Then the whole study is written a second time with nothing but Optuna and a plain PyTorch
# loop, so you can see what each hplab line stands for — and could leave hplab behind.
#
# The task: the handwritten digits as what they are, 1 × 8 × 8 images, learned by a small
# convolutional network (CNN) instead of an MLP on 64 flat numbers.
#
# **After this lesson you will be able to explain**
#
# - how a *model factory* `(params, data) -> nn.Module` lets a search build your network from
#   each trial's values, including names of your own such as `channels`;
# - what a tuning library does for you: the trial loop, pruning, and the bookkeeping, in plain
#   Optuna and PyTorch;
# - why the final retrain on training plus validation data runs for the winner's best number of
#   optimizer steps, not for every epoch the search allowed.

# %%
import optuna
import torch
from sklearn.datasets import load_digits
from torch import nn

import hplab
from hplab import plots, reference, tune

# %% [markdown]
# ## Step 1 · Your arrays become a `Data` bundle
#
# `Data.from_arrays` takes NumPy arrays (or tensors) and makes the same bundle the course's
# datasets give: training, validation and a sealed test split, stratified by class, inputs
# standardized with training statistics only (one mean and standard deviation for the single
# channel). Image-shaped inputs keep their shape.

# %%
digits = load_digits()
images = digits.data.reshape(-1, 1, 8, 8)      # (examples, channels, height, width)
data = hplab.Data.from_arrays(images, digits.target, val=0.2, test=0.2, seed=0,
                              name="digits as images")
data

# %% [markdown]
# ## Step 2 · A model factory
#
# A search needs to build a fresh network for every trial, with that trial's values. So instead
# of a network you hand it a function: it gets the trial's values (`params`) and the data (for
# the input shape and the number of classes) and returns an `nn.Module`. The name `channels` is
# yours: hplab passes it on without knowing what it means.

# %%
def make_cnn(params, data):
    c, h, w = data.input_shape
    k = params["channels"]                          # feature maps of the convolution
    return nn.Sequential(
        nn.Conv2d(c, k, 3, padding=1), nn.ReLU(),   # (batch, k, 8, 8)
        nn.MaxPool2d(2), nn.Flatten(),              # (batch, k * 4 * 4)
        nn.Dropout(params.get("dropout", 0.0)),
        nn.Linear(k * (h // 2) * (w // 2), data.n_outputs))

torch.manual_seed(0)                                # the initial weights
make_cnn({"channels": 8}, data)

# %% tags=["check"]
for k in (4, 16):  # the lesson's factory builds what hplab.reference.small_cnn builds (tested)
    ours, ref = make_cnn({"channels": k}, data), reference.small_cnn({"channels": k}, data)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in ref.parameters()]

# %% [markdown]
# ## Step 3 · Where to look for the learning rate
#
# `hplab.lr_range_test` works on any module: it raises the rate step by step over 100 minibatches
# and watches the loss. Its suggestion tells us which decades to search.
#
# > **Predict first.** The MLPs of lesson 02 liked Adam at about 0.001–0.01. Will a CNN with a
# > few thousand weights want a rate higher or lower than that?

# %%
torch.manual_seed(0)
found = hplab.lr_range_test(make_cnn({"channels": 8}, data), data, seed=0)
plots.lr_finder_curve(found, title="range test of the CNN, 8 channels")
print(found.explanation)

# %% tags=["check"]
assert 5e-3 < found.suggestion < 3e-2   # "about 0.01", inside the decades we search

# %% [markdown]
# The suggestion printed above, about 0.01, is at the top of what the MLPs liked: this small
# CNN takes a fairly brisk rate. It sits between 0.001 and 0.1, so the search spans those two
# decades on a log scale, together with the number of channels (4 to 32, also on a log scale: 4 → 8 is as big a
# step as 16 → 32).
#
# ## Step 4 · A pruned TPE search with `model=`
#
# Ten trials of up to ten epochs. TPE (lesson 09) picks the next values from the trials so far;
# the *halving* pruner looks at every trial after 3 epochs and lets only the best third go on.
#
# > **Predict first.** Out of ten trials, how many will be allowed to train all ten epochs? How
# > many epochs will the whole search cost, against 100 for ten full trials?

# %%
space = {"channels": tune.Int(4, 32, log=True), "lr": tune.LogUniform(1e-3, 1e-1)}
result = tune.search(data, space, model=make_cnn, method="tpe", n_startup_trials=4,
                     pruner="halving", min_epochs=3, n_trials=10, epochs=10, seed=0)
print(f"epochs spent: {result.epochs_spent} of 100; best epoch of the winner: "
      f"{result.best_epoch}")
result.trials

# %% tags=["check"]
table = result.trials
assert (table["status"] == "pruned").sum() >= 5 and result.epochs_spent <= 60
assert table["val_metric"].max() > 0.95

# %% [markdown]
# Most trials were stopped after three epochs, and the search cost about half of the 100 epochs
# ten full trials would take (tested on five other seeds: it stays at 60 or below in each). The
# trials table, `result.best_params`, `result.health_check()` and the plots of lesson 09 all
# work as for the MLPs. With `storage="sqlite:///cnn.db"` the study is saved and resumable, as in
# lesson 10; for other processes to `join` it, the factory must live in a `.py` file and be
# named as `"my_models:make_cnn"` (a worker cannot import a function defined in a notebook).

# %% [markdown]
# ## Step 5 · The same study, without hplab
#
# Here is what `tune.search` did, in plain code. The training loop is
# `hplab.reference.train_loop`: Adam, a shuffled pass over the training split per epoch, the
# validation loss after each. Open `hplab/reference.py` and read it: 20 lines of code, which
# also report every epoch to Optuna so the pruner can stop the trial.

# %%
def objective(trial):
    params = {"channels": trial.suggest_int("channels", 4, 32, log=True),
              "lr": trial.suggest_float("lr", 1e-3, 1e-1, log=True)}
    torch.manual_seed(0)                            # the same initial weights as hplab's
    model = make_cnn(params, data)
    losses = reference.train_loop(model, data.train, data.val, lr=params["lr"], epochs=10,
                                  seed=0, trial=trial)
    trial.set_user_attr("best_epoch", 1 + losses.index(min(losses)))
    return min(losses)                              # a trial is scored at its best epoch

# %%
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(
    direction="minimize",
    sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=4),
    pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=3, reduction_factor=3))
study.optimize(objective, n_trials=10)
plain = tune.SearchResult(study, space, method="tpe", epochs=10)   # hplab's table, for reading
plain.trials[["channels", "lr", "val_loss", "epochs", "status"]]

# %% tags=["check"]
ours, theirs = result.trials, plain.trials
assert (ours["channels"] == theirs["channels"]).all() and (ours["status"] == theirs["status"]).all()
assert ((ours["val_loss"] - theirs["val_loss"]).abs() < 1e-3).all()
assert plain.best_params["channels"] == result.best_params["channels"]

# %% [markdown]
# The two tables agree trial by trial: the same values drawn, the same trials pruned, the same
# validation losses (to rounding), because both draw from a TPE sampler seeded alike, start from
# the same initial weights and shuffle the minibatches alike (checked on five other seeds too).
# So every line of the hplab version stands for a piece of this one:
#
# | hplab | plain Optuna + PyTorch |
# |---|---|
# | `space = {...}` | `trial.suggest_int(...)`, `trial.suggest_float(..., log=True)` in the objective |
# | `model=make_cnn` | `torch.manual_seed(0)`, then `make_cnn(params, data)` in the objective |
# | (inside `fit`) | `train_loop`: minibatches, `loss.backward()`, `opt.step()`, validation loss |
# | `pruner="halving", min_epochs=3` | `SuccessiveHalvingPruner(3, 3)`; `trial.report`, `trial.should_prune()` |
# | `method="tpe", seed=0` | `TPESampler(seed=0, n_startup_trials=4)` |
# | `result.trials` | `study.trials` and your own table |
# | `tune.final_evaluation` | retrain for the best steps on train + val, one test read |
#
# Counted without blank lines, comments and printing, the study (factory, search, final test
# read) takes 12 lines with hplab and about 54 without it: the 8-line factory in both, then 4
# lines of hplab against the 20-line loop and a 4-line accuracy, the 9-line objective, 6 lines
# of study and about 7 for the final retrain and test read. What hplab adds on top are the
# checks (bad input stops with a message naming the fix), saving and resuming, shared workers,
# diverged runs scored as such, and the record of every epoch.

# %% [markdown]
# ## Step 6 · Is the winner's score a lucky seed?
#
# A search ranks trials by one run each (lesson 08). Before trusting the winner, train it again
# with a few other seeds: other initial weights and another minibatch order.

# %%
best = result.best_config

def train_seed(seed):
    torch.manual_seed(seed)                         # the initial weights
    return hplab.fit(make_cnn(best, data), data, lr=best["lr"], epochs=10, seed=seed)

runs = [train_seed(s) for s in range(5)]
scores = [max(h.val_metric) for h in runs]
print("best validation accuracy per seed:", [round(s, 3) for s in scores])
print(f"spread {max(scores) - min(scores):.3f}; the search's own run: {table['val_metric'].max():.3f}")

# %% tags=["check"]
assert max(scores) - min(scores) < 0.03 and min(scores) > 0.94

# %% [markdown]
# `hplab.fit_many` and `fit_seeds` train many copies of the course's MLP at once; for your own
# network a plain loop over seeds, as here, is the way. Across seeds the winner's best
# validation accuracy moves by the spread printed above, under one point here: its score in the
# search was not a lucky seed.

# %% [markdown]
# ## Step 7 · One look at the test split
#
# `final_evaluation` takes the factory from the search result. Trained on training and validation
# data together, nothing is left to stop on, so it trains for the winner's best epoch — converted
# to the same number of optimizer steps: train + val holds a third more minibatches per epoch,
# so it takes about a quarter fewer epochs.
#
# > **Predict first.** The winner's best epoch is printed under step 4. How many epochs will the
# > retrain run?

# %%
final = tune.final_evaluation(data, result)
print(final)
print("retrained for", final.history.epochs_run, "epochs on", len(data.train_val().y), "examples")

# %% tags=["check"]
assert data.test_reads == 1 and not final.peeked and final.test_metric > 0.94
assert final.history.epochs_run < result.best_epoch or result.best_epoch < 2

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Bring your arrays with `Data.from_arrays` and your network as a factory
#   `(params, data) -> nn.Module`; the search passes each trial's values, your own names too.
# - Under `tune.search` sits an Optuna objective: suggest values, build, train, report each
#   epoch for the pruner, return the best validation loss. You can write it yourself in about
#   50 lines.
# - Check the winner over a few seeds before trusting its edge.
# - Retrain on train + val for the winner's best number of optimizer steps, then read the test
#   split once.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. How would you tune the hyperparameters of a custom PyTorch model with Optuna?**
#
# <details><summary>Show an answer</summary>
#
# Write an objective that takes a trial, draws each hyperparameter with `trial.suggest_*` (log
# scale for rates and sizes), builds a fresh model from those values, trains it on the training
# split and returns the validation loss at its best epoch. Report the validation loss every epoch
# with `trial.report` and stop when `trial.should_prune()` says so, with a pruner such as
# successive halving or Hyperband. Run it with a seeded TPE sampler and a storage so the study can
# resume; then check the winner over several seeds and read the test set once.
# </details>
#
# **2. What does a pruner need from your training loop, and what can go wrong?**
#
# <details><summary>Show an answer</summary>
#
# An intermediate score after every epoch (or every few hundred steps), reported at increasing
# steps, and a check after each report so a doomed trial stops. The risk is a late bloomer: a
# setting that starts slowly, such as a small learning rate or strong regularization, looks bad
# at the first rung and is cut although it would have won. A larger minimum budget or a gentler
# reduction factor trades speed for fewer of those mistakes.
# </details>
#
# **3. After tuning with early stopping, how many epochs do you train the final model for on
# training plus validation data?**
#
# <details><summary>Show an answer</summary>
#
# There is no validation split left to stop on, so reuse what the search learnt: the winner's
# best epoch. With more data per epoch, the same epoch count means more optimizer steps, so
# either keep the number of steps (epochs times the ratio of training to training-plus-validation
# minibatches) or scale the epochs by the ratio of the dataset sizes. Training for the search's
# full epoch budget instead would overshoot the point where the validation loss was lowest.
# </details>
