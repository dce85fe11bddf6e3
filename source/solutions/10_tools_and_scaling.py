# %% [markdown]
# # Exercise 10 · With Optuna: a search space for a fixed budget, then beat a target
#
# *Goes with `lessons/10_tools_and_scaling.ipynb`.*
#
# With 15 trials you cannot tune everything. A good space tunes the few knobs that matter, on the
# right scale, over ranges that contain the good values without wasting trials on hopeless ones.

# %%
import hplab
from hplab import checks
import optuna

# %% [markdown]
# ## Task 1 · Design the space
#
# Write `suggest(trial)`: ask the Optuna trial for each hyperparameter you want to tune
# (`trial.suggest_float`, `trial.suggest_int`, `trial.suggest_categorical`) and return them in a
# dict. Your budget is 15 trials.

# %%
BUDGET = 15


def suggest(trial):
    ### BEGIN SOLUTION
    # Hint: the learning rate on a log scale first; then one or two knobs at most
    return {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
            "width": trial.suggest_categorical("width", [16, 32, 64]),
            "depth": trial.suggest_int("depth", 1, 3)}
    ### END SOLUTION


checks.search_space(suggest, budget=BUDGET)

# %% [markdown]
# ## Task 2 · Beat 0.95 validation accuracy on the spirals within 15 trials
#
# The objective trains on the two-spirals data and returns the best validation accuracy. Optuna's
# TPE sampler learns from earlier trials which region of your space to try next.

# %%
data = hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)


def objective(trial):
    p = suggest(trial)
    model = hplab.mlp(2, 2, depth=p.get("depth", 2), width=p.get("width", 32), seed=0)
    hist = hplab.fit(model, data, lr=p["lr"], epochs=20, seed=0)
    return max(hist.val_metric)


# %%
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=BUDGET)
checks.beat_target(study, target=0.95, n_trials=BUDGET)

# %%
study.trials_dataframe(attrs=("number", "value", "params")).sort_values("value").tail(5)

# %% [markdown]
# > **Takeaway.** Scale-type knobs (learning rate, weight decay) belong on a log scale; few knobs
# > beat many for a small budget; a range should bracket the usual good values. Then a smart
# > sampler spends the trials where they pay off.
