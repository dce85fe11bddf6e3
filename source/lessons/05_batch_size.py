# %% [markdown]
# # 05 · Batch size
#
# Each update uses the gradient of a **minibatch**: a handful of training examples, not all of
# them. The batch size sets how many. It looks like a technical detail about memory, but it
# changes how noisy every step is, how many steps an epoch holds, how long an epoch takes, and
# which learning rate works.
#
# **After this lesson you will be able to explain**
#
# - why small batches give noisy updates and large batches smooth ones;
# - how batch size changes the number of steps per epoch and the time per epoch;
# - why "same number of epochs" and "same number of steps" are different comparisons;
# - why the learning rate should grow with the batch size (the linear scaling rule), and its limits.

# %%
import numpy as np

import hplab
from hplab import plots, widgets

# %% [markdown]
# ## Steps per epoch
#
# An epoch is one pass over the training set. With 300 training examples, batches of 8 make 38
# updates per epoch (the last batch is smaller); batches of 128 make only 3. Each small-batch
# gradient is an estimate from 8 examples, so it points roughly downhill with a lot of jitter;
# an estimate from 128 examples jitters far less.
#
# **Predict first:** after 20 epochs at the same learning rate (0.1, plain SGD), which batch size
# has the lowest training loss, and which has the smoothest curve of minibatch losses?

# %%
data = hplab.load_dataset("moons", seed=0)

def train(batch_size, lr=0.1, epochs=20, schedule=None):
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
    return hplab.fit(model, data, optimizer="sgd", lr=lr, batch_size=batch_size,
                     epochs=epochs, schedule=schedule, seed=0)

by_batch = {f"batch {b}": train(b) for b in (8, 32, 128)}
plots.batch_losses(by_batch);

# %% [markdown]
# Every point is the loss of one minibatch, placed at its position within the epochs. Batch 8
# makes a thick, noisy band with many points; batch 128 a thin line with few. A number for
# "noisy": the average jump between consecutive minibatch losses.

# %%
for name, hist in by_batch.items():
    jumps = np.abs(np.diff(hist.batch_loss)).mean()
    ms = 1000 * np.mean(hist.seconds)
    print(f"{name:>9}: {hist.steps_per_epoch:3d} steps/epoch, {ms:5.1f} ms/epoch, "
          f"average jump {jumps:.3f}, final train loss {hist.train_loss[-1]:.3f}, "
          f"val accuracy {hist.val_metric[-1]:.2f}")

# %% [markdown]
# Three things to notice:
#
# - **Noise.** The jumps shrink as the batch grows: averaging over more examples cancels more of
#   each one's quirks.
# - **Time per epoch.** Batch 128 runs an epoch several times faster. On this tiny network each
#   update costs about the same whatever the batch size (the fixed overhead of a step dominates),
#   so fewer steps means less time. On a GPU with a large model the same holds for a different
#   reason: a big batch keeps the hardware busy.
# - **Progress per epoch.** Batch 8 ended lowest, simply because it took 12 times as many steps.
#
# ## Same epochs, or same steps?
#
# That last point is a trap when comparing batch sizes. Give both the same number of *updates*
# instead: batch 16 for 10 epochs (190 steps) against batch 128 for 64 epochs (192 steps).
#
# **Predict:** with the same learning rate and the same number of steps, which one ends lower?

# %%
same_steps = {"batch 16, 10 epochs": train(16, epochs=10),
              "batch 128, 64 epochs": train(128, epochs=64)}
plots.batch_losses(same_steps, per="step", title="the same number of updates")
for name, hist in same_steps.items():
    print(f"{name}: {len(hist.batch_loss)} steps, final train loss {hist.train_loss[-1]:.3f}")

# %% [markdown]
# Per update, the two make the same progress: the big batch's gradient is cleaner, but the step
# is no longer. So at the same learning rate a big batch simply wastes its better gradient
# estimate. That is what the next idea fixes.
#
# ## Moving the learning rate with the batch size
#
# If each update uses k times as many examples, its gradient is a k-times better average, and it
# can afford a larger step. The **linear scaling rule**: when you multiply the batch size by k,
# multiply the learning rate by k too. Going from batch 16 at 0.1 to batch 128 (k = 8) means a
# rate of 0.8.
#
# **Predict:** at the same 20 epochs, how close does batch 128 with the scaled rate get to the
# small batches?

