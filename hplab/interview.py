"""Interview questions on hyperparameter tuning, with answers and where the course shows each one.

Every question points to the lesson that demonstrates its answer live (and to a Playground
preset where one reproduces it in a click). :class:`Quiz` is the self-scoring drill behind the
flash cards: reveal an answer, say whether you knew it, and see your score by topic.

    >>> from hplab import interview
    >>> quiz = interview.Quiz(interview.questions("learning rate"), seed=0)
    >>> quiz.current.topic
    'learning rate'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as check

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"


@dataclass(frozen=True)
class Question:
    """One card: the question, a model answer, and the lesson (two digits) that shows it live."""

    topic: str
    question: str
    answer: str
    lesson: str
    preset: str | None = None  # a dashboard preset that reproduces the effect, if any

    @property
    def pointer(self) -> str:
        """Where to see it: "lesson 02" or "lesson 03, preset 'overfitting'"."""
        text = f"lesson {self.lesson}"
        return text + (f", preset '{self.preset}'" if self.preset else "")


def _q(topic, question, answer, lesson, preset=None) -> Question:
    return Question(topic, question, " ".join(answer.split()), lesson, preset)


QUESTIONS = (
    # ---- why tune at all
    _q("basics", "What is a hyperparameter, and how is it different from a weight?",
       """A weight is learned by gradient descent from the data. A hyperparameter is chosen before
       training and controls how that learning happens: the step size, the size of the network,
       the batch size, how long to train. The training loop cannot set it for you, so you pick
       it by comparing validation scores.""", "01"),
    _q("basics", "How do you tell underfitting from overfitting on the loss curves?",
       """Underfitting: even the training loss stays high, and the validation loss sits close to it
       (high bias). Overfitting: the training loss keeps falling while the validation loss turns
       up, opening a gap between them (high variance). The first needs more capacity or more
       training; the second needs regularization, less capacity, early stopping or more data.""",
       "01", "overfitting"),
    _q("basics", "Training is unstable: the loss jumps up and down. What are the usual causes?",
       """Most often a learning rate that is too large, so steps bounce across the valley of the
       loss. Very small batches add noise too, and unscaled inputs make some directions much
       steeper than others. Lower the rate, add a decaying schedule or warm-up, standardize the
       inputs, or use larger batches.""", "01", "unstable"),
    # ---- learning rate
    _q("learning rate", "Why is the learning rate usually the most important hyperparameter?",
       """It sets the size of every update. Too small and training crawls, still improving when
       the budget runs out; too large and each step overshoots, so the loss oscillates or blows
       up. Every other choice only matters once the rate is in the workable range, which is
       why it is tuned first and on a log scale.""", "02", "too low"),
    _q("learning rate", "What happens when the learning rate is far too high?",
       """Each update overshoots the minimum by more than the last, the weights grow, and the loss
       rises until it becomes infinite or NaN: the run diverges. A little below that, the loss
       does not explode but keeps jumping around instead of settling.""", "02", "too high"),
    _q("learning rate", "How does a learning-rate range test work, and how do you read it?",
       """Train briefly while multiplying the rate by a constant factor after every minibatch,
       from tiny to huge, and plot loss against rate on a log axis. Where the curve is flat the
       rate is too small; where it falls steeply the rate is good; at the bottom it is at the
       edge; beyond, the loss shoots up. Pick a rate about ten times below the bottom.""", "02"),
    _q("learning rate", "Why use a learning-rate schedule instead of a fixed rate?",
       """Early on, large steps make fast progress; near a minimum the same steps bounce around
       it. Decaying the rate (step, exponential, cosine) lets training settle into the minimum,
       and a short warm-up at the start avoids blowing up while the weights are still random.""",
       "02"),
    # ---- depth and width
    _q("depth and width", "How do depth and width change what a network can learn?",
       """They set its capacity. Too few layers or units and the model cannot bend its decision
       boundary enough: it underfits even the training data. Many layers and units can fit
       anything, including the noise in a small training set, so they overfit unless regularized
       or stopped early.""", "03", "too simple"),
    _q("depth and width", "Your big network overfits. Name three different remedies.",
       """Make it smaller (fewer units or layers); regularize it (dropout, weight decay); stop
       training at the best validation epoch (early stopping); or give it more training data.
       They act on different causes, so try one at a time and compare validation scores.""",
       "03", "same, with weight decay"),
    _q("depth and width", "How would you search for a good network size?",
       """Start small and grow while the validation score improves, watching the train-validation
       gap. Width is best searched over powers of two (a log scale), depth over a few small
       integers; with dropout or early stopping a somewhat larger network is usually safe.""",
       "03", "big enough"),
    # ---- optimizer
    _q("optimizer", "How do SGD, momentum and Adam differ?",
       """SGD steps straight down the current minibatch gradient, so it is simple but slow in long
       narrow valleys and sensitive to the rate. Momentum averages past gradients, building speed
       along consistent directions and damping zig-zags. Adam also scales each weight's step by
       a running size of its gradients, so it works well at a default rate and is a good first
       choice.""", "04", "momentum"),
    _q("optimizer", "If Adam converges faster, why would anyone use SGD with momentum?",
       """Adam reaches a good loss with little tuning, but well-tuned SGD with momentum (and a
       schedule) sometimes generalizes a little better and uses less memory. Each optimizer has its
       own good learning-rate range, so compare them each at a suitable rate, not at one shared
       rate.""", "04", "Adam"),
    _q("optimizer", "What do Adam's betas control?",
       """beta1 is the memory of the gradient average (momentum), beta2 the memory of the average
       squared gradient that scales each step. Defaults of 0.9 and 0.999 work for most problems;
       lowering beta2 makes the step sizes react faster to changing gradients.""", "04"),
    # ---- batch size
    _q("batch size", "How does the batch size affect training?",
       """It is the number of examples behind each update. Small batches give many cheap, noisy
       updates per epoch; the noise can help escape poor regions but makes the loss jumpy. Large
       batches give fewer, smoother updates and use hardware better, but each epoch makes fewer
       steps and they may settle in sharper minima that generalize a bit worse.""", "05",
       "small batches"),
    _q("batch size", "You increase the batch size 8x. What else should you change?",
       """The learning rate: with less noise and fewer updates per epoch, a larger batch usually
       needs a proportionally larger rate (often with warm-up) or more epochs to reach the same
       loss. Memory is the hard upper limit on the batch size.""", "05", "big batch, scaled rate"),
    # ---- activation
    _q("activation", "Why do sigmoid networks struggle when they are deep?",
       """The sigmoid's slope is at most 0.25 and near zero when it saturates, and backpropagation
       multiplies these slopes layer by layer, so the gradient reaching the first layers
       shrinks towards zero: the vanishing-gradient problem. Those layers then barely learn.""",
       "06", "vanishing gradients"),
    _q("activation", "What is a dying ReLU, and how do you avoid it?",
       """A ReLU unit whose input is negative for every example outputs zero and gets zero
       gradient, so its weights stop changing: in the first layer for good, deeper only until the
       layers below change its inputs. Large learning rates push many units there at once. Use a
       smaller rate, a leaky ReLU (a small slope for negative inputs), or GELU/ELU.""",
       "06", "dying ReLU"),
    _q("activation", "Which activation would you start with for hidden layers, and why?",
       """ReLU or a close variant: cheap, and its slope of 1 for positive inputs keeps gradients
       flowing through deep stacks. Tanh is zero-centred and fine in shallow nets; sigmoid
       belongs at a binary output, not in hidden layers.""", "06", "healthy ReLU"),
    # ---- epochs and early stopping
    _q("epochs", "How do you choose the number of epochs?",
       """Too few epochs underfit, too many overfit. Rather than tune the number directly, set a
       generous maximum and use early stopping on the validation loss, which picks the epoch
       for you.""", "07", "too many epochs"),
    _q("epochs", "How does early stopping work, and what does patience trade?",
       """After each epoch, compare the validation loss with the best so far; stop once it has not
       improved for `patience` epochs and restore the weights from the best epoch. Low patience
       reacts to noise and can stop too early; high patience wastes epochs and drifts further
       into overfitting before it stops.""", "07", "early stopping"),
    _q("epochs", "Why restore the best weights when early stopping triggers?",
       """By the time training stops, the last `patience` epochs were all worse than the best one,
       so the final weights are already past the sweet spot. Restoring gives you the model that
       actually scored best on validation.""", "07"),
    # ---- methods
    _q("tuning methods", "Compare grid search and random search.",
       """Grid search tries every combination of a few values per knob: simple and exhaustive, but
       the cost multiplies with each knob added. Random search samples combinations: its cost is
       the number of trials you choose, and when only a few knobs matter it tries many more
       distinct values of those knobs than a grid of the same cost.""", "09"),
    _q("tuning methods", "What does Bayesian optimization add over random search?",
       """It learns from finished trials: a model of score versus hyperparameters (a Gaussian
       process, or TPE in Optuna) proposes the next point where improvement looks likely,
       balancing exploring the unknown with exploiting good regions. Once it has a few tens of
       finished trials to learn from it finds good settings in fewer trials (before that it is no
       better than random), at the price of a sequential, more complex search.""", "09"),
    _q("tuning methods", "What is pruning, and when does it save time?",
       """Stopping unpromising trials early, from their intermediate validation scores (for example
       Optuna's median or successive-halving pruners). Most of a search's budget goes on bad
       configurations, so cutting them after a few epochs frees time for more trials.""", "09"),
    _q("tuning methods", "What is population-based training, and when is it worth it?",
       """A population of networks trains together. Every few epochs the weakest members copy the
       weights of a strong member (exploit) and take its hyperparameters with a random nudge
       (explore), so bad starts are recycled instead of finished and the learning rate becomes
       a schedule found during training. It is greedy, favouring what looks good soon, needs a
       population and has knobs of its own (interval, perturbation factors); it pays off for
       long runs spread over many parallel workers.""", "10"),
    _q("tuning methods", "Which tools would you reach for to tune a model, and where does AutoML fit?",
       """scikit-learn's GridSearchCV and RandomizedSearchCV for estimators with a fit/predict
       interface; Optuna for define-by-run searches with TPE and pruning; Ray Tune or a shared
       Optuna study to spread trials over machines. AutoML goes further and also chooses the
       model family and preprocessing, trading control for convenience.""", "10"),
    _q("tuning methods", "How do you design a search space for a small budget?",
       """Tune few knobs (about five trials per knob as a rule of thumb), starting with the learning
       rate. Put scale-type knobs such as the learning rate and weight decay on a log scale, choose
       ranges that bracket the usual good values, and fix the rest at sensible defaults.""",
       "08"),
    # ---- validation and test hygiene
    _q("validation", "Why do you need a validation set separate from the training set?",
       """The training score rewards memorizing, so it cannot rank models that differ in capacity
       or regularization. The validation set is data the model never trains on, used to compare
       hyperparameter settings and to decide when to stop.""", "08"),
    _q("test hygiene", "Why may the test set be used only once?",
       """Any choice made after looking at a score fits the model a little to that data. If the
       test set steers a choice it becomes a second validation set and its score turns optimistic.
       Make every choice on validation data, then report the test score once, at the end.""",
       "08"),
    _q("test hygiene", "After tuning, you retrain the best configuration. On which data, and why?",
       """On training plus validation data together: the hyperparameters are fixed now, so the
       validation data has done its job and more examples make a better final model. Then
       evaluate once on the untouched test set.""", "08"),
    _q("workflow", "Walk me through a complete tuning workflow.",
       """Split the data into training, validation and test sets. Define a search space (few knobs,
       log scales). Choose a method and a budget. Train each candidate on the training set and
       score it on validation, with early stopping. Keep the best configuration and check it is
       not at the edge of the space. Retrain it on train plus validation and evaluate once on
       the test set.""", "08"),
    _q("workflow", "Configuration B beat A by a little on one run each. Is B better?",
       """Not necessarily: the same settings trained from another seed (starting weights and
       minibatch order) land somewhere else, and that seed noise can be as large as the gap.
       Train both with several seeds, compare the difference of the means with its spread (the
       standard error), and only call B better when the gap clearly exceeds it. Rerunning the
       top few candidates of a search with a handful of seeds settles the close calls.""", "08"),
    _q("workflow", "Should you memorize good default values for hyperparameters?",
       """Knowing typical starting points helps (Adam at 1e-3, batch 32 to 256, ReLU), but the good
       values depend on the data, the model and each other. What matters is knowing how each knob
       changes training, reading the symptoms on the curves, and measuring on validation.""",
       "00", "good"),
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
        out.append(f"<details><summary>{card.question}</summary>\n\n{card.answer} "
                   f"<i>(See it live: {card.pointer}.)</i>\n</details>")
    return "\n".join(out).strip() + "\n"


def lesson_notebook(number: str, lessons_dir: Path = LESSONS_DIR) -> Path | None:
    """The lesson notebook whose name starts with ``number`` ("02" -> lessons/02_....ipynb)."""
    found = sorted(Path(lessons_dir).glob(f"{number}_*.ipynb"))
    return found[0] if found else None


class Quiz:
    """A self-scoring drill: show a question, reveal the answer, mark it known or not.

    Cards come in a seeded shuffled order; cards you did not know can be drilled again.

    Example:
        >>> quiz = Quiz(questions(), seed=1)
        >>> quiz.reveal(); quiz.mark(True)
        >>> quiz.score
        (1, 1)
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
        self.results: dict = {}  # card index -> knew it?

    @property
    def done(self) -> bool:
        return self.position >= len(self.cards)

    @property
    def current(self) -> Question | None:
        return None if self.done else self.cards[self.position]

    def reveal(self) -> str:
        """Show the current answer (needed before marking it)."""
        if self.done:
            raise ValueError("the quiz is finished; call retry_missed() or start a new Quiz")
        self.revealed = True
        return self.current.answer

    def mark(self, knew_it: bool) -> None:
        """Record whether you knew the answer, and move to the next card."""
        check.boolean("knew_it", knew_it)
        if not self.revealed:
            raise ValueError("reveal the answer before marking it: compare, then be honest")
        self.results[self.position] = knew_it
        self.position += 1
        self.revealed = False

    @property
    def score(self) -> tuple[int, int]:
        """(cards known, cards answered)."""
        return sum(self.results.values()), len(self.results)

    @property
    def missed(self) -> list[Question]:
        return [self.cards[i] for i, ok in self.results.items() if not ok]

    def by_topic(self) -> dict:
        """{topic: (known, answered)} for the cards answered so far."""
        out: dict = {}
        for i, ok in self.results.items():
            known, seen = out.get(self.cards[i].topic, (0, 0))
            out[self.cards[i].topic] = (known + ok, seen + 1)
        return out

    def retry_missed(self) -> "Quiz":
        """A new quiz made of the cards you did not know."""
        return Quiz(self.missed, seed=self.seed + 1)

    def summary(self) -> str:
        known, seen = self.score
        weak = [t for t, (k, n) in self.by_topic().items() if k < n]
        text = f"{known} of {seen} known"
        return text + (f"; revisit: {', '.join(weak)}" if weak else "")
