"""Interview questions on hyperparameter tuning, with answers and where the course shows each one.

Each answer is shaped to be said in under a minute and a half: the claim, the mechanism, a number
from the course where one exists, when it fails, what to do next and the likely follow-up, with
sources named where the field argues. A question points to the lesson that demonstrates its
answer live (and to a dashboard preset where one reproduces it in a click); questions no lesson
demonstrates have no pointer. Every card lists the two or three points a strong answer must
mention; :func:`score_answer` checks a typed answer against them, and :class:`Quiz` is the drill
behind the quiz widget: type an answer, see which points it missed, and drill those cards again.

    >>> from hplab import interview
    >>> card = interview.questions("batch size")[1]
    >>> round(interview.score_answer(card, "Scale the rate linearly, with warm-up.")[0], 2)
    0.33
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as check

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"


@dataclass(frozen=True)
class Question:
    """One card: the question, a model answer, the lesson (two digits) that shows it live, and
    the points a strong answer must mention.

    ``points`` holds ``(label, words)`` pairs: a typed answer mentions the point when it contains
    any of ``words`` at the start of a word (so "re-tun" covers re-tune, re-tuned, re-tuning).
    """

    topic: str
    question: str
    answer: str
    lesson: str | None  # None: no lesson demonstrates it yet
    preset: str | None = None  # a dashboard preset that reproduces the effect, if any
    points: tuple = ()

    @property
    def pointer(self) -> str | None:
        """Where to see it: "lesson 02", "lesson 03, preset 'overfitting'", or None."""
        if self.lesson is None:
            return None
        text = f"lesson {self.lesson}"
        return text + (f", preset '{self.preset}'" if self.preset else "")


def _q(topic, question, answer, lesson, preset=None, *, points) -> Question:
    must = tuple((label, tuple(_normalize(w) for w in words.split("|")))
                 for label, words in points.items())
    return Question(topic, question, " ".join(answer.split()), lesson, preset, must)


def _normalize(text: str) -> str:
    """Lower case, every run of punctuation and spaces turned into one space (keeps "0.95")."""
    text = text.lower().replace("\u2019", "'").replace("\u2212", "-")
    return " ".join(re.sub(r"[^a-z0-9.]+", " ", text).split())


def _mentions(text: str, word: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(word), text) is not None


QUESTIONS = (
    # ---- why tune at all
    _q("basics", "What is a hyperparameter, and how is it different from a weight?",
       """A weight is learned by gradient descent from the training data. A hyperparameter is chosen
       before training and controls how that learning happens: the step size, the size of the
       network, the batch size, how long to train. The training loop cannot set it for you, so you
       pick it by comparing scores on a validation split. Likely follow-up: is the number of
       epochs a hyperparameter? Yes; under a decaying schedule it is the schedule's length.""",
       "01", points={
           "weights are learned from data by gradient descent":
               "learned|learnt|learns|gradient|fitted|trained|optimiz|backprop",
           "hyperparameters are set before training and chosen on validation":
               "before|validation|chosen|choose|set by|pick",
       }),
    _q("basics", "How do you tell underfitting from overfitting on the loss curves?",
       """Underfitting: even the training loss stays high, and the validation loss sits close to it
       (high bias). Overfitting: the training loss keeps falling while the validation loss turns
       up, opening a gap between them (high variance). The first needs more capacity, a better
       learning rate or longer training; the second needs more data or augmentation,
       regularization (weight decay, dropout) or the best checkpoint by validation. Likely
       follow-up: a deeper net with a worse training loss is not overfitting but an optimization
       problem.""",
       "01", "overfitting",
       points={
           "underfitting: the training loss itself stays high":
               "training loss|train loss|training error|training accuracy|train accuracy|high bias",
           "overfitting: a growing gap as validation turns up":
               "gap|turns up|goes up|rises|rising|increas|diverg",
           "a remedy for each":
               "regulariz|dropout|weight decay|early stop|more data|augment|capacity|bigger|larger",
       }),
    _q("basics", "Training is unstable: the loss jumps, spikes or turns NaN. What do you check?",
       """First the learning rate: too large and the steps bounce across the valley or blow up, so
       halve it or add a warm-up. Then look instead of guessing: log the global gradient norm every
       step. A steady climb points at the rate; isolated spikes point at particular batches, so
       find the batch where it happened (corrupt inputs, extreme targets, a log of zero can make a
       NaN on their own). Clip the gradient norm (1.0 is a common start) to cap rare huge steps.
       In fp16 without loss scaling, values past about 65,000 overflow to inf: use bf16 or a
       dynamic loss scaler. Unscaled inputs and tiny batches add noise too; lesson 01's unstable
       run is simply an enormous rate. Likely follow-up: if clipping triggers on most steps it is
       hiding a rate that is too high.""",
       "01", "unstable",
       points={
           "a learning rate that is too high":
               "learning rate|rate|lr|step size",
           "log gradient norms and clip them":
               "gradient norm|grad norm|norm of the gradient|clip",
           "a bad batch or fp16 overflow":
               "bad batch|batch where|corrupt|outlier|fp16|"
               "float16|half precision|overflow|loss scal|mixed precision|bf16",
       }),
    # ---- learning rate
    _q("learning rate", "Why is the learning rate usually the most important hyperparameter?",
       """It sets the size of every update. Too small and training crawls, still improving when
       the budget runs out; too large and each step overshoots, so the loss oscillates or blows
       up. Lesson 02 spans that in four decades: 0.001 crawls, 0.1 is about right, 10 diverges; in
       lesson 09's table the rate moves the best loss more than tenfold, width, depth and
       activation by a third or less.
       Its good value also moves whenever the batch size, the width or the optimizer changes, so it
       is the knob you re-tune whenever you change something else, searched on a log scale.""",
       "02", "too low",
       points={
           "it sets the size of every step":
               "size|step|update",
           "too small crawls, too large diverges":
               "diverg|overshoot|blow|explod|unstable|oscillat|crawl|slow",
           "searched on a log scale and re-tuned when other knobs change":
               "log|decade|order of magnitude|orders of magnitude|re tun|retun|interact|moves",
       }),
    _q("learning rate", "What happens when the learning rate is far too high?",
       """Each update overshoots the minimum by more than the last, the weights grow, and the loss
       rises until it becomes infinite or NaN: the run diverges. For plain gradient descent on a
       bowl the limit is two over the steepest curvature. A little below that the loss does not
       explode but keeps jumping instead of settling, and the best constant rate usually sits not
       far below the point of divergence. What to do next: find the edge with a range test or a
       short sweep and back off.""",
       "02", "too high",
       points={
           "each step overshoots":
               "overshoot|too far|past the minimum|bounce|jump",
           "the loss grows to inf or NaN: divergence":
               "diverg|nan|inf|explod|blow",
       }),
    _q("learning rate", "How does a learning-rate range test work, and how do you read it?",
       """Train briefly while multiplying the rate by a constant factor after every minibatch,
       from tiny to huge, and plot loss against rate on a log axis: flat where the rate is too
       small, falling steeply where it is useful, then shooting up. Two readings answer different
       questions. One tenth of the rate at the loss minimum, or the steepest point, is fastai's
       rule of thumb for a constant rate (hplab's default). Smith, who proposed the test, reads the
       rate where the loss stops falling as the maximum of a one-cycle schedule, with the minimum
       some ten times lower. In lesson 02 ten times the suggestion still trained faster, so the
       rule is cautious. The curve depends on the batch size and the smoothing: rerun it when those
       change.""",
       "02", points={
           "raise the rate exponentially over minibatches":
               "exponential|increas|multipl|grow|sweep|ramp|raise",
           "read it where the loss falls fastest, before the minimum":
               "steep|minimum|lowest|bottom|falls fastest",
           "min/10 is fastai's rule; Smith's is one-cycle's maximum":
               "fastai|one cycle|smith|tenth|10",
       }),
    _q("learning rate", "Why use a learning-rate schedule instead of a fixed rate?",
       """Early on, large steps make fast progress; near a minimum the same steps bounce around it.
       Decaying the rate (step, linear or cosine) lets training settle, and most of the gain of a
       decaying schedule arrives in its last part, so the schedule's total length becomes a
       hyperparameter in its own right. A short warm-up at the start avoids blowing up while the
       weights are still random (lesson 05 shows it at a large batch). Likely follow-up: cosine or
       linear decay to near zero are the usual defaults; tune the peak rate, not the shape.""",
       "02", points={
           "large steps early, small steps late to settle":
               "early|decay|anneal|settle|smaller|lower",
           "warm-up at the start":
               "warm",
       }),
    # ---- depth and width
    _q("depth and width", "How do depth and width change what a network can learn?",
       """They set its capacity. Too few layers or units and the model cannot bend its decision
       boundary enough: it underfits even the training data. Bigger does not simply mean
       overfitting: networks can memorize random labels yet generalize on real ones (Zhang et al.,
       2017), and test error can fall again once the model is large enough to fit the training set
       (double descent, Nakkiran et al., 2019), so a larger, regularized, properly tuned network
       usually does at least as well. Depth is harder to optimize than width: the gradient must
       pass through every layer. The best learning rate moves with size, so re-tune it at each
       size before comparing.""",
       "03", "too simple",
       points={
           "they set capacity; too small underfits":
               "capacit|underfit|too small|expressiv",
           "bigger is not simply overfitting (double descent)":
               "double descent|zhang|nakkiran|overparam|regulariz|not simply|not necessarily",
           "depth is harder to optimize; re-tune the rate":
               "optimi|gradient|re tun|retun|learning rate",
       }),
    _q("depth and width", "Your big network overfits. Name three different remedies.",
       """More data, or data augmentation, which is often the strongest; regularization: weight
       decay (AdamW's decoupled form with Adam) or dropout; and keeping the checkpoint with the best
       validation score (early stopping). A smaller model is a fourth, but modern practice keeps
       the size and regularizes. Each remedy changes the best learning rate, so compare them each
       at its own re-tuned rate, best against best, on validation, over a few seeds. Likely
       follow-up: which first? The cheapest that addresses the gap, usually augmentation or weight
       decay.""",
       "03", "same, with weight decay",
       points={
           "more data or augmentation":
               "data|augment",
           "weight decay or dropout":
               "weight decay|dropout|regulariz|l2",
           "early stopping or a smaller model":
               "early stop|stop early|best checkpoint|smaller|fewer",
       }),
    _q("depth and width", "How would you search for a good network size?",
       """Treat the size as the knob under study and the learning rate as a knob re-tuned at every
       size, since the best rate moves with width and depth. Grow width in powers of two (a log
       scale) and depth over a few small integers, and plot the best validation score of each size
       after its own rate search. Regularized, a somewhat larger network is usually safe; the
       limit is often compute and latency rather than overfitting. Likely follow-up: why powers of
       two? Capacity acts by ratios, like the rate.""",
       "03", "big enough",
       points={
           "widths as powers of two (log scale)":
               "power|log|doubl",
           "re-tune the rate at each size":
               "re tun|retun|each size|every size|own rate|own learning rate|rate search",
           "judge on validation":
               "validation|val loss|held out",
       }),
    # ---- optimizer
    _q("optimizer", "How do SGD, momentum and Adam differ?",
       """SGD steps straight down the current minibatch gradient: simple, but slow in long narrow
       valleys and sensitive to the rate. Momentum averages past gradients, building speed along
       consistent directions and damping zig-zags (its step grows to lr over one minus beta).
       Adam also divides each weight's step by a running size of its gradients, so steep and flat
       directions move at similar speeds; its default rate of 1e-3 is a reasonable start, not a
       tuned value. Lesson 04 races them, each at its own rate.""",
       "04", "momentum",
       points={
           "momentum averages past gradients":
               "averag|velocity|past gradient|accumulat|running sum|exponential",
           "Adam scales each weight's step by its gradient size":
               "per weight|per parameter|each weight|each parameter|scale|second moment|squared|divid",
       }),
    _q("optimizer", "If Adam converges faster, why would anyone use SGD with momentum?",
       """The classic claim that SGD generalizes better (Wilson et al., 2017) is weaker than it
       looks. Part of it came from L2 regularization inside Adam, whose penalty gradient gets
       divided by Adam's scaling; AdamW decouples weight decay (Loshchilov and Hutter, 2019) and
       closes much of the gap. And when every optimizer's hyperparameters are tuned, including
       momentum and epsilon, adaptive methods match or beat SGD (Choi et al., 2019): comparisons
       depend on the tuning protocol. SGD with momentum keeps real advantages: no second-moment
       state (less memory) and proven recipes for some vision models. In lesson 04, each at its own
       rate, Adam and AdamW reach the lowest training loss on every seed. Likely follow-up: how
       would you compare them fairly? Tune each one's rate and schedule separately.""",
       "04", "Adam",
       points={
           "AdamW: decoupled weight decay removes much of the gap":
               "adamw|decoupl|loshchilov",
           "tuned comparisons (Choi et al.): each at its own rate":
               "choi|tuned|own rate|own learning rate|each at|tuning protocol|fair|separately",
       }),
    _q("optimizer", "What do Adam's betas control?",
       """beta1 is the memory of the gradient average (momentum), beta2 the memory of the average
       squared gradient that scales each step. 0.9 and 0.999 suit most problems; lowering beta2
       (0.95 or 0.98 is common for transformers) lets the step sizes react faster when gradients
       change, which helps stability. Epsilon, added to the denominator, also matters: larger
       values make Adam behave more like momentum SGD. Tune 1 - beta on a log scale if you tune
       them at all.""",
       "04", points={
           "beta1: the gradient average (momentum)":
               "beta1|beta 1|momentum|first moment|gradient average|average of the gradient",
           "beta2: the squared-gradient average that scales steps":
               "beta2|beta 2|squared|second moment|variance",
       }),
    _q("optimizer", "What is the difference between Adam with L2 regularization and AdamW?",
       """With L2, the penalty's gradient (lambda times w) is added to the loss gradient and then
       divided by Adam's running root-mean-square, so weights with large gradients are decayed
       least: the regularization is uneven. AdamW (Loshchilov and Hutter, 2019) takes the decay out
       of the adaptive step and shrinks every weight by the same fraction, lr times lambda, per
       step. For plain SGD the two are the same up to rescaling lambda; for Adam they are not.
       AdamW's lambda usually lies between 0.01 and 0.1 (PyTorch's default is 0.01), far above the
       1e-5 to 1e-4 of an L2 penalty, and since the shrink per step is lr times lambda, re-tune it
       when the rate changes. Lesson 04 runs AdamW at weight decay 0.01. Likely follow-up: biases
       and normalization gains are usually not decayed.""",
       "04", points={
           "L2's gradient is divided by Adam's scaling, so decay is uneven":
               "divid|scal|adaptive|normaliz|uneven|large gradients",
           "AdamW decouples the decay from the gradient step":
               "decoupl|separate|directly|outside|apart|same fraction",
       }),
    # ---- batch size
    _q("batch size", "How does the batch size affect training?",
       """It is the number of examples behind each update. The gradient's noise falls like one over
       the square root of the batch (lesson 05: four times the batch halves it), and a larger batch
       takes fewer steps per epoch, so at a fixed number of epochs it lags unless the rate grows.
       Whether large batches generalize worse is contested: Keskar et al. (2017) blamed sharp
       minima, but sharpness can be changed without changing the function (Dinh et al., 2017),
       Hoffer et al. (2017) trace most of the gap to fewer updates, Goyal et al. (2017) trained at
       batch 8k without loss, and Shallue et al. (2019) find no consistent loss once the rate and
       regularization are re-tuned. The tuning playbook's answer: pick the batch size for
       throughput on your hardware, then re-tune the rate and regularization.""",
       "05", "small batches",
       points={
           "gradient noise falls with the batch size":
               "noise|sqrt|square root|varian",
           "fewer steps per epoch":
               "fewer|steps|updates",
           "the generalization gap is contested; re-tune the rate":
               "contest|hoffer|dinh|shallue|goyal|re tun|retun|debat|disput|throughput",
       }),
    _q("batch size", "You increase the batch size 8x. What else should you change?",
       """For SGD, the linear scaling rule (Goyal et al., 2017): multiply the rate by 8, with a
       warm-up, because early in training the gradient changes too fast for one big step to stand
       in for eight small ones. In lesson 05, batch 64 at 0.4 instead of 0.1 closes most of the gap
       to batch 16 with a quarter of the updates, and at 16x a warm-up calms the first epochs. For Adam, start
       from square-root scaling (about 2.8x) and re-tune. Both stop paying past the critical batch
       size (McCandlish et al., 2018), where bigger batches no longer cut the number of steps.
       Memory is not a hard limit: gradient accumulation sums several micro-batches per step.
       Weight decay and the number of epochs may need re-tuning too.""",
       "05", "big batch, scaled rate",
       points={
           "SGD: linear scaling of the rate, with warm-up":
               "linear|warm",
           "Adam: closer to square-root scaling":
               "sqrt|square root",
           "limits: critical batch size; accumulation for memory":
               "critical|accumul|noise scale|mccandlish",
       }),
    _q("batch size", "What is the critical batch size, and why does it matter?",
       """Below it, doubling the batch (with the rate re-tuned) roughly halves the steps needed to
       reach a target loss; above it, the extra examples mostly average away noise that was no
       longer the bottleneck, so the steps barely fall and you pay compute for nothing (McCandlish
       et al., 2018; Shallue et al., 2019 measured it across many workloads). McCandlish et al.
       predict it with the gradient noise scale, roughly the per-example gradient variance over
       the squared mean gradient; it grows as the loss falls and is larger for harder tasks. In
       practice, measure steps to a target at a few batch sizes, re-tuning the rate at each, and
       take the largest batch still on the straight part that your hardware runs efficiently.""",
       None, points={
           "beyond it, bigger batches stop cutting the steps":
               "steps|diminish|no longer|halv|returns|stop",
           "set by the gradient noise scale":
               "noise|varian|mccandlish",
           "measure it, pick the batch for throughput":
               "measur|throughput|hardware|largest|efficien",
       }),
    _q("batch size", "The batch size you want does not fit in GPU memory. What are your options?",
       """Gradient accumulation: run k micro-batches, add up their gradients (each loss divided by
       k), then take one step. For losses that average over examples this is the large batch's
       update, at k times the time per step, except for layers that look across the batch:
       BatchNorm sees only the micro-batch, so use LayerNorm or GroupNorm, or synchronized BatchNorm.
       Other levers: mixed precision (half the activation memory), activation checkpointing
       (recompute activations in the backward pass for about a third more compute), sharding the
       optimizer state over GPUs, or a smaller model. Likely follow-up: do you need that batch at
       all? Below the critical batch size, a smaller batch with a re-tuned rate gets there on the
       same number of examples.""",
       None, points={
           "gradient accumulation":
               "accumul",
           "BatchNorm only sees the micro-batch; divide the loss by k":
               "batchnorm|batch norm|micro|divid|average",
           "other levers: mixed precision, checkpointing, sharding":
               "mixed precision|fp16|bf16|checkpoint|shard|fsdp|zero|data parallel|gpus",
       }),
    # ---- activation
    _q("activation", "Why do sigmoid networks struggle when they are deep?",
       """The sigmoid's slope is at most 0.25 and near zero when it saturates, and backpropagation
       multiplies these slopes layer by layer, so the gradient reaching the first layers
       shrinks towards zero: the vanishing-gradient problem. Those layers then barely learn; lesson
       06's eight-layer sigmoid net shows it on the per-layer gradient plot. Fixes: ReLU-family
       activations, initialization scaled for the activation, normalization layers, residual
       connections. Likely follow-up: does tanh fix it? Only partly: its slope peaks at 1 but it
       saturates too.""",
       "06", "vanishing gradients",
       points={
           "the slope is at most 0.25 and saturates":
               "0.25|slope|derivative|saturat",
           "slopes multiply, so early layers get vanishing gradients":
               "vanish|multipl|shrink|product",
       }),
    _q("activation", "What is a dying ReLU, and how do you avoid it?",
       """A ReLU unit whose input is negative for every example outputs zero and gets zero
       gradient, so it never recovers by itself. Large learning rates push many units there at
       once, and a large negative bias can too. Use a smaller rate, a leaky ReLU (a small slope for
       negative inputs), or GELU/ELU, and count the dead units per layer: lesson 06's lab does.
       Likely follow-up: can a dead unit come back? Only if the layers below it change enough to
       make its input positive for some examples again.""",
       "06", "dying ReLU",
       points={
           "negative input for every example, zero gradient":
               "zero|negative|no gradient|never",
           "fix: smaller rate or a leaky variant":
               "leaky|smaller rate|lower rate|gelu|elu|learning rate",
       }),
    _q("activation", "Which activation would you start with for hidden layers, and why?",
       """ReLU or a close variant: cheap, and its slope of 1 for positive inputs keeps gradients
       flowing through deep stacks. GELU or SiLU are the usual choice in transformers. Tanh is
       zero-centred and fine in shallow nets; sigmoid belongs at a binary output, not in hidden
       layers. Pair the activation with its initialization (He for the ReLU family). The choice
       matters less than the learning rate: in lesson 09's search the activation moved the score
       least of all the knobs.""",
       "06", "healthy ReLU",
       points={
           "ReLU or a variant (GELU, leaky)":
               "relu|gelu|silu|swish",
           "its slope keeps gradients flowing":
               "slope|gradient|vanish|saturat",
       }),
    # ---- epochs and early stopping
    _q("epochs", "How do you choose the number of epochs?",
       """With a constant rate, set a generous maximum and keep the epoch with the best validation
       loss: in lesson 07 it is lowest in the teens of a 150-epoch run, then climbs. Under a
       decaying schedule (cosine, linear) the schedule's length is itself the hyperparameter: the
       rate reaches its small values only at the end, so epoch 40 of a 100-epoch schedule is not
       the run a 40-epoch schedule would give. The tuning playbook fixes the step budget from what
       you can afford and keeps the best checkpoint by validation rather than stopping early; if
       the budget allows, try a few lengths. Likely follow-up: after tuning, longer training
       usually helps a little until it plateaus.""",
       "07", "too many epochs",
       points={
           "keep the best epoch (early stopping or best checkpoint)":
               "early stop|patience|checkpoint|best epoch|best validation",
           "under a decaying schedule its length is the hyperparameter":
               "schedul|decay|cosine|anneal",
           "fix the step budget":
               "budget|number of steps|step count|fixed",
       }),
    _q("epochs", "How does early stopping work, and what does patience trade?",
       """After each epoch, compare the validation loss with the best so far; stop once it has not
       improved for `patience` epochs and restore the weights from the best epoch. Low patience
       reacts to noise and can stop too early; high patience wastes epochs and drifts further
       into overfitting before it stops. 5 to 10 epochs is a common start; a noisier validation
       score wants more, and a small min_delta keeps tiny improvements from resetting the count.
       Under a decaying schedule, prefer keeping the best checkpoint over stopping.""",
       "07", "early stopping",
       points={
           "watch the validation loss against its best":
               "validation|val loss|held out",
           "patience trades stopping on noise against wasted epochs":
               "noise|too early|too soon|wait|wast|epochs without",
           "restore the best weights":
               "restor|best weights|best epoch|checkpoint",
       }),
    _q("epochs", "Why restore the best weights when early stopping triggers?",
       """By the time training stops, the last `patience` epochs were all worse than the best one,
       so the final weights are already past the sweet spot. Restoring gives you the model that
       actually scored best on validation; that score is still a slightly optimistic estimate,
       since it was also used to choose the epoch, so report the test score instead. Likely
       follow-up: what does that cost? Keeping one copy of the weights, or a checkpoint on disk
       for large models.""",
       "07", points={
           "the final weights are past the best":
               "past|worse|after|overfit|last",
           "restore the model that scored best on validation":
               "best validation|scored best|lowest validation|best epoch|checkpoint|sweet spot",
       }),
    # ---- methods
    _q("tuning methods", "Why does random search usually beat grid search for the same number of trials?",
       """Usually only one or two knobs matter much (Bergstra and Bengio, 2012). A grid with k values
       per knob tests only k values of the one that matters, repeating them while it varies the
       others; random trials test a new value of every knob every time. In lesson 09, 18 random
       trials beat an 18-point grid on most of 40 seeds. Quasi-random sequences (Sobol, Halton)
       spread the points more evenly still, which is why the tuning playbook uses them to explore.
       A grid still suits one or two knobs whose values you want to see side by side.""",
       "09", points={
           "only a few knobs matter":
               "few|matter|important|one or two",
           "random trials test a new value of every knob":
               "distinct|new value|more values|different value|every trial|each trial|repeat",
       }),
    _q("tuning methods", "How many random trials give a 95% chance of landing in the top 5% of configurations? Why?",
       """About 60 (59 is the first count past 95%). Each trial misses the top 5% with chance 0.95,
       independently, so n trials all miss with chance 0.95 to the n, and 1 - 0.95^60 is about 0.95.
       The count does not depend on how many hyperparameters there are, only on the share of the
       space counted as good. It fails when that share is not what you care about: the top 5% of a
       badly chosen space can still be poor, and a narrow good band of the learning rate may be far
       less than 5%. Lesson 09's good rates cover about a fifth of the range, so 18 trials all miss
       with chance 0.8^18, about 2%.""",
       "09", points={
           "all n trials miss with chance 0.95^n":
               "0.95|miss|independen",
           "about 60 trials":
               "60|59|sixty",
           "independent of the number of hyperparameters":
               "dimension|number of hyperparameters|how many hyperparameters|"
               "does not depend|doesn t depend|independent of|knobs",
       }),
    _q("tuning methods", "What does a Bayesian optimizer model, and what does it trade for sample efficiency?",
       """It fits a surrogate of the score against the hyperparameters to the finished trials, a
       Gaussian process with its uncertainty or, in TPE, two densities: l(x) of the good trials and
       g(x) of the rest. An acquisition function picks the next trial; expected improvement is the
       usual one, and for TPE maximizing it amounts to maximizing l(x)/g(x) (Bergstra et al.,
       2011). It balances exploring uncertain regions with exploiting good ones. The price:
       proposals wait for results, so it parallelizes poorly; each proposal costs compute; and
       until it has a few tens of trials it is no better than random (Optuna's TPE starts with
       random ones). Noisy scores and conditional spaces weaken the model.""",
       "09", points={
           "a surrogate model of score vs hyperparameters":
               "surrogate|gaussian process|gp|tpe|densit|model of",
           "an acquisition function such as expected improvement":
               "acquisition|expected improvement|l x g x|ratio|upper confidence|ucb",
           "the trade: sequential, needs startup trials":
               "sequential|parallel|startup|random trials|overhead|first trials|wait",
       }),
    _q("tuning methods",
       "How does Hyperband decide which trials to stop, and what does it assume about learning curves?",
       """Successive halving gives many configurations a small budget, keeps the best fraction (one
       in `reduction_factor`, often 3) at each rung and gives the survivors more epochs; Optuna's
       median pruner instead stops a trial that is worse than the median of earlier trials at the
       same step. Both assume a run's early ranking predicts its final one, so they fail when
       learning curves cross: a small learning rate or strong regularization starts slowly and
       finishes best, and gets cut. Hyperband (Li et al., 2018) hedges by running several brackets
       that trade many configurations on a small starting budget against few on a large one.""",
       "09", points={
           "keep the best fraction at each rung, give survivors more budget":
               "fraction|rung|halv|survivor|best third|reduction|median|more epochs|more budget",
           "assumes early rank predicts final; fails when curves cross":
               "cross|slow|early rank|predict|late bloom|start slowly",
           "Hyperband hedges across brackets":
               "bracket|hedg",
       }),
    _q("tuning methods", "Why should a comparison of tuning methods use several seeds?",
       """A search's result depends on its own random draws and on the training seeds, so one seed
       can make any method look good or bad by luck. Lesson 09 races each method over 40 seeds and
       compares the medians and how often one beats the other: random search ends lower than the
       grid on most seeds, not on all. Report the median and the spread, or the share of seeds won;
       a method that wins on most seeds is better, not lucky once.""",
       "09", points={
           "a search's result depends on its random draws":
               "random|luck|chance|draw|noise",
           "compare medians or wins over many seeds":
               "median|spread|many seeds|40|distribution|most seeds|average|mean|how often",
       }),
    _q("tuning methods", "How does successive halving (or Hyperband) save compute? What can it get wrong?",
       """It trains many candidates on a small budget (few epochs or little data) and gives more
       budget only to the best fraction, round after round: with a reduction factor of 3, each
       rung keeps a third and triples their epochs, so every rung costs about the same and poor
       candidates cost little. It judges on early scores, so it can drop a slow starter, such as a
       small learning rate, that would finish best. Hyperband hedges with several brackets that
       start from different budgets; ASHA runs the rungs asynchronously over many workers.""",
       "10", points={
           "small budget for many, more for the best fraction":
               "small budget|few epochs|fraction|rung|best|survivor",
           "can cut slow starters that would finish best":
               "slow|early|cross|small learning rate|start",
       }),
    _q("tuning methods",
       "What does population-based training do to a bad starting learning rate? When is it not worth it?",
       """A population trains together. Every few epochs the weakest members copy the weights of a
       strong member (exploit) and take its hyperparameters with a random nudge (explore), so the
       member with the bad rate is recycled instead of finished, and the rate becomes a schedule
       found during training. It is greedy, favouring what looks good soon, and has knobs of its
       own (interval, perturbation factors). It is not worth it for short, cheap runs, for a
       population too small to copy from, or for knobs that cannot change mid-run, such as width
       or depth.""",
       "10", points={
           "weak members copy a strong member's weights (exploit)":
               "copy|exploit|weights",
           "and perturb its hyperparameters (explore)":
               "perturb|explore|nudge|mutat|random factor",
           "greedy; not for short runs or architecture knobs":
               "greedy|short|cheap|width|depth|small population",
       }),
    _q("tuning methods", "When would you pick Ray Tune over Optuna, or an AutoML tool over both?",
       """scikit-learn's GridSearchCV and RandomizedSearchCV suit estimators with a fit/predict
       interface. Optuna is light: define-by-run spaces, TPE and pruning, a study several workers
       share through a database; enough for one machine or a few. Ray Tune pays for its weight when
       trials must be scheduled over a cluster of machines and GPUs, or for population-based
       training. AutoML also picks the model family and preprocessing: a strong baseline for a
       standard task and little time; you still own the metric, the sealed test set and the
       budget.""",
       "10", points={
           "Ray Tune for clusters or PBT":
               "cluster|gpus|machines|distributed|pbt|population",
           "AutoML for standard tasks and little time":
               "standard|baseline|little time|model family|quick",
       }),
    _q("tuning methods", "How would you run one search on ten machines? What must they share?",
       """Put the study in a database every machine can reach (PostgreSQL or MySQL, say) and start
       a worker on each, with its own seed; the database hands out trial numbers, so no trial runs
       twice. They must share the storage, the search recipe (space, data, method) and the same
       data splits, or the scores cannot be compared. Random and quasi-random search parallelize
       perfectly; Bayesian methods lose some efficiency, since ten proposals are made before their
       results arrive.""",
       "10", points={
           "a shared storage (database)":
               "database|storage|shared|postgres|mysql|journal|rdb",
           "the same space, data and splits":
               "split|same data|space|recipe",
           "a seed per worker, no trial twice":
               "seed|duplicat|twice|own",
       }),
    _q("tuning methods", "Your tuning job was killed after 40 of 100 trials. What do you need to resume it?",
       """A study kept in a storage (a database or journal file) rather than in the process's
       memory: the 40 finished trials survive, and running the same search again against that
       storage asks only for the 60 that are missing. The trial that was running when the job died
       never finished, so it must be marked failed and re-run; a heartbeat does that for workers on
       other machines. Likely follow-up: save model checkpoints too, so long trials resume
       mid-run.""",
       "10", points={
           "a study kept in persistent storage":
               "storage|database|journal|disk|persist|sqlite|file",
           "rerun for the missing trials; mark the dead one failed":
               "60|remaining|missing|fail|heartbeat|rest of",
       }),
    _q("tuning methods", "How do you design a search space for a small budget?",
       """Tune few knobs: the learning rate always (it is the nuisance every comparison must
       re-tune), then the one or two most likely to interact with it, such as weight decay or the
       schedule's length; fix the rest at sensible defaults. Scale-type knobs on a log scale: the
       rate over about three decades, an L2 penalty with SGD around 1e-5 to 1e-3, AdamW's decoupled
       decay around 0.01 to 0.1; shares such as dropout (0 to 0.5) on a linear one. How many trials
       follows from how large the good region is (lesson 09: 60 random trials land in the top 5%
       with 95% chance), not from a fixed count per knob. After the first round, check no best
       trial sits at the edge of a range, and widen or narrow.""",
       "08", points={
           "few knobs, the learning rate first":
               "learning rate|rate|few",
           "log scales for scale-type knobs":
               "log",
           "check the best is not at the edge of a range":
               "edge|boundar|border|widen",
       }),
    _q("tuning methods", "Why does the learning rate get a log-scale range, but dropout a linear one?",
       """The learning rate acts by ratios: going from 1e-4 to 1e-3 changes training as much as 1e-2
       to 1e-1, so a log scale gives each decade the same number of tries; drawn uniformly from
       1e-4 to 1e-1, 90% of them would land in the top decade. Dropout is a share between 0 and
       about 0.5 whose effect changes evenly with its value, so equal steps on a linear scale are
       equally informative. Likely follow-up: Adam's beta2 near 1 is searched as 1 - beta2 on a log
       scale.""",
       "08", points={
           "the rate acts by ratios (orders of magnitude)":
               "ratio|multiplicat|order of magnitude|orders of magnitude|decade|factor",
           "uniform draws would pile up in the top decade":
               "90|top decade|wast|most of|uniform",
           "dropout's effect changes evenly within a bounded range":
               "evenly|bounded|between 0|share|fraction|proportion|probability|0.5|equal steps",
       }),
    # ---- validation and test hygiene
    _q("validation", "Why do you need a validation set separate from the training set?",
       """The training score rewards memorizing, so it cannot rank models that differ in capacity
       or regularization. The validation set is data the model never trains on, used to compare
       hyperparameter settings and to choose the checkpoint. It is still used for choices, so its
       best score ends up optimistic; that is what the test set is for. It must come from the same
       distribution the model will meet and share no examples, users or time periods with
       training.""",
       "08", points={
           "the training score rewards memorizing":
               "memoriz|overfit|training score|training loss|rewards",
           "held-out data used to compare settings":
               "compare|choose|select|rank|held out|never trains|unseen",
       }),
    _q("validation", "How do you design a validation split you can trust?",
       """It must look like the data the model will meet and share nothing with training. Split
       before fitting any preprocessing (scalers, vocabularies, feature selection fit on training
       only) and remove near-duplicates across the split, or it leaks. Split by the unit that
       repeats, such as patient, user or document (grouped splits), and for time series validate on
       the future, never on shuffled past data. Make it large enough that the gaps you care about
       exceed its noise: with 1,000 examples, an accuracy near 90% has a standard error of about
       one point. k-fold costs k trainings per candidate, so for networks it is kept for small
       data. Likely follow-up: great validation, poor production? Look for leakage or a shift.""",
       None, points={
           "no leakage: preprocessing fit on training only, no duplicates":
               "leak|preprocess|duplicat|scaler",
           "grouped or time-based splits":
               "group|time|patient|user|future|chronolog",
           "size it for its noise; k-fold costs k trainings":
               "fold|k times|cross valid|cost|standard error|noise|size",
       }),
    _q("validation", "What does cross-validation add to a hyperparameter search, and what does it cost?",
       """Each candidate is trained k times, validated each time on a different fold, so its score
       is an average over k splits and less at the mercy of one lucky validation set; that matters
       most on small data, and the spread over folds shows how noisy the score is. It costs k times
       the training, which is why deep-learning searches, with large data and long runs, usually
       keep one validation split. Folds must respect groups and time, as any split must.""",
       "10", points={
           "an average over k folds, less luck":
               "average|folds|k splits|less noisy|variance|luck|mean",
           "costs k times the training":
               "k times|expensive|more training|compute|k trainings|slower",
       }),
    _q("test hygiene", "Why may the test set be used only once?",
       """Any choice made after looking at a score fits the model a little to that data. If the
       test set steers a choice it becomes a second validation set and its score turns optimistic.
       Make every choice on validation data, then report the test score once, at the end. With
       many looks the bias grows with the number of choices, just as the winner's validation score
       does. If the test score disappoints, say so; tuning against it again needs fresh data.""",
       "08", points={
           "every look that steers a choice fits to it":
               "choice|choose|decision|fits|steer|tune",
           "its score becomes optimistic":
               "optimis|biased|overestimat|no longer unbiased",
       }),
    _q("test hygiene", "Why is the winner's validation score an optimistic estimate, and what fixes that?",
       """Picking the best of many candidates on one validation set also picks the one whose noise
       happened to favour it, so its score is biased in its favour, and the more candidates, the
       larger the bias (lesson 08 picks one of twelve). A test split that played no part in any
       choice, read once at the end, gives an unbiased estimate; rerunning the top few with new
       seeds shrinks the luck in the choice itself.""",
       "08", points={
           "choosing the max also selects lucky noise":
               "noise|luck|max|selection|best of many|favour|chance",
           "a fresh test split read once":
               "test|fresh|held out|untouched|once",
       }),
    _q("test hygiene", "You evaluated ten candidates on the test set and reported the best. What went wrong?",
       """Choosing by test score made the test split a second validation split, so the reported
       number carries the same selection optimism and nothing unbiased is left. Choose on
       validation only and report the test score of that one choice; if the test set was already
       used, say so, and get fresh data for an honest number. The gap between the best and the
       typical test score of the ten is roughly how optimistic the reported number was.""",
       "08", points={
           "selecting on test makes it a validation set":
               "validation|selection|choos|chose|picked",
           "the reported number is optimistic; report one choice or get fresh data":
               "optimis|biased|fresh|new data|once|one choice",
       }),
    _q("test hygiene", "After choosing the hyperparameters, why retrain on training + validation data?",
       """The validation split has done its job of choosing, and more examples usually make a
       better model. But no early-stopping signal is left, so the training length must come from
       the search: take the winner's step count at its best epoch (not the search's maximum) and
       scale it for the extra data, so that with 25% more examples it trains for the same number
       of epochs, 25% more steps, and any decaying schedule stretches to match. Nothing checks that
       run on held-out data, so compare its training curve with the search run's; then evaluate once
       on the untouched test set.""",
       "08", points={
           "validation has done its job; more data helps":
               "more data|more examples|done its job|larger|better model",
           "no early-stopping signal is left":
               "early stop|no validation|nothing to stop|stopping signal|no signal|no held out",
           "the step count comes from the search, scaled for the data":
               "scal|proportion|best epoch|step count|number of steps|same number of epochs|epochs from",
       }),
    # ---- workflow
    _q("workflow", "Walk through a tuning workflow from search space to reported result.",
       """Agree on the metric and the budget first. Split train, validation and test, and keep the
       test sealed. Get a baseline and read its curves. Explore with quasi-random search over a
       few knobs on log scales, re-tuning the learning rate for whatever you compare, then narrow
       the ranges (or switch to Bayesian search) to exploit. Train each candidate on training data
       and rank it on validation at its best checkpoint; check the winner is not at the edge of a
       range; rerun the top few with several seeds. Retrain the winner on train plus validation for
       the search's step count, scaled for the extra data, and score it once on the test split.""",
       "08", points={
           "split train/validation/test, test sealed":
               "split|test",
           "search: quasi-random exploration, re-tuned rate":
               "random|quasi|bayes|tpe|re tun|retun|nuisance",
           "seed check and one read of the test":
               "seed|once",
       }),
    _q("workflow", "Configuration B beat A by a little on one run each. Is B better? How would you find out?",
       """Not necessarily: the same settings trained from another seed (starting weights and
       minibatch order) land somewhere else, and that seed noise can be as large as the gap.
       Train both with several seeds, compare the difference of the means with its standard
       error, and call B better only when the gap clearly exceeds it: two standard errors or more,
       as lesson 08's winner shows over its runner-up. Rerunning the top few candidates of a search
       with a handful of seeds settles the close calls.""",
       "08", points={
           "seed noise can be as large as the gap":
               "seed|noise|varian|luck",
           "several seeds, gap against its standard error":
               "standard error|several|multiple|repeat|mean|confidence",
       }),
    _q("workflow", "You want to know whether a wider network helps. How do you run that comparison?",
       """Not by changing the width alone at a fixed rate: the best learning rate moves with width
       and batch size (lesson 05: batch 64 lags at the old rate 0.1 and closes most of the gap at
       0.4), so a one-knob comparison mixes "wider" with "the rate now fits worse". The tuning
       playbook (Godbole et al., 2023) calls the width the scientific hyperparameter, the rate and
       anything that interacts with it nuisance hyperparameters re-tuned for each width, and the
       rest fixed. Plot each width's best validation score after its own rate search, over a few
       seeds: best against best. It fails when a nuisance search is too narrow for some width, so
       check no best rate sits at the edge of its range.""",
       "05", "big batch, scaled rate",
       points={
           "width is scientific, the rate a nuisance":
               "scientific|nuisance",
           "re-tune the rate for each value":
               "re tun|retun|each width|each value|"
               "for every|rate search|own rate|own learning rate|tune the learning rate",
           "compare best with best":
               "best with best|best against best|best vs best|best versus best|isolation|best of each|each at its best",
       }),
    _q("workflow", "You have a fixed compute budget to tune a new model. How do you spend it?",
       """In rounds, exploring first and exploiting at the end (the tuning playbook). Each round
       asks one question: the knobs it studies are scientific, the ones that could change the
       answer are nuisance and searched over (the learning rate nearly always), the rest fixed.
       Explore with quasi-random search over wide ranges: it parallelizes, does not commit early,
       and gives an even sample to read isolation plots from; look for bad ranges, edges and
       instability. Spend the last part exploiting: narrow ranges, Bayesian search on the few
       knobs left, a seed check of the winner. Keep each trial's step budget fixed while
       exploring; lengthen training only at the end.""",
       "09", points={
           "explore, then exploit":
               "explor|exploit",
           "scientific, nuisance and fixed knobs":
               "scientific|nuisance",
           "quasi-random exploration, Bayesian to finish":
               "quasi|random|sobol|halton|bayes|tpe",
       }),
    _q("workflow", "Should you memorize good default values for hyperparameters?",
       """Knowing typical starting points helps (Adam at 1e-3, AdamW decay 0.01 to 0.1, batch 32 to
       256, ReLU), but the good values depend on the data, the model and each other. What matters is
       knowing how each knob changes training, reading the symptoms on the curves, and measuring on
       validation, re-tuning the rate whenever another knob moves. Defaults are where a search
       starts and what its ranges should bracket, not the answer; a candidate who can say which
       symptom would make them move a default is more convincing than one who recites it.""",
       "00", "good",
       points={
           "good values depend on each other: re-tune the rate when a knob moves":
               "each other|interact|re tun|retun|move together",
           "know how each knob changes training and its symptoms":
               "symptom|how each|what each|changes training|diagnos",
       }),
    _q("workflow", "Two runs with the same seed give different results. Why, and how do you make runs reproducible?",
       """Seed every source of randomness: Python, NumPy, the framework, the data loader's shuffling
       and its worker processes. On GPUs some kernels are still nondeterministic: atomic additions
       sum floats in a varying order, and cuDNN's autotuner picks algorithms by timing; PyTorch's
       use_deterministic_algorithms(True) and benchmark mode off fix that at some speed cost.
       Results also differ across library versions and hardware, so log the code version, the
       config and the environment. Bit-for-bit is not what conclusions rest on: different seeds
       differ far more, so run several and report the mean and spread.""",
       None, points={
           "seed every random source, including the data loader":
               "every source|every random|data loader|dataloader|worker|numpy|manual seed|all seeds|each generator",
           "nondeterministic GPU kernels":
               "determinis|cudnn|atomic|kernel|gpu",
           "log versions; report several seeds":
               "version|hash|config|environment|librar|spread|several|mean",
       }),
    # ---- training stability and debugging
    _q("stability", "Your network's loss does not go down. How do you debug it?",
       """Shrink the problem until it works. Check the loss at step 0: for C balanced classes, cross
       entropy should start near ln C (2.3 for ten), and far off means a bad initialization or
       wrong targets. Overfit one small batch to near-zero loss with regularization off; if it
       cannot, the bug is in the model, the loss or the optimizer (softmax applied twice, a missing
       zero_grad, parameters not given to the optimizer), not in the data's size. Look at the
       data after the pipeline: inputs still paired with their labels, normalized. Check the
       gradient flow layer by layer for zeros or explosions. Then sweep the learning rate, then
       scale up. Likely follow-up: it overfits one batch but not the full data? Then it is the
       rate, the capacity or the data.""",
       "12", points={
           "overfit one small batch first":
               "one batch|single batch|small batch|tiny|overfit|few examples|handful",
           "check the data and labels":
               "data|label|input",
           "check gradient flow and the initial loss":
               "gradient|initial loss|ln|step 0|first step",
       }),
    _q("stability", "What are exploding gradients, and how do clipping by norm and by value differ?",
       """Backpropagation multiplies per-layer factors, so when they exceed one the gradient grows
       geometrically with depth or sequence length (the classic RNN problem, Pascanu et al., 2013)
       and one step throws the weights far off: loss spikes, NaNs, spikes in the logged gradient
       norm. Clipping by norm rescales the whole gradient when its global norm exceeds a threshold:
       the direction is kept and the step capped. Clipping by value clamps each component to
       [-c, c], which changes the direction. Norm clipping is the default (1.0 is common for
       transformers; set it a little above the typical logged norm). Clip after backward, before
       the optimizer step (and after unscaling in mixed precision). It treats the symptom: fix the
       rate, initialization or normalization if it triggers most steps.""",
       "12", points={
           "gradients multiply through layers and grow":
               "multipl|product|geometric|jacobian|depth|layers|grow",
           "norm clipping rescales the whole vector, keeping its direction":
               "direction|rescal|global norm|whole|total norm",
           "value clipping clamps each component":
               "each component|each element|element|component|individual|coordinate|clamp",
       }),
    _q("stability", "What do BatchNorm and LayerNorm do, and why do they allow higher learning rates?",
       """Both normalize activations to zero mean and unit variance, then apply a learned scale and
       shift. BatchNorm normalizes each feature over the batch; LayerNorm normalizes each example
       over its features. They allow higher rates because a layer's output no longer depends on the
       scale of the weights before it, so a large update cannot blow up everything downstream, and
       the loss surface is smoother (Santurkar et al., 2018, argue this rather than the original
       covariate-shift story). BatchNorm uses batch statistics in training and running averages in
       evaluation: forgetting eval mode is a classic bug, and batches below about 16 make the
       statistics noisy (use GroupNorm or LayerNorm). LayerNorm has no batch dependence, so
       transformers use it.""",
       "12", points={
           "higher rates: scale invariance, smoother loss":
               "invarian|smooth|scale of the weights|conditioning|covariate|blow up",
           "train uses batch statistics, eval running averages":
               "running|eval|inference|moving average|statistic",
           "small batches hurt BatchNorm; LayerNorm has no batch dependence":
               "small batch|groupnorm|group norm|batch size|per example|each example|across features|"
               "no batch dependence|independent of the batch",
       }),
    _q("stability", "Why does weight initialization matter? When would you use Xavier and when He?",
       """Two jobs. Break symmetry: units that start with equal weights get equal gradients and stay
       copies, so draw weights at random (biases may start at zero). Keep the signal's scale steady
       from layer to layer, forwards and backwards, so it neither vanishes nor explodes. A layer's
       output variance is fan_in times the weights' variance times the input's, so Glorot (Xavier,
       2010) uses variance 2 / (fan_in + fan_out) for tanh and sigmoid, and He (Kaiming, 2015)
       2 / fan_in for the ReLU family, the 2 because ReLU zeroes half its inputs. Lesson 06: PyTorch's
       default Linear init has a sixth of He's variance. Normalization layers and residual
       connections make it matter less.""",
       "06", "vanishing gradients",
       points={
           "break symmetry":
               "symmetr|identical|same gradient|copies|random",
           "keep the variance steady across layers":
               "varian|scale|fan",
           "Xavier for tanh/sigmoid, He for ReLU":
               "relu|tanh|sigmoid|fan in",
       }),
    _q("stability", "Why do Adam and transformers need a learning-rate warm-up?",
       """Warm-up raises the rate from near zero over the first steps (a few hundred to a few thousand
       for transformers, a few epochs in large-batch SGD). Early in training the gradients change
       fast and the surface is sharp, so a rate that is fine later can blow up at step one. For
       Adam, the second-moment estimate rests on few samples at first, so per-weight steps are large
       and noisy (RAdam, Liu et al., 2020, traces warm-up's benefit to this); post-LN transformers
       also have large gradients near the output at initialization (Xiong et al., 2020). Lesson 05:
       batch 128 at rate 1.6 jolts most seeds without warm-up, far less with two epochs of it.
       Likely follow-up: how long? A few percent of training; lengthen it if runs blow up early.""",
       "05", points={
           "ramp the rate up from small":
               "ramp|raise|increas|gradual|linear|from zero|from 0|near zero",
           "early gradients and Adam's second moment are unreliable":
               "early|second moment|variance|sharp|curvature|unstable|noisy",
       }),
    _q("stability", "What is mixed-precision training, and why does fp16 need loss scaling?",
       """Matrix products run in 16-bit floats; a float32 master copy of the weights takes the
       updates, and reductions such as the loss and softmax stay in float32 (Micikevicius et al.,
       2018): about half the activation memory and much faster on tensor cores. fp16 has five
       exponent bits, so its largest value is about 65,504 and small gradients underflow to zero.
       Loss scaling multiplies the loss by a large S before backward, shifting gradients into range,
       and divides them by S before the step; a dynamic scaler halves S and skips the step when
       inf or NaN appears, and grows it again after a run of clean steps. bf16 keeps float32's
       exponent range, so it needs no scaling, at fewer digits of precision. Likely follow-up: clip
       gradients after unscaling them.""",
       None, points={
           "16-bit compute, float32 master weights":
               "master|fp32|float32|32 bit|full precision",
           "small fp16 gradients underflow":
               "underflow|range|too small|small gradients|exponent|overflow",
           "scale the loss, then unscale; or bf16":
               "multipl|unscal|divid|bf16|bfloat|dynamic|scale factor",
       }),
    # ---- regularization
    _q("regularization", "What is inverted dropout, and why scale at training time?",
       """In training each unit is zeroed with probability p and the survivors are multiplied by
       1 / (1 - p), so every activation keeps its expected value; at evaluation nothing is dropped
       and nothing needs rescaling. The original paper (Srivastava et al., 2014) scaled the weights
       at test time instead; scaling in training keeps inference code untouched. It regularizes
       because units cannot rely on particular partners, like an average over thinned networks.
       Typical p: 0.1 to 0.5, lesson 03 adds it to an overfitting net. Pitfalls: forgetting eval
       mode, and dropout before BatchNorm shifts the variance between training and evaluation.""",
       "03", points={
           "zero units at random with probability p in training":
               "zero|switch off|switched off|random|probability|mask|turn off|deactivat",
           "scale survivors by 1/(1-p), keeping the expectation":
               "1 1 p|1 p|expect|divid|multipl|same average",
           "nothing dropped at evaluation":
               "eval|test time|inference|predict",
       }),
    _q("regularization", "How do data augmentation and label smoothing regularize a network?",
       """Augmentation trains on label-preserving transformations of the inputs (crops, flips,
       colour jitter for images; noise and time shifts for audio; mixup and CutMix blend pairs), so
       the model must be invariant to them; for vision it is often the strongest regularizer, and
       it must preserve the label (a 6 turned upside down is a 9). Apply it to training data only. Label
       smoothing mixes each one-hot target with a uniform one, (1 - eps) one-hot plus eps / K with
       eps about 0.1 (Szegedy et al., 2016), so logits stop growing without bound and calibration
       often improves; it can hurt when the model later teaches a student by distillation (Muller
       et al., 2019). Both make the training loss look worse: judge on validation.""",
       None, points={
           "augmentation: label-preserving transformations of training inputs":
               "transform|flip|crop|rotat|noise|label preserv|invarian|mixup",
           "label smoothing softens one-hot targets":
               "soft|uniform|confiden|calibrat|one hot|epsilon|eps|0.1|target",
       }),
)


