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
import hplab
from hplab import comparisons, plots, widgets

# %% [markdown]
# ## Steps per epoch
#
# An epoch is one pass over the training set. With 300 training examples, batches of 8 make 38
# updates per epoch (the last batch is smaller); batches of 128 make only 3. Each small-batch
# gradient is an estimate from 8 examples, so it points roughly downhill with a lot of jitter;
# an estimate from 128 examples jitters far less.
#
# Noise is a matter of luck, so one run proves little. Every setting in this lesson is trained six
# times, from six seeds (the initial weights and the order of the minibatches). Pictures of single
# runs show seed 0; the bands (mean ± one standard deviation) and the printed numbers cover all six.
#
# **Predict first:** after 20 epochs at the same learning rate (0.1, plain SGD), which batch size
# has the lowest training loss, and which has the smoothest curve of minibatch losses?

# %%
data = hplab.load_dataset("moons", seed=0)

def train(batch_size, lr=0.1, epochs=20, schedule=None):
    """One run per seed (0 to 5) of a 2 x 32 network trained with plain SGD."""
    return hplab.fit_seeds(data, range(6), optimizer="sgd", lr=lr, batch_size=batch_size,
                           epochs=epochs, schedule=schedule, depth=2, width=32)

by_batch = {f"batch {b}": train(b) for b in (8, 32, 128)}
ax = plots.batch_losses({name: runs[0] for name, runs in by_batch.items()},
                        title="seed 0: the loss of each minibatch")

# %% [markdown]
# Every point is the loss of one minibatch, placed at its position within the epochs. Batch 8
# makes a thick, noisy band with many points; batch 128 a thin line with few. A number for
# "noisy": the average jump between consecutive minibatch losses, here for all six seeds.

# %%
jumps = {name: [comparisons.minibatch_jumps(h) for h in runs] for name, runs in by_batch.items()}
for name, runs in by_batch.items():
    ms = 1000 * sum(runs[0].seconds) / len(runs[0].seconds)
    print(f"{name:>9}: {runs[0].steps_per_epoch:2d} steps/epoch, {ms:4.0f} ms/epoch (six nets) | "
          f"average jump {comparisons.spread(jumps[name])} | "
          f"final train loss {comparisons.spread(h.train_loss[-1] for h in runs)}")

# %% tags=["check"]
assert [runs[0].steps_per_epoch for runs in by_batch.values()] == [38, 10, 3]
assert min(jumps["batch 8"]) > 1.5 * max(jumps["batch 128"])           # noisier on every seed
assert all(a > b > c for a, b, c in zip(*jumps.values()))              # 8 > 32 > 128, each seed
small, big = by_batch["batch 8"], by_batch["batch 128"]
assert all(s.train_loss[-1] < 0.7 * b.train_loss[-1] for s, b in zip(small, big))

# %% [markdown]
# Three things to notice:
#
# - **Noise.** On every seed the jumps shrink as the batch grows: averaging over more examples
#   cancels more of each one's quirks.
# - **Time per epoch.** On this tiny network each update costs about the same whatever the batch
#   size (the fixed overhead of a step dominates), so the time per epoch follows the number of
#   steps; compare the ms column (timings vary from machine to machine). On a GPU with a large
#   model, big batches are fast for another reason: they keep the hardware busy.
# - **Progress per epoch.** Batch 8 ended lowest on every seed, simply because it took 12 times
#   as many steps.
#
# ## How much less noisy?
#
# Averaging k times as many examples does **not** make the gradient k times more precise. The
# minibatch gradient is an average, and the spread of an average of k independent draws falls
# like `1 / sqrt(k)`: four times the batch halves the noise. Measured on the untrained network,
# 200 minibatches per size, against the gradient over all 300 examples:

# %%
noise = comparisons.gradient_noise(hplab.mlp(2, 2, depth=2, width=32, seed=0), data, [4, 16, 64])
for b, size in noise.items():
    print(f"batch {b:2d}: typical distance from the full gradient {size:.3f}, "
          f"times sqrt(batch) {size * b ** 0.5:.2f}")

