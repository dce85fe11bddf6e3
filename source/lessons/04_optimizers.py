# %% [markdown]
# # 04 · Optimizers
#
# The gradient says which way is downhill *right here*. An **optimizer** decides what step to
# take with that information: plain SGD steps straight along it; momentum keeps some of its
# previous velocity; RMSprop and Adam resize the step of each weight separately. On an easy
# problem they all get there. On an awkwardly shaped loss surface the differences are large, and
# you can see them.
#
# **After this lesson you will be able to explain**
#
# - why plain SGD zig-zags in a narrow valley and how momentum fixes that;
# - what Adam's two betas do, and why Adam takes steps of about the same size on every weight;
# - how AdamW differs from Adam with weight decay;
# - which optimizer to try first, and why it is still worth comparing.

# %%
import hplab
from hplab import plots, widgets

# %% [markdown]
# ## A network with two weights
#
# A real network has thousands of weights, which nobody can picture. With just two, the loss is a
# landscape you can draw: the two weights are a point on a map, the loss is the height, and the
# contour lines connect points of equal loss. Each optimizer below is PyTorch's own class
# (`torch.optim.SGD`, `Adam`, ...) updating a tensor of two numbers.
#
# The **valley** surface is long and narrow: across the valley (weight 2) the walls are 100 times
# steeper than along its floor (weight 1). Such shapes are common in real networks, where some
# weights matter far more to the loss than others.
#
# **Predict first:** starting at the white square, which path will get closest to the gold star
# in 50 steps: plain SGD, SGD with momentum, or Adam?

# %%
paths = hplab.compare_paths("valley", ["sgd", "momentum", "adam"], steps=50)
plots.optimizer_paths(paths)
for name, path in paths.items():
    print(f"{name:>8}: {hplab.describe_path(path).label:9} final loss {path.final_loss:.4f}")

# %% [markdown]
# - **SGD** zig-zags. The gradient points mostly *across* the valley, toward the nearer steep
#   wall, so each step jumps to the other side. To keep those jumps from growing the rate must
#   stay small, and then progress *along* the flat floor is painfully slow.
# - **Momentum** keeps a running sum of past gradients. Across the valley the gradients flip sign
#   each step and cancel out; along the floor they all point the same way and add up, so the
#   point picks up speed where it needs it.
# - **Adam** divides each weight's step by a running measure of that weight's gradient size. The
#   steep direction gets small steps, the flat one big steps, and the path heads more or less
#   straight for the minimum.
#
# The first step shows the last point most plainly. At the start the gradient across the valley
# is 12 times larger than along it; SGD's step copies that ratio, Adam's does not:

# %%
for name in ("sgd", "adam"):
    step = hplab.optimizer_path("valley", name, lr=0.1, steps=1).steps[0]
    print(f"{name:>5} first step: along {step[0]:+.4f}, across {step[1]:+.4f}")

# %% [markdown]
# ## Adam's betas
#
# Adam keeps two moving averages for every weight:
#
# - **beta1** (default 0.9) averages the gradient itself: this is Adam's momentum. 0 means no
#   memory; 0.99 means a long memory, which carries the point further past a turn.
# - **beta2** (default 0.999) averages the *squared* gradient, the size used to scale each step.
#   A smaller beta2 adapts to a change in gradient size faster but is noisier.
#
# **Predict:** with beta1 = 0.99, will the path overshoot the minimum, or stop short of it?

# %%
betas = {f"beta1={b1}": hplab.optimizer_path("valley", "adam", lr=0.3, betas=(b1, 0.999))
         for b1 in (0.0, 0.9, 0.99)}
plots.optimizer_paths(betas, title="Adam with three values of beta1")
for name, path in betas.items():
    print(f"{name}: {hplab.describe_path(path).label}, final loss {path.final_loss:.4f}")

# %% [markdown]
# With a long memory (0.99) the point builds up speed, sails past the minimum and has to swing
# back, and 50 steps are not enough to settle. Without memory (0) Adam behaves like RMSprop: it
# drops onto the floor at once and walks along it at a steady pace of about `lr` per step, which
# works here but is easily thrown around by noisy minibatch gradients in a real network. The
# default 0.9 is a compromise that works on most problems, which is why people rarely change it.
#
# ## When the valley is tilted
#
# Adam rescales each *weight* separately. That helps most when the steep and flat directions line
# up with the weights, as above. Turn the same valley by 45 degrees and both weights see both
# slopes. **Predict:** will Adam still beat SGD by the same margin?

