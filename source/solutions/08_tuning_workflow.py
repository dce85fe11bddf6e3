# %% [markdown]
# # Exercise 08 · The whole workflow on handwritten digits, with an honest test score
#
# *Goes with `lessons/08_tuning_workflow.ipynb`.*
#
# Split the data, tune on validation, pick the best configuration, retrain it, and only then look
# at the test set, **once**. The `Data` bundle counts every read of `data.test`, so the check
# knows whether you peeked.

# %%
import hplab
from hplab import checks

# %%
data = hplab.load_dataset("digits", seed=0)  # 8x8 images, 10 classes, bundled with scikit-learn
data

# %% [markdown]
# ## Task 1 · Tune on validation
#
# Three candidate configurations. Write `val_score(config)`: train a fresh network with it for 15
# epochs and return the best validation accuracy. Then choose the best configuration **using
# validation scores only**.

# %%
candidates = [dict(width=16, lr=1e-3), dict(width=64, lr=1e-3), dict(width=64, lr=1e-2)]


def make_model(config):
    return hplab.mlp(data.n_features, data.n_outputs, depth=1, width=config["width"], seed=0)


def val_score(config):
    ### BEGIN SOLUTION
    # Hint: hplab.fit(make_model(config), data, lr=..., epochs=15, seed=0).val_metric
    hist = hplab.fit(make_model(config), data, lr=config["lr"], epochs=15, seed=0)
    return max(hist.val_metric)
    ### END SOLUTION


# %%
scores = [val_score(c) for c in candidates]
### BEGIN SOLUTION
# Hint: best = the candidate with the highest validation score
best = candidates[scores.index(max(scores))]
### END SOLUTION
print([f"{s:.3f}" for s in scores], "->", best)

# %% [markdown]
# ## Task 2 · Retrain and test, once
#
# Retrain the chosen configuration on training **and** validation data together
# (`train_split=data.train_val()`), then evaluate on the test split a single time and report
# that number.

# %%
### BEGIN SOLUTION
# Hint: final = make_model(best), trained with hplab.fit(..., train_split=data.train_val());
# test_accuracy = hplab.evaluate(final, data, "test")["metric"]
final = make_model(best)
hplab.fit(final, data, lr=best["lr"], epochs=15, train_split=data.train_val(), seed=0)
test_accuracy = hplab.evaluate(final, data, "test")["metric"]
### END SOLUTION
print(f"test accuracy: {test_accuracy:.3f} (test set read {data.test_reads} time)")
checks.honest_test_score(data, final, test_accuracy)

# %% [markdown]
# **Why must the test set be touched only once, at the very end?**
#
# ### BEGIN SOLUTION
# Every decision made after looking at a score fits the model a little to the data behind that
# score. If the test set guides any choice, the test score becomes one more validation score,
# optimistic, and no longer tells us how the model will do on new data. So all choices are made on
# validation data and the test set gives a single, final, unbiased estimate.
# ### END SOLUTION

# %% [markdown]
# > **Takeaway.** Train on the training split, choose on the validation split, report on the
# > test split, once. Refitting the chosen configuration on train + validation uses all the
# > labelled data without touching the test set.
