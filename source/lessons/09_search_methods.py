# %% [markdown]
# # 09 · Search methods, raced
#
# Six ways to spend a tuning budget, on the same problem and the same budget:
#
# | method | how it picks the next configuration |
# |---|---|
# | manual | you write down what to try, from experience |
# | grid | every combination of a few values per hyperparameter |
# | random | independent random draws from the ranges |
# | quasi-random (QMC) | a Sobol sequence: spread like random, but with no clumps or holes |
# | Bayesian (TPE, GP) | a model of "where did good scores come from?" proposes the next try |
# | Hyperband | random configurations, but poor ones are stopped after a few epochs |
#
# One search with one seed is an anecdote: a lucky draw can make any method look good. So each
# method runs with several seeds, and we look at the middle of the results *and* their spread.

# %%
import matplotlib.pyplot as plt

import hplab
from hplab import tune, widgets

# %% [markdown]
# ## The racetrack: a lookup table
#
# Racing six methods over many seeds would mean training thousands of networks. Instead, every
# configuration of a small grid was trained **once, in advance**, and its validation loss after
# each epoch was stored. A "trial" in this lesson looks its curve up in that table instead of
# training: the numbers are real `hplab.fit` results, they just arrive instantly.
#
# The table was made by `tools/make_race_table.py`: handwritten digits, Adam, batch size 64,
# 20 epochs, every combination of 13 learning rates (1e-4 to 1, a third of a decade apart),
# depth 1–3, width 16–128 and ReLU or tanh — 312 networks. Values between the stored ones snap to
# the nearest stored value.

# %%
table = tune.load_race_table()
print(table)
print(table.settings)

# %% [markdown]
# **Predict:** which of the four hyperparameters decides most of the score?
#
# Each panel below shows the best loss reachable at each value of one hyperparameter, with the
# other three at their best.

# %%
table.plot_profiles();

# %% [markdown]
# The learning rate moves the loss by a factor of ten; depth, width and activation move it by a
# few percent. That imbalance is common, and it is exactly what grid search handles badly.
#
# ## Grid against random when one hyperparameter matters
#
# Nine trials over learning rate × depth (width and activation fixed). A 3 × 3 grid tries only
# **three** learning rates, each three times, with depth — which barely matters — taking the other
# two factors. Nine random trials each draw a fresh learning rate (on this table they snap to the 13 stored
# ones, so a few may coincide). This is the argument of
# Bergstra & Bengio (2012), *Random Search for Hyper-Parameter Optimization*.

# %%
duel_space = {"lr": tune.LogUniform(1e-4, 1.0), "depth": tune.Int(1, 3)}
duel = tune.race(table, duel_space, methods=("grid", "random"), seeds=range(10), n_trials=9,
                 epochs=20, fixed={"width": 64, "activation": "relu"})
duel.summary()[["median_best_val_loss", "worst_seed", "best_seed", "trials"]]

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
for ax, method in zip(axes, ("grid", "random")):
    tune.plot_axes(duel.results[method][0], names=["lr"], axes=[ax])
    ax.set_title(f"{method}: {duel.results[method][0].trials['lr'].nunique()} learning rates")

# %% [markdown]
# The grid's nine dots stand in three columns: it spent six of its nine trials re-testing learning
# rates it had already tried, varying only depth. Random search spreads the same nine trials over
# twice as many learning rates or more, and some land near the best one.
#
# ## The budget calculator
#
# A grid with *k* values on each of *d* hyperparameters costs *k*<sup>*d*</sup> trials — it grows
# exponentially with every hyperparameter you add:

# %%
tune.budget_table(points_per_axis=(2, 3, 5, 10), n_hyperparameters=range(1, 7))

# %% [markdown]
# Random search has a budget rule that does not depend on *d* at all. Each random trial has a 5%
# chance to land in the best 5% of the space, so *n* trials miss it every time with chance
# 0.95<sup>*n*</sup>, and at least one hits with chance **1 − 0.95<sup>*n*</sup>**.

# %%
for n in (10, 20, 30, 60, 100):
    print(f"{n:>3} random trials: {tune.random_hit_chance(n, top=0.05):.0%} chance to hit the top 5%")
print("trials for a 95% chance:", tune.trials_needed(chance=0.95, top=0.05))

# %% [markdown]
# Sixty trials give a 95% chance whatever the number of hyperparameters — where a grid of just three
# values on each of six hyperparameters would need 729. Try your own numbers:

# %%
widgets.BudgetCalculator(points_per_axis=3, n_hyperparameters=4, n_trials=30)

