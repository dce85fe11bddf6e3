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
from hplab import plots, scenarios, widgets

# %% [markdown]
# ## Three rates, one network
#
# Below, the same small network (two hidden layers of 32 units, same starting weights, same
# order of minibatches) trains on the *moons* data with plain SGD at three rates: 0.001, 0.1 and
# 10. Nothing else changes. `scenarios.lr_runs` is a short loop over `hplab.fit` — the same
# call as in lesson 00, with `optimizer="sgd"` and `lr=rate` — kept in the package so that the
# course's tests can rerun exactly these runs with other seeds.
#
# **Predict first:** which run will end with the lowest training loss, and what will the curve
# of the run at 10 look like? Write your guess down, then run the cell.

# %%
data = scenarios.moons(seed=0)
runs = scenarios.lr_runs(data, [1e-3, 0.1, 10.0], seed=0)
for lr, hist in runs.items():
    best = min(hist.val_loss)
    print(f"lr {lr:<6g} {hplab.diagnose(hist).label:9} {hist.status:9} after {hist.epochs_run:2d} "
          f"epochs: train loss {hist.train_loss[-1]:.3g}, val loss {hist.val_loss[-1] / best:.2f}x its best")
print(runs[10.0].stop_reason)

# %%
fig, axes = plots.grid(3, ncols=3)
for ax, (lr, hist) in zip(axes, runs.items()):
    plots.loss_curves(hist, ax, title=f"lr = {lr:g}: {hplab.diagnose(hist).label}")

# %% tags=["check"]
slow, good, big = runs.values()
assert [hplab.diagnose(h).label for h in runs.values()] == ["slow", "good", "diverged"]
assert np.diff([slow.initial["train_loss"]] + slow.train_loss).max() < 0  # never goes back up
assert slow.train_loss[-1] > 2 * good.train_loss[-1]
drop = good.initial["train_loss"] - good.train_loss[-1]
assert good.initial["train_loss"] - good.train_loss[2] > 0.5 * drop  # most of it in 3 epochs
assert good.val_loss[-1] < 1.1 * min(good.val_loss)  # ... and no bump at the end
assert big.epochs_run == 1 and big.stopped_step < big.steps_per_epoch  # ended inside epoch 1

# %% [markdown]
# What you see:
#
# - **0.001 — slow.** The loss slides down a gentle, almost straight line, lower at every epoch
#   than the one before. Nothing is wrong except patience: it ends more than twice as high as
#   the run at 0.1.
# - **0.1 — about right.** Most of the drop happens in the first two or three epochs, then the
#   loss settles smoothly; the validation loss ends within 10% of its best.
# - **10 — diverged.** The first updates overshoot so far that the loss grows instead of
#   shrinking. `fit` checks the loss of every minibatch before it updates the weights: a loss
#   that is not a number, or more than 1000 times the starting loss, ends the run at once (so
#   does, after an epoch, a loss on the whole training set more than 10 times its start). Here
#   that happened within the first epoch — the printed line says at which minibatch. On the
#   plot, the red cross sits on the top edge at the epoch where the loss leaves the picture,
#   and the number next to it is the loss the run really reached.
#
# The good rate is not a universal number: it depends on the data, the model, the optimizer and
# the batch size. That is why you measure instead of guessing.

# %% [markdown]
# ## Your turn: the learning-rate dashboard
#
# The slider is logarithmic: each notch multiplies the rate by about 1.8. The faded dashed
# curves are your previous run, so every change is a comparison. The buttons reproduce the three
# cases above.
#
# **Predict, then try:**
#
# 1. Starting from 0.1, how many notches up can you go before the loss starts to bump back up?
#    How many before the run diverges?
# 2. Pick the `step` schedule (below) with a rate that is slightly too high. Does the run settle
#    when the rate drops?
# 3. Switch the optimizer to `momentum`. Momentum (lesson 04 covers it) adds to every step a
#    share, here 0.9, of the previous one, so steps that keep pointing the same way grow up to
#    ten times longer. Does the rate that diverges move up or down?

# %%
lab = widgets.LearningRateLab()
lab

# %% [markdown]
# <details><summary>What this network does (open after you have tried)</summary>
#
# 1. Six notches: 3.16 is the first rate on the slider at which plain SGD diverges, here and
#    with other seeds.
# 2. Yes. At 1.78 with a constant rate the loss still jumps in the last epochs; with `step` the
#    rate is cut to a tenth after six epochs, and over the last five the validation loss goes
#    back up by less than 0.001 in all.
# 3. Down, by one to three notches (to 1.0 with this seed): momentum's steps grow up to ten
#    times longer than the rate alone would make them.
# </details>

