# %% [markdown]
# # 12 · Training that blows up, and how practitioners hold it
#
# Sometimes the loss does not merely stall: it shoots up, turns into `nan`, and the run is lost.
# Deep networks are prone to it, because every layer multiplies the gradient on its way back, and
# a product of many factors a little above one becomes enormous. This lesson makes a network blow
# up on purpose, watches the warning sign, and tries the fixes practitioners reach for. It ends
# with the first check to run on a network that does not learn at all.
#
# **After this lesson you will be able to explain**
#
# - why deep plain networks blow up at a high learning rate, and why the gradient norm is the
#   number to log;
# - the difference between clipping the gradient by its norm and by its value;
# - what warm-up and normalization layers (BatchNorm, LayerNorm) do for stability, and when they
#   do not help;
# - how to debug a network that does not learn: overfit one small batch first.

# %%
import hplab
from hplab import plots, stability

# %% [markdown]
# ## A deep network that blows up
#
# The setting: the handwritten digits (8 × 8 pixels, ten classes), a deep and narrow network of
# 12 hidden layers of 64 ReLU units, trained with SGD with momentum (0.9) at a rate of 0.1 for
# up to 8 epochs. Every minibatch we log two numbers: its loss, and the **norm of the whole
# gradient** (all the weights' gradients laid end to end as one vector, its length).
#
# > **Predict first.** If the run blows up, which of the two numbers shows it first: the loss or
# > the gradient norm? And by how many steps?

# %%
data = hplab.load_dataset("digits", seed=0)
plain = stability.deep_run(data, lr=0.1)
warn = stability.first_jump(plain.grad_norm)   # first step > 10x the usual gradient norm
alarm = stability.first_jump(plain.batch_loss, factor=2)   # first loss > 2x the usual loss
print(f"{plain.status} at step {plain.stopped_step} of {8 * plain.steps_per_epoch}; gradient "
      f"norm jumps at step {warn}, loss at step {alarm}")
fig, axes = plots.grid(2, ncols=1)
plots.batch_losses({"plain, rate 0.1": plain}, axes[0], per="step")
ax = stability.norm_panel({"plain, rate 0.1": plain}, axes[1])

# %% tags=["check"]
assert plain.diverged and warn is not None and alarm is not None
assert warn + 3 <= alarm <= plain.stopped_step and warn > 150
early = sorted(plain.grad_norm[:150])
assert 0.5 < early[75] < 3 and early[-1] < 20   # median about 1, spikes to about 10

# %% [markdown]
# For about 200 steps nothing looks wrong: the loss creeps down and the gradient norm hovers
# around 1, with spikes to about 10. Then the gradient norm leaves its range a few steps before
# the loss does, and within a few more steps both explode and `fit` stops the run as diverged. The order is the
# general pattern, not a coincidence of this seed: a step is the rate times the gradient, so a
# gradient ten times longer throws the weights ten times further, and only *after* that jump
# does the loss show the damage. Log the gradient norm in every serious run
# (`fit(..., track_gradients=True)` fills `History.grad_norm`); a spike there is the early warning,
# and the usual first suspects are a rate too high for the depth, or a bad batch.
#
# ## Four ways to hold it
#
# **Clipping by norm** rescales the whole gradient when it is longer than a threshold: the
# direction is kept, only the step's length is capped (`torch.nn.utils.clip_grad_norm_`).
# **Clipping by value** clamps every component to [-v, v]: the big components are cut and the
# small ones kept, so the direction turns. **BatchNorm** and **LayerNorm** rescale every layer's
# outputs to mean 0 and spread 1 (BatchNorm over the minibatch, LayerNorm over the units of each
# example), so a layer cannot feed the next ever larger numbers.
#
# > **Predict first.** Same network, same rate 0.1. Which of the four fixes finishes the 8 epochs,
# > and which classifies best?

# %%
fixed = {name: stability.deep_run(data, lr=0.1, **fix) for name, fix in stability.FIXES.items()}
for name, h in {"plain": plain, **fixed}.items():
    print(f"{name:>20}: {h.status:9} | validation accuracy {h.val_metric[-1]:.2f}")
fig, axes = plots.grid(2, ncols=1)
plots.batch_losses({"plain": plain, **fixed}, axes[0], per="step")
ax = stability.norm_panel({"plain": plain, **fixed}, axes[1])

# %% tags=["check"]
acc = {name: h.val_metric[-1] for name, h in fixed.items()}
assert not any(h.diverged for h in fixed.values())
assert acc["clip by norm (1.0)"] > 0.85 and acc["BatchNorm"] > 0.85
assert acc["clip by value (0.1)"] < acc["clip by norm (1.0)"] - 0.15
assert acc["LayerNorm"] < 0.5
clipped = fixed["clip by norm (1.0)"].grad_norm
assert sum(g > 1 for g in clipped[20:]) > 0.8 * len(clipped[20:])   # nearly every step capped

