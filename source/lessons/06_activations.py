# %% [markdown]
# # 06 · Activation functions
#
# Without an activation function, a stack of layers is just one big linear map: ten layers can
# draw no more than a straight line. The activation bends each unit's output, and that bend is
# what lets a network draw curves. Its *slope* matters just as much, because backpropagation
# multiplies the gradient by that slope once per layer on the way back.
#
# **After this lesson you will be able to explain**
#
# - the shapes of ReLU, leaky ReLU, sigmoid, tanh and GELU, and their slopes;
# - why deep sigmoid networks suffer from **vanishing gradients**, and how to see it;
# - what a **dead ReLU** is, how a too-high learning rate causes many of them, and how leaky ReLU
#   avoids the problem.

# %%
import numpy as np

import hplab
from hplab import comparisons, plots, widgets

# %% [markdown]
# ## Five shapes, five slopes
#
# **Predict first:** which of the five has the *largest* slope anywhere, and which one never has
# a slope above a quarter?

# %%
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.4))
plots.activation_shapes(axes[0])
ax = plots.activation_shapes(axes[1], derivative=True)

# %% [markdown]
# - **ReLU** is `max(0, x)`: slope 1 for positive inputs, exactly 0 for negative ones. Cheap,
#   and the slope of 1 passes gradients through unchanged.
# - **Leaky ReLU** lets a small slope (here 0.1) through for negative inputs, so its slope is
#   never 0.
# - **Sigmoid** squashes everything into (0, 1). Its slope peaks at 0.25 and fades to almost 0
#   for inputs beyond about ±4: the unit is *saturated*.
# - **Tanh** squashes into (-1, 1), centred on 0, with a peak slope of 1 — better than sigmoid,
#   but it saturates too.
# - **GELU** is a smooth ReLU used in transformers: nearly ReLU for large inputs, slightly
#   negative just below 0. Its slope overshoots 1 a little (about 1.13, near an input of 1.4):
#   the largest of the five, which answers the first question. Sigmoid answers the second.
#
# ## Vanishing gradients in a deep sigmoid network
#
# The gradient for the first layer is a product with one factor per layer above it, and each
# factor includes the activation's slope. With sigmoid every such factor is at most 0.25, so
# eight layers can shrink the signal by 0.25^8, about 1/65,000. The first layers barely learn.
#
# `fit(..., track_gradients=True)` records the size of each layer's weight gradient in every
# epoch. **Predict:** in an 8-layer sigmoid network, how many times smaller will the first layer's
# gradient be than the last layer's? And in the same network with ReLU?

# %%
moons = hplab.load_dataset("moons", n_samples=1000, seed=0).subset(200)
deep = {}
for act in ("sigmoid", "relu"):
    model = hplab.mlp(2, 2, depth=8, width=32, activation=act, seed=0)
    deep[act] = hplab.fit(model, moons, optimizer="sgd", lr=0.1, epochs=20,
                          track_gradients=True, seed=0)
    first, last = deep[act].grad_norms[-1][0], deep[act].grad_norms[-1][-1]
    print(f"{act:>7}: first layer / last layer gradient = {first / last:.1e}, final train loss "
          f"{deep[act].train_loss[-1]:.3f}, val accuracy {deep[act].val_metric[-1]:.2f}")

# %% tags=["check"]
sig, relu = (np.array(deep[a].grad_norms) for a in ("sigmoid", "relu"))  # (epochs, layers)
assert (sig.max(axis=1) / sig.min(axis=1)).min() > 1e4     # 4-5 orders of magnitude, every epoch
assert (relu.max(axis=1) / relu.min(axis=1)).max() < 10    # ReLU: within a factor of ten
assert abs(deep["sigmoid"].train_loss[-1] - np.log(2)) < 0.03   # a fifty-fifty guess
assert deep["relu"].train_loss[-1] < 0.5 * deep["sigmoid"].train_loss[-1]

