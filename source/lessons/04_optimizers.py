# %% [markdown]
# # 04 · Optimizers
#
# The gradient says which way is downhill *right here*. An **optimizer** decides what step to
# take with that information: plain SGD steps straight along it; momentum keeps some of its
# previous velocity; RMSprop and Adam resize the step of each weight separately. On an easy
# problem they all get there. On an awkwardly shaped loss surface the differences are large, and
# you can see them.
#
# **After this lesson you will be able to explain**
#
# - why plain SGD zig-zags in a narrow valley and how momentum fixes that;
# - what Adam's two betas do, and why Adam takes steps of about the same size on every weight;
# - how AdamW differs from Adam with weight decay;
# - which optimizer to try first, and why it is still worth comparing.

# %%
import numpy as np

import hplab
from hplab import comparisons, plots, widgets

# %% [markdown]
# ## A network with two weights
#
# A real network has thousands of weights, which nobody can picture. With just two, the loss is a
# landscape you can draw: the two weights are a point on a map, the loss is the height, and the
# contour lines connect points of equal loss. Each optimizer below is PyTorch's own class
# (`torch.optim.SGD`, `Adam`, ...) updating a tensor of two numbers.
#
# The **valley** surface is long and narrow: across the valley (weight 2) the walls are 100 times
# steeper than along its floor (weight 1). Such shapes are common in real networks, where some
# weights matter far more to the loss than others.
#
# **Predict first:** starting at the white square, which path will get closest to the gold star
# in 50 steps: plain SGD, SGD with momentum, or Adam?

# %%
paths = hplab.compare_paths("valley", ["sgd", "momentum", "adam"], steps=50)
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.6))
plots.optimizer_paths(paths, axes[0])
plots.path_losses(paths, axes[1])
for name, path in paths.items():
    print(f"{name:>8}: {hplab.describe_path(path).label:9} final loss {path.final_loss:.4f}, "
          f"distance to the minimum {path.distance_to((0, 0)):.2f}")

# %% tags=["check"]
dist = {name: path.distance_to((0, 0)) for name, path in paths.items()}
assert dist["momentum"] < 0.2 * dist["adam"]                  # momentum closest, by far
assert dist["adam"] < 0.3 * dist["sgd"]                       # Adam second, SGD far behind
assert paths["adam"].points[:, 0].max() > 0.3                 # Adam overshot the minimum
assert paths["momentum"].final_loss < paths["adam"].final_loss / 3
assert paths["adam"].losses.min() < paths["momentum"].final_loss < paths["adam"].final_loss
losses = {name: path.losses for name, path in paths.items()}
assert np.mean(losses["adam"] < np.minimum(losses["sgd"], losses["momentum"])) > 0.6
assert paths["adam"].points[:, 1].min() < -0.3                # dived past the floor
assert np.abs(paths["momentum"].points[1:10, 1]).max() >= np.abs(paths["sgd"].points[1:10, 1]).max()

# %% [markdown]
# **The answer: momentum** gets closest, a few hundredths from the star, with a loss several times
# lower than Adam's. Adam comes second: it passed the minimum and is swinging back. SGD is still
# more than three units away. What each path does:
#
# - **SGD** zig-zags. The gradient points mostly *across* the valley, toward the nearer steep
#   wall, so each step jumps to the other side. To keep those jumps from growing the rate must
#   stay small, and then progress *along* the flat floor is painfully slow.
# - **Momentum** keeps a running sum of past gradients. Its first steps bounce across the valley
#   as wildly as SGD's, but there the gradients flip sign each step and cancel out; along the floor
#   they all point the same way and add up, so the point picks up speed where it needs it.
# - **Adam** divides each weight's step by a running measure of that weight's gradient size, so
#   its first steps are the same size on both weights: it heads diagonally down into the valley,
#   past its floor. Its own momentum (beta1, below) then carries it along the floor in slow
#   S-shaped swings, and past the minimum before it turns back.
#
# The loss panel on the right tells the same story in numbers: Adam's loss was the lowest of the
# three for most of the way and even dipped below momentum's final value as it crossed the
# minimum, but it was moving too fast to stop there.
#
# The first step shows Adam's rescaling most plainly. At the start the gradient across the valley
# is 12 times larger than along it; SGD's step copies that ratio, Adam's does not:

# %%
for name in ("sgd", "adam"):
    step = hplab.optimizer_path("valley", name, lr=0.1, steps=1).steps[0]
    print(f"{name:>5} first step: along {step[0]:+.4f}, across {step[1]:+.4f}")

# %% [markdown]
# ## Why momentum runs at a smaller rate
#
# SGD ran at 0.45 here, momentum at 0.12. That is not because momentum is more fragile: it is
# because momentum's steps are *bigger* than its rate. While the gradient keeps pointing the same
# way, the velocity sums it up again and again, and with momentum 0.9 the step grows towards
# `lr / (1 - 0.9)`, ten times the rate. Watch it on a straight slope, where the gradient is the
# same (1 along one weight, 0.01 along the other) at every step:

