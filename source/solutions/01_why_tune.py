# %% [markdown]
# # Exercise 01 · Diagnose six runs from their curves alone
#
# *Goes with `lessons/01_why_tune.ipynb`.*
#
# An interviewer shows you two loss curves and asks what went wrong. Practise on six small
# networks that went six different ways.

# %%
import hplab
from hplab import checks, plots

# %% [markdown]
# ## Task · Six mystery runs
#
# `checks.mystery_runs` trains six small networks, one of each kind. Look at the curves and name
# each one: `diverged`, `unstable`, `slow`, `underfitting`, `overfitting` or `good`.
# (No peeking with `hplab.diagnose` until you have written your answers!)

# %%
runs = checks.mystery_runs(seed=0)
with plots.style():   # the course's figure style: wide, large text, colour-blind-safe
    fig, axes = plots.grid(6, ncols=3)
    for ax, (name, hist) in zip(axes, runs.items()):
        ax.plot(hist.epoch, hist.train_loss, marker=".", label="train")
        ax.plot(hist.epoch, hist.val_loss, marker=".", label="validation")
        ax.set_title(f"run {name}: train acc {hist.train_metric[-1]:.2f}")
        ax.set(xlabel="epoch", ylabel="loss")
    axes[0].legend()

# %%
### BEGIN SOLUTION
# Hint: answers = {"A": "...", "B": "...", ..., "F": "..."}
answers = {"A": "underfitting", "B": "slow", "C": "good", "D": "overfitting",
           "E": "diverged", "F": "unstable"}
### END SOLUTION
checks.mystery_diagnoses(answers, runs)

# %% [markdown]
# **For one of the runs, say in an interview sentence what you would change next, and why.**
#
# ### BEGIN SOLUTION
# Run D overfits: the validation loss bottomed out early and then climbed while the training loss
# went to zero, so the model memorized its small training set. I would stop at the best
# validation epoch with early stopping, then try a smaller network or weight decay, and compare
# the validation scores.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Read the training curve first (does it fall, crawl, jump or explode?), then the
# > gap between training and validation. Underfitting: both high and close. Overfitting: training
# > keeps improving while validation turns up.
