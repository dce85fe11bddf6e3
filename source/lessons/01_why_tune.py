# %% [markdown]
# # 01 · Why tune? Four ways a training run goes wrong
#
# A network with the right architecture can still fail, just because of the settings it was
# trained with. The failures come in four recognisable shapes, and each one calls for a different
# fix — so the first skill is telling them apart.
#
# **After this lesson you will be able to explain**
#
# - **underfitting** (high bias), **overfitting** (high variance), **slow convergence** and
#   **unstable training**, each in one sentence;
# - which curve gives each one away, and what to try next for each.

# %%
import hplab
from hplab import widgets

# %% [markdown]
# ## The four shapes
#
# | failure | what the curves do | what it means |
# |---|---|---|
# | **underfitting** | training loss stays high; accuracy low even on the training set | the model is too simple, or too restrained, to capture the pattern |
# | **overfitting** | training loss keeps falling while the validation loss turns and climbs | the model learns the noise of its few training examples |
# | **slow convergence** | the loss falls steadily but is still far from the bottom when time runs out | steps too small (or too few) |
# | **unstable training** | the loss jumps up and down instead of settling, or explodes | steps too large |
#
# > **Predict first.** Four runs follow, one per failure, on small two-dimensional data sets. In which one
# > will the orange (validation) line end *above* where it was at its best, while the blue line is
# > still going down? In which one will both lines stay high and flat?

# %%
fig, results = widgets.compare_presets(["underfitting", "overfitting", "slow", "unstable"])

# %% tags=["check"]
assert [r.diagnosis.label for r in results.values()] == list(results)
under, over, slow, jumpy = (r.history for r in results.values())
assert under.train_metric[-1] < 0.7 and min(under.train_loss) > 0.7 * under.initial["train_loss"]
assert over.train_metric[-1] == 1.0 and over.best_epoch <= 5
assert over.val_loss[-1] > 3 * over.best_val_loss and over.train_loss[-1] < 0.01
assert all(b < a for a, b in zip([slow.initial["train_loss"]] + slow.train_loss, slow.train_loss))
assert slow.train_loss[-1] > 0.5 * slow.initial["train_loss"]
assert sum(b > 1.2 * a for a, b in zip(jumpy.train_loss, jumpy.train_loss[1:])) >= 3

# %% [markdown]
# Each column is one run: its losses on top, what the network learned below, and the verdict of
# `hplab.diagnose` in the title. Check your predictions:
#
# - **underfitting** — a model with no hidden layer can only draw a straight line, and no straight
#   line separates two rings. Both losses stay high and level.
# - **overfitting** — a large network and only 30 training examples. The training loss heads to
#   zero and every training example ends up classified right; the validation loss bottoms out in
#   the first few epochs (star) and then climbs to several times its best. The boundary bends
#   around individual points.
# - **slow** — plain SGD with a tiny learning rate: the loss falls smoothly, lower at every epoch,
#   and is still falling at the last one, more than half as high as where it started.
# - **unstable** — an enormous learning rate on a model with no hidden layer: the steps
#   overshoot, and the training loss jumps back up again and again instead of settling.

# %% [markdown]
# ## The numbers behind a verdict
#
# `diagnose` is not magic: it checks a handful of numbers in a fixed order and reports them as
# `evidence`, so you can check each verdict against the curves yourself.

# %%
for name, r in results.items():
    ev = r.diagnosis.evidence
    print(f"{name:13s} -> {r.diagnosis.label:12s} loss fell {ev['loss_drop']:5.0%}, "
          f"val rose {ev['val_rise']:5.0%} from its best, train-val gap {ev['gap']:+.2f}")

# %%
results["overfitting"].diagnosis

# %% [markdown]
# ## Your turn
#
# > **Predict first.** Click *overfitting* below. Which **single** knob would you change to turn
# > it into a healthy run? Make your guess, then try it — and compare with the ghost.
# > (Ideas: more training examples, fewer epochs, a smaller network, or *weight decay*, a pull of
# > every weight towards zero at each step that lesson 03 shows. The rarer knobs are folded
# > under *more knobs*.)

# %%
playground = widgets.Playground()
playground

# %% [markdown]
# <details><summary>What works here (open after you have tried)</summary>
#
# - **More data** is the one change that fixes it properly: 600 training examples instead of 30
#   give a healthy run with validation accuracy of 0.95 or more.
# - **Early stopping** (patience 5) or **weight decay** 0.1 also earn a *good* verdict, but the
#   validation accuracy stays below 0.9: they stop the memorizing, they cannot add the missing
#   information.
# - Alone, 5 epochs, dropout 0.5, a single hidden layer or 4 units per layer still overfit.
# </details>

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Underfitting: bad on the training data itself → add capacity, train longer, regularize less
#   (regularization: brakes on a network's fit such as dropout and weight decay, lesson 03).
# - Overfitting: good on training, worse on validation, and the gap grows → more data,
#   regularization, early stopping, a smaller model.
# - Slow: still improving when training ends → larger learning rate, an adaptive optimizer such as
#   Adam (lesson 04), more epochs.
# - Unstable: the loss jumps or explodes → smaller learning rate, warm-up (a rate that starts small
#   and grows over the first epochs, lesson 02), larger batches.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. Your training accuracy is 99% and validation accuracy 80%. What is happening, and what do you try?**
#
# <details><summary>Show an answer</summary>
#
# Overfitting (high variance): the model has fitted the training set, noise included. Try, roughly
# in order of cost: early stopping on validation loss, weight decay or dropout, a smaller model,
# data augmentation or more data. Check that the validation set comes from the same distribution.
# </details>
#
# **2. Both training and validation loss are high and close together. Is more data the answer?**
#
# <details><summary>Show an answer</summary>
#
# Usually not. That is underfitting (high bias): the model cannot even fit the data it has. More
# of the same data will not help; more capacity, less regularization, better features or longer
# training will. Also rule out a learning rate so small that training simply has not got far yet.
# </details>
#
# **3. How do you tell "slow" from "unstable" from the loss curve alone?**
#
# <details><summary>Show an answer</summary>
#
# Slow: smooth and still going down at the end — the steps are too small. Unstable: jagged, with
# the loss going back up between epochs (or shooting to infinity) — the steps are too large. They
# call for opposite changes to the learning rate.
# </details>