# %% tags=["check"]
assert 1.7 < noise[4] / noise[16] < 2.6 and 1.7 < noise[16] / noise[64] < 2.6   # ~2, not 4

# %% [markdown]
# Each fourfold batch cuts the noise by about two, and noise times `sqrt(batch)` stays roughly
# level. (It sinks a little at 64: a batch that is a fifth of the whole training set, drawn
# without repeats, cannot stray as far from the full set as independent draws would.)
#
# ## Same epochs, or same steps?
#
# The "progress per epoch" point is a trap when comparing batch sizes. Give both the same number
# of *updates* instead: batch 16 for 10 epochs (190 steps) against batch 128 for 64 epochs (192
# steps).
#
# **Predict:** with the same learning rate and the same number of steps, which one ends lower?

# %%
same_steps = {"batch 16, 10 epochs": train(16, epochs=10),
              "batch 128, 64 epochs": train(128, epochs=64)}
ax = plots.batch_losses({name: runs[0] for name, runs in same_steps.items()}, per="step",
                        title="seed 0: the same number of updates")
for name, runs in same_steps.items():
    print(f"{name}: {len(runs[0].batch_loss)} steps, "
          f"final train loss {comparisons.spread(h.train_loss[-1] for h in runs)}")

# %% tags=["check"]
pairs = zip(*same_steps.values())
assert all(abs(b.train_loss[-1] / s.train_loss[-1] - 1) < 0.12 for s, b in pairs)

# %% [markdown]
# Per update, the two make the same progress, seed for seed: the big batch's gradient is
# cleaner, but the step is no longer. So at the same learning rate a big batch simply wastes its
# better gradient estimate. That is what the next idea fixes.
#
# ## Moving the learning rate with the batch size
#
# Think of k small steps of SGD, each on a batch of b examples with rate `lr`. If the gradient
# barely changes over those k steps, together they move the weights by about `k x lr` times the
# average gradient of the k batches, which is just what *one* step on a batch of `k x b` examples
# with rate `k x lr` does. Hence the **linear scaling rule** (Goyal et al., 2017): when you
# multiply the batch size by k, multiply the learning rate by k too. Going from batch 16 at 0.1 to
# batch 64 (k = 4) means a rate of 0.4. The rule is not that the big batch's gradient is k times
# better (it is only `sqrt(k)` less noisy); it is that one big step stands in for k small ones.
#
# **Predict:** at the same 20 epochs, how close does batch 64 with the scaled rate get to batch
# 16?

# %%
scaled = {"batch 16, lr 0.1": train(16),
          "batch 64, lr 0.1": train(64),
          "batch 64, lr 0.4 (scaled)": train(64, lr=0.4)}
ax = plots.seed_bands(scaled, key="train_loss", runs=False, title="scaling the rate with the batch")
for name, runs in scaled.items():
    print(f"{name:>25}: final train loss {comparisons.spread(h.train_loss[-1] for h in runs)}")

# %% tags=["check"]
for s, b, k in zip(*scaled.values()):   # seed by seed: small batch, big batch, big with k x lr
    assert k.train_loss[-1] < 0.8 * b.train_loss[-1]
    assert b.train_loss[-1] - k.train_loss[-1] > 0.6 * (b.train_loss[-1] - s.train_loss[-1])

# %% [markdown]
# With the rate scaled up, the big batch closes most of the gap to batch 16 on every seed, with
# about a quarter of the updates (100 against 380). The rule only holds while its assumption does: k small
# steps must look like one big one. Once the scaled rate comes near the largest stable one (lesson 02) the
# assumption fails, first of all at the start, where the gradient of an untrained network changes
# fast. Push k to 16 (batch 8 at 0.1 becomes batch 128 at 1.6) and compare a **warm-up**, which
# raises the rate gradually over the first epochs (here two):

