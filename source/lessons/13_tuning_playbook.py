# %% [markdown]
# # 13 · Tuning the playbook's way
#
# "Change one knob at a time and keep everything else fixed" sounds like good science. For
# neural networks it is a trap: the learning rate that suits one setting of a knob does not suit
# another, so holding the rate fixed measures how well that one rate happens to fit each setting,
# not which setting is better. Google's *Deep Learning Tuning Playbook* (Godbole et al., 2023)
# puts the fix into three words: scientific, nuisance, fixed.
#
# **After this lesson you will be able to explain**
#
# - what scientific, nuisance and fixed hyperparameters are;
# - why a comparison at one fixed learning rate can rank two settings the wrong way round;
# - how to compare "best with best": re-tune the rate for every value of the knob under study;
# - how to spend a fixed budget: explore first, exploit at the end.

# %%
import hplab
from hplab import playbook, widgets

# %% [markdown]
# ## Three kinds of hyperparameter
#
# - **Scientific**: the one whose effect you want to measure. Here: does a deeper network do
#   better on the spirals, 1 hidden layer or 4?
# - **Nuisance**: the ones that must be re-tuned for every value of the scientific one, because
#   their best value moves with it. The learning rate is nearly always one.
# - **Fixed**: held constant for the whole study (the optimizer, 30 epochs, 64 units per layer);
#   the conclusion holds only for these values.
#
# ## The naive comparison
#
# A colleague tunes the learning rate of the 1-layer network (SGD with momentum, seven rates from
# 0.01 to 1), keeps its best rate, and trains the 4-layer network at the same rate.
#
# > **Predict first.** Which depth wins at the 1-layer network's rate? And if the 4-layer network
# > gets its own seven rates, which depth wins then?

# %%
data = hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
LRS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
study = playbook.compare_values(data, "depth", [1, 4], lrs=LRS, optimizer="momentum",
                                width=64, epochs=30)
print(f"fixed rate (best for depth 1): {study.fixed_lr}")
for depth, naive, tuned, best in zip(study.values, study.naive, study.tuned, study.best_lrs):
    print(f"depth {depth}: at the fixed rate {naive:.3f} | at its own best rate ({best}) {tuned:.3f}")
print(f"naive winner: depth {study.naive_winner} | best-with-best winner: depth {study.tuned_winner}")

# %% tags=["check"]
(n1, n4), (t1, t4), (lr1, lr4) = study.naive, study.tuned, study.best_lrs
assert study.naive_winner == 1 and study.tuned_winner == 4
assert n4 > 2 * n1 and t4 < 0.5 * t1 and lr4 <= lr1 / 2

# %% [markdown]
# At the fixed rate the deeper network loses clearly: the colleague would report that depth
# hurts. With its own rate, a few times smaller, the deeper network wins by a wide margin. Both
# verdicts come from the same 14 runs; only the comparison differs. The reason is general: deeper
# (and wider) networks usually want a smaller rate, so a rate tuned for the small network is too
# high for the large one.
#
# ## The isolation plot
#
# The playbook's picture for this: for every value of the scientific hyperparameter, the final
# validation loss against the nuisance hyperparameter. Compare the lowest points (the stars), not
# the points on one vertical line (the circles).
#
# > **Predict first.** Which curve is narrower, the range of rates where it does well?

# %%
ax = playbook.isolation_plot(study)

# %% tags=["check"]
shallow, deep = (s.final_val_loss for s in study.sweeps)
assert all(d < s for d, s, lr in zip(deep, shallow, LRS) if lr <= 0.1)
assert deep[-2:] == [float("inf")] * 2 and max(shallow) < 1

# %% [markdown]
# The deep network's curve lies below the shallow one at every rate up to 0.1, then shoots up:
# at 0.5 and 1 it diverges (the triangle on the top edge), while the shallow network merely gets
# worse. Its good band of rates is shifted to the left. If its best rate had sat on the edge of the seven rates,
# the search would need extending before any verdict: a best value on the border of the search
# space is a warning that the space was too small.
#
# One seed is one draw. The tests behind this lesson repeat the study with five other seeds:
# the deeper network wins best with best, while the fixed-rate comparison says the opposite, on
# at least four of the five.
#
# ## A fixed budget: explore, then exploit
#
# Every value of the scientific hyperparameter costs a whole search over the nuisance ones: here
# 2 depths × 7 rates = 14 runs, and with a second nuisance knob (say weight decay at 4 values) it
# would be 56. On a fixed budget the playbook splits the work in two phases.
#
# - **Explore** (most of the budget): quasi-random search over wide ranges, to *learn*: which knobs
#   matter, how the rate interacts with them, where the edges of the good region are. A study
#   like the one above is exploration: its product is insight, not a final model.
# - **Exploit** (the end): freeze what you learned, narrow the ranges around the best region, and
#   spend the remaining runs on the final configuration, checking the winner over a few seeds.
#
# > **Predict first.** In the lab below, pick *width 8 vs 128*, then *weight decay 0 vs 0.01*.
# > Does the fixed-rate comparison still mislead? Change the seed: does the verdict survive?
# > And with 20 runs for one more study, would you spend them on 20 rates for one value, or on 10
# > rates for each of two?

# %%
lab = widgets.PlaybookLab()
lab

# %% [markdown]
# <div style="border-left: 4px solid #2a7ae2; padding: 0.6em 1em; background: #f3f7fd">
#
# **Takeaway**
#
# - Name the scientific hyperparameter; treat the learning rate (and often weight decay) as
#   nuisance and re-tune it for every value; hold the rest fixed and say so.
# - Compare best with best. One shared rate ranked the two depths the wrong way round here.
# - Read the isolation plot: a best value on the edge of the searched range means search wider.
# - Spend most of a budget exploring to learn, and only the end exploiting the best region.
#
# </div>

# %% [markdown]
# ## Interview questions
#
# **1. You want to know whether a deeper network helps. How do you set up the experiment?**
#
# <details><summary>Show an answer</summary>
#
# Depth is the scientific hyperparameter; the learning rate (and any regularization strength) is
# nuisance, re-tuned separately for each depth; everything else is fixed and reported. Compare
# each depth at its own best rate, over a few seeds. In this course, at the shallow network's best
# rate the 4-layer network looked worse; each at its own rate (a few times smaller for the deep
# one) the 4-layer network won clearly. Check that no best rate sits on the edge of the range.
# </details>
#
# **2. What are scientific, nuisance and fixed hyperparameters?**
#
# <details><summary>Show an answer</summary>
#
# The tuning playbook's split. Scientific: the one whose effect you measure. Nuisance: those that
# must be optimized anew for each value of it to make the comparison fair (the learning rate,
# nearly always). Fixed: held constant, so the conclusion is only valid at those values. The
# same knob can play different roles in different studies: batch size is scientific when you
# study throughput, nuisance elsewhere.
# </details>
#
# **3. You have a fixed compute budget. How do you spend it?**
#
# <details><summary>Show an answer</summary>
#
# Most of it exploring: quasi-random search over wide ranges, a few studies that each answer one
# question (does depth help? does weight decay matter?), reading isolation plots and training
# curves to learn where the good region is. Then exploit: narrow the ranges, freeze the decisions,
# tune the final configuration, and spend the last runs checking the winner over seeds and the
# test split once. Pure exploitation from the start risks polishing the wrong region.
# </details>
