"""The interview question bank, the self-scoring quiz, and their flash-card widgets."""

import html
import re
from pathlib import Path

import pytest

from hplab import interview, widgets
from hplab.interview import QUESTIONS, Quiz, lesson_notebook, score_answer

ROOT = Path(__file__).resolve().parent.parent

# what the course promises interview practice on (the outline's hyperparameters and themes)
REQUIRED_TOPICS = {"learning rate", "depth and width", "optimizer", "batch size", "activation",
                   "epochs", "tuning methods", "validation", "test hygiene", "workflow"}


def presets_of_lesson(number):
    """Presets of the dashboards a lesson notebook opens (compare_presets uses the Playground's
    unless given another class)."""
    text = lesson_notebook(number).read_text()
    found = set()
    for name, cls in vars(widgets).items():
        if isinstance(cls, type) and issubclass(cls, widgets.Dashboard) and cls.PRESETS:
            if f"widgets.{name}" in text or (cls is widgets.Playground and "compare_presets(" in text):
                found |= set(cls.PRESETS)
    return found


def card(question_start):
    found = [q for q in QUESTIONS if q.question.startswith(question_start)]
    assert len(found) == 1, question_start
    return found[0]


def lesson_questions(number):
    """The numbered interview questions of a lesson's source: **1. ...?**"""
    source = next((ROOT / "source" / "lessons").glob(f"{number}_*.py")).read_text()
    found = re.findall(r"^# \*\*\d+\. (.+?)\*\*", source, flags=re.M | re.S)
    return [" ".join(q.replace("\n#", " ").split()) for q in found]


def test_at_least_50_cards_each_with_a_real_answer_and_two_or_three_points():
    assert len(QUESTIONS) >= 50
    assert len({q.question for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q.question.endswith(("?", ".")) and len(q.answer) >= 150, q.question
        assert 2 <= len(q.points) <= 3, q.question
        for label, words in q.points:
            assert label and words and all(w.strip() for w in words), (q.question, label)


def test_answers_are_shaped_to_be_said_in_30_to_90_seconds():
    for q in QUESTIONS:  # about 130 spoken words a minute
        assert 65 <= len(q.answer.split()) <= 200, (q.question, len(q.answer.split()))


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.question[:40])
def test_every_model_answer_mentions_all_its_own_points(q):
    assert score_answer(q, q.answer) == (1.0, ())


@pytest.mark.parametrize("number", ["08", "09", "10"])
def test_every_interview_question_of_lessons_08_to_10_has_a_card(number):
    asked = lesson_questions(number)
    assert len(asked) >= 5, number
    cards = {q.question for q in QUESTIONS}
    assert [q for q in asked if q not in cards] == []


def test_every_outline_topic_and_every_commonly_asked_question_is_covered():
    assert REQUIRED_TOPICS <= set(interview.TOPICS)
    hyperparameters = ("learning rate", "depth and width", "optimizer", "batch size",
                       "activation", "epochs")
    for topic in hyperparameters:
        assert len(interview.questions(topic)) >= 2, topic
    for start in ("Your network's loss does not go down", "What do BatchNorm and LayerNorm",
                  "What are exploding gradients", "Why does weight initialization matter",
                  "What is inverted dropout", "How do data augmentation and label smoothing",
                  "What is the difference between Adam with L2", "How do you design a validation",
                  "Why do Adam and transformers need a learning-rate warm-up",
                  "What is the critical batch size", "The batch size you want does not fit",
                  "You have a fixed compute budget", "Two runs with the same seed",
                  "What is mixed-precision training", "How many random trials"):
        card(start)


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.question[:40])
def test_every_pointer_names_a_lesson_notebook_that_exists_or_there_is_none(q):
    if q.lesson is None:
        assert q.pointer is None and q.preset is None
        return
    path = lesson_notebook(q.lesson)
    assert path is not None and path.exists(), f"lesson {q.lesson} has no notebook"
    assert q.pointer.startswith(f"lesson {q.lesson}")


