# %% [markdown]
# # Exercise 05 · Batch size: updates per epoch and noisy steps
#
# *Goes with `lessons/05_batch_size.ipynb`.*
#
# The batch size decides how many examples each update looks at. Small batches give many cheap,
# noisy updates per epoch; large batches give few, smooth ones.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt
import numpy as np


# %% [markdown]
# ## Task 1 · How many updates in one epoch?
#
# Write `updates_per_epoch(n, batch_size)` for a training set of `n` examples.

# %%
def updates_per_epoch(n, batch_size):
    ### BEGIN SOLUTION
    # Hint: the last batch may be smaller, and it still counts
    return -(-n // batch_size)  # ceiling division
    ### END SOLUTION


checks.updates_per_epoch(updates_per_epoch)

# %% [markdown]
# ## Task 2 · Measure the noise
#
# Train the same network with three batch sizes. Then write `batch_noise(hist)`: the standard
# deviation of the minibatch losses **within the last epoch** (`hist.batch_loss` holds every
# minibatch loss, in order).

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)
runs = {}
for b in (8, 32, 120):
    model = hplab.mlp(2, 2, depth=2, width=32, seed=0)
    runs[b] = hplab.fit(model, data, lr=0.01, batch_size=b, epochs=15, seed=0)
{b: (updates_per_epoch(data.n_train, b), round(h.val_metric[-1], 3)) for b, h in runs.items()}


# %%
def batch_noise(hist):
    ### BEGIN SOLUTION
    # Hint: the last epoch is the last hist.steps_per_epoch entries of hist.batch_loss
    return float(np.std(hist.batch_loss[-hist.steps_per_epoch:]))
    ### END SOLUTION


print({b: round(batch_noise(h), 3) for b, h in runs.items()})
checks.batch_noise(batch_noise, runs)

# %%
with plots.style():
    fig, ax = plt.subplots()
    for b, hist in runs.items():
        x = np.linspace(0, hist.epochs_run, len(hist.batch_loss))  # updates, on an epoch scale
        ax.plot(x, hist.batch_loss, label=f"batch {b}", lw=1)
    ax.set(xlabel="epoch", ylabel="minibatch loss", title="Small batches: more, noisier steps")
    ax.legend();

# %% [markdown]
# **With the same number of epochs, which batch size made the most progress, and why? What would
# change if each run had the same number of updates instead?**
#
# ### BEGIN SOLUTION
# With equal epochs the small batch did 30 updates per epoch against 2 for batches of 120, so
# it went further: each epoch costs the same data, but small batches turn it into more steps.
# With an equal number of updates the large batch would win per step, since its gradient is less
# noisy, but each of its steps costs many more examples. Larger batches also usually allow (and
# need) a larger learning rate.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Batch size trades the number of updates against the noise in each one. Small
# > batches are noisy but take many steps per epoch (and the noise can help escape poor regions);
# > large batches are smooth, use hardware well, and often need a larger learning rate.