TOPICS = tuple(dict.fromkeys(q.topic for q in QUESTIONS))


def questions(topic: str | None = None) -> list[Question]:
    """All questions, or those of one topic (see ``TOPICS``)."""
    if topic is None:
        return list(QUESTIONS)
    if not isinstance(topic, str):
        raise TypeError(f"topic must be a string or None, got {type(topic).__name__} {topic!r}")
    if topic not in TOPICS:
        raise ValueError(f"topic {topic!r} is unknown; choose one of: {', '.join(TOPICS)}")
    return [q for q in QUESTIONS if q.topic == topic]


def score_answer(card: Question, text: str) -> tuple[float, tuple[str, ...]]:
    """Score a typed answer against the card's must-mention points.

    Returns (share of the points mentioned, labels of the points it missed).

    Example:
        >>> card = questions("workflow")[2]
        >>> score_answer(card, "Change one knob at a time.")[0]
        0.0
    """
    if not isinstance(card, Question):
        raise TypeError(f"card must be an interview Question, got {type(card).__name__}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__} {text!r}")
    said = _normalize(text)
    missed = tuple(label for label, words in card.points
                   if not any(_mentions(said, w) for w in words))
    return 1 - len(missed) / len(card.points), missed


def as_markdown(cards=None) -> str:
    """The questions as markdown, each answer folded under its question (click to reveal).

    Works wherever markdown renders, without a widget front end.
    """
    cards = list(QUESTIONS if cards is None else cards)
    out, topic = [], None
    for card in cards:
        if card.topic != topic:
            topic = card.topic
            out.append(f"\n**{topic.capitalize()}**\n")
        where = f" <i>(See it live: {card.pointer}.)</i>" if card.pointer else ""
        must = "; ".join(label for label, _ in card.points)
        out.append(f"<details><summary>{card.question}</summary>\n\n{card.answer}{where}"
                   f"\n\n<i>Must mention:</i> {must}.\n</details>")
    return "\n".join(out).strip() + "\n"


