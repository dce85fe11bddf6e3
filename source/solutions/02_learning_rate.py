# %% [markdown]
# # Exercise 02a · The learning rate: predict, then verify
#
# *Goes with `lessons/02_learning_rate.ipynb`.*
#
# The learning rate is the size of each step down the loss. In this exercise you change nothing
# but that number, and you **write down what you expect before you look**: a prediction you got
# wrong teaches more than one you never made.
#
# Each task ends with a check from `hplab.checks` that tells you what is right, what is not yet,
# and gives a hint.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)
rates = [1e-4, 1e-2, 1.0]  # SGD with momentum, 30 epochs each

# %% [markdown]
# ## Task 1 · Predict
#
# For each rate, say which diagnosis you expect: `slow`, `good`, `unstable` or `diverged`
# (the labels `hplab.diagnose` uses). Think of a ball rolling into a valley with steps of that size.

# %%
### BEGIN SOLUTION
# Hint: predictions = {1e-4: "...", 1e-2: "...", 1.0: "..."}
predictions = {1e-4: "slow", 1e-2: "good", 1.0: "diverged"}
### END SOLUTION

# %% [markdown]
# ## Task 2 · Verify
#
# Write `train(lr)`: a fresh network (`depth=2, width=32, seed=0`) trained with
# `optimizer="momentum"` for 30 epochs at rate `lr`. A fresh network each time, so the rate is the only
# difference between the runs.
#
# The check after the plot looks at the runs first: if they show a problem in `train()` (one network
# trained again and again, a rate that was not passed on), it names that before it compares your
# predictions.

# %%
def train(lr):
    ### BEGIN SOLUTION
    # Hint: hplab.mlp(data.n_features, data.n_outputs, ...) then hplab.fit(model, data, ...)
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    return hplab.fit(model, data, optimizer="momentum", lr=lr, epochs=30, seed=0)
    ### END SOLUTION


runs = {lr: train(lr) for lr in rates}

# %%
with plots.style():
    fig, ax = plt.subplots()
    for lr, hist in runs.items():
        ax.plot(hist.epoch, hist.train_loss, marker=".", label=f"lr={lr:g} ({hist.status})")
    ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Same network, three rates")
    ax.legend();

# %%
checks.learning_rate_predictions(predictions, runs)

# %% [markdown]
# ## Task 3 · Pick a rate
#
# Write `pick_rate(runs)`: it returns the rate you would keep. Choose by the number that measures what we care
# about: how well the model does on data it did not train on. The check tries your rule on your
# runs, and on runs of its own where the lowest training loss and the lowest validation loss
# belong to different rates.

# %%
def pick_rate(runs):
    ### BEGIN SOLUTION
    # Hint: return the key of runs whose History has the smallest best_val_loss
    return min(runs, key=lambda lr: runs[lr].best_val_loss)
    ### END SOLUTION


checks.best_learning_rate(pick_rate, runs)

# %% [markdown]
# > **Takeaway.** Too small a rate wastes epochs: the loss is still falling when time runs out. Too
# > large a rate overshoots the valley, so the loss jumps around or blows up. Between the two
# > there is a range of good rates, often a decade wide; exercise 02b finds it quickly with a
# > range test.
