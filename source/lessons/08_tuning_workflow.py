# %% [markdown]
# # 08 · The tuning workflow, end to end
#
# So far you have turned one knob at a time and watched the network react. Real tuning is a
# procedure, and it has six steps:
#
# 1. **Decide what may vary** — the search space.
# 2. **Pick a way to search it** — the method and the budget.
# 3. **Split the data** — training, validation, test.
# 4. **Train and score every candidate** — train on the training split, score on validation.
# 5. **Keep the winner** — the configuration with the best validation score, once you are sure
#    its edge is not a lucky seed.
# 6. **Measure it once** — retrain the winner and score it on the test split, one time only.
#
# You will run all six on the handwritten digits that ship with scikit-learn (8×8 images, ten
# classes). Watch one number throughout: how many times the test split has been read. The
# library counts every read, so a peek cannot go unnoticed.

# %%
import numpy as np

import hplab
from hplab import plots, tune

# %% [markdown]
# ## Step 1 · The search space
#
# A search space says, for each hyperparameter, which values are allowed and how to spread the
# tries over them. The learning rate spans four orders of magnitude, so it is drawn on a **log
# scale**: 0.0001 to 0.001 gets as many tries as 0.1 to 1. Width, too, matters in ratios (16 → 32
# is as big a step as 64 → 128). Depth is a small whole number, the activation a choice.
#
# **Predict:** which of these four will matter most for the final score?

# %%
space = {
    "lr": tune.LogUniform(1e-4, 1.0),        # log scale: every decade gets equal attention
    "width": tune.Int(16, 128, log=True),
    "depth": tune.Int(1, 3),
    "activation": tune.Choice(["relu", "tanh"]),
}
space

# %% [markdown]
# A space is checked as soon as you use it. A range written backwards, a log range that starts at
# zero, or an empty list of choices is refused with a message that says what is wrong:

# %%
try:
    tune.LogUniform(0.0, 1.0)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Step 2 · A method and a budget
#
# Here we use **TPE** (tree-structured Parzen estimator), a Bayesian method: after a few random
# trials it builds a model of which regions scored well and samples more often there. Lesson 09
# races it against grid, random, quasi-random and Hyperband search.
#
# The budget is 12 trials of 10 epochs each — 120 epochs in all, a few seconds on a laptop.
# Everything that is not searched is fixed and shared by all trials (here the batch size).

# %%
budget = dict(method="tpe", n_trials=12, epochs=10, n_startup_trials=5, seed=0)
fixed = {"batch_size": 64}

# %% [markdown]
# ## Step 3 · Split the data
#
# `load_dataset` returns three splits: 60% to train on, 20% to compare configurations (validation),
# 20% sealed for the end (test). The splits are stratified, so every digit appears in each one in
# the same share.

# %%
data = hplab.load_dataset("digits", seed=0)
print(data)
print("reads of the test split so far:", data.test_reads)

# %% [markdown]
# ## Step 4 · Train and score every candidate
#
# Each trial builds a fresh network with the trial's settings, trains it on the training split
# with `hplab.fit`, and reports its validation loss after every epoch. The trial's score is its
# best validation loss. Optuna does the bookkeeping underneath.

# %%
result = tune.search(data, space, fixed=fixed, progress=True, **budget)
result.trials.sort_values("val_loss").head(6)

# %% [markdown]
# The table keeps everything: the settings, the validation loss and accuracy, the epochs used,
# the wall time, and a status — `completed`, or `diverged` when the loss blew up (those trials
# get the untrained network's loss as their score, so they can never win).
#
# The curve below is the best validation loss found *so far* after each trial. Steps down are the
# trials that beat every earlier one; the faint dots are the trials themselves, and a long flat
# stretch means trials that found nothing better.

# %%
ax = result.plot_best_so_far()
ax.set_title("TPE on digits: best validation loss so far");

# %% [markdown]
# ## Step 5 · Keep the winner, and check the space
#
# The winner is chosen **on validation only**. Before trusting it, look at each hyperparameter
# against the score. The gold star is the winner; red crosses along the top are diverged trials.
# If the star sits against the left or right end of a panel, the best value might lie outside the
# range you allowed — the health check below says so in words. A flagged range is worth a second
# search with the range widened (or, for depth, a decision that deeper is not worth its cost).

# %%
print("best settings:", result.best_params)
print(f"best validation loss: {result.best_value:.4f}")
result.plot_axes();

# %%
notes = result.health_check()
print("\n".join(notes) if notes else "No warnings: no best value sits at the edge of its range.")

