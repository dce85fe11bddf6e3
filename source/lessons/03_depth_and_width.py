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
# - how dropout and an L2 penalty (weight decay) hold back a network that is too big for its data;
# - the working recipe: start simple, grow, and watch the validation score.

# %%
import hplab
from hplab import frames, playground, scenarios, widgets

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
fig, grown = widgets.compare_configs(scenarios.CAPACITY_SIZES, base=scenarios.CAPACITY_BASE)
for name, r in grown.items():
    verdict = " + ".join([r.diagnosis.label, *r.diagnosis.also])
    print(f"{name:15s} {hplab.count_parameters(r.model):6d} weights: train acc "
          f"{r.history.train_metric[-1]:.2f}, val acc {r.val['metric']:.2f} -> {verdict}")

# %% tags=["check"]
acc = {name: r.val["metric"] for name, r in grown.items()}
train = {name: r.history.train_metric[-1] for name, r in grown.items()}
assert grown["no hidden layer"].diagnosis.label == "underfitting"
four = grown["1 x 4"].diagnosis
assert "underfitting" in [four.label, *four.also]
assert train["no hidden layer"] < 0.7 and train["1 x 4"] < 0.8  # not even the training set
assert acc["2 x 32"] > 0.93 and abs(acc["3 x 128"] - acc["2 x 32"]) < 0.03
weights = {name: hplab.count_parameters(r.model) for name, r in grown.items()}
assert weights["3 x 128"] > 20 * weights["2 x 32"]

# %% [markdown]
# With no hidden layer the boundary is a straight line: it gets barely two thirds of even the
# training examples right (underfitting). Four units give a few bends, still not enough — the
# training accuracy stays below 80%, and `diagnose` says *underfitting* (or, when the loss is
# still creeping down at the end, *slow + underfitting*). More epochs alone would not fix it:
# four times as many still leave four units below 80% on the training set. Two layers of 32
# follow the spirals; three layers of 128 do about as well on validation (within 3 points)
# while costing over 20 times more weights.
# With 200 examples whose labels are all correct, extra capacity is not punished much — yet.
# That changes when data are few and noisy.
#
# ## Too big for the data
#
# Now a large network (3 × 128) gets only **30 training examples**, a tenth of them with the
# wrong label, and trains for 60 epochs with Adam. Then the same network with each of two brakes:
#
# - **dropout** randomly switches off a share of hidden units at every step, so no unit can rely
#   on a particular other one;
# - an **L2 penalty** adds 0.1 × (sum of the squared weights) / 2 to what the optimizer
#   minimizes, so every step also pulls every weight a little towards zero, which favours smooth
#   functions. This is what Adam's `weight_decay` argument does (and the lab's *weight decay*
#   slider). 0.1 is a firm brake, well above the 1e-5 to 1e-3 usually tried (see the cheat
#   sheet): 30 examples need one. In practice, with Adam, prefer AdamW (lesson 04), which
#   applies the pull to the weights directly — "weight decay" in the strict sense — because an
#   L2 term passes through Adam's per-weight scaling, so weights with large gradients are
#   barely pulled.

# %%
small = widgets.CapacityLab.PRESETS["too big for the data"].values
fig, braked = widgets.compare_configs(scenarios.BRAKES, base=small)
top = 1.1 * max(braked["no brake"].history.val_loss)
for ax in fig.axes[:len(braked)]:  # one loss scale for the three, so they compare at a glance
    ax.set_ylim(0, top)

# %%
for name, r in braked.items():
    h = r.history
    print(f"{name:15s} train acc {h.train_metric[-1]:.2f}  val acc {h.val_metric[-1]:.2f}  "
          f"val loss: best {min(h.val_loss):.2f}, final {h.val_loss[-1]:.2f}  -> {r.diagnosis.label}")

# %% tags=["check"]
free = braked["no brake"].history
assert braked["no brake"].diagnosis.label == "overfitting" and free.train_metric[-1] > 0.95
assert free.val_loss[-1] > 3 * min(free.val_loss)
for name in ("dropout 0.5", "L2 penalty 0.1"):
    h = braked[name].history
    assert h.train_metric[-1] - h.val_metric[-1] < free.train_metric[-1] - free.val_metric[-1] - 0.1
    assert h.val_loss[-1] < 0.35 * free.val_loss[-1] and h.val_metric[-1] > free.val_metric[-1]
