# %% [markdown]
# # Exercise 06 · Activations and vanishing gradients
#
# *Goes with `lessons/06_activations.ipynb`.*
#
# In a deep network the gradient reaches the first layers only after passing back through every
# activation. The sigmoid's slope is at most 0.25, so each layer can shrink the gradient: the
# first layers barely learn. You will measure this.

# %%
import hplab
from hplab import checks, plots
import matplotlib.pyplot as plt

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)
runs = {}
for act in ("sigmoid", "tanh", "relu"):
    model = hplab.mlp(2, 2, depth=6, width=32, activation=act, seed=0)
    runs[act] = hplab.fit(model, data, lr=1e-2, epochs=1, track_gradients=True, seed=0)
runs["sigmoid"].grad_norms[0]  # epoch 1: one gradient norm per layer, input side first


# %% [markdown]
# ## Task 1 · Measure how much gradient reaches the first layer
#
# Write `gradient_ratio(hist)`: the first layer's gradient norm divided by the last layer's, in
# epoch 1. A ratio far below 1 means the first layers learn far more slowly than the last.

# %%
def gradient_ratio(hist):
    ### BEGIN SOLUTION
    # Hint: hist.grad_norms[0] is a list of norms for epoch 1
    norms = hist.grad_norms[0]
    return norms[0] / norms[-1]
    ### END SOLUTION


print({act: f"{gradient_ratio(h):.3g}" for act, h in runs.items()})
checks.gradient_ratio(gradient_ratio, runs)

# %%
with plots.style():
    fig, ax = plt.subplots()
    for act, hist in runs.items():
        norms = hist.grad_norms[0]
        ax.plot(range(1, len(norms) + 1), norms, marker="o", label=act)
    ax.set(yscale="log", xlabel="layer (1 = input side)", ylabel="gradient norm",
           title="Gradient reaching each layer (6 hidden layers + output)")
    ax.legend();

# %% [markdown]
# ## Task 2 · Which activation for a deep network, and why?
#
# ### BEGIN SOLUTION
# ReLU (or a variant such as leaky ReLU or GELU). Its slope is 1 for positive inputs, so the
# gradient passes back through many layers and loses little on the way (here the first layer
# still gets about a tenth of the last layer's), while the sigmoid multiplies it by at most 0.25
# per layer (about a ten-thousandth arrives). Tanh, started with weights scaled for it, passes
# gradient back well at first, but once its inputs grow large it saturates and its gradient
# vanishes like the sigmoid's. The price of ReLU is that a unit whose input is always negative gets no
# gradient at all and stops learning ("dying ReLU"); leaky ReLU keeps a small slope there.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Activations decide how gradients flow. The sigmoid's slope is at most 0.25, so
# > in a deep stack only a tiny share of the gradient reaches the first layers. ReLU, and tanh
# > started with weights scaled for it, pass back hundreds of times more; tanh still saturates
# > when its inputs grow large, so ReLU-type activations are the usual default for hidden layers.