# %% [markdown]
# ## Schedules: change the rate while you train
#
# Early in training the weights are far from any good solution, and big steps cover ground. Late
# in training the network is near a minimum, and big steps make it rattle around the bottom
# without settling. A **schedule** changes the rate from epoch to epoch. The common shapes:
#
# | schedule | what it does |
# |---|---|
# | step | keep the rate, then cut it by a factor (here 10x) every few epochs |
# | exponential | multiply it by the same factor (here 0.95) every epoch |
# | cosine | glide from the start value to (almost) zero along half a cosine wave |
# | one-cycle | climb to a peak over the first 30% of training, then fall far below the start |
# | warm-up | begin small and climb linearly over the first epochs, then hold |
#
# Warm-up protects the very first updates, when a random network's gradients (the direction and
# size of each weight's next step) can be large and uninformative; it is routine for big batches
# and for Adam on large models.
#
# **Predict:** which of these schedules will have the *smallest* rate in the last epoch?

# %%
names = ["constant", "step", "exponential", "cosine", "one_cycle", "warmup"]
lrs = {name: hplab.schedule_lrs(name, lr=1.0, epochs=scenarios.EPOCHS) for name in names}
ax = plots.lr_schedule(lrs, title=f"six schedules, base rate 1.0, {scenarios.EPOCHS} epochs")
ax.set_yscale("log")
print("rate in the last epoch:", ", ".join(f"{name} {values[-1]:.2g}" for name, values in lrs.items()))

# %% [markdown]
# Cosine ends lowest — its last rate is exactly 0, which is why its line drops off the bottom of
# the log scale — then one-cycle at a few millionths; step has come down to 0.001.
#
# Now train with each one at a base rate of **1.0**, ten times the good rate above: at a
# constant 1.0 this network still learns, but the loss keeps jumping. Watch the last epochs.

# %%
scheduled = scenarios.schedule_runs(data, names, lr=1.0, seed=0)
ax = plots.overlay(scheduled, key="val_loss", title="validation loss under each schedule")
ax.set_ylim(0, 1)
rises = {name: scenarios.late_rises(hist) for name, hist in scheduled.items()}
for name, hist in scheduled.items():
    print(f"{name:>11}: final val loss {hist.val_loss[-1]:.3f}, "
          f"rises over the last 5 epochs add up to {rises[name]:.3f}")

# %% tags=["check"]
assert lrs["cosine"][-1] == 0 < lrs["one_cycle"][-1] < 1e-5 < lrs["step"][-1] < 1.01e-3
calm = max(rises["step"], rises["cosine"])
assert calm < 0.01
assert scheduled["constant"].val_loss[-1] < 0.5 * scheduled["constant"].initial["val_loss"]
for name in ("constant", "exponential", "warmup"):
    assert rises[name] > max(0.01, 5 * calm), name
assert scheduled["one_cycle"].val_loss[-1] > 1.2 * min(scheduled["step"].val_loss[-1],
                                                       scheduled["cosine"].val_loss[-1])

# %% [markdown]
# Step and cosine have shrunk the rate to almost nothing by the last epochs, and their
# validation loss stops moving. The constant rate keeps jumping to the end, and so does
# warm-up, which holds 1.0 once it has climbed. Exponential decay at 0.95 per epoch is still at
# more than a third of the base rate after 20 epochs: too slow to calm this run. Where a
# jumping run happens to end is luck — compare the final values over a few seeds before you
# believe a difference between them.
#
# One-cycle climbs to its peak of 1.0 early and then cools down: it ends above step and cosine
# here (and with other seeds of this network it sometimes blows up at its peak). Its shape pays
# off when the peak is chosen with care, usually with the help of the test below.
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
model = scenarios.net(data, seed=0)
found = hplab.lr_range_test(model, data, optimizer="sgd", start_lr=1e-5, end_lr=10, seed=0)
plots.lr_finder_curve(found)
print(found.explanation)

# %% tags=["check"]
lrs, smooth = np.array(found.lrs), np.array(found.losses)
early = smooth[lrs <= 1e-3]
assert early.max() < 1.3 * early.min()  # flat while the rate is too small
assert smooth.min() < 0.7 * np.median(early)  # a steep fall in the useful range
assert smooth[-1] > 2 * smooth.min() and found.stopped_early  # then it turns and shoots up