# %%
tilted = hplab.compare_paths("tilted_valley", ["sgd", "momentum", "adam"], steps=50)
plots.optimizer_paths(tilted)
for name, path in tilted.items():
    print(f"{name:>8}: final loss {path.final_loss:.4f}")

# %% [markdown]
# On the tilted valley the Adam and SGD paths lie almost on top of each other: Adam's per-weight
# scaling no longer matches the valley, and its lead over SGD shrinks from about 20x to nothing. Momentum does not care about the orientation and
# still wins. Real loss surfaces have both kinds of directions, which is why Adam with its
# built-in momentum is such a robust default.
#
# ## Your turn: the path explorer
#
# Pick an optimizer and watch its path; changing the optimizer also picks a rate that suits it on
# this surface. The previous path stays on the map for comparison. Try the `rosenbrock` surface (a
# curved valley) with 300 steps too.
#
# **Predict, then try:**
#
# 1. With SGD on the valley, raise the rate one notch at a time. At what point does the zig-zag
#    grow instead of fade?
# 2. With momentum, push the momentum slider to 0.99. Faster, or slower?
# 3. With Adam, lower beta2 to 0.9. What changes near the minimum?

# %%
explorer = widgets.PathExplorer()
explorer

# %% [markdown]
# ## On a real task
#
# Back to a network with 1,200 weights: two hidden layers learning the *spirals*. Each optimizer
# gets a rate that suits it (adaptive methods need smaller ones, because their steps are already
# normalized). AdamW is Adam with **decoupled weight decay**: in Adam, weight decay is added to
# the gradient and then divided by Adam's scaling, so weights with large gradients barely decay;
# AdamW shrinks every weight by the same fraction directly, which is what weight decay is meant to
# do.
#
# **Predict:** which two will reach the lowest training loss in 30 epochs?

# %%
spirals = hplab.load_dataset("spirals", n_samples=600, seed=0)
rates = dict(sgd=0.3, momentum=0.03, nesterov=0.03, rmsprop=0.003, adam=0.01, adamw=0.01)
task = {}
for name, lr in rates.items():
    model = hplab.mlp(2, 2, depth=2, width=32, seed=0)
    task[name] = hplab.fit(model, spirals, optimizer=name, lr=lr, epochs=30, seed=0,
                           weight_decay=0.01 if name == "adamw" else 0.0)
plots.overlay(task, key="train_loss", title="six optimizers on the spirals");

# %%
for name, hist in task.items():
    print(f"{name:>9} lr {rates[name]:<6g} final train loss {hist.train_loss[-1]:.3f}, "
          f"val accuracy {hist.val_metric[-1]:.2f}")

# %% [markdown]
# Adam and AdamW reach the lowest loss here, with momentum and Nesterov next. Do not read this as
# a law: with a tuned rate and schedule, SGD with momentum often generalizes as well as Adam or
# better, especially for image models. What holds almost always is that Adam is the most
# forgiving first choice — it works well over a wide range of rates.
#
# <div style="border-left: 4px solid #2a7ae2; background: #eef5ff; padding: 0.6em 1em;">
#
# **Takeaway.** Plain SGD zig-zags when some directions are much steeper than others. Momentum
# averages the zig-zag away and speeds up along consistent directions. Adam (and RMSprop) scale
# every weight's step by its own gradient history, so steep and flat directions move at similar
# speeds; beta1 is Adam's momentum, beta2 the memory of gradient sizes. Start with Adam (or AdamW
# when you use weight decay) at about 1e-3 to 1e-2, then compare with SGD + momentum.
# </div>
#
# ### Interview questions
#
# <details><summary>1. Why does momentum speed up training in a narrow valley?</summary>
#
# Across the valley the gradient changes sign every step, so adding successive gradients cancels
# that component; along the valley floor the gradients agree, so they accumulate into a larger
# velocity. The net effect is damped oscillation and faster progress in the useful direction.
# </details>
#
# <details><summary>2. What do Adam's beta1 and beta2 control?</summary>
#
# beta1 is the decay rate of the moving average of gradients (the momentum term); beta2 is the
# decay rate of the moving average of squared gradients, whose square root scales each weight's
# step. Larger values mean longer memory: smoother, but slower to react.
# </details>
#
# <details><summary>3. What is the difference between Adam with weight decay and AdamW?</summary>
#
# Adam adds the decay term to the gradient, so it is divided by Adam's per-weight scaling and
# weights with large gradients are barely regularized. AdamW applies the decay directly to the
# weights, separately from the gradient step, so every weight shrinks by the same fraction per
# step. That decoupling makes weight decay behave as intended and is why AdamW is the usual
# choice with weight decay.
# </details>
