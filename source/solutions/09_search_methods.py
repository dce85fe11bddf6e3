# %% [markdown]
# # Exercise 09 · Grid search and random search, by hand
#
# *Goes with `lessons/09_search_methods.ipynb`.*
#
# Both methods are a few lines of code. Writing them yourself makes their costs obvious: a grid
# grows as (values per knob) ** (number of knobs), while random search costs exactly the number
# of trials you ask for.

# %%
import itertools
import math

import hplab
from hplab import checks
import numpy as np


# %% [markdown]
# ## Task 1 · Grid search
#
# `space` maps each hyperparameter to a list of values; `objective(params)` trains and returns a
# score. Try **every combination** once and return a list of `(params, score)` pairs.

# %%
def grid_search(space, objective):
    results = []
    ### BEGIN SOLUTION
    # Hint: itertools.product(*space.values()) gives every combination
    for values in itertools.product(*space.values()):
        params = dict(zip(space, values))
        results.append((params, objective(params)))
    ### END SOLUTION
    return results


checks.grid_search(grid_search)


# %% [markdown]
# ## Task 2 · Random search
#
# Now each value is either a list (pick one at random) or a `(low, high)` range, to be sampled on
# a **log scale** (so 1e-4..1e-3 gets as many trials as 1e-2..1e-1). Use `seed` so a search can be
# repeated.

# %%
def random_search(space, objective, n_trials, seed):
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(n_trials):
        ### BEGIN SOLUTION
        # Hint: 10 ** rng.uniform(math.log10(low), math.log10(high)) for a range
        params = {name: 10 ** rng.uniform(math.log10(v[0]), math.log10(v[1]))
                  if isinstance(v, tuple) else v[rng.integers(len(v))]
                  for name, v in space.items()}
        ### END SOLUTION
        results.append((params, objective(params)))
    return results


checks.random_search(random_search)

# %% [markdown]
# ## Task 3 · Same budget, two methods
#
# Nine trainings each. The objective trains a small network with plain SGD, where the learning
# rate matters much more than the width.

# %%
data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)


def objective(params):
    model = hplab.mlp(2, 2, depth=2, width=int(params["width"]), seed=0)
    hist = hplab.fit(model, data, optimizer="sgd", lr=params["lr"], epochs=15, seed=0)
    return max(hist.val_metric)


grid = grid_search({"lr": [1e-3, 0.05, 3.0], "width": [8, 32, 128]}, objective)  # evenly spaced
rand = random_search({"lr": (1e-3, 3.0), "width": [8, 32, 128]}, objective, 9, seed=0)

# %%
for name, results in (("grid", grid), ("random", rand)):
    params, score = max(results, key=lambda r: r[1])
    rates = sorted({round(p["lr"], 4) for p, _ in results})
    print(f"{name:6}: {len(results)} trainings, {len(rates)} distinct rates, best {score:.3f} "
          f"at lr={params['lr']:.3g}, width={params['width']}")
print("a 5-value grid over 4 knobs would cost", 5**4, "trainings")

# %% [markdown]
# **Same cost; why can random search find a better learning rate here?**
#
# ### BEGIN SOLUTION
# The grid spends its nine trainings on only three learning rates (one too small, one modest, one
# past the edge where training breaks down), each repeated for three widths that hardly matter.
# Random search tries nine different learning rates (and still varies the width), so when only a
# few knobs matter, random search explores the important one much more finely for the same cost. A grid's cost also multiplies with every knob added; random search
# costs what you decide to spend.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Grid search is simple and exhaustive but its cost explodes with the number of
# > knobs; random search scales to many knobs and covers each one more finely. Bayesian methods
# > (lesson 09's race, Optuna's TPE in exercise 10) go further by learning from earlier trials
# > where to look next.
