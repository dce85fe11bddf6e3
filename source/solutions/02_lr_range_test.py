# %% [markdown]
# # Exercise 02b · Find a learning rate with a range test
#
# *Goes with `lessons/02_learning_rate.ipynb`.*
#
# A range test is one short run in which the learning rate **grows by a fixed factor after every
# minibatch**, from far too small to far too large. Plot the loss against the rate: flat at
# first, then falling fast, then blowing up. You will write the sweep yourself, read a rate off
# the curve, and check it with a full training run.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)
model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)


# %% [markdown]
# ## Task 1 · Write the sweep
#
# Complete the loop: at step `i` the rate is `start * factor**i`; take one SGD step on a random
# minibatch and record the rate and the loss.

# %%
def range_test(model, start=1e-5, end=10.0, steps=60, batch_size=32, seed=0):
    opt = torch.optim.SGD(model.parameters(), lr=start)
    gen = torch.Generator().manual_seed(seed)
    factor = (end / start) ** (1 / (steps - 1))  # the same factor at every step
    lrs, losses = [], []
    for i in range(steps):
        ### BEGIN SOLUTION
        # Hint: set opt.param_groups[0]["lr"]; draw indices with torch.randint(..., generator=gen)
        opt.param_groups[0]["lr"] = start * factor**i
        idx = torch.randint(len(data.train.y), (batch_size,), generator=gen)
        loss = F.cross_entropy(model(data.train.X[idx]), data.train.y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        lrs.append(start * factor**i)
        losses.append(loss.item())
        ### END SOLUTION
    return lrs, losses


# %%
lrs, losses = range_test(model)
with plots.style():
    fig, ax = plt.subplots()
    ax.plot(lrs, losses)
    ax.set(xscale="log", xlabel="learning rate", ylabel="minibatch loss", ylim=(0, 2),
           title="Learning-rate range test (SGD)");

# %%
checks.lr_range_test(lrs, losses)

# %% [markdown]
# ## Task 2 · Read a rate off the curve
#
# The raw curve is noisy; smooth it with a moving average, find the rate at its **bottom**, and
# step back from there to where the loss is still falling steeply.

# %%
smooth = np.convolve(losses, np.ones(5) / 5, mode="valid")  # average of 5 neighbours
### BEGIN SOLUTION
# Hint: bottom = the rate at np.argmin(smooth) (smooth[i] is centred on lrs[i + 2]);
# then chosen_lr = a rate well below the bottom
bottom = lrs[int(np.argmin(smooth)) + 2]
chosen_lr = bottom / 10
### END SOLUTION
checks.lr_choice(chosen_lr, lrs, losses)

# %%
with plots.style():
    fig, ax = plt.subplots()
    ax.plot(lrs, losses, alpha=0.4, label="minibatch loss")
    ax.plot(lrs[2:-2], smooth, label="smoothed")
    ax.axvline(bottom, color=plots.BAD_COLOR, ls=":", label="bottom")
    ax.axvline(chosen_lr, color="black", ls="-.", label="your choice")
    ax.set(xscale="log", xlabel="learning rate", ylabel="loss", ylim=(0, 2))
    ax.legend();

# %% [markdown]
# **Justify your choice in one or two sentences, as you would in an interview.**
#
# ### BEGIN SOLUTION
# At the bottom of the curve the loss is about to turn up: a full training run spends many more
# steps at a fixed rate, so the bottom itself is already too large. A rate about ten times smaller
# sits on the steep, falling part of the curve: large enough to learn fast, with a margin of safety.
# ### END SOLUTION

# %% [markdown]
# ## Task 3 · Verify with a full run
#
# A range test is a quick estimate; a real run is the proof. (`hplab.lr_range_test` does the
# same sweep for you and also puts the weights back afterwards; lesson 02 uses it.)

# %%
fresh = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)  # the sweep
hist = hplab.fit(fresh, data, optimizer="sgd", lr=chosen_lr, epochs=30, seed=0)  # wrecked `model`
print(f"your rate {chosen_lr:.3g}: {hplab.diagnose(hist).label}, "
      f"val accuracy {hist.val_metric[-1]:.2f}")

# %% [markdown]
# > **Takeaway.** A range test costs one short run and replaces a blind grid over learning rates.
# > Read it as: flat = too small, steep fall = good, bottom = the edge, rise = too large.
