# %% [markdown]
# # Exercise 14 · A model factory for your own network
#
# *Goes with `lessons/14_your_own_model.ipynb`.*
#
# A search builds a fresh network for every trial from that trial's values. Write the factory it
# calls, `make_cnn(params, data)`, for image data of any shape: read the input shape and the
# number of classes from `data`, and the number of convolution channels from
# `params["channels"]`. The check calls it on the digits (1 × 8 × 8, ten classes) and on made-up
# 3 × 12 × 12 images of five classes, so numbers written for the digits alone will not pass.

# %%
from sklearn.datasets import load_digits
from torch import nn

import hplab
from hplab import checks, tune

# %%
digits = load_digits()
data = hplab.Data.from_arrays(digits.data.reshape(-1, 1, 8, 8), digits.target, seed=0)
data.input_shape, data.n_outputs

# %% [markdown]
# ## Task 1 · The factory
#
# A 3 × 3 convolution with `params["channels"]` output channels (padding 1 keeps the size), a
# ReLU, a 2 × 2 max-pool, then a linear layer to one output per class. How many numbers reach
# the linear layer, for an input of `c × h × w`?

# %%
def make_cnn(params, data):
    ### BEGIN SOLUTION
    # Hint: c, h, w = data.input_shape; k = params["channels"]; then nn.Sequential(...)
    c, h, w = data.input_shape
    k = params["channels"]
    return nn.Sequential(
        nn.Conv2d(c, k, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(k * (h // 2) * (w // 2), data.n_outputs))
    ### END SOLUTION


checks.model_factory(make_cnn)

# %% [markdown]
# ## Task 2 · Search with it
#
# Give `tune.search` your factory and a space with your own name `channels` (4 to 32, on a log
# scale) and the learning rate (0.001 to 0.1, log scale). Eight trials of up to six epochs, TPE
# with three random trials first, the halving pruner after two epochs.

# %%
### BEGIN SOLUTION
# Hint: space = {"channels": tune.Int(..., log=True), "lr": tune.LogUniform(...)}
space = {"channels": tune.Int(4, 32, log=True), "lr": tune.LogUniform(1e-3, 1e-1)}
result = tune.search(data, space, model=make_cnn, method="tpe", n_startup_trials=3,
                     pruner="halving", min_epochs=2, n_trials=8, epochs=6, seed=0)
### END SOLUTION
print(result.best_params, "validation accuracy", round(result.trials["val_metric"].max(), 3))

# %% [markdown]
# **The search stopped some trials after two epochs. Name one way that can pick the wrong
# winner.**
#
# ### BEGIN SOLUTION
# A trial that starts slowly (a small learning rate, say) looks poor after two epochs and is
# cut, although with all six it might have ended best: pruning trusts early scores to rank
# settings the way the final scores would. A larger minimum budget or a gentler reduction factor
# makes that mistake rarer at a higher cost.
# ### END SOLUTION
