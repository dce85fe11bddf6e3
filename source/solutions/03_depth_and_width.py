# %% [markdown]
# # Exercise 03 · Cure an overfitting model, two different ways
#
# *Goes with `lessons/03_depth_and_width.ipynb`.*
#
# A big network (3 layers of 128 units) trains for 150 epochs on only 40 examples: it memorizes
# them. Interviewers like to hear more than one remedy, and why each works.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0).subset(40, seed=0)
BASE = dict(depth=3, width=128, dropout=0.0, optimizer="adam", lr=1e-2, epochs=150, batch_size=16)


def train(**changes):
    s = {**BASE, **changes}
    model = hplab.mlp(2, 2, depth=s.pop("depth"), width=s.pop("width"),
                      dropout=s.pop("dropout"), seed=0)
    return hplab.fit(model, data, seed=0, **s)


baseline = train()
hplab.diagnose(baseline)

# %% [markdown]
# ## Task · Two remedies
#
# `train(**changes)` reruns the baseline with some settings changed. Try two different remedies
# and put them in `cures` as `{description: History}`. Each must end with a lower validation loss
# than the baseline and no longer be diagnosed as overfitting.

# %%
### BEGIN SOLUTION
# Hint: cures = {"what you changed": train(...), ...}: change the model size, add dropout
# or weight decay, or stop earlier
cures = {
    "smaller model": train(depth=1, width=8),
    "early stopping": train(early_stopping=hplab.EarlyStopping(patience=10)),
}
### END SOLUTION
checks.overfitting_cures(baseline, cures)

# %%
with plots.style():
    fig, ax = plt.subplots()
    ax.plot(baseline.epoch, baseline.val_loss, label="baseline", color="black", ls=":")
    for name, hist in cures.items():
        ax.plot(hist.epoch, hist.val_loss, label=name)
    ax.set(xlabel="epoch", ylabel="validation loss", title="Overfitting, cured")
    ax.legend();

# %% [markdown]
# **Why does each of your remedies work?**
#
# ### BEGIN SOLUTION
# A smaller model has much less capacity to memorize the 40 points, so it leans on the broad
# shape of the moons instead. Early stopping keeps the weights from the epoch where validation
# loss was lowest, before memorization set in. Dropout and weight decay would work by making
# memorizing individual points harder while keeping the big model.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Remedies for overfitting act on capacity (smaller model), on noise-fitting
# > (dropout, weight decay), on time (early stopping) or on data (more of it). Underfitting is
# > the opposite problem: even the training score is poor, and the cure is more capacity.
