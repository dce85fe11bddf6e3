# %% [markdown]
# # 02 · The learning rate
#
# Of all the knobs, this is the one to get right first. Each update moves every weight a little
# way downhill on the loss; the **learning rate** says how far. Too far and the network jumps
# past the valley floor, lands higher up the other side and, step after step, climbs out of it.
# Too short and it walks downhill so slowly that the epochs run out first.
#
# **After this lesson you will be able to explain**
#
# - what divergence, slow convergence and a well-chosen rate look like in the loss curve, and why;
# - what a learning-rate *schedule* is, and what step, exponential, cosine, one-cycle and
#   warm-up schedules do;
# - how a learning-rate range test ("LR finder") picks a starting rate in one short run.

# %%
import numpy as np

import hplab
from hplab import plots, widgets

# %% [markdown]
# ## Three rates, one network
#
# Below, the same small network (two hidden layers, same starting weights) trains on the *moons*
# data with plain SGD at three rates: 0.001, 1 and 10. Nothing else changes.
#
# **Predict first:** which run will end with the lowest training loss, and what will the curve
# of the run at 10 look like? Write your guess down, then run the cell.

# %%
data = hplab.load_dataset("moons", seed=0)
runs = {}
for lr in (1e-3, 1.0, 10.0):
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    runs[f"lr={lr:g}"] = hplab.fit(model, data, optimizer="sgd", lr=lr, epochs=20, seed=0)
for name, hist in runs.items():
    print(f"{name:>9}: {hplab.diagnose(hist).label:9} ({hist.status}, {hist.epochs_run} epochs)")

# %%
fig, axes = plots.grid(3, ncols=3)
for ax, (name, hist) in zip(axes, runs.items()):
    plots.loss_curves(hist, ax, title=f"{name}: {hplab.diagnose(hist).label}")

# %% [markdown]
# What you see:
#
# - **0.001 — slow.** The loss slides down a gentle, almost straight line. Nothing is wrong
#   except patience: at this pace it would need hundreds of epochs.
# - **1 — about right, and near the edge.** A steep drop in the first epochs, then a settle
#   with a few bumps: now and then a step overshoots and the loss jumps before recovering. Those
#   bumps are the first warning that the rate is close to too large.
# - **10 — diverged.** The first updates overshoot so far that the loss grows instead of
#   shrinking; `fit` stops the run as soon as the loss passes ten times its starting value (the
#   red cross).
#
# The good rate is not a universal number: it depends on the data, the model, the optimizer and
# the batch size. 1.0 is large for most problems; it works here because the inputs are
# standardized and the network is small. That is why you measure instead of guessing.

# %% [markdown]
# ## Your turn: the learning-rate dashboard
#
# The slider is logarithmic: each notch multiplies the rate by about 1.8. The faded dashed
# curves are your previous run, so every change is a comparison. The buttons reproduce the three
# cases above.
#
# **Predict, then try:**
#
# 1. Starting from 1.0, how many notches up can you go before the run diverges?
# 2. Pick the `step` schedule with a rate that is slightly too high. Does the run recover when
#    the rate drops?
# 3. Switch the optimizer to `momentum`. Does the rate that diverges move up or down?

# %%
lab = widgets.LearningRateLab()
lab

# %% [markdown]
# ## Schedules: change the rate while you train
#
# Early in training the weights are far from any good solution, and big steps cover ground. Late
# in training the network is near a minimum, and big steps make it rattle around the bottom
# without settling. A **schedule** starts large and ends small. The common shapes:
#
# | schedule | what it does |
# |---|---|
# | step | keep the rate, then cut it by a factor (here 10x) every few epochs |
# | exponential | multiply it by the same factor (here 0.95) every epoch |
# | cosine | glide from the start value to (almost) zero along half a cosine wave |
# | one-cycle | climb to a peak over the first 30% of training, then fall far below the start |
# | warm-up | begin small and climb linearly over the first epochs, then hold |
#
# Warm-up protects the very first updates, when the gradients of a random network can be large
# and uninformative; it is routine for big batches and for Adam on large models.
#
# **Predict:** which of these schedules will have the *smallest* rate in the last epoch?

# %%
names = ["constant", "step", "exponential", "cosine", "one_cycle", "warmup"]
lrs = {name: hplab.schedule_lrs(name, lr=1.0, epochs=30) for name in names}
ax = plots.lr_schedule(lrs, title="six schedules, base rate 1.0")
ax.set_yscale("log")

# %% [markdown]
# Now train with each one, all with the base rate of 1.0 from above. The constant rate keeps
# bouncing near the bottom; the schedules that shrink the rate (step, cosine, exponential) settle
# lower and stay there.

# %%
scheduled = {}
for name in names:
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    scheduled[name] = hplab.fit(model, data, optimizer="sgd", lr=1.0, epochs=20,
                                schedule=name, seed=0)
ax = plots.overlay(scheduled, key="val_loss", title="validation loss under each schedule")
for name, hist in scheduled.items():
    print(f"{name:>11}: final validation loss {hist.val_loss[-1]:.3f}")

