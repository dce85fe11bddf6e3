"""The interview question bank, the self-scoring quiz, and their flash-card widgets."""

import html

import pytest

from hplab import interview, widgets
from hplab.interview import QUESTIONS, Quiz, lesson_notebook

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


def test_at_least_25_questions_each_with_a_real_answer():
    assert len(QUESTIONS) >= 25
    assert len({q.question for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q.question.endswith(("?", ".")) and len(q.answer) >= 150, q.question


def test_every_outline_topic_is_covered():
    assert REQUIRED_TOPICS <= set(interview.TOPICS)
    hyperparameters = ("learning rate", "depth and width", "optimizer", "batch size",
                       "activation", "epochs")
    for topic in hyperparameters:
        assert len(interview.questions(topic)) >= 2, topic


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.question[:40])
def test_every_pointer_names_a_lesson_notebook_that_exists(q):
    path = lesson_notebook(q.lesson)
    assert path is not None and path.exists(), f"lesson {q.lesson} has no notebook"
    assert q.pointer.startswith(f"lesson {q.lesson}")


def test_every_preset_named_exists_in_that_lessons_dashboard():
    with_preset = [q for q in QUESTIONS if q.preset]
    assert len(with_preset) >= 15
    for q in with_preset:
        assert lesson_notebook(q.lesson) is not None, q.lesson
        assert q.preset in presets_of_lesson(q.lesson), (q.lesson, q.preset)


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


def test_quiz_scores_itself_by_topic_and_drills_the_missed_cards():
    quiz = Quiz(QUESTIONS[:4], seed=0)
    marks = [True, False, True, False]
    for knew in marks:
        assert quiz.reveal() == quiz.current.answer
        quiz.mark(knew)
    assert quiz.done and quiz.current is None
    assert quiz.score == (2, 4)
    assert sum(n for _, n in quiz.by_topic().values()) == 4
    missed = [c for c, ok in zip(quiz.cards, marks) if not ok]
    again = quiz.retry_missed()
    assert sorted(c.question for c in again.cards) == sorted(c.question for c in missed)
    assert "2 of 4 known; revisit:" in quiz.summary()


def test_quiz_refuses_marking_before_reveal_and_bad_input():
    quiz = Quiz(seed=0)
    with pytest.raises(ValueError, match="reveal the answer before marking"):
        quiz.mark(True)
    quiz.reveal()
    with pytest.raises(TypeError, match="knew_it must be True or False, got str 'yes'"):
        quiz.mark("yes")
    with pytest.raises(ValueError, match="cards must be a non-empty list"):
        Quiz([])
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Quiz(seed=-1)


# ----------------------------------------------------------------------------- widgets


def test_quiz_widget_reveals_scores_and_points_to_the_lesson():
    w = widgets.InterviewQuiz(topic="batch size", seed=0)
    card = w.quiz.current
    assert html.escape(card.question) in w.card.value
    assert html.escape(card.answer) not in w.card.value
    assert w.buttons["knew"].disabled
    w.reveal()
    assert html.escape(card.answer) in w.card.value and f"lesson {card.lesson}" in w.card.value
    w.mark(True)
    w.reveal()
    w.mark(False)
    assert w.quiz.done and "1 of 2 known" in w.card.value
    w.retry_missed()
    assert len(w.quiz.cards) == 1 and w.error is None


def test_quiz_widget_shows_errors_inside_and_keeps_working():
    w = widgets.InterviewQuiz(seed=0)
    w.mark(True)
    assert "reveal the answer before marking" in w.status.value and w.quiz.score == (0, 0)
    w.choose_topic("cooking")
    assert "topic &#x27;cooking&#x27; is unknown" in w.status.value
    w.retry_missed()
    assert "no missed cards" in w.status.value
    w.topic.value = "optimizer"  # the dropdown drives the same method
    assert {c.topic for c in w.quiz.cards} == {"optimizer"} and w.error is None
    w.reveal()
    w.mark(True)
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
        assert q.pointer in text
    assert interview.as_markdown(interview.questions("epochs")).count("<details>") == 3