# %% [markdown]
# - **Clipping by norm** holds it and the network learns well: after the first steps nearly
#   every gradient is longer than 1, so every step is capped at the same length — a safety rail
#   that also lowered the effective rate.
# - **Clipping by value** also stops the explosion, but the network learns much less: cutting
#   every component to ±0.1 flattens the gradient's shape, and the step no longer points
#   downhill. Clip by norm unless you have a reason not to.
# - **BatchNorm** lets the very network that blew up train at the same rate and learn well.
# - **LayerNorm**, placed the same way in this plain ReLU stack, finishes without a blow-up but
#   barely learns. Normalization is not a single switch: LayerNorm's home is the transformer,
#   with residual connections around it and Adam with warm-up driving it.
#
# ## Warm-up
#
# Adam's first steps are the riskiest: its estimate of each weight's gradient scale comes from
# a handful of minibatches, so early steps can be far too long. **Warm-up** starts at a small rate
# and raises it to the full rate over the first epochs (or, for transformers, steps).
#
# > **Predict first.** Adam at 0.01 (ten times its usual rate) on the same deep network: does a
# > two-epoch warm-up end better than starting at full rate? Does BatchNorm?

# %%
adam = {name: stability.deep_run(data, lr=0.01, optimizer="adam", **option)
        for name, option in stability.WARMUP.items()}
for name, h in adam.items():
    print(f"{name:>22}: {h.status:9} | validation accuracy {h.val_metric[-1]:.2f}")

# %% tags=["check"]
acc = [h.val_metric[-1] for h in adam.values()]
assert acc[1] > acc[0] + 0.03 and acc[2] > acc[1]   # BatchNorm higher still, on this seed

# %% [markdown]
# Both help: the warmed-up run ends a few points higher than the one that started at full speed,
# and BatchNorm higher still. Warm-up does not help every blow-up: with momentum SGD above, the
# explosion came after 200 steps, long after any warm-up would have ended (the tests check
# that a three-epoch warm-up diverges there too). Warm-up is for trouble at the *start*.
#
# ## A network that does not learn: overfit one batch first
#
# A loss that stays flat is harder to read than one that explodes: the rate, the data, the
# labels, the loss or the training loop could be wrong. The first check costs seconds: train on
# 32 examples alone. Any network with a few thousand weights can memorize 32 examples, so a
# correct pipeline drives the training loss to about 0. If it does not, the bug is in the
# pipeline, and no amount of tuning will find it.
#
# > **Predict first.** We plant two classic bugs: inputs and labels shuffled separately
# > (a label no longer belongs to its image), and a forgotten `optimizer.zero_grad()`. Which of the
# > two still reaches a loss near 0 at some point, and where does it end?

# %%
checks = {bug or "correct pipeline": stability.overfit_one_batch(data, bug=bug)
          for bug in (None, "shuffled_labels", "no_zero_grad")}
for name, losses in checks.items():
    print(f"{name:>17}: loss {losses[0]:.2f} at the start, lowest {min(losses):.3f}, "
          f"last {losses[-1]:.3f}")

# %% tags=["check"]
correct, shuffled, piled = checks.values()
assert correct[-1] < 0.05 and min(shuffled) > 1.5 and piled[-1] > 1 and min(piled) < 0.05

# %% [markdown]
# The correct pipeline memorizes the 32 images. With shuffled labels the loss never leaves
# the level of guessing, so the check fails at once. The forgotten `zero_grad` is sneakier: the
# gradients pile up across steps, the loss does touch 0 on the way, then every update carries
# all the earlier ones and the run is thrown off again — look at the end of the curve, not only
# its low point. When the one-batch check passes and the full run still fails, look next at the
# data (are the labels right? are the inputs scaled?), then at the gradient norms per layer
# (`plots.layer_gradients`): zeros in the first layers mean the signal does not get through.

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Log the gradient norm: it leaves its range before the loss does.
# - Clip by norm (it keeps the direction); clipping by value can hold a run and still ruin it.
# - BatchNorm let this deep network train at a rate that blew up the plain one; LayerNorm, in
#   the same place, did not — normalization helps where it fits the architecture.
# - Warm-up tames blow-ups at the start of training, not later ones.
# - A network that does not learn: first overfit 32 examples. If that fails, the bug is in the
#   pipeline, not the hyperparameters.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. Your loss suddenly becomes NaN halfway through training. What do you do?**
#
# <details><summary>Show an answer</summary>
#
# First find out when and where: look at the logged gradient norm (here it left its range several
# steps before the loss did), and at the batch that triggered it (a bad example, a division by a
# tiny number, a log of 0). Then the usual fixes, in order: lower the rate or add warm-up if it
# happens early, clip the gradient by norm (a threshold a little above the typical norm), add
# normalization layers, and, in mixed precision, check that loss scaling is on (fp16 overflows
# at about 65,000). Restart from the last good checkpoint rather than from scratch.
# </details>
#
# **2. Clipping by norm or by value: what is the difference?**
#
# <details><summary>Show an answer</summary>
#
# By norm rescales the whole gradient vector when its length passes a threshold: the direction
# is kept, the step is capped. By value clamps every component separately: large components are
# cut and small ones kept, which changes the direction. In this lesson both stopped a deep
# network from blowing up, but clipping by value left it at a far lower accuracy. Norm clipping
# is the default in practice (transformers typically use a threshold of 1.0).
# </details>
#
# **3. A network's training loss does not go down. How do you debug it?**
#
# <details><summary>Show an answer</summary>
#
# Overfit one small batch first: 32 examples, no regularization, until the training loss is
# about 0. If it cannot, the bug is in the pipeline: labels misaligned with inputs, a forgotten
# `zero_grad`, a wrong loss (softmax applied twice), the model in eval mode, the inputs not
# scaled. Then check the data by eye, the initial loss (about ln 10 ≈ 2.3 for ten balanced
# classes), and the gradient norm of every layer: zeros mean dead units or a broken graph,
# huge values an exploding network. Only then tune the rate.
# </details>