# %%
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.6))
for ax, (act, hist) in zip(axes, deep.items()):
    plots.gradient_norms(hist, ax, title=f"8 layers of {act}")
axes[1].set_ylim(axes[0].get_ylim())   # the same scale on both, to compare the spread

# %% [markdown]
# On the log scale, the sigmoid network's layers fan out over four to five orders of magnitude:
# the output layer learns, the first layers hardly move, and the loss stays at about 0.69 = ln 2,
# the loss of a fifty-fifty guess (underfitting). The ReLU network's lines stay within a factor
# of ten of each other, and its loss falls. The same happens from other seeds too.
#
# Remedies, roughly in the order you would try them: ReLU-family activations in hidden layers,
# an initialization scaled to the activation, normalization layers, and residual connections in
# very deep networks. On initialization: `hplab.mlp` draws each hidden layer's weights with
# variance 2 / fan_in for the ReLU family (He, or Kaiming, initialization) and with Glorot
# (Xavier) scaling for sigmoid and tanh, so the sigmoid network above already had a sensible
# start and its gradient still vanished: the slope of at most 0.25 is the culprit. PyTorch's
# *default* for `nn.Linear` is neither: it draws from the uniform range ±1/sqrt(fan_in)
# (`kaiming_uniform_` with `a = sqrt(5)`), a variance of 1 / (3 fan_in), a sixth of what He
# initialization gives a ReLU layer; that is why code for deep ReLU networks often re-initializes
# its layers. Sigmoid stays useful at the *output* when you need a probability.
#
# ## Dying ReLU
#
# A ReLU unit whose input is negative for *every* training example outputs 0 for all of them and
# has slope 0 for all of them. No gradient reaches its weights, so its own weights stop changing:
# the unit is **dead**. For a unit in the first layer, whose inputs are the fixed training data,
# that is final. A dead unit in a deeper layer can still come back if the layers below it change
# its inputs, but once most units are dead, little is left to change them. A few dead units are
# normal. Many appear when a large update shoves the weights and biases far into the negative
# region — typically a learning rate that is too high at the start of training.
#
# Below, networks of 4 layers of 8 units start with Adam at a rate of 0.3, far too high, which a
# cosine schedule then lowers. The only difference is ReLU versus leaky ReLU; each is trained
# from six seeds (1 to 6), and the pictures on the left show seed 1.
# `fit(..., track_dead_units=True)` records the share of dead ReLU units each epoch.
#
# **Predict:** will the ReLU network recover once the rate has come down?

# %%
rough_start = {act: comparisons.rough_start(moons, act, seeds=range(1, 7))
               for act in ("relu", "leaky_relu")}
runs = {act: [hist for _, hist in pairs] for act, pairs in rough_start.items()}
for act, hists in runs.items():
    h = hists[0]
    print(f"{act:>10}: seed 1: dead units at the end {h.dead_fraction[-1]:.0%}, train loss "
          f"{h.train_loss[-1]:.3f}, val accuracy {h.val_metric[-1]:.2f} | six seeds: dead "
          f"{comparisons.spread(x.dead_fraction[-1] for x in hists)}, "
          f"val accuracy {comparisons.spread(x.val_metric[-1] for x in hists)}")

# %% tags=["check"]
relu, leaky = runs["relu"], runs["leaky_relu"]
assert all(h.dead_fraction[-1] >= 0.5 for h in relu)                  # half or more die ...
assert all(h.dead_fraction[-1] >= max(h.dead_fraction) - 0.1 for h in relu)   # ... for good
assert abs(relu[0].train_loss[-1] - np.log(2)) < 0.02 and relu[0].val_metric[-1] < 0.6
assert all(h.dead_fraction == [0.0] * 30 and h.val_metric[-1] > 0.85 for h in leaky)
assert min(h.val_metric[-1] for h in leaky) > min(h.val_metric[-1] for h in relu) + 0.2