# %% [markdown]
# **Predict, then try:** add one hyperparameter. What happens to the grid's cost, and to the
# number of random trials you need? Then make "good" stricter (top share 1%).
#
# ## The full race
#
# Now all four hyperparameters, the same budget for everyone: **400 epochs** (twenty networks
# trained to 20 epochs). Hyperband gets the same 400 epochs but spends them differently: it starts
# many configurations and gives more epochs only to the promising ones. The manual entrant is a
# list a practitioner might write down from habit.

# %%
by_hand = [dict(lr=1e-3, depth=2, width=32, activation="relu"),   # Adam's default rate
           dict(lr=1e-2, depth=2, width=32, activation="relu"),
           dict(lr=1e-1, depth=2, width=32, activation="relu"),
           dict(lr=1e-3, depth=3, width=64, activation="relu"),
           dict(lr=1e-2, depth=2, width=64, activation="tanh")]
race = tune.race(table, table.space(), methods=("manual", "grid", "random", "qmc", "tpe", "hyperband"),
                 seeds=range(6), epochs=20, epoch_budget=400, configs=by_hand, n_startup_trials=8)
race.summary().round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
race.plot(x="trials", ax=axes[0]).set(xlim=(0, 40), title="against trials")
race.plot(x="epochs", ax=axes[1]).set(title="against epochs spent (the real cost)")
axes[0].set_ylim(0.12, 0.3);

# %% [markdown]
# How to read it: each line is the median over six seeds of the best loss found so far; the shaded
# band spans the middle half of the seeds. Lower is better; a narrow band means the method is
# reliable, not just lucky once. The y axis is zoomed onto the good end: every method leaves the
# poor first guesses (loss above 0.3) behind within a few trials.
#
# Things to look for:
#
# * **Manual** stops early: five guesses, then nothing more to try. Habit got within reach
#   (0.156), but not to the best the table holds (0.128).
# * **Grid** cannot finish a 54-point grid in 20 trials, so it sees a thin, patterned slice. Here
#   one of its lines happens to run through one of the table's four best configurations (learning
#   rate 1e-2, one layer of 128 tanh units), and in most seeds it gets there before the budget
#   runs out. That is luck of alignment, not design: the good region is narrow along the learning
#   rate, and a grid shifted by a fraction of a decade would step over it.
# * **Random** and **QMC** cover the space evenly. The four configurations below 0.135 are 1.3%
#   of the table, so twenty random trials find one only about a quarter of the time
#   (1 − 0.987<sup>20</sup> ≈ 0.23); the median seed settles on the next tier, near 0.147. QMC's
#   even spread often helps a little on small budgets — that is why the Google *Deep Learning
#   Tuning Playbook* prefers quasi-random search for the exploration phase.
# * **TPE** starts like random (its first 8 trials are random) and then concentrates near the
#   good learning rates; twelve guided trials are few, and its median ends level with random's.
# * **Hyperband** looks similar per *trial*, but it runs three times as many trials for the same
#   epochs: poor learning rates show themselves within an epoch or two.
#
# Your exact ranking can shift with the seeds; that is the point of showing the band.
#
# ## Gaussian-process Bayesian optimization
#
# Optuna's `GPSampler` fits a Gaussian process to the scores so far and picks the point with the
# best expected improvement. It is often the most sample-efficient method — but the thinking
# between trials costs time. Compare the wall time of a short run with TPE's:

# %%
import time
for method in ("tpe", "gp"):
    start = time.perf_counter()
    res = tune.search(table, table.space(), method=method, n_trials=8, epochs=20,
                      n_startup_trials=4, seed=0)
    print(f"{method}: best loss {res.best_value:.3f} in 8 trials, "
          f"{time.perf_counter() - start:.1f} s of search overhead")

# %% [markdown]
# Here a trial costs nothing (a lookup), so the GP's second or so per trial dominates. When one
# trial means an hour of GPU time, that second is free and a GP's care pays off; when trials are
# seconds, TPE, QMC or random search give more tries for the same wall time.
#
# > **Takeaway.** Compare search methods on the same budget, over several seeds, and look at the
# > spread. Grid search wastes trials whenever some hyperparameters barely matter; random and
# > quasi-random search do not, and their chance of a good result depends on the number of trials,
# > not on the number of hyperparameters. Bayesian methods learn where to look; Hyperband saves
# > epochs by stopping poor trials early.
#
# ### Interview questions
# 1. Why does random search usually beat grid search for the same number of trials?
# 2. How many random trials give a 95% chance of landing in the top 5% of configurations? Why?
# 3. What does a Bayesian optimizer model, and what does it trade for sample efficiency?
# 4. How does Hyperband decide which trials to stop, and what does it assume about learning curves?
# 5. Why should a comparison of tuning methods use several seeds?