# %%
for name in ("sgd", "momentum", "adam"):
    moves = -hplab.slope_steps(name, steps=40)   # each step, in units of the rate
    print(f"{name:>8}: step 1 = lr x {moves[0].round(3)}, step 40 = lr x {moves[-1].round(3)}")

# %% tags=["check"]
assert abs(hplab.slope_steps("momentum", steps=40)[-1, 0]) > 9.5         # close to 1 / (1 - 0.9)
assert abs(hplab.slope_steps("sgd", steps=40)[-1, 0]) == 1.0
assert abs(hplab.slope_steps("adam", steps=40)[-1]).min() > 0.99         # lr on both weights

# %% [markdown]
# So momentum at 0.12 travels along the floor like SGD at 1.2, a rate at which plain SGD would fly
# off the walls. The rule of thumb: when you add momentum β, divide the rate by about `1 / (1 - β)`
# (10 for 0.9) to keep the same effective step. Adam is different again: its step is about `lr`
# on every weight whatever the gradient's size (the last line), so its rate is measured in units
# of the weights themselves and cannot be compared with SGD's at all.

# %% [markdown]
# ## Adam's betas
#
# Adam keeps two moving averages for every weight:
#
# - **beta1** (default 0.9) averages the gradient itself: this is Adam's momentum. 0 means no
#   memory; 0.99 means a long memory, which carries the point further past a turn.
# - **beta2** (default 0.999) averages the *squared* gradient, the size used to scale each step.
#   A smaller beta2 adapts to a change in gradient size faster but is noisier.
#
# **Predict:** with beta1 = 0.99, will the path overshoot the minimum, or stop short of it?

# %%
betas = {f"beta1={b1}": hplab.optimizer_path("valley", "adam", lr=0.3, betas=(b1, 0.999))
         for b1 in (0.0, 0.9, 0.99)}
plots.optimizer_paths(betas, title="Adam with three values of beta1")
for name, path in betas.items():
    print(f"{name}: {hplab.describe_path(path).label}, final loss {path.final_loss:.4f}")

# %% tags=["check"]
assert betas["beta1=0.99"].points[:, 0].max() > 3             # sails out of the picture
assert betas["beta1=0.0"].points[:, 0].max() < 0               # no overshoot without memory
assert abs(betas["beta1=0.0"].steps[0, 0] - 0.3) < 0.01        # first step along the floor: lr
assert betas["beta1=0.0"].steps[-1, 0] < 0.3 * betas["beta1=0.0"].steps[0, 0]

# %% [markdown]
# With a long memory (0.99) the point builds up speed, sails past the minimum and out of the
# picture, and 50 steps are not enough to swing back. Without memory (0) Adam behaves like
# RMSprop: it drops onto the floor at once and walks along it, first at `lr` per step, then more
# and more slowly as the floor's gentle gradient shrinks next to the remembered big ones, and it
# reaches the minimum from one side without overshooting. That works on this smooth surface but is
# easily thrown around by noisy minibatch gradients in a real network. The default 0.9 is a
# compromise that works on most problems, which is why people rarely change it.
#
# ## When the valley is tilted
#
# Adam rescales each *weight* separately. That helps most when the steep and flat directions line
# up with the weights, as above. Turn the same valley by 45 degrees and both weights see both
# slopes. **Predict:** will Adam still beat SGD by the same margin?

# %%
tilted = hplab.compare_paths("tilted_valley", ["sgd", "momentum", "adam"], steps=50)
plots.optimizer_paths(tilted)
for name, p in (("valley", paths), ("tilted valley", tilted)):
    print(f"{name:>13}: final loss SGD {p['sgd'].final_loss:.4f}, Adam {p['adam'].final_loss:.4f} "
          f"(SGD / Adam = {p['sgd'].final_loss / p['adam'].final_loss:.1f}x), "
          f"momentum {p['momentum'].final_loss:.4f}")

# %% tags=["check"]
ratio = {s: p["sgd"].final_loss / p["adam"].final_loss for s, p in (("v", paths), ("t", tilted))}
assert ratio["v"] > 10 and 0.8 < ratio["t"] < 1.25             # a lead of 10x+ shrinks to none
assert tilted["momentum"].final_loss < 0.1 * tilted["adam"].final_loss

# %% [markdown]
# On the tilted valley the Adam and SGD paths lie almost on top of each other: Adam's per-weight
# scaling no longer matches the valley, and its lead over SGD shrinks from about 20x to nothing.
# Momentum does not care about the orientation and still wins. Real loss surfaces have both kinds
# of directions, which is why Adam with its built-in momentum is such a robust default.
#
# ## Your turn: the path explorer
#
# Pick an optimizer and watch its path; changing the optimizer also picks a rate that suits it on
# this surface. The previous path stays on the map for comparison. Try the `rosenbrock` surface (a
# curved valley) with 300 steps too.
#
# Every path can be watched as it is walked: press **play** (▶) above the picture and the
# optimizer replays its path one step at a time, with a dot where it stands and the loss panel
# marked at that step. Pause, or drag the **step** slider to go back to any step, as often as you
# like: the path is already computed, so nothing runs again.
#
# **Predict, then try:**
#
# 1. With SGD on the valley, raise the rate one notch at a time. At what point does the zig-zag
#    grow instead of fade?
# 2. With momentum, push the momentum slider to 0.99. Faster, or slower?
# 3. With Adam, lower beta2 to 0.9. What changes near the minimum?
# 4. Press play on Adam's path, then on momentum's. Which one turns towards the minimum in its
#    first few steps, and which one first runs along the valley wall?