assert braked["L2 penalty 0.1"].history.val_loss[-1] < 1.15 * min(braked["L2 penalty 0.1"].history.val_loss)

# %% [markdown]
# Without a brake the network gets all but at most one of its 30 training examples right
# (training accuracy printed above), while its validation loss ends more than three times its
# best: the boundary bends around single points. Both brakes cut the gap between training and
# validation accuracy by more than 10 points, raise the validation accuracy, and keep the
# validation loss from running away (its final value under a third of the unbraked one). The L2
# penalty holds it within 15% of its best; under dropout it still creeps up a little, which is
# why `diagnose` may still say *overfitting* there. Neither brake can invent the information that
# 30 examples do not contain.
#
# ## The boundary at its best epoch and at its last
#
# The unbraked run's validation loss was lowest near the start and then climbed. What happened to
# the boundary in between? We train the same run again with a `FrameRecorder`, which keeps a
# snapshot of the model after every epoch (its predicted probabilities on a coarse 40 × 40 grid),
# and set the boundary of the best epoch beside the boundary of the last.
#
# > **Predict first.** Which of the two will follow the training points more closely, and which
# > would you rather use on new points?

# %%
free_run = braked["no brake"]
rec = frames.FrameRecorder(free_run.data)  # one snapshot of the boundary per epoch
again = playground.train_run(free_run.config, callbacks=[rec], track=False)  # the same run, recorded
hist = again.history
fig = frames.best_vs_last(rec, hist)
best, last = frames.best_and_last(rec, hist)
n = hist.config["n_train"]
print(f"training examples right: {round(n * hist.train_metric[hist.best_epoch - 1])} of {n} at "
      f"the best epoch, {round(n * hist.train_metric[-1])} at the last")
print(f"boundary length (neighbouring grid cells that differ in class): best epoch "
      f"{frames.boundary_length(best)}, last epoch {frames.boundary_length(last)}")

# %% tags=["check"]
assert hist.val_loss == free.val_loss  # recording the frames did not change the run
assert hist.best_epoch <= 5 and frames.boundary_length(last) > 1.3 * frames.boundary_length(best)
assert round(n * (hist.train_metric[-1] - hist.train_metric[hist.best_epoch - 1])) >= 2
assert frames.unsure_share(best) > 3 * frames.unsure_share(last)  # the pale band narrows

# %% [markdown]
# At its best epoch, one of the very first, the network has barely begun: its boundary is close
# to a straight line between the moons, with a wide pale band where it is unsure. By the last epoch
# the boundary has grown arms that reach around single training points sitting among the other
# class, so it gets a few more training examples right but is far longer (the numbers above) —
# those bends fit the noise, and they are what made the validation loss climb.
#
# ## Your turn
#
# > **Predict first.** Start from *too simple*. Add one hidden layer at a time and watch the
# > validation accuracy: where does it stop improving? Then click *too big for the data* and find
# > the smallest weight decay (here: the L2 penalty) that stops the validation loss from climbing.

# %%
lab = widgets.CapacityLab()
lab

# %% [markdown]
# <details><summary>What this lab shows (open after you have tried)</summary>
#
# - Validation accuracy climbs from 0.71 with no hidden layer to above 0.8 with one and above
#   0.93 with two; a third or fourth layer adds at most a few points.
# - On *too big for the data*, a weight decay (L2 penalty) of 0.03 still lets the validation loss
#   end more than 15% above its best; 0.1 is the smallest setting on the slider that holds it
#   within about 10%.
# </details>

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Capacity grows with depth and width; too little underfits, too much for the data overfits.
# - Start with a small network, grow it while the **validation** score improves, and stop there.
# - When a big network overfits a small dataset, dropout and an L2 penalty (or AdamW's weight
#   decay) narrow the gap; more data, where you can get it, is the surest cure.
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
# Weight decay (an L2 penalty, or AdamW's decoupled form) pulls every weight towards zero at every
# step, which penalizes large weights and so favours smoother, simpler functions. Both trade a
# little training fit for better generalization.
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
