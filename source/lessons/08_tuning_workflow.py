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
# The budget is 12 trials of 10 epochs each — at most 120 epochs in all (a trial that blows up
# stops early), a few seconds on a laptop.
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
# stretch means trials that found nothing better. Trials are numbered as Optuna numbers them,
# from 0, in the table and on the plot alike (the course does so everywhere).

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
print(f"{len(result.trials)} candidates tried; best settings:", result.best_params)
print(f"best validation loss: {result.best_value:.4f}")
result.plot_axes();

# %%
notes = result.health_check()
print("\n".join(notes) if notes else "No warnings: no best value sits at the edge of its range.")

# %% [markdown]
# **Try it:** change the learning-rate range to `tune.LogUniform(1e-5, 1e-3)` and run steps 1–5
# again. **Predict** first: where in its range will the best learning rate sit, and what will the
# health check say?

# %% [markdown]
# ### Is the winner's edge real, or a lucky seed?
#
# Every trial above trained **once**, from one set of starting weights and one order of the
# minibatches (seed 0). Change the seed and the same settings end somewhere else: that is seed
# noise, and it can be as large as the difference between two configurations. Before you call
# one configuration better than another, train each several times with different seeds and
# compare the spread with the gap. `tune.compare_seeds` trains each configuration once per seed
# (with `hplab.fit_seeds`, all the seeds of one configuration in a single vectorized run, so
# eight seeds cost about as much as two or three ordinary runs).
#
# **Predict:** will the runner-up ever beat the winner, seed for seed?

# %%
top2 = tune.top_configs(result, 2)   # the two best trials, with the fixed batch size
seeded = tune.compare_seeds(data, top2, seeds=range(8), epochs=10)
plots.seed_bands(seeded.histories, title="the two best configurations, 8 seeds each");

# %%
print(seeded)

# %% tags=["check"]
assert seeded.gap > 0.04 and seeded.z > 3  # the winner stays ahead, by several standard errors
assert seeded.overlap  # ...yet the runner-up's luckiest seed beats the winner's unluckiest
assert seeded.scores[1][0] > seeded.scores[0][0]  # seed 0, the search's seed, ranked them right

# %% [markdown]
# Each thick line is the mean over eight seeds, the band one standard deviation either side, and
# the faint lines the single seeds. Averaged over eight seeds the winner stays ahead by the gap
# printed last, about 0.07, which is roughly four standard errors (the spread you would expect of
# the difference of two means of eight runs): its edge is real. Retrained with five other sets
# of eight seeds, it stays ahead by more than three standard errors in every one. The single runs
# tell a different story: here the runner-up's luckiest seed beats the winner's unluckiest. With
# one run each, the order could have come out the other way.
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
# and validation data together (more data, same settings, and as many optimizer steps as the
# winner took to its best epoch, since no validation data is left to stop on) and scores it on
# the test split. The count of test reads goes from 0 to 1.

# %%
final = tune.final_evaluation(data, result)
print(final)
print("reads of the test split:", data.test_reads)

# %% tags=["check"]
assert len(result.trials) == budget["n_trials"] == 12  # "out of the twelve candidates"
assert result.epochs_spent <= 120 and result.epochs_spent == result.trials["epochs"].sum()
assert data.test_reads == 1 and not final.peeked

# %% [markdown]
# ## Why only once?
#
# The validation score of the winner is a little optimistic: out of the twelve candidates printed
# in step 5 we kept the one that happened to do best on those 360 validation images. The test
# score is honest only because it played no part in any choice.
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

# %% tags=["check"]
assert [look.test_reads for look in looks] == [1, 2, 3]
assert not looks[0].peeked and looks[1].peeked and looks[2].peeked

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
#
# **1. Walk through a tuning workflow from search space to reported result.**
#
# <details><summary>Show an answer</summary>
#
# Define the space (log ranges for rates), pick a method and a budget, split the data, train each
# candidate on training data and rank it on validation, confirm the winner's edge with a few
# seeds, then retrain it on training + validation and score it once on the test split. Each step
# exists so that the final number is chosen on one split and measured on another that played no
# part in any choice.
# </details>
#
# **2. Why does the learning rate get a log-scale range, but dropout a linear one?**
#
# <details><summary>Show an answer</summary>
#
# The learning rate acts by ratios: going from 1e-4 to 1e-3 changes training as much as 1e-2 to
# 1e-1, so a log scale gives each decade the same number of tries; drawn linearly, 90 % of them
# would land in the top decade. Dropout is a share between 0 and about 0.5 whose effect changes
# evenly with its value, so equal steps on a linear scale are equally informative.
# </details>
#
# **3. Why is the winner's validation score an optimistic estimate, and what fixes that?**
#
# <details><summary>Show an answer</summary>
#
# Picking the best of many candidates on one validation set also picks the one whose noise
# happened to favour it, so its score is biased low (for a loss); the more candidates, the larger
# the bias. A test split that played no part in the choice, read once at the end, gives an
# unbiased estimate.
# </details>
#
# **4. You evaluated ten candidates on the test set and reported the best. What went wrong?**
#
# <details><summary>Show an answer</summary>
#
# Choosing by test score made the test split a second validation split, so the reported number
# carries the same selection optimism and nothing unbiased is left. Choose on validation only,
# report the test score of that one choice, and if the test set was already used, say so and get
# fresh data.
# </details>
#
# **5. After choosing the hyperparameters, why retrain on training + validation data?**
#
# <details><summary>Show an answer</summary>
#
# The validation split has done its job of choosing, and a network usually generalizes better
# with more data, so the final model learns from both. Keep the chosen settings, including the
# number of epochs, since there is no validation split left to stop on.
# </details>
#
# **6. Configuration B beat A by a little on one run each. Is B better? How would you find out?**
#
# <details><summary>Show an answer</summary>
#
# Not necessarily: the seed (initial weights, minibatch order) moves a score by about as much as
# a small gap, so one run each cannot separate them. Train both with several seeds and compare
# the gap of the means with its standard error; a gap of two or more standard errors, as in this
# lesson, is unlikely to be seed noise.
# </details>