# %%
explorer = widgets.PathExplorer()
explorer

# %% [markdown]
# ## On a real task
#
# Back to a network with 1,200 weights: two hidden layers learning the *spirals*. Each optimizer
# gets a rate that suits it. Momentum and Nesterov run at 0.03, SGD's 0.3 divided by
# `1 / (1 - 0.9)`: the same effective step. RMSprop and Adam run at rates in their own units (about
# how far each weight moves per step), so theirs are not "smaller" in any comparable sense. AdamW
# is Adam with **decoupled weight decay**: in Adam, weight decay is added to the gradient and then
# divided by Adam's scaling, so weights with large gradients barely decay; AdamW shrinks every
# weight by the same fraction directly, which is what weight decay is meant to do.
#
# One run could be a lucky draw, so each optimizer trains six times, from six seeds (initial
# weights and minibatch order); the band is the mean ± one standard deviation.
#
# **Predict:** which two will reach the lowest training loss in 30 epochs?

# %%
spirals = hplab.load_dataset("spirals", n_samples=600, seed=0)
rates = dict(sgd=0.3, momentum=0.03, nesterov=0.03, rmsprop=0.003, adam=0.01, adamw=0.01)
race = comparisons.optimizer_race(spirals, rates, epochs=30, weight_decay={"adamw": 0.01})
ax = plots.seed_bands(race, key="train_loss", runs=False, title="six optimizers on the spirals")

# %%
final = {name: [h.train_loss[-1] for h in hists] for name, hists in race.items()}
for name, hists in race.items():
    print(f"{name:>9} lr {rates[name]:<6g} seed 0: train loss {final[name][0]:.3f}, val accuracy "
          f"{hists[0].val_metric[-1]:.2f} | six seeds: {comparisons.spread(final[name])}")

# %% tags=["check"]
for seed in range(6):
    rest = min(final[n][seed] for n in ("sgd", "momentum", "nesterov", "rmsprop"))
    assert max(final["adam"][seed], final["adamw"][seed]) < 0.6 * rest, seed

# %% [markdown]
# Adam and AdamW reach the lowest training loss on every seed, several times below the others,
# whose order changes from seed to seed. Do not read this as a law: with a tuned rate and
# schedule, SGD with momentum often generalizes as well as Adam or better, especially for image
# models. What holds almost always is that Adam is the most forgiving first choice — it works well
# over a wide range of rates.
#
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** Plain SGD zig-zags when some directions are much steeper than others. Momentum
# averages the zig-zag away and speeds up along consistent directions; its step grows to
# `lr / (1 - β)`, so it needs a rate about ten times smaller than SGD's for momentum 0.9. Adam (and
# RMSprop) scale every weight's step by its own gradient history, so steep and flat directions
# move at similar speeds; beta1 is Adam's momentum, beta2 the memory of gradient sizes. Start with
# Adam (or AdamW when you use weight decay) at about 1e-3 to 1e-2, then compare with SGD +
# momentum, over more than one seed.
# </div>
#
# ### Interview questions
#
# <details><summary>1. Why does momentum help in a narrow valley, and why does it need a smaller rate?</summary>
#
# Across the valley the gradient changes sign every step, so summing successive gradients cancels
# that component, while along the floor they agree and add up into a larger velocity: the
# bouncing dies down and progress along the floor speeds up. Because a steady gradient is summed
# into a step of `lr / (1 - β)`, ten times the rate for β = 0.9, the rate must shrink by that
# factor to keep the same effective step.
# </details>
#
# <details><summary>2. What do Adam's beta1 and beta2 control?</summary>
#
# beta1 sets how long Adam remembers past gradients (its momentum) and beta2 how long it remembers
# their squared sizes, whose square root divides each weight's step. Longer memories give
# smoother steps that react more slowly: a beta1 near 1 carries the weights past turns and
# minima, a small beta2 lets the step size follow sudden changes but makes it noisier.
# </details>
#
# <details><summary>3. What is the difference between Adam with weight decay and AdamW?</summary>
#
# Adam adds the decay term to the gradient, so it is divided by Adam's per-weight scaling and
# weights with large gradients are barely shrunk. AdamW shrinks every weight by the same fraction
# directly, apart from the gradient step, so weight decay does what it is meant to and its
# strength no longer depends on the gradients' sizes.
# </details>