# %%
warm = {"lr 1.6, no warm-up": train(128, lr=1.6),
        "lr 1.6, 2-epoch warm-up": train(128, lr=1.6, schedule="warmup")}
ax = plots.seed_bands(warm, key="train_loss", title="batch 128 at lr 1.6, six seeds each")
ax.set(xlim=(0.8, 8), ylim=(0, None))   # the first epochs, where the two differ
early = {name: [max(h.train_loss[:3]) for h in runs] for name, runs in warm.items()}
for name, runs in warm.items():
    print(f"{name:>24}: worst of the first 3 epochs {comparisons.spread(early[name])}, "
          f"final {comparisons.spread(h.train_loss[-1] for h in runs)}")

# %% tags=["check"]
cold, calm = early.values()
assert sum(c > 1.0 for c in cold) >= 4 and max(cold) > 4              # jolted, some badly
assert sum(c > w for c, w in zip(cold, calm)) >= 4 and cold[0] > 2 * calm[0]
assert comparisons.spread(cold).median > 1.5 * comparisons.spread(calm).median

# %% [markdown]
# Without warm-up, the full rate jolts the untrained network on most seeds, some of them badly;
# with it, the early epochs are calmer on most seeds and the median jolt is much smaller. In
# practice the linear rule works for SGD (with a warm-up) up to a **critical batch size** that
# depends on the problem; beyond it, a bigger batch no longer buys fewer steps. For Adam the rule
# is different: its steps are already normalized by the gradient's size, and its rate is usually
# scaled closer to `sqrt(k)` than to k.
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
# 3. Pick batch 256. There are only 200 training examples here. What should happen?

# %%
lab = widgets.BatchSizeLab()
lab

# %% [markdown]
# The dashboard refuses batch 256 with a message. That is this course's choice, not a law:
# PyTorch's `DataLoader` would happily take it and hand over all 200 examples as one batch, the
# same as batch 200 (full-batch gradient descent). A batch size above the data set is usually a
# typo or a forgotten subset, which is why `hplab.fit` says so instead.
#
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** Small batches: noisy updates, many steps per epoch, slower epochs, a mild
# regularizing effect. The noise falls only like `1 / sqrt(batch)`. Large batches: smooth updates,
# few steps, fast epochs, but they need a larger learning rate to make use of them: for SGD scale
# the rate with the batch (one big step stands in for k small ones) and warm it up, up to a
# critical batch size; for Adam scale it more gently. Compare batch sizes at the same number of
# steps or the same wall-clock time, over a few seeds, not just at the same number of epochs. 32
# to 256 is the usual range; memory sets the upper limit.
# </div>
#
# ### Interview questions
#
# <details><summary>1. Going from batch 32 to 512 made training worse. Why, and what do you change?</summary>
#
# With the same number of epochs the model makes 16 times fewer updates, each no longer than
# before, so it simply gets less training. Scale the learning rate up (about linearly for SGD,
# with a warm-up; more gently for Adam) or train for more steps, and compare the two at equal
# steps or equal time.
# </details>
#
# <details><summary>2. Why are small-batch gradient updates noisy, and is the noise always bad?</summary>
#
# A minibatch gradient is an average over a few random examples, so it scatters around the
# full-data gradient with a spread that falls only like one over the square root of the batch
# size. That noise slows the final approach to a minimum, but it also helps the weights leave
# sharp minima and saddle points, which often acts as a mild regularizer.
# </details>
#
# <details><summary>3. What is the linear scaling rule, and why does it work?</summary>
#
# When the batch size is multiplied by k, multiply the learning rate by k: as long as the
# gradient changes little over k small steps, their sum is about one step of k times the rate on
# the k batches together. It holds for SGD with a warm-up up to a critical batch size and breaks
# where that assumption fails (early in training, or when the scaled rate nears the stable
# limit); adaptive optimizers like Adam usually scale closer to the square root of k.
# </details>