def test_every_preset_named_exists_in_that_lessons_dashboard():
    with_preset = [q for q in QUESTIONS if q.preset]
    assert len(with_preset) >= 15
    for q in with_preset:
        assert lesson_notebook(q.lesson) is not None, q.lesson
        assert q.preset in presets_of_lesson(q.lesson), (q.lesson, q.preset)


def test_topics_no_lesson_demonstrates_have_no_pointer():
    assert card("What is mixed-precision training").pointer is None
    for start in ("What are exploding gradients", "What do BatchNorm and LayerNorm",
                  "Your network's loss does not go down"):
        assert card(start).pointer == "lesson 12"  # lesson 12 demonstrates these


# ----------------------------------------------------------------------------- scoring


def test_score_answer_credits_a_strong_answer_and_names_what_a_weak_one_missed():
    wider = card("You want to know whether a wider network helps")
    strong = ("Width is the scientific hyperparameter and the learning rate a nuisance one: I would "
              "re-tune the rate for each width and compare best against best over seeds.")
    assert score_answer(wider, strong) == (1.0, ())
    weak = "Change one knob at a time: train the wider net with everything else the same."
    score, missed = score_answer(wider, weak)
    assert score == 0 and missed == tuple(label for label, _ in wider.points)
    trials = card("How many random trials")
    score, missed = score_answer(trials, "About 60, since 0.95^60 is about 5%.")
    assert score == pytest.approx(2 / 3) and missed == ("independent of the number of hyperparameters",)
    assert score_answer(trials, "")[0] == 0


def test_score_answer_matches_whole_word_starts_not_fragments():
    batch8 = card("You increase the batch size 8x")
    assert score_answer(batch8, "warm-up, sqrt for Adam, critical batch size")[0] == 1
    assert score_answer(batch8, "RE-TUNE; sqrt (Adam)")[1] == (
        "SGD: linear scaling of the rate, with warm-up",
        "limits: critical batch size; accumulation for memory")
    assert score_answer(batch8, "bilinear hypocritical")[0] == 0  # no match inside a word


def test_parroting_the_question_or_a_generic_answer_scores_little():
    generic = ("I would tune it carefully on the validation set with a good learning rate and "
               "check the loss curves; it depends on the data, so try a few values.")
    for q in QUESTIONS:
        assert score_answer(q, q.question)[0] == 0, q.question
    scores = [score_answer(q, generic)[0] for q in QUESTIONS]
    assert sum(scores) / len(scores) < 0.2 and scores.count(1.0) == 0


def test_score_answer_refuses_bad_input():
    with pytest.raises(TypeError, match="card must be an interview Question, got str"):
        score_answer("What is a weight?", "text")
    with pytest.raises(TypeError, match="text must be a string, got NoneType None"):
        score_answer(QUESTIONS[0], None)


# ----------------------------------------------------------------------------- fixed answers


def answers():
    return " ".join(q.answer for q in QUESTIONS).lower()


def test_no_answer_advises_one_knob_at_a_time_and_the_playbook_answer_is_there():
    text = answers()
    assert "one at a time" not in text and "one knob at a time" not in text
    wider = card("You want to know whether a wider network helps").answer
    assert all(w in wider for w in ("scientific", "nuisance", "re-tuned", "best against best"))
    assert "best against best" in card("Your big network overfits").answer


def test_contested_batch_claims_are_sourced_not_stated_as_fact():
    text = answers()
    assert "sharper minima" not in text and "generalize a bit worse" not in text
    assert "memory is the hard upper limit" not in text
    size = card("How does the batch size affect training").answer
    assert all(s in size for s in ("contested", "Dinh", "Hoffer", "Goyal", "Shallue"))
    batch8 = card("You increase the batch size 8x").answer
    assert all(w in batch8 for w in ("linear scaling", "warm-up", "square-root", "critical batch",
                                     "McCandlish", "accumulation"))


