# %% [markdown]
# # 03 · Depth and width: how much network does the data need?
#
# The number of hidden layers (**depth**) and of units per layer (**width**) set a network's
# **capacity**: how complicated a function it can represent. Too little and it underfits; too much
# for the amount of data and it overfits.
#
# **After this lesson you will be able to explain**
#
# - what capacity is, and how depth and width change the number of weights;
# - how underfitting and overfitting look in a decision boundary, not just in a loss curve;
# - how dropout and weight decay hold back a network that is too big for its data;
# - the working recipe: start simple, grow, and watch the validation score.

# %%
import hplab
from hplab import widgets

# %% [markdown]
# ## Counting capacity
#
# Each hidden layer of width *w* on top of *n* inputs adds *n·w + w* weights. Depth multiplies
# the kinds of shapes a network can build; width adds more pieces of each.

# %%
for depth, width in [(0, 1), (1, 4), (2, 32), (3, 128)]:
    net = hplab.mlp(2, 2, depth=depth, width=width)
    print(f"depth {depth}, width {width:3d}: {hplab.count_parameters(net):6d} weights")

# %% [markdown]
# ## Growing a network on the spirals
#
# Two interleaved spirals are a hard pattern for a small network.
#
# > **Predict first.** We train four sizes, from no hidden layer up to three layers of 128. Which
# > is the smallest one that separates the spirals? Will the biggest one do *better* on
# > validation, or just the same?

# %%
sizes = {"no hidden layer": dict(depth=0), "1 x 4": dict(depth=1, width=4),
         "2 x 32": dict(depth=2, width=32), "3 x 128": dict(depth=3, width=128)}
fig, grown = widgets.compare_configs(sizes, base=dict(dataset="spirals", epochs=40))

# %% [markdown]
# With no hidden layer the boundary is a straight line (underfitting). Four units give a few bends,
# not enough. Two layers of 32 follow the spirals; three layers of 128 do about as well on
# validation while costing over 20 times more weights. With 200 clean examples, extra capacity
# is not punished much — yet. That changes when data are few and noisy.
#
# ## Too big for the data
#
# Now a large network (3 × 128) gets only **30 training examples** with some noisy labels, and
# trains for 60 epochs. Then the same network with each of two brakes:
#
# - **dropout** randomly switches off a share of hidden units at every step, so no unit can rely
#   on a particular other one;
# - **weight decay** pulls every weight a little towards zero at every step, which favours smooth
#   functions.

# %%
small = widgets.CapacityLab.PRESETS["too big for the data"].values
fig, braked = widgets.compare_configs(
    {"no brake": {}, "dropout 0.5": dict(dropout=0.5), "weight decay 0.1": dict(weight_decay=0.1)},
    base=small)

# %%
for name, r in braked.items():
    h = r.history
    print(f"{name:17s} train acc {h.train_metric[-1]:.2f}  val acc {h.val_metric[-1]:.2f}  "
          f"final val loss {h.val_loss[-1]:.2f}  -> {r.diagnosis.label}")

# %% [markdown]
# Without a brake the training accuracy reaches 100% while the validation loss climbs: the
# boundary bends around single points. Both brakes narrow the gap between training and validation
# and keep the validation loss from running away; weight decay also smooths the boundary. Neither
# can invent the information that 30 examples do not contain — more data remains the best cure.
#
# ## Your turn
#
# > **Predict first.** Start from *too simple*. Add one hidden layer at a time and watch the
# > validation accuracy: where does it stop improving? Then click *too big for the data* and find
# > the smallest weight decay that stops the validation loss from climbing.

# %%
lab = widgets.CapacityLab()
lab

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Capacity grows with depth and width; too little underfits, too much for the data overfits.
# - Start with a small network, grow it while the **validation** score improves, and stop there.
# - When a big network overfits a small dataset, dropout and weight decay narrow the gap; more
#   data closes it.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. How would you choose the number of layers and units for a new problem?**
#
# <details><summary>Show an answer</summary>
#
# Start small (one or two hidden layers of modest width) and get a baseline. If training error is
# high (underfitting), grow depth or width. If validation error starts to rise or the train-val
# gap grows (overfitting), stop growing and add regularization or data. Always decide on the
# validation set, not on training accuracy.
# </details>
#
# **2. How do dropout and weight decay reduce overfitting?**
#
# <details><summary>Show an answer</summary>
#
# Dropout zeroes a random share of hidden units at each training step, so the network cannot
# depend on a few co-adapted units and effectively trains an ensemble of thinner networks.
# Weight decay adds a pull of every weight towards zero, which penalizes large weights and so
# favours smoother, simpler functions. Both trade a little training fit for better generalization.
# </details>
#
# **3. A deeper network gets *worse* training loss than a shallower one. Is that overfitting?**
#
# <details><summary>Show an answer</summary>
#
# No — overfitting shows up as a *better* training loss with worse validation loss. Worse training
# loss in a deeper network points to an optimization problem: vanishing or exploding gradients, a
# learning rate that does not suit the deeper net, or too few epochs. Check the gradient sizes per
# layer (lesson 06) and the learning rate.
# </details>
