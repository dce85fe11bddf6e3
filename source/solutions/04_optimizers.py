# %% [markdown]
# # Exercise 04 · Compare optimizers by the epochs they need
#
# *Goes with `lessons/04_optimizers.ipynb`.*
#
# "Adam converges faster" is a claim you can measure: count the epochs each optimizer needs to
# reach a target validation accuracy.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt


# %% [markdown]
# ## Task 1 · Count epochs to a target
#
# Write `epochs_to_reach(hist, target)`: the first epoch (counted from 1, as in `hist.epoch`) whose
# validation accuracy is at least `target`, or `None` if it never gets there.

# %%
def epochs_to_reach(hist, target):
    ### BEGIN SOLUTION
    # Hint: loop over zip(hist.epoch, hist.val_metric)
    for epoch, metric in zip(hist.epoch, hist.val_metric):
        if metric >= target:
            return epoch
    return None
    ### END SOLUTION


checks.epochs_to_reach(epochs_to_reach)

# %% [markdown]
# ## Task 2 · Race three optimizers
#
# Same network, same data, same learning rate, three optimizers.

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)
runs = {}
for name in ("sgd", "momentum", "adam"):
    model = hplab.mlp(2, 2, depth=2, width=32, seed=0)
    runs[name] = hplab.fit(model, data, optimizer=name, lr=0.01, epochs=40, seed=0)

with plots.style():
    fig, ax = plt.subplots()
    for name, hist in runs.items():
        ax.plot(hist.epoch, hist.val_metric, label=name)
    ax.axhline(0.9, color="gray", ls=":")
    ax.set(xlabel="epoch", ylabel="validation accuracy", title="lr = 0.01")
    ax.legend();

# %%
### BEGIN SOLUTION
# Hint: ranking = the names sorted by epochs_to_reach(runs[name], 0.9); None (never) goes last
ranking = sorted(runs, key=lambda name: epochs_to_reach(runs[name], 0.9) or 10**9)
### END SOLUTION
print(ranking, {name: epochs_to_reach(runs[name], 0.9) for name in runs})
checks.optimizer_ranking(ranking, runs, 0.9)

# %% [markdown]
# **Why does the order come out this way? Answer in two sentences.**
#
# ### BEGIN SOLUTION
# Plain SGD takes steps proportional to the gradient, so at a small rate it crawls. Momentum keeps
# a running average of past gradients, which builds up speed along consistent directions (with
# beta 0.9, up to ten times the plain step: lr / (1 - beta)). Adam
# also divides each weight's step by a running size of its gradients, so every weight moves at a
# sensible pace even when gradients are small: at the same rate it goes furthest.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Optimizers differ in how they turn gradients into steps. Adam is a strong
# > default; SGD with momentum, well tuned, is a classic alternative. The best learning rate
# > differs between optimizers, so compare each at a rate that suits it before crowning a winner.
