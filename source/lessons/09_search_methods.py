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
# method runs with many seeds, and we look at every seed's result, not just one.

# %%
import matplotlib.pyplot as plt
import numpy as np

from hplab import plots, tune, widgets

# %% [markdown]
# ## The racetrack: a lookup table
#
# Racing six methods over many seeds would mean training thousands of networks. Instead, every
# configuration of a fine grid was trained **once, in advance**, and its validation loss after
# each epoch was stored. A "trial" in this lesson looks its curve up in that table instead of
# training: the numbers are real `hplab.fit` results, they just arrive instantly.
#
# The table was made by `tools/make_race_table.py`: handwritten digits, Adam, batch size 64,
# 20 epochs, every combination of 61 learning rates (1e-5 to 1, twelve per decade), depth 1–3,
# width 16–128 and ReLU or tanh — 1,464 networks. A search may ask for *any* learning rate in the
# range: the table reads each epoch's loss between the two nearest trained rates (a straight line
# in log learning rate, so the answer always lies between its two neighbours). Depth, width and
# activation snap to the trained values.

# %%
table = tune.load_race_table()
print(table)
print(table.settings)

# %% [markdown]
# **Predict:** which of the four hyperparameters decides most of the score?
#
# Each panel below shows the best loss reachable at each value of one hyperparameter, with the
# other three at their best (dots: trained values). The table under it divides each knob's worst
# value by its best.

# %%
table.plot_profiles()
plt.show()
table.spread().round(2)

# %% [markdown]
# The learning rate moves the best loss more than tenfold. Width, depth and activation move it
# by a third or less: width the most, activation hardly at all. One knob that matters a lot and
# several that matter little is common — and it is exactly what grid search handles badly.

# %% tags=["check"]
spread = table.spread()
assert spread["lr"] > 10 and spread.drop("lr").max() < 1.34
assert spread["width"] > spread["depth"] > spread["activation"]

# %% [markdown]
# ## Grid against random when one hyperparameter matters
#
# Here is a space a practitioner might write down: the learning rate log-uniform from 1e-5 to
# 1e-1 (the range Optuna's own examples use for Adam), depth 1–3, ReLU or tanh, width fixed at
# 64. A grid of three values per range costs 3 × 3 × 2 = **18 trials**; random search gets the
# same 18. Each method searches with 40 seeds.
#
# **Predict:** which method ends with the lower validation loss, and on how many seeds?

# %%
space = table.space(("lr", "depth", "activation"), lr=(1e-5, 1e-1))
print(space)
print("the grid's values:", tune.grid_of(space))
duel = tune.race(table, space, methods=("grid", "random"), seeds=range(40), n_trials=18,
                 epochs=20, fixed={"width": 64})
print(f"random search ends lower than the grid on {duel.wins('random', 'grid'):.0%} of 40 seeds")
duel.summary()[["median_best_val_loss", "worst_seed", "best_seed", "trials"]].round(3)

# %%
ax = duel.plot_seeds()
ax.set_title(f"random search ends lower than the grid on {duel.wins('random', 'grid'):.0%} "
             "of 40 seeds")
plt.show()

# %% [markdown]
# Each dot is one search's best validation loss. The grid is a fixed design: every seed runs the
# same 18 configurations, so its 40 dots sit on one line. Random search's dots spread out — and
# most of them sit below the grid's line.
#
# **Why random wins:** the grid spends its 18 trials on only **three** learning rates — 1e-5,
# 1e-3 and 1e-1 — six times each, varying depth and activation, which barely matter. Where are
# the good learning rates for width 64?

# %%
lr_profile = table.profile("lr", fixed={"width": 64})
good = lr_profile[lr_profile < 1.1 * lr_profile.min()].index
print(f"within 10% of the best loss: lr from {min(good):.1e} to {max(good):.1e}")
print(f"the grid's best rate, 1e-3, at its best: {lr_profile[1e-3] / lr_profile.min() - 1:.0%} worse")

# %% [markdown]
# No grid point lands in that band. Random search tries **18 different** learning rates. The
# band spans about a fifth of the range's four decades, so each random trial lands in it with
# chance about 1 in 5, and all 18 miss it with chance about 0.8<sup>18</sup> ≈ 2%. A grid with *k* values per knob tests only *k* values of the one knob
# that matters; *n* random trials test *n*. This is the argument of Bergstra & Bengio (2012),
# *Random Search for Hyper-Parameter Optimization*.

