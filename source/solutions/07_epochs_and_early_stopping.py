# %% [markdown]
# # Exercise 07 · Epochs and early stopping, written by hand
#
# *Goes with `lessons/07_epochs_and_early_stopping.ipynb`.*
#
# Too few epochs underfit, too many overfit. Early stopping watches the validation loss, stops
# when it has not improved for `patience` epochs, and puts back the weights of the best epoch.
# You will write it as an `hplab.Callback` and compare it with `hplab.EarlyStopping`.

# %%
import copy
import math

import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt


# %% [markdown]
# ## Task 1 · The callback
#
# `fit` calls `on_train_begin(trainer)` once, `on_epoch_end(trainer, epoch, logs)` after every
# epoch (`logs["val_loss"]` is there) and `on_train_end(trainer)` at the end. Setting
# `trainer.stop = True` ends training; `trainer.model` is the network.

# %%
class MyEarlyStopping(hplab.Callback):
    def __init__(self, patience=5):
        self.patience = patience

    def on_train_begin(self, trainer):
        ### BEGIN SOLUTION
        # Hint: reset what you track, so the callback can be reused
        self.best, self.wait, self.best_state = math.inf, 0, None
        ### END SOLUTION

    def on_epoch_end(self, trainer, epoch, logs):
        ### BEGIN SOLUTION
        # Hint: on improvement keep copy.deepcopy(trainer.model.state_dict()); else count
        if logs["val_loss"] < self.best:
            self.best, self.wait = logs["val_loss"], 0
            self.best_state = copy.deepcopy(trainer.model.state_dict())
        else:
            self.wait += 1
            trainer.stop = self.wait >= self.patience
        ### END SOLUTION

    def on_train_end(self, trainer):
        ### BEGIN SOLUTION
        # Hint: trainer.model.load_state_dict(...)
        if self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
        ### END SOLUTION


# %%
checks.early_stopping_callback(MyEarlyStopping)

# %% [markdown]
# ## Task 2 · Race it against hplab's
#
# An overfitting setup (a big network on 60 examples for up to 80 epochs), trained once with your
# callback and once with `hplab.EarlyStopping`, same patience, same seed.

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0).subset(60, seed=0)


def run(**stopping):
    model = hplab.mlp(2, 2, depth=2, width=32, seed=0)
    return model, hplab.fit(model, data, lr=1e-2, epochs=80, seed=0, **stopping)


mine = run(callbacks=[MyEarlyStopping(patience=5)])
reference = run(early_stopping=hplab.EarlyStopping(patience=5))
full = run()
checks.same_as_reference(mine, reference, data)

# %%
with plots.style():
    fig, ax = plt.subplots()
    ax.plot(full[1].epoch, full[1].val_loss, color="gray", ls="--", label="no stopping (80 epochs)")
    ax.plot(mine[1].epoch, mine[1].val_loss, lw=3, label="with early stopping")
    ax.axvline(reference[1].best_epoch, color="black", ls=":", label="best epoch (weights kept)")
    ax.set(xlabel="epoch", ylabel="validation loss", title="Early stopping ends the run near its best")
    ax.legend();

# %% [markdown]
# **Why restore the best weights instead of keeping the last ones? And what does patience trade?**
#
# ### BEGIN SOLUTION
# When training stops, the last `patience` epochs were all worse than the best one, so the final
# weights are already past the sweet spot; restoring gives the model that scored best on
# validation. Patience trades robustness against cost: too little and a noisy bump stops training
# too early, too much and you spend epochs (and overfit further) before stopping.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** The number of epochs is a hyperparameter you rarely need to tune by hand: set
# > a generous maximum and let early stopping on the validation loss pick the point, keeping the
# > best weights.