def test_big_networks_optimizers_and_stability_answers_are_up_to_date():
    size = card("How do depth and width change").answer
    assert "overfit unless" not in size and "double descent" in size and "re-tune" in size
    adam = card("If Adam converges faster").answer
    assert "AdamW" in adam and "Loshchilov" in adam and "Choi" in adam
    assert "little tuning" not in adam
    unstable = card("Training is unstable").answer
    assert all(w in unstable for w in ("gradient norm", "Clip", "batch", "fp16"))


def test_epochs_retraining_and_search_space_answers_follow_the_playbook():
    epochs = card("How do you choose the number of epochs").answer
    assert "schedule's length" in epochs and "step budget" in epochs
    retrain = card("After choosing the hyperparameters").answer
    assert "no early-stopping signal" in retrain and "scale it for the extra data" in retrain
    space = card("How do you design a search space").answer
    assert "per knob" not in space.replace("count per knob", "") and "0.01 to 0.1" in space
    assert "five trials" not in answers()


def test_range_test_bayes_and_pruning_answers_name_what_interviewers_probe():
    range_test = card("How does a learning-rate range test").answer
    assert "fastai" in range_test and "one-cycle" in range_test and "Smith" in range_test
    bayes = card("What does a Bayesian optimizer model").answer
    assert "acquisition function" in bayes and "expected improvement" in bayes
    assert "l(x)/g(x)" in bayes
    pruning = card("How does Hyperband decide").answer
    assert "curves cross" in pruning and "brackets" in pruning
    assert "1 - 0.95^60" in card("How many random trials").answer


# ----------------------------------------------------------------------------- the quiz


def test_questions_by_topic_and_bad_topics():
    assert {q.topic for q in interview.questions("batch size")} == {"batch size"}
    with pytest.raises(ValueError, match="topic 'cooking' is unknown; choose one of: .*batch size"):
        interview.questions("cooking")
    with pytest.raises(TypeError, match="topic must be a string"):
        interview.questions(3)


def test_quiz_order_is_seeded():
    order = [[c.question for c in Quiz(seed=s).cards] for s in (0, 0, 1)]
    assert order[0] == order[1] != order[2]
    assert sorted(order[0]) == sorted(q.question for q in QUESTIONS)


def test_quiz_scores_typed_answers_by_points_and_drills_the_missed_cards():
    quiz = Quiz(QUESTIONS[:4], seed=0)
    full = [True, False, True, False]
    for good in full:
        text = quiz.current.answer if good else "no idea"
        score, missed = quiz.answer(text)
        assert quiz.revealed and quiz.feedback == (score, missed)
        assert (score, bool(missed)) == ((1.0, False) if good else (0.0, True))
        quiz.next()
    assert quiz.done and quiz.current is None
    assert quiz.score == (2, 4)
    asked = sum(len(c.points) for c in quiz.cards)
    said = sum(len(c.points) for c, good in zip(quiz.cards, full) if good)
    assert quiz.points == (said, asked)
    assert sum(n for _, n in quiz.by_topic().values()) == 4
    missed = [c for c, good in zip(quiz.cards, full) if not good]
    again = quiz.retry_missed()
    assert sorted(c.question for c in again.cards) == sorted(c.question for c in missed)
    assert f"2 of 4 answers covered every point ({said} of {asked} points); revisit:" in quiz.summary()


def test_quiz_skipping_a_card_counts_every_point_missed():
    quiz = Quiz(QUESTIONS[:2], seed=0)
    skipped = quiz.current
    quiz.next()
    assert quiz.results[0] == (0.0, tuple(label for label, _ in skipped.points))
    assert quiz.missed == [skipped]


def test_quiz_refuses_scoring_twice_and_bad_input():
    quiz = Quiz(seed=0)
    quiz.answer("something")
    with pytest.raises(ValueError, match="already scored; call next"):
        quiz.answer("again")
    with pytest.raises(TypeError, match="text must be a string"):
        Quiz(seed=0).answer(3)
    with pytest.raises(ValueError, match="cards must be a non-empty list"):
        Quiz([])
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Quiz(seed=-1)
    done = Quiz(QUESTIONS[:1], seed=0)
    done.next()
    with pytest.raises(ValueError, match="the quiz is finished"):
        done.answer("late")