def lesson_notebook(number: str, lessons_dir: Path = LESSONS_DIR) -> Path | None:
    """The lesson notebook whose name starts with ``number`` ("02" -> lessons/02_....ipynb)."""
    found = sorted(Path(lessons_dir).glob(f"{number}_*.ipynb"))
    return found[0] if found else None


class Quiz:
    """A self-scoring drill: type an answer, see which must-mention points it missed, move on.

    Cards come in a seeded shuffled order. A card counts as known when the answer mentions every
    one of its points; the others can be drilled again with :meth:`retry_missed`.

    Example:
        >>> quiz = Quiz(questions("batch size"), seed=1)
        >>> score, missed = quiz.answer("more noise with small batches, fewer steps per epoch")
        >>> quiz.next(); quiz.score
        (0, 1)
    """

    def __init__(self, cards=None, *, seed: int = 0):
        cards = list(QUESTIONS if cards is None else cards)
        if not cards or not all(isinstance(c, Question) for c in cards):
            raise ValueError("cards must be a non-empty list of interview Questions, "
                             f"got {cards!r}")
        self.seed = check.seed(seed)
        order = np.random.default_rng(self.seed).permutation(len(cards))
        self.cards = [cards[i] for i in order]
        self.position = 0
        self.revealed = False
        self.results: dict = {}  # card index -> (share of points mentioned, labels missed)

    @property
    def done(self) -> bool:
        return self.position >= len(self.cards)

    @property
    def current(self) -> Question | None:
        return None if self.done else self.cards[self.position]

    @property
    def feedback(self) -> tuple[float, tuple[str, ...]] | None:
        """The current card's (score, missed points), once it has been answered."""
        return self.results.get(self.position)

    def reveal(self) -> str:
        """Show the current model answer (answering does this too)."""
        if self.done:
            raise ValueError("the quiz is finished; call retry_missed() or start a new Quiz")
        self.revealed = True
        return self.current.answer

    def answer(self, text: str) -> tuple[float, tuple[str, ...]]:
        """Score a typed answer to the current card and reveal the model answer."""
        if self.done:
            raise ValueError("the quiz is finished; call retry_missed() or start a new Quiz")
        if self.position in self.results:
            raise ValueError("this card is already scored; call next() for the next one")
        self.results[self.position] = score_answer(self.current, text)
        self.revealed = True
        return self.results[self.position]

    def next(self) -> None:
        """Move to the next card; a card left unanswered counts as missing every point."""
        if self.done:
            raise ValueError("the quiz is finished; call retry_missed() or start a new Quiz")
        if self.position not in self.results:
            self.results[self.position] = (0.0, tuple(label for label, _ in self.current.points))
        self.position += 1
        self.revealed = False

    @property
    def score(self) -> tuple[int, int]:
        """(cards whose answer mentioned every point, cards answered)."""
        return sum(s == 1 for s, _ in self.results.values()), len(self.results)

    @property
    def points(self) -> tuple[int, int]:
        """(points mentioned, points asked) over the cards answered."""
        asked = sum(len(self.cards[i].points) for i in self.results)
        return asked - sum(len(m) for _, m in self.results.values()), asked

    @property
    def missed(self) -> list[Question]:
        """The cards whose answer missed at least one point."""
        return [self.cards[i] for i, (s, _) in self.results.items() if s < 1]

    def by_topic(self) -> dict:
        """{topic: (cards with every point, cards answered)} for the cards answered so far."""
        out: dict = {}
        for i, (s, _) in self.results.items():
            known, seen = out.get(self.cards[i].topic, (0, 0))
            out[self.cards[i].topic] = (known + (s == 1), seen + 1)
        return out

    def retry_missed(self) -> "Quiz":
        """A new quiz made of the cards whose answers missed a point."""
        return Quiz(self.missed, seed=self.seed + 1)

    def summary(self) -> str:
        known, seen = self.score
        said, asked = self.points
        weak = [t for t, (k, n) in self.by_topic().items() if k < n]
        text = f"{known} of {seen} answers covered every point ({said} of {asked} points)"
        return text + (f"; revisit: {', '.join(weak)}" if weak else "")