# %%
fig, axes = plots.grid(3, ncols=3, size=(3.6, 3.2))
plots.dead_units(relu[0], axes[0], title="seed 1, ReLU: dead units")
plots.overlay({"relu": relu[0], "leaky relu": leaky[0]}, axes[1], key="train_loss",
              title="seed 1: training loss")
ax = plots.seed_bands({"relu": relu, "leaky relu": leaky}, axes[2], key="val_metric",
                      title="six seeds: val accuracy")

# %% [markdown]
# On every seed half or more of the ReLU units die in the first epochs, and hardly any come back
# after the rate drops (a deeper unit can revive when the layers below it change, but with most
# units dead that is rare). What the survivors can still do
# is a matter of luck. On seed 1 they are too few: the network gives the same answer to every
# input, and its loss sits at ln 2 ≈ 0.69, a fifty-fifty guess. On other seeds the surviving units
# still separate the moons, more or less well. The leaky ReLU units take the same beating, but
# their slope for negative inputs is 0.1, not 0, so gradients keep flowing, and the network learns
# on every seed: its worst seed is far better than ReLU's worst. (Leaky units are not counted as
# dead: they cannot be.)
#
# The usual cures for dying ReLUs: a smaller learning rate or a warm-up, leaky ReLU / GELU / ELU,
# and sensible initialization.
#
# ## Your turn: the activation dashboard
#
# The middle panel shows each layer's gradient size, the right panel the share of dead units.
#
# **Predict, then try:**
#
# 1. In the "vanishing gradients" preset, switch the activation to tanh, then to relu. How do the
#    lines in the middle panel move?
# 2. In the "dying ReLU" preset, lower the learning rate one notch at a time. When do the units
#    stop dying?
# 3. Make the ReLU network wider (64 units). Does it survive the rough start better? Why might it?

# %%
lab = widgets.ActivationLab()
lab

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** Use ReLU (or leaky ReLU / GELU) in hidden layers: its slope of 1 keeps gradients
# from vanishing with depth. Sigmoid and tanh saturate, and stacked sigmoid layers shrink the
# gradient by at least 4x per layer, so the first layers stop learning. ReLU units die when a
# large update pushes them negative for every input, and a dead unit gets no gradient of its own;
# leaky ReLU keeps a small slope, so its units keep learning. Watch per-layer gradient norms and
# the dead-unit share when a deep network will not learn, and judge a fix over several seeds.
# </div>
#
# ### Interview questions
#
# <details><summary>1. What is the vanishing gradient problem, and why does sigmoid make it worse?</summary>
#
# Backpropagation multiplies the gradient by each layer's weights and activation slope on its
# way to the input, so when those factors are below 1 the gradient shrinks exponentially with
# depth and the first layers barely learn. Sigmoid's slope is at most 0.25 (and near 0 when it
# saturates), so every sigmoid layer divides the gradient by at least four; ReLU's slope of 1,
# activation-aware initialization, normalization and residual connections counter it.
# </details>
#
# <details><summary>2. What is a dying ReLU, and how would you detect and prevent it?</summary>
#
# A ReLU unit whose input is negative for every training example outputs zero and passes back
# zero gradient, so its weights stop changing; in the first layer it stays dead for good, while a
# deeper one revives only if the layers below change its inputs. Detect it by counting units that
# output zero for a whole batch of training data, and prevent it with a lower rate or warm-up,
# leaky ReLU / ELU / GELU, and sensible initialization.
# </details>
#
# <details><summary>3. Why is tanh often preferred to sigmoid in hidden layers?</summary>
#
# Tanh is zero-centred, so the next layer's inputs are not all positive (which would push all of
# a unit's weight gradients to the same sign and make the updates zig-zag), and its peak slope is
# 1 instead of 0.25, so gradients shrink less per layer. It still saturates for large inputs,
# which is why ReLU-family functions are the default today.
# </details>