# %% [markdown]
# The test trained `model` for up to a hundred steps, some of them at absurd rates. Is it
# damaged? Compare it with a freshly built copy of the same network:

# %%
fresh = scenarios.net(data, seed=0)
for name, net in (("after the test", model), ("fresh network", fresh)):
    score = hplab.evaluate(net, data)
    print(f"{name:>14}: validation loss {score['loss']:.4f}, accuracy {score['metric']:.3f}")

# %% tags=["check"]
assert hplab.evaluate(model, data) == hplab.evaluate(fresh, data)

# %% [markdown]
# Identical: the weights were restored. Now check the suggestion: train the same network at the
# suggested rate, at a tenth of it and at ten times it.

# %%
factors = (0.1, 1, 10)
tried = scenarios.lr_runs(data, [found.suggestion * f for f in factors], seed=0)
checks = {f"{f:g} x suggestion ({lr:.2g})": h for f, (lr, h) in zip(factors, tried.items())}
for name, hist in checks.items():
    print(f"{name:26}: {hplab.diagnose(hist).label:9} final train loss {hist.train_loss[-1]:.3f}")
plots.overlay(checks, key="train_loss");

# %% tags=["check"]
low, mid, high = (h.train_loss[-1] for h in tried.values())
assert low > 1.1 * mid > 1.1 * 1.1 * high  # ten times the suggestion still trains faster
assert all(hplab.diagnose(h).label == "good" for h in list(tried.values())[1:])

# %% [markdown]
# The suggestion is a *starting point*, not a promise: it comes from a run that lasted only a
# hundred steps. Here it is cautious — ten times the suggestion trains further in the same 20
# epochs, without a blow-up — and a cautious start that you then raise is far cheaper than a
# run that diverges.
#
# ## Many rates at once
#
# Training one tiny network is mostly overhead, so `hplab.lr_sweep` trains one copy per rate
# inside a single vectorized run: 24 rates from 0.001 to about 30, the same starting weights
# and the same minibatch order for all (the cell below prints how long that took next to one
# ordinary run). The result is the classic U-shape: the loss after training against the rate.
#
# **Predict:** where will the bottom of the U sit compared with the range test's suggestion?

# %%
sweep = scenarios.sweep(data, seed=0)  # hplab.lr_sweep(data, np.logspace(-3, 1.5, 24), ...)
fig, axes = plots.grid(2, ncols=2, size=(5.2, 3.6))
axes[0].axvline(found.suggestion, color="tab:green", ls="--", label="range test")
plots.lr_sweep_curve(sweep, axes[0])  # its legend takes the range test's line too
plots.overlay({f"{lr:.2g}": h for lr, h in zip(sweep.lrs[::3], sweep.histories[::3])},
              axes[1], key="train_loss", title="every third rate, training loss");

# %%
diverged = [lr for lr, h in zip(sweep.lrs, sweep.histories) if h.diverged]
print(f"best rate in the sweep: {sweep.best_lr:.3g} = {sweep.best_lr / found.suggestion:.1f}x "
      f"the range test's suggestion {found.suggestion:.3g}")
print(f"{len(diverged)} of {len(sweep.lrs)} rates diverged (red crosses): "
      + ", ".join(f"{lr:.3g}" for lr in diverged))
alone = hplab.fit(scenarios.net(data, seed=0), data, optimizer="sgd", lr=sweep.best_lr,
                  epochs=scenarios.EPOCHS, seed=0)
print(f"{len(sweep.lrs)} networks trained together in {max(sum(h.seconds) for h in sweep.histories):.2f} s; "
      f"one alone takes {sum(alone.seconds):.2f} s")

# %% tags=["check"]
assert 2 <= sweep.best_lr / found.suggestion <= 10
shape = scenarios.sweep_shape(sweep)     # the facts the text above states, one by one
assert all(shape.values()), [fact for fact, ok in shape.items() if not ok]

# %% [markdown]
# The bottom of the U sits a few times above the range test's suggestion: the suggestion is on
# the cautious side of the floor. Left of the bottom the runs end higher — ten times below the
# best rate, 20 epochs do not get as far. Right of it the runs bounce (their training loss goes
# back up again and again, as in the right-hand panel), and from some rate on every run
# diverges: those are the red crosses, one per run that `fit` stopped, as many as the count
# printed above. The floor is wide enough that the cautious suggestion already trains well (as
# the three runs above showed), which is why a quick range test is usually a good start.
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
