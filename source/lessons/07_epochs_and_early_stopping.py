# %% [markdown]
# # 07 · Epochs and early stopping
#
# An **epoch** is one full pass over the training set. Too few and the network has not learned
# enough yet; too many and it starts learning the noise in its training examples. Rather than
# guessing the right number, we can let the validation loss decide when to stop.
#
# **After this lesson you will be able to explain**
#
# - what too few and too many epochs look like in the curves;
# - how early stopping works: what *patience* and *min_delta* mean;
# - why you should restore the weights of the best epoch, not keep the last ones.

# %%
import hplab
from hplab import frames, playground, widgets

# %% [markdown]
# ## Too few, too many, and just stopping in time
#
# The setting: a 3 × 64 network (about 8,500 weights) learning from only 30 noisy examples of the
# moons, with Adam at 0.001. We train it for 3 epochs, for 150, and for up to 150 with early
# stopping, and score it on 200 validation examples it never trains on.
#
# > **Predict first.** Sketch, before you run the cell, the validation loss of the 150-epoch run:
# > where is its lowest point, and what does the training loss do after it? Then a harder one:
# > which of the two networks will classify more validation points correctly, the 150-epoch one
# > or the one early stopping keeps? Write down your reasons.

# %%
fig, runs = widgets.compare_presets(["too few epochs", "too many epochs", "early stopping"],
                                    cls=widgets.EarlyStoppingLab)

# %% tags=["check"]
long, stopped = runs["too many epochs"].history, runs["early stopping"].history
assert 8 <= long.best_epoch <= 25 and long.val_loss[-1] > 2 * long.best_val_loss
assert long.train_loss[-1] < 0.3 * long.train_loss[long.best_epoch - 1]   # training keeps sinking
assert runs["too many epochs"].val["metric"] >= runs["early stopping"].val["metric"] - 0.02

# %% [markdown]
# - **3 epochs**: both losses are still dropping steeply — stopping here wastes easy progress.
# - **150 epochs**: the validation loss is lowest in the teens (the star), then turns and climbs
#   to about three times its best, while the training loss keeps sinking. Everything after the
#   turn makes the model's *loss* worse on new data.
# - **early stopping** watches the validation loss and ends the run once it has not improved for
#   10 epochs (the dotted line), then puts back the weights from the best epoch.
#
# Now the harder question. Look at the accuracies under the pictures: the 150-epoch network
# scores about the same as the early-stopped one, here even a little *higher*. Its validation loss
# climbed because it became
# over-confident — the few points it gets wrong, it gets wrong with near certainty — while its
# share of right answers held up. Loss and accuracy can disagree; stop on the number you care
# about (`EarlyStopping(monitor="val_metric")` watches accuracy instead), and remember that with
# only 200 validation points a difference of 0.03 is six examples.
#
# ## The boundary at the best epoch and at the last
#
# To see what the 150-epoch network did after its best epoch, we train it again with a
# `FrameRecorder`, which keeps a snapshot of the model after every epoch (its predicted
# probabilities on a coarse 40 × 40 grid), and set the boundary of the best epoch beside the
# boundary of the last.
#
# > **Predict first.** After more than a hundred further epochs on 30 noisy examples, will the last
# > boundary be much more tangled than the best one?

# %%
long_run = runs["too many epochs"]
rec = frames.FrameRecorder(long_run.data)  # one snapshot of the boundary per epoch
again = playground.train_run(long_run.config, callbacks=[rec], track=False)  # the same run, recorded
fig = frames.best_vs_last(rec, again.history)
best, last = frames.best_and_last(rec, again.history)
for name, f in (("best", best), ("last", last)):
    print(f"{name} epoch {f.epoch:3d}: boundary length {frames.boundary_length(f)}, share of the "
          f"plane where no class gets 90%: {frames.unsure_share(f):.0%}")
print(f"share of the plane whose predicted class changed: {frames.changed_share(best, last):.0%}")

# %% tags=["check"]
assert again.history.val_loss == long.val_loss  # recording the frames did not change the run
lengths = frames.boundary_length(best), frames.boundary_length(last)
assert 0.8 * lengths[0] < lengths[1] < 1.25 * lengths[0] and frames.changed_share(best, last) < 0.15
doubt = frames.unsure_share(best), frames.unsure_share(last)
assert 0.25 < doubt[0] < 0.45 and doubt[1] < min(0.1, 0.25 * doubt[0])  # a third, then a few percent

# %% [markdown]
# The two boundaries run almost the same way: about as long, and with the predicted class changed
# on only a small share of the plane. What has gone is the pale band of doubt around the line — at
# the best epoch about a third of the plane gets no class above 90%, at the last only a few
# percent — so the network is now sure of itself almost everywhere, including where it is wrong,
# and that is what drove the validation loss up.
#
# ## Early stopping by hand
#
# `hplab.EarlyStopping` follows the same rules as Keras: it monitors a number (the validation
# loss by default), counts epochs without an improvement larger than `min_delta`, stops after
# `patience` such epochs, and with `restore_best_weights=True` reloads the best epoch's weights.