# %% [markdown]
# The one-cycle run spends its middle epochs at its peak, 1.0, which is already at the bumpy
# edge here, and then cools down too fast to repair the damage: it ends well above step and
# cosine. Its shape pays off when the peak
# is chosen with care, usually with the help of the test below. Warm-up holds 1.0 for most of the
# run, so it bumps like the constant rate.
#
# ## The learning-rate range test
#
# Trying rates one full run at a time is slow. The **range test** does it in one short run:
#
# 1. start with a tiny rate (1e-5) and, after every minibatch, multiply it by the same factor, so
#    that after 100 steps it has reached a huge one (10);
# 2. record the loss at every step (smoothed, because single minibatches are noisy);
# 3. stop when the loss has clearly blown up, and read the plot.
#
# While the rate is too small the curve is flat; in the useful range it falls steeply; past a
# point it turns and shoots up. `hplab.lr_range_test` offers two ways to read a number off it:
# one tenth of the rate with the lowest loss (`min_tenth`, the default: a safety margin below the
# blow-up) and the rate where the curve falls fastest (`steepest`). Afterwards it puts the
# network's weights (and the optimizer's state, if you passed an optimizer) back as they were, so
# the test leaves no trace.
#
# **Predict:** roughly which rate will it suggest for SGD on this problem, given what you saw
# above?

# %%
model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
found = hplab.lr_range_test(model, data, optimizer="sgd", start_lr=1e-5, end_lr=10, seed=0)
plots.lr_finder_curve(found)
print(found.explanation)

# %% [markdown]
# The test trained `model` for up to a hundred steps, some of them at absurd rates. Is it
# damaged? Compare it with a freshly built copy of the same network:

# %%
fresh = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
print("after the test:", hplab.evaluate(model, data))
print("fresh network: ", hplab.evaluate(fresh, data))

# %% [markdown]
# Identical: the weights were restored. Now check the suggestion: train the same network at the
# suggested rate, at a tenth of it and at ten times it.

# %%
checks = {}
for factor in (0.1, 1, 10):
    lr = found.suggestion * factor
    net = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    hist = hplab.fit(net, data, optimizer="sgd", lr=lr, epochs=20, seed=0)
    checks[f"{factor:g} x suggestion ({lr:.2g})"] = hist
    print(f"lr {lr:8.3g}: {hplab.diagnose(hist).label:9} final train loss {hist.train_loss[-1]:.3f}")
plots.overlay(checks, key="train_loss");

# %% [markdown]
# The suggestion is a *starting point*, not a promise: it comes from a run that lasted only a
# hundred steps. It tends to be a little cautious — and a cautious start that you then raise by
# 2-3x is far cheaper than a run that diverges.
#
# ## Many rates at once
#
# Training one tiny network is mostly overhead, so `hplab.lr_sweep` trains one copy per rate
# inside a single vectorized run: 24 rates, the same starting weights and the same minibatch
# order, in the time of a handful of ordinary runs rather than 24. The result is the classic
# U-shape: the loss after training against the rate.
#
# **Predict:** where will the bottom of the U sit compared with the range test's suggestion?

# %%
sweep = hplab.lr_sweep(data, np.logspace(-3, 1.5, 24), optimizer="sgd", epochs=20,
                       depth=2, width=32, seed=0)
fig, axes = plots.grid(2, ncols=2, size=(5.2, 3.6))
plots.lr_sweep_curve(sweep, axes[0])
axes[0].axvline(found.suggestion, color="tab:green", ls="--", label="range test")
axes[0].legend(fontsize="x-small")
plots.overlay({f"{lr:.2g}": h for lr, h in zip(sweep.lrs[::3], sweep.histories[::3])},
              axes[1], key="train_loss", title="every third rate, training loss");

# %%
print(f"best rate in the sweep: {sweep.best_lr:.3g}; range test suggested {found.suggestion:.3g}")
print(f"{sum(h.diverged for h in sweep.histories)} of {len(sweep.lrs)} rates diverged")
alone = hplab.fit(hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0), data,
                  optimizer="sgd", lr=sweep.best_lr, epochs=20, seed=0)
print(f"{len(sweep.lrs)} networks trained together in {max(sum(h.seconds) for h in sweep.histories):.2f} s; "
      f"one alone takes {sum(alone.seconds):.2f} s")

# %% [markdown]
# Left of the bottom the runs are slow, right of it they bounce or blow up (red crosses). The
# floor is fairly wide — a factor of three either way of the best rate costs little (here at
# most a quarter more validation loss) — which is why a quick range test is usually good enough.
#
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** The learning rate sets the step size. Too large: the loss rises or explodes
# (divergence). Too small: the loss falls in a slow straight line (slow convergence). Find a
# starting value with a range test, then let a schedule (step, cosine, one-cycle) shrink the rate
# as training settles, with a short warm-up if the first steps are unstable.
# </div>
#
# ### Interview questions
#
# <details><summary>1. Your training loss becomes NaN after a few hundred steps. What do you check first?</summary>
#
# The learning rate: with too large a step the weights overshoot, grow each step and overflow.
# Lower it 3-10x, or add warm-up. Also check that inputs are standardized (huge input values give
# huge gradients) and, for a custom loss, that it cannot take the log of zero.
# </details>
#
# <details><summary>2. How does a learning-rate range test work, and why does it not ruin the model?</summary>
#
# It trains for a few dozen to a few hundred minibatches while raising the rate geometrically
# from tiny to huge, recording the loss at each step. You pick a rate below the point where the
# loss turns up (one tenth of the minimum's rate, or the steepest descent). The weights and
# optimizer state are saved before and restored afterwards, so the actual training starts fresh.
# </details>
#
# <details><summary>3. Why do schedules usually decrease the rate towards the end of training?</summary>
#
# Near a minimum, large steps keep jumping across it and the minibatch noise keeps the weights
# moving; the loss plateaus above its floor. A smaller rate averages the noise out and lets the
# weights settle, which usually lowers both training and validation loss. Warm-up, at the start,
# solves the opposite problem: large steps on a random network can blow it up before it learns.
# </details>
