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
import hplab
from hplab import plots, widgets

# %% [markdown]
# ## Five shapes, five slopes
#
# **Predict first:** which of the five has the *largest* slope anywhere, and which one never has
# a slope above a quarter?

# %%
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.4))
plots.activation_shapes(axes[0])
plots.activation_shapes(axes[1], derivative=True);

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
#   negative just below 0.
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
    print(f"{act:>7}: first layer / last layer gradient = {first / last:.1e}, "
          f"{hplab.diagnose(deep[act]).label}")

# %%
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.6))
for ax, (act, hist) in zip(axes, deep.items()):
    plots.gradient_norms(hist, ax, title=f"8 layers of {act}")

# %% [markdown]
# On the log scale, the sigmoid network's layers fan out over about five orders of magnitude:
# the output layer learns, the first layers hardly move, and the loss stays near its starting
# value (underfitting). The ReLU network's lines stay within a factor of ten of each other.
#
# Remedies, roughly in the order you would try them: ReLU-family activations in hidden layers,
# careful initialization (the default PyTorch init is scaled for this), normalization layers, and
# residual connections in very deep networks. Sigmoid stays useful at the *output* when you need
# a probability.
#
# ## Dying ReLU
#
# A ReLU unit whose input is negative for *every* training example outputs 0 for all of them and
# has slope 0 for all of them. No gradient reaches its weights, so nothing can ever turn it back
# on: the unit is **dead**. A few dead units are normal. Many appear when a large update shoves
# the weights and biases far into the negative region — typically a learning rate that is too
# high at the start of training.
#
# Below, two networks (4 layers of 8 units) start with Adam at a rate of 0.3, far too high,
# which a cosine schedule then lowers. The only difference is ReLU versus leaky ReLU.
# `fit(..., track_dead_units=True)` records the share of dead ReLU units each epoch.
#
# **Predict:** will the ReLU network recover once the rate has come down?

# %%
rough_start = {}
for act in ("relu", "leaky_relu"):
    model = hplab.mlp(2, 2, depth=4, width=8, activation=act, seed=1)
    rough_start[act] = hplab.fit(model, moons, optimizer="adam", lr=0.3, schedule="cosine",
                                 epochs=30, track_dead_units=True, seed=1)
for act, hist in rough_start.items():
    print(f"{act:>10}: dead units at the end {hist.dead_fraction[-1]:.0%}, "
          f"val accuracy {hist.val_metric[-1]:.2f}, {hplab.diagnose(hist).label}")

# %%
fig, axes = plots.grid(2, ncols=2, size=(5.0, 3.4))
plots.dead_units(rough_start["relu"], axes[0], title="ReLU: dead units per epoch")
plots.overlay(rough_start, axes[1], key="train_loss", title="training loss");

# %% [markdown]
# Most of the ReLU units die in the first epochs and stay dead even after the rate drops; the
# survivors are too few to separate the moons, and the loss sits at its starting value. The leaky
# ReLU units take the same beating, but their slope for negative inputs is 0.1, not 0, so
# gradients keep flowing and the network recovers once the rate comes down. (Leaky units are not
# counted as dead: they cannot be.)
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
# gradient by up to 4x per layer, so the first layers stop learning. ReLU units can die when a
# large update pushes them negative for every input; leaky ReLU keeps a small slope so they can
# recover. Watch per-layer gradient norms and the dead-unit share when a deep network will not
# learn.
# </div>
#
# ### Interview questions
#
# <details><summary>1. What is the vanishing gradient problem, and why does sigmoid make it worse?</summary>
#
# Backpropagation multiplies the gradient by each layer's weights and activation slope on the way
# to the input. If those factors are below 1 the product shrinks exponentially with depth, and the
# early layers receive almost no gradient. Sigmoid's slope is at most 0.25 and near zero when
# saturated, so deep sigmoid stacks shrink the gradient very quickly. ReLU, good initialization,
# normalization and residual connections counter it.
# </details>
#
# <details><summary>2. What is a dying ReLU, and how would you detect and prevent it?</summary>
#
# A ReLU unit whose pre-activation is negative for every input outputs zero and receives zero
# gradient, so it can never recover. Detect it by measuring, on a batch of training data, the
# share of units that are zero for every example. Prevent it with a lower learning rate or
# warm-up, leaky ReLU / ELU / GELU, and proper initialization.
# </details>
#
# <details><summary>3. Why is tanh often preferred to sigmoid in hidden layers?</summary>
#
# Tanh is zero-centred, so the next layer's inputs are not all positive (which would make all of
# its weight gradients share a sign and zig-zag), and its peak slope is 1 instead of 0.25, so
# gradients shrink less per layer. It still saturates, which is why ReLU-family functions are the
# default today.
# </details>