# %%
full = hplab.load_dataset("moons", n_samples=1000, noise=0.3, seed=0)
data = full.subset(30, seed=0)
model = hplab.mlp(2, 2, depth=3, width=64, seed=0)
stopper = hplab.EarlyStopping(patience=10, min_delta=0.0, restore_best_weights=True)
hist = hplab.fit(model, data, lr=1e-3, batch_size=16, epochs=150, early_stopping=stopper)
print(hist.status, "| stopped at epoch", hist.stopped_epoch, "| best epoch", hist.best_epoch)
now = hplab.evaluate(model, data, split="val")["loss"]
print("validation loss now:", round(now, 4), "| best seen:", round(hist.best_val_loss, 4),
      "| last epoch:", round(hist.val_loss[-1], 4))

# %% tags=["check"]
assert hist.status == "early_stopped" and hist.stopped_epoch == hist.best_epoch + 10
assert abs(now - hist.best_val_loss) < 1e-5 < hist.val_loss[-1] - hist.best_val_loss

# %% [markdown]
# The model we are left with scores exactly the best validation loss seen, not the (worse) loss of
# the last epoch: the best weights were restored.
#
# ## Patience and min_delta
#
# **Patience** is how many disappointing epochs we tolerate. Validation curves are noisy; with a
# patience of 1, a single unlucky epoch ends training. **min_delta** is how much better a new value
# must be to count as an improvement at all; a larger value ignores tiny gains and stops sooner.
#
# > **Predict first.** Which stops earliest: patience 1, patience 10, or patience 10 with
# > min_delta 0.02?

# %%
tries = {}
for patience, delta in [(1, 0.0), (10, 0.0), (10, 0.02)]:
    net = hplab.mlp(2, 2, depth=3, width=64, seed=0)
    stop = hplab.EarlyStopping(patience=patience, min_delta=delta)
    h = hplab.fit(net, data, lr=1e-3, batch_size=16, epochs=150, early_stopping=stop)
    val = hplab.evaluate(net, data, split="val")["loss"]
    tries[patience, delta] = h, val
    print(f"patience {patience:2d}, min_delta {delta:.2f}: stopped at epoch "
          f"{h.stopped_epoch}, best epoch {h.best_epoch}, validation loss {val:.3f}")

# %% tags=["check"]
(p1, v1), (p10, v10), (d, vd) = tries.values()
assert p1.stopped_epoch < d.stopped_epoch < p10.stopped_epoch
assert abs(p1.best_epoch - p10.best_epoch) <= 3 and v1 < v10 + 0.02   # patience 1: near the best
assert vd > v10 + 0.005                                              # min_delta 0.02: too soon

# %% [markdown]
# Here the validation curve is smooth, so even a patience of 1 happened to stop near the best
# epoch, and a min_delta of 0.02 stopped too soon, before the last small gains. Real validation
# curves are often bumpier (few validation examples, small batches, noisy labels); there a patience
# of 1 stops at the first bump. A patience of 5–20 epochs is a common starting point.
#
# ## Your turn
#
# > **Predict first.** Set *patience* to 10 and untick *restore best weights*. Will the final
# > validation loss be the best one or the last one? Read the line under the figure to check.
# > Then raise *label noise*: does the best epoch come earlier or later?

# %%
lab = widgets.EarlyStoppingLab()
lab

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Too few epochs underfit; too many overfit once the validation loss turns upward.
# - Early stopping lets the validation loss choose the number of epochs: stop after `patience`
#   epochs without an improvement of more than `min_delta`.
# - Restore the best epoch's weights; the last epoch is, by construction, past the best.
# - The validation set now takes part in training decisions, so judge the final model on the
#   untouched test set.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. How does early stopping prevent overfitting, and what does "patience" control?**
#
# <details><summary>Show an answer</summary>
#
# It watches the validation loss and ends training once it has not improved for `patience`
# epochs (then restores the best epoch's weights), so the model stops before it spends many epochs
# fitting the noise in its training examples. Patience is how many disappointing epochs it
# tolerates: too small and a random bump in a noisy validation curve stops training early, too
# large and it wastes epochs past the best one.
# </details>
#
# **2. Why restore the best weights instead of keeping the final ones?**
#
# <details><summary>Show an answer</summary>
#
# By the time early stopping fires, the model has trained `patience` epochs past its best
# validation score, usually getting a little worse. Restoring the best checkpoint gives the model
# that actually scored best — at the cost of keeping one copy of the weights in memory.
# </details>
#
# **3. If you use the validation set for early stopping, can you report its score as your final result?**
#
# <details><summary>Show an answer</summary>
#
# No: choosing the stopping epoch on the validation set, like choosing any hyperparameter there,
# picks the epoch that happened to score best on those examples, so their score is optimistic.
# Report the score on a separate test set that played no part in any decision.
# </details>