# %% tags=["check"]
grid_best, random_best = duel.final("grid"), duel.final("random")
assert np.median(random_best) < 0.95 * np.median(grid_best)  # random's median is lower, by 5%+
assert duel.wins("random", "grid") > 0.75 and np.ptp(grid_best) == 0  # most seeds; one grid
assert 1e-3 < min(good) and max(good) < 1e-1 and 0.15 < np.log10(max(good) / min(good)) / 4 < 0.25

# %% [markdown]
# One seed of each, trial by trial — the learning rates each method tried:

# %%
fig, axes = plots.grid(2, ncols=2)
for ax, method in zip(axes, ("grid", "random")):
    tune.plot_axes(duel.results[method][0], names=["lr"], axes=[ax])
    ax.set_title(f"{method}: {duel.results[method][0].trials['lr'].nunique()} learning rates")

# %% [markdown]
# The grid's dots stand in three columns; random search's are spread over the whole range.
#
# ## A grid rides on where its values fall
#
# Would the grid have won with a different range? Move the bottom of the learning-rate range up
# a decade, to 1e-4: the grid's middle value becomes 3e-3, inside the good band.

# %%
shifted = table.space(("lr", "depth", "activation"), lr=(1e-4, 1e-1))
print("the grid's learning rates:", [f"{lr:.2g}" for lr in tune.grid_of(shifted)["lr"]])
moved = tune.race(table, shifted, methods=("grid", "random"), seeds=range(40), n_trials=18,
                  epochs=20, fixed={"width": 64})
print(f"random search ends lower than the grid on {moved.wins('random', 'grid'):.0%} of 40 seeds")
for name, r in (("1e-5 to 1e-1", duel), ("1e-4 to 1e-1", moved)):
    print(f"lr from {name}: grid {np.median(r.final('grid')):.3f}, "
          f"random (median) {np.median(r.final('random')):.3f}")

# %% [markdown]
# Now the grid is lucky, and it wins. Look at what moved: random search's median hardly changed
# with the range, while the grid's result jumped. A grid bets that one of its few values lands
# in the good band, and you cannot know in advance whether it will; random search's chances
# depend on how many trials you run, not on where grid lines happen to fall.

# %% tags=["check"]
grid_move = abs(np.median(moved.final("grid")) - np.median(duel.final("grid")))
random_move = abs(np.median(moved.final("random")) - np.median(duel.final("random")))
assert moved.wins("grid", "random") > 0.5 and grid_move > 3 * random_move

# %% [markdown]
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
# Now all four hyperparameters (width too, 16–128), the same ranges otherwise, and the same
# budget for everyone: **400 epochs** (twenty networks trained to 20 epochs), ten seeds per
# method. Hyperband gets the same 400 epochs but spends them differently: it starts many
# configurations and gives more epochs only to the promising ones. The manual entrant is a list
# a practitioner might write down from habit.

# %%
by_hand = [dict(lr=1e-3, depth=2, width=32, activation="relu"),   # Adam's default rate
           dict(lr=1e-2, depth=2, width=32, activation="relu"),
           dict(lr=1e-1, depth=2, width=32, activation="relu"),
           dict(lr=1e-3, depth=3, width=64, activation="relu"),
           dict(lr=1e-2, depth=2, width=64, activation="tanh")]
full = table.space(lr=(1e-5, 1e-1))
race = tune.race(table, full, methods=("manual", "grid", "random", "qmc", "tpe", "hyperband"),
                 seeds=range(10), epochs=20, epoch_budget=400, configs=by_hand, n_startup_trials=8)
print("the best the table holds:", round(table.best(epochs=20)[1], 3))
race.summary().round(3)

# %%
fig, axes = plots.grid(2, ncols=2)
race.plot(x="epochs", ax=axes[0]).set(ylim=(0.12, 0.3), title="median best-so-far, by epochs spent")
race.plot_seeds(ax=axes[1]);

# %% [markdown]
# How to read it: on the left, each line is the median over ten seeds of the best loss found so
# far, against the epochs spent (the real cost); the shaded band spans the middle half of the
# seeds. On the right, every seed's final result. Lower is better; a tight column of dots means
# the method is reliable, not just lucky once.
#
# Things to look for:
#
# * **Manual** stops early: five guesses, then nothing more to try. Habit got within reach, but
#   not to the best the table holds (both printed above).
# * **Grid, random and QMC** end close together, and their order changes from one set of seeds
#   to the next. With width in the race the grid wastes less than in the duel: width moves the
#   loss by about a third, so the grid's repeats over it are not thrown away, while random
#   search spends some of its twenty draws on thin or deep ReLU networks.
# * **TPE** starts like random (its first 8 trials are random) and then samples more often near
#   the configurations that scored well: its median ends below random search's.
# * **Hyperband** runs about three times as many trials for the same epochs, because poor
#   learning rates show themselves within an epoch or two; it ends below random search on most
#   seeds.
#
# QMC is not here to win on median. The Google *Deep Learning Tuning Playbook* prefers
# quasi-random search for the exploration phase, when the goal is to understand the problem:
# it is non-adaptive — no trial depends on another's result — so you can change what "best"
# means afterwards (the final validation loss instead of the best, say) without rerunning
# anything; it behaves the same way from one software version to the next; and its even
# coverage makes the results easy to reason about. Bayesian methods suit the later exploitation
# phase, when the goal is simply the best score.