# ----------------------------------------------------------------------------- widgets


def test_quiz_widget_scores_the_typed_answer_and_points_to_the_lesson():
    w = widgets.InterviewQuiz(topic="batch size", seed=0)
    first = w.quiz.current
    assert html.escape(first.question) in w.card.value
    assert html.escape(first.answer) not in w.card.value
    w.reply.value = first.answer
    w.check()
    assert html.escape(first.answer) in w.card.value and "covered 100% of the points" in w.card.value
    if first.pointer:
        assert html.escape(first.pointer) in w.card.value
    assert w.buttons["check"].disabled
    w.next()
    assert w.reply.value == "" and not w.buttons["check"].disabled
    second = w.quiz.current
    w.reply.value = "I would think about it."
    w.check()
    assert "Missed: " + html.escape(second.points[0][0]) in w.card.value
    while not w.quiz.done:
        w.next()
    assert f"1 of {len(w.quiz.cards)} answers covered every point" in w.card.value
    missed = len(w.quiz.missed)
    w.retry_missed()
    assert len(w.quiz.cards) == missed == len(interview.questions("batch size")) - 1
    assert w.error is None
    assert first.question not in [c.question for c in w.quiz.cards]


def test_quiz_widget_shows_cards_without_a_pointer():
    w = widgets.InterviewQuiz(topic="stability", seed=0)
    while w.quiz.current.pointer is not None:
        w.next()
    w.check()
    assert "See it live" not in w.card.value and w.error is None


def test_quiz_widget_shows_errors_inside_and_keeps_working():
    w = widgets.InterviewQuiz(seed=0)
    w.check()
    w.check()
    assert "already scored" in w.status.value and w.quiz.score == (0, 1)
    w.choose_topic("cooking")
    assert "topic &#x27;cooking&#x27; is unknown" in w.status.value
    w.retry_missed()
    assert "no missed cards" not in w.status.value  # one card was missed above
    w.topic.value = "optimizer"  # the dropdown drives the same method
    assert {c.topic for c in w.quiz.cards} == {"optimizer"} and w.error is None
    w.retry_missed()
    assert "no missed cards" in w.status.value
    w.reply.value = w.quiz.current.answer
    w.check()
    assert w.quiz.score == (1, 1)
    with pytest.raises(ValueError, match="topic 'cooking' is unknown"):
        widgets.InterviewQuiz(topic="cooking")


def test_flash_cards_flip_and_wrap_around():
    f = widgets.FlashCards(topic="epochs", seed=0)
    n = len(f.quiz.cards)
    first = f.quiz.current
    f.reveal()
    assert html.escape(first.answer) in f.card.value and f.buttons["reveal"].disabled
    f.next()
    assert f.quiz.position == 1 and html.escape(f.quiz.current.answer) not in f.card.value
    f.previous()
    f.previous()
    assert f.quiz.position == n - 1
    bundle = f._repr_mimebundle_()
    assert bundle["text/plain"] == f.quiz.current.question


def test_markdown_version_folds_every_answer_under_its_question():
    text = interview.as_markdown()
    assert text.count("<details>") == len(QUESTIONS)
    for q in QUESTIONS:
        assert f"<summary>{q.question}</summary>" in text and q.answer in text
        assert q.pointer is None or q.pointer in text
        assert all(label in text for label, _ in q.points)
    assert interview.as_markdown(interview.questions("epochs")).count("<details>") == 3


def test_cheat_sheet_matches_the_cards():
    sheet = " ".join((ROOT / "CHEATSHEET.md").read_text().split())
    assert "turn one knob at a time" not in sheet and "five trials" not in sheet
    for said in ("scientific", "nuisance", "best with best", "fastai", "AdamW", "0.01 .. 0.1",
                 "critical batch size", "gradient accumulation", "contested", "clip by norm",
                 "expected improvement", "curves cross", "brackets", "step budget",
                 "no early-stopping signal", "score_answer"):
        assert said in sheet, said