# %%
scaled = {"batch 16, lr 0.1": train(16),
          "batch 128, lr 0.1": train(128),
          "batch 128, lr 0.8 (scaled)": train(128, lr=0.8)}
plots.overlay(scaled, key="train_loss", title="scaling the rate with the batch")
for name, hist in scaled.items():
    print(f"{name:>27}: final train loss {hist.train_loss[-1]:.3f}")

# %% [markdown]
# With the rate scaled up, the big batch catches up in a fraction of the time per epoch. But look
# at its first epoch: the loss shoots up to almost 2 before it recovers. The scaled rate hits the
# untrained network at full strength. A **warm-up** raises the rate gradually over the first
# epochs instead (here two):

# %%
warm = {"lr 0.8, no warm-up": scaled["batch 128, lr 0.8 (scaled)"],
        "lr 0.8, 2-epoch warm-up": train(128, lr=0.8, schedule="warmup")}
plots.overlay(warm, key="train_loss", title="batch 128: the first epochs")
for name, hist in warm.items():
    print(f"{name:>24}: worst of the first 3 epochs {max(hist.train_loss[:3]):.2f}, "
          f"final {hist.train_loss[-1]:.3f}")

# %% [markdown]
# The rule has limits: it breaks down once the rate itself becomes too large (see lesson 02),
# and the larger the scaled rate, the more a warm-up matters. Adam is less sensitive to the batch
# size than SGD, but the same direction holds.
#
# **What about generalization?** On big problems, very large batches often end with slightly worse
# validation scores than small ones at the same training loss. A common explanation: the noise of
# small batches keeps the weights out of narrow, sharp minima and favours wide ones, which tend to
# hold up better on new data. On a problem as small as this one the effect is too small to see
# reliably; treat it as a reason not to push the batch size up without checking validation.
#
# ## Your turn: the batch-size dashboard
#
# The middle panel shows the loss of every minibatch. The note under the picture says how many
# updates an epoch holds and how long an epoch took.
#
# **Predict, then try:**
#
# 1. Halve the batch size a few times at the same rate. What happens to the band in the middle?
# 2. With batch 128, raise the rate until the loss curve starts bumping. How far past the
#    "scaled" value can you go?
# 3. Pick batch 256. There are only 200 training examples here. What does the dashboard say?

# %%
lab = widgets.BatchSizeLab()
lab

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** Small batches: noisy updates, many steps per epoch, slower epochs, a mild
# regularizing effect. Large batches: smooth updates, few steps, fast epochs, but they need a
# larger learning rate to make use of them (scale the rate with the batch, with a warm-up).
# Compare batch sizes at the same number of steps or the same wall-clock time, not just the same
# number of epochs. 32 to 256 is the usual range; memory sets the upper limit.
# </div>
#
# ### Interview questions
#
# <details><summary>1. You increase the batch size from 32 to 512 and training gets worse. Why, and what do you change?</summary>
#
# With the same number of epochs there are 16 times fewer updates, each no longer than before, so
# the model gets less training. Scale the learning rate up (roughly with the batch size), add a
# warm-up, and/or train for more epochs; then compare at equal steps or equal time.
# </details>
#
# <details><summary>2. Why are small-batch gradient updates noisy, and is the noise always bad?</summary>
#
# The gradient of a small batch is an average over few examples, so it varies a lot from batch
# to batch around the full-data gradient. The noise slows convergence near a minimum, but it also
# helps the weights escape sharp minima and saddle points and often acts as a mild regularizer.
# </details>
#
# <details><summary>3. What is the linear scaling rule?</summary>
#
# When the batch size is multiplied by k, multiply the learning rate by k, so that the progress
# per epoch stays about the same. It works up to a limit set by the largest stable learning rate,
# and in practice needs a warm-up period for large k.
# </details>