# %% [markdown]
# **Try it:** change the learning-rate range to `tune.LogUniform(1e-5, 1e-3)` and run steps 1–5
# again. The best learning rate will be pressed against the upper end, and the health check will
# tell you to widen the range.

# %% [markdown]
# ### Is the winner's edge real, or a lucky seed?
#
# Every trial above trained **once**, from one set of starting weights and one order of the
# minibatches (seed 0). Change the seed and the same settings end somewhere else: that is seed
# noise, and it can be as large as the difference between two configurations. Before you call
# one configuration better than another, train each several times with different seeds and
# compare the spread with the gap. `hplab.fit_seeds` trains all the seeds of one configuration
# in a single vectorized run, so eight seeds cost about as much as two or three ordinary runs.
#
# **Predict:** will the runner-up ever beat the winner, seed for seed?

# %%
top2 = result.trials.nsmallest(2, "val_loss")[list(space)].to_dict("records")
seeded = {f"#{rank} {c['activation']}, width {c['width']}, lr {c['lr']:.3g}":
          hplab.fit_seeds(data, seeds=range(8), epochs=10, **fixed, **c)
          for rank, c in enumerate(top2, start=1)}
plots.seed_bands(seeded, title="the two best configurations, 8 seeds each");

# %%
for name, runs in seeded.items():
    best = np.array([h.best_val_loss for h in runs])
    print(f"{name}: best val loss {best.mean():.3f} ± {best.std():.3f} "
          f"(seeds range from {best.min():.3f} to {best.max():.3f})")

# %% [markdown]
# Each thick line is the mean over eight seeds, the band one standard deviation either side, and
# the faint lines the single seeds. Averaged over eight seeds the winner stays ahead by about
# 0.07, roughly four times the standard error of that difference (the spread you would expect
# of the difference of two means of eight runs), so its edge is real. The single runs tell a
# different story: the runner-up's luckiest seed beats the winner's unluckiest. With one run
# each, the order could have come out the other way.
#
# That is why the Google *Deep Learning Tuning Playbook* asks for several seeds before calling a
# difference real: when the gap between two configurations is smaller than the seed-to-seed
# spread, it is noise. In a search, settle the close calls this way: rerun the top few with a
# handful of seeds and compare means against their spread. Every dashboard in this course has a
# *seeds* knob that draws the same band under its loss curve.

# %% [markdown]
# ## Step 6 · Measure it once
#
# Now, and only now, the test split is opened. `final_evaluation` retrains the winner on training
# and validation data together (more data, same settings, same number of epochs) and scores it on
# the test split. The count of test reads goes from 0 to 1.

# %%
final = tune.final_evaluation(data, result)
print(final)
print("reads of the test split:", data.test_reads)

# %% [markdown]
# ## Why only once?
#
# The validation score of the winner is a little optimistic: out of sixteen candidates we kept the
# one that happened to do best on those 360 images. The test score is honest only because it played
# no part in any choice.
#
# See what a peek does. Below, a second copy of the same split scores the top three candidates on
# the test images, and the one with the best *test* score is kept. Every read is counted; from the
# second read on, the report says the number is no longer an unbiased estimate.

# %%
peeked = hplab.load_dataset("digits", seed=0)   # same split, its own read counter
top3 = result.trials.nsmallest(3, "val_loss")[list(space)].to_dict("records")
looks = [tune.final_evaluation(peeked, dict(c, **fixed), epochs=10) for c in top3]
for look in looks:
    print(look)
print("kept:", max(looks, key=lambda f: f.test_metric).config)

# %% [markdown]
# Choosing among candidates by their test score turns the test split into a second validation split;
# its number then shares the same optimism, and nothing is left to give an honest estimate. With
# more candidates, or a smaller test split, the optimism grows.
#
# > **Takeaway.** Tuning is a loop over steps 4 and 5 that only ever looks at validation data.
# > The test split is read once, at the end, for the configuration you have already chosen. If you
# > looked earlier, say so — and get fresh test data if you can.
#
# ### Interview questions
# 1. Walk through a tuning workflow from search space to reported result.
# 2. Why does the learning rate get a log-scale range, but dropout a linear one?
# 3. Why is the winner's validation score an optimistic estimate, and what fixes that?
# 4. You evaluated ten candidates on the test set and reported the best. What went wrong?
# 5. After choosing the hyperparameters, why retrain on training + validation data?
# 6. Configuration B beat A by a little on one run each. Is B better? How would you find out?
