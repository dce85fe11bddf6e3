# %% [markdown]
# # 00 · Start here
#
# Welcome! This course is about the settings you choose *before* a neural network trains — the
# learning rate, the batch size, how deep and wide the network is, which optimizer, how many epochs.
# They are called **hyperparameters**, and choosing them well is often the difference between a
# network that works and one that quietly fails.
#
# **After this lesson you will be able to explain**
#
# - how each lesson is built and how to use its dashboard (sliders, presets, the faded "ghost");
# - how to train, plot and diagnose a small network with three lines of `hplab`;
# - what the panels of a dashboard show and where to look first.

# %% [markdown]
# ## How every lesson works
#
# 1. **A goal** at the top: what you will be able to explain at the end.
# 2. **Predict, then try.** Before you move a slider, write down what you expect. A wrong guess
#    that you then see corrected teaches more than a right guess you never made.
# 3. **A live dashboard.** Move a slider and let go: the network retrains, the curves are
#    redrawn, and a *diagnosis in words* appears under the picture.
# 4. **A static comparison** of the important cases side by side, so the lesson also reads well
#    when nothing is running.
# 5. **A takeaway box** and **interview questions** whose answers you can unfold.
#
# Everything runs on an ordinary laptop CPU, offline. Run the cells from top to bottom
# (Shift+Enter), or use *Run → Run All Cells*.

# %%
import hplab
from hplab import plots, widgets

# %% [markdown]
# ## A first network, by hand
#
# The dashboards only call a few plain functions, which you can call yourself:
# `load_dataset` makes the data (split into training, validation and a sealed test set),
# `mlp` builds the network, `fit` trains it and returns its `History`, and `diagnose` reads that
# history the way an experienced practitioner would.
#
# Training works like this: the **loss** measures how wrong the network's answers are; for every
# weight, the **gradient** says how the loss changes when that weight moves a little; each
# update moves every weight a small step against its gradient, downhill on the loss. The
# **learning rate** sets the size of that step, and one **epoch** is one pass over the training
# examples, in small groups (**minibatches**) of 32. The **optimizer** is the recipe for those
# steps; `"adam"`, used below, is a popular one that adapts each weight's step (lesson 04).

# %%
data = hplab.load_dataset("moons", n_samples=1000, noise=0.2, seed=0)
model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
hist = hplab.fit(model, data, optimizer="adam", lr=1e-2, epochs=30, seed=0)
hplab.diagnose(hist)

# %%
ax = plots.loss_curves(hist)

# %% tags=["check"]
assert hplab.diagnose(hist).label == "good"
assert hist.val_loss[-1] < 0.3 * hist.initial["val_loss"]  # both fall a long way ...
assert hist.train_loss[-1] < 0.3 * hist.initial["train_loss"]
assert abs(hist.train_metric[-1] - hist.val_metric[-1]) < 0.05  # ... and stay close

# %% [markdown]
# The blue line is the loss on the **training** examples, the orange one on the **validation**
# examples the network never trains on. The star marks the epoch with the lowest validation loss.
# Both lines fall to a small fraction of where they started and stay close together, and the
# accuracies on the two sets end within a few points of each other: this run is healthy.
#
# ## The Playground
#
# > **Predict first.** The run above used a learning rate of 0.01. What will the loss curve look
# > like at 3.0 — faster, slower, or something else? Write your guess down, then set the
# > *learning rate* slider to about 3 and let go.
#
# The dashboard opens with the knobs that matter most. The others (noise, activation,
# dropout, momentum, weight decay, schedule, early stopping, ...) are folded under
# *more knobs*; each is the subject of a later lesson, so leave them until you get there.

# %%
playground = widgets.Playground()
playground

# %% [markdown]
# **Reading the dashboard**
#
# - **loss** — training (blue) and validation (orange) loss per epoch. The faded dashed lines are
#   your *previous* run, so every change is a before/after comparison. *Reset ghost* clears them.
# - **decision boundary** — what the network has learned: the colour is its predicted class, dots
#   are training points, small crosses validation points.
# - **gradients** — the size of each layer's gradient, that is of its updates. Lines far apart
#   (on this log scale) mean some layers barely learn.
# - **the text under the picture** — the diagnosis, what to try next, and the numbers: epochs,
#   best epoch, validation accuracy.
# - **seeds (band)** — set it to 3 or 5 to train the same settings with several seeds and shade
#   the spread of the validation loss. If your change moves the curve less than that band, it
#   may be luck rather than a real improvement.
#
# The buttons on top (*Show me: divergence, overfitting, ...*) set the knobs that produce each
# classic failure in one click. Sliders only retrain when you let go, and *Train again* reruns the
# current settings. If a setting is refused (try a batch size of 512 with 200 training
# examples: `hplab` asks for a batch no larger than the training set), the dashboard tells you
# why and keeps working.
#
# <details><summary>What happened at a learning rate of 3?</summary>
#
# The loss shot up within the first epoch and the run was stopped: *diverged*. Each step was so
# large that it jumped past the valley of the loss and landed higher up the other side, again
# and again. Lesson 02 is about exactly this.
# </details>

# %% [markdown]
# ## Three runs side by side
#
# Here are three of the presets trained in a row: a healthy run, a learning rate so large the loss
# explodes, and a deep network of sigmoid units whose first layers get gradients thousands of
# times smaller than the last one's, so they hardly learn (lesson 06 shows why). The top row
# shows the losses, the bottom row what each network learned.

# %%
fig, results = widgets.compare_presets(["good", "divergence", "vanishing gradients"])

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Hyperparameters are chosen before training; they decide whether and how well it learns.
# - Always look at training *and* validation curves together — most diagnoses come from how
#   the two lines move relative to each other.
# - While you explore, change one knob per run and compare with the previous run (the ghost), so
#   you know which change did what. To *decide* about a knob, lesson 13 shows the sturdier way:
#   re-tune the learning rate for each of its values and compare the best with the best.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. What is the difference between a parameter and a hyperparameter?**
#
# <details><summary>Show an answer</summary>
#
# Parameters (weights and biases) are learned from the data by gradient descent. Hyperparameters
# — learning rate, batch size, depth, width, optimizer, number of epochs, regularization — are set
# before training and control *how* the parameters are learned. They are chosen by comparing runs
# on validation data.
# </details>
#
# **2. Why keep a validation set separate from the training set?**
#
# <details><summary>Show an answer</summary>
#
# The training loss only says how well the network fits the examples it learns from. The validation
# loss estimates how it does on new data, so it reveals overfitting and is what we tune
# hyperparameters against. (The test set stays sealed until the very end, for one unbiased
# final estimate.)
# </details>
#
# **3. You change the learning rate and the batch size together and the run improves. What did you learn?**
#
# <details><summary>Show an answer</summary>
#
# Not much about either knob: two changes at once cannot be separated. Change one at a time,
# compare against the previous run, and keep the seed fixed (or average over several seeds) so
# that a difference is not just luck.
# </details>