# %% tags=["check"]
median = race.summary()["median_best_val_loss"]
assert median["tpe"] < median["random"] - 0.002 and race.wins("hyperband", "random") > 0.55
assert median["manual"] > 1.1 * table.best(epochs=20)[1]
assert median[["grid", "random", "qmc"]].max() - median[["grid", "random", "qmc"]].min() < 0.01
assert race.summary().loc["hyperband", "trials"] > 2 * race.summary().loc["random", "trials"]

# %% [markdown]
# ## Gaussian-process Bayesian optimization
#
# Optuna's `GPSampler` fits a Gaussian process to the scores so far and picks the point with the
# best expected improvement. It is often the most sample-efficient method — but the thinking
# between trials costs time. Compare the wall time of a short run with TPE's:

# %%
import time
for method in ("tpe", "gp"):
    start = time.perf_counter()
    res = tune.search(table, full, method=method, n_trials=8, epochs=20,
                      n_startup_trials=4, seed=0)
    print(f"{method}: best loss {res.best_value:.3f} in 8 trials, "
          f"{time.perf_counter() - start:.1f} s of search overhead")

# %% [markdown]
# Here a trial costs nothing (a lookup), so the time printed is the samplers' own thinking: the
# GP refits its model before every trial, and that work grows with the trials it has seen. When
# one trial means an hour of GPU time, that overhead is free and a GP's care pays off; when
# trials take seconds, TPE, QMC or random search give more tries for the same wall time.
#
# > **Takeaway.** Compare search methods on the same budget, over many seeds, and look at the
# > spread. Grid search wastes trials whenever some hyperparameters barely matter, and its result
# > rides on where its few values fall; random and quasi-random search do not, and their chance of
# > a good result depends on the number of trials, not on the number of hyperparameters. Bayesian
# > methods learn where to look; Hyperband saves epochs by stopping poor trials early.
#
# ## Interview questions
#
# **1. Why does random search usually beat grid search for the same number of trials?**
#
# <details><summary>Show an answer</summary>
#
# Usually only one or two hyperparameters matter much, and a grid with *k* values per axis tests
# only *k* values of each, repeating them while it varies the knobs that do not matter. The same
# number of random trials tests a new value of every knob on every trial, so it is far more
# likely to land one near the best setting of the knob that matters.
# </details>
#
# **2. How many random trials give a 95% chance of landing in the top 5% of configurations? Why?**
#
# <details><summary>Show an answer</summary>
#
# About 60 (59 is the first count past 95%): each trial misses the top 5% with chance 0.95, so
# *n* trials all miss with chance 0.95<sup>*n*</sup>, and 1 − 0.95<sup>60</sup> ≈ 95%. The count
# does not depend on how many hyperparameters there are, only on how large a share of the space
# counts as good.
# </details>
#
# **3. What does a Bayesian optimizer model, and what does it trade for sample efficiency?**
#
# <details><summary>Show an answer</summary>
#
# It models the score as a function of the hyperparameters (a Gaussian process, or TPE's
# densities of good and bad trials) and proposes the next trial where improvement looks likely.
# That needs finished results before each proposal, so it trades parallelism and the model's own
# compute per trial for fewer trials.
# </details>
#
# **4. How does Hyperband decide which trials to stop, and what does it assume about learning curves?**
#
# <details><summary>Show an answer</summary>
#
# It gives many configurations a small budget, keeps the best fraction (one in
# `reduction_factor`) at each rung, and gives the survivors more epochs. That works only if a
# run's early ranking predicts its final one; a configuration that starts slowly but ends best
# (a small learning rate, for instance) gets cut.
# </details>
#
# **5. Why should a comparison of tuning methods use several seeds?**
#
# <details><summary>Show an answer</summary>
#
# A search's result depends on its random draws, so one seed can make any method look good or
# bad by luck. Running each method with many seeds shows the median and the spread, and a method
# that wins on most seeds is better, not just lucky once.
# </details>
