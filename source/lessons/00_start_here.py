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
# 3. **A live dashboard.** Move a slider and let go: the network retrains in well under a second,
#    the curves are redrawn, and a *diagnosis in words* appears under the picture.
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

# %%
data = hplab.load_dataset("moons", n_samples=1000, noise=0.2, seed=0)
model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)
hist = hplab.fit(model, data, optimizer="adam", lr=1e-2, epochs=30, seed=0)
hplab.diagnose(hist)

# %%
ax = plots.loss_curves(hist)

# %% [markdown]
# The blue line is the loss on the **training** examples, the orange one on the **validation**
# examples the network never trains on. The star marks the epoch with the lowest validation loss.
# Both lines fall and stay close together: this run is healthy.
#
# ## The Playground
#
# > **Predict first.** The run above used a learning rate of 0.01. What will the loss curve look
# > like at 3.0 — faster, slower, or something else? Write your guess down, then set the
# > *learning rate* slider to about 3 and let go.

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
# - **gradients** — how large the updates of each layer are. Lines far apart (on this log scale)
#   mean some layers barely learn.
# - **the text under the picture** — the diagnosis, what to try next, and the numbers: epochs,
#   best epoch, validation accuracy.
# - **seeds (band)** — set it to 3 or 5 to train the same settings with several seeds and shade
#   the spread of the validation loss. If your change moves the curve less than that band, it
#   may be luck rather than a real improvement.
#
# The buttons on top (*Show me: divergence, overfitting, ...*) set the knobs that produce each
# classic failure in one click. Sliders only retrain when you let go, and *Train again* reruns the
# current settings. If a combination is impossible (try a batch size of 512 with 200 training
# examples), the dashboard tells you why and keeps working.

# %% [markdown]
# ## Three runs side by side
#
# Here are three of the presets trained in a row: a healthy run, a learning rate so large the loss
# explodes, and a deep sigmoid network whose first layers hardly learn. The top row shows the
# losses, the bottom row what each network learned.

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
# - Change one knob at a time and compare with the previous run (the ghost), so you know which
#   change did what.
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
