"""Interview prep: flash cards and a self-scoring quiz over :mod:`hplab.interview`'s questions.

Both keep their state in an ``interview.Quiz`` and expose the buttons' actions as methods, so a
test can drive them.
"""

from __future__ import annotations

import html

import ipywidgets as W

from .. import _validate as check


def _card_html(card, answer: bool) -> str:
    from ..interview import lesson_notebook

    text = (f"<div style='font-size:0.85em;color:#666'>{html.escape(card.topic)}</div>"
            f"<div style='font-size:1.15em;margin:6px 0'><b>{html.escape(card.question)}</b></div>")
    if answer:
        text += f"<div style='margin:6px 0'>{html.escape(card.answer)}</div>"
    if answer and card.pointer:
        path = lesson_notebook(card.lesson)
        where = f" ({path.name})" if path else ""
        text += (f"<div style='font-size:0.85em;color:#1a5fb4'>See it live: "
                 f"{html.escape(card.pointer)}{html.escape(where)}</div>")
    return text


def _feedback_html(feedback) -> str:
    if feedback is None:
        return ""
    score, missed = feedback
    text = f"<div style='margin:6px 0'><b>Your answer covered {score:.0%} of the points.</b>"
    if missed:
        text += " Missed: " + "; ".join(html.escape(m) for m in missed) + "."
    return text + "</div>"


class InterviewQuiz:
    """Interview drill: type an answer, check it against the card's must-mention points.

    Args:
        topic: one of ``hplab.interview.TOPICS`` or None for all questions.
        seed: the order of the cards.

    Example:
        >>> quiz = InterviewQuiz(topic="batch size")     # doctest: +SKIP
        >>> quiz.reply.value = "fewer, less noisy steps"; quiz.check(); quiz.next()
        >>> quiz.quiz.score
        (0, 1)
    """

    ALL = "all topics"

    def __init__(self, topic: str | None = None, *, seed: int = 0):
        from .. import interview

        self._interview = interview
        self.seed = check.seed(seed)
        self.error: str | None = None
        self.card = W.HTML()
        self.status = W.HTML()
        self.topic = W.Dropdown(options=(self.ALL,) + interview.TOPICS, description="topic")
        self.reply = W.Textarea(placeholder="Type your answer, then check it",
                                layout=W.Layout(width="100%", height="6em"))
        self.buttons = {name: W.Button(description=label) for name, label in
                        (("check", "Check my answer"), ("continue", "Next card"),
                         ("retry", "Drill the missed ones"))}
        self.buttons["check"].on_click(lambda _b: self.check())
        self.buttons["continue"].on_click(lambda _b: self.next())
        self.buttons["retry"].on_click(lambda _b: self.retry_missed())
        self.quiz = interview.Quiz(interview.questions(topic), seed=self.seed)  # bad topic: raise
        self.topic.value = self.ALL if topic is None else topic
        self._draw()
        self.topic.observe(lambda change: self.choose_topic(change["new"]), names="value")
        self.view = W.VBox([self.topic, self.card, self.reply,
                            W.HBox(list(self.buttons.values())), self.status])

    def choose_topic(self, topic: str) -> None:
        """Start over with the questions of one topic (or all of them)."""
        try:
            cards = self._interview.questions(None if topic == self.ALL else topic)
        except (TypeError, ValueError) as exc:
            return self._fail(exc)
        self.quiz = self._interview.Quiz(cards, seed=self.seed)
        self.error = None
        self._draw()

    def reveal(self) -> None:
        if self.quiz.done:
            return self._fail(ValueError("no card left: drill the missed ones or pick a topic"))
        self.quiz.reveal()
        self.error = None
        self._draw()

    def check(self) -> None:
        """Score the typed answer against the card's points and show the model answer."""
        try:
            self.quiz.answer(self.reply.value)
        except (TypeError, ValueError) as exc:
            return self._fail(exc)
        self.error = None
        self._draw()

    def next(self) -> None:
        """The next card (one left unanswered counts as missing every point)."""
        try:
            self.quiz.next()
        except ValueError as exc:
            return self._fail(exc)
        self.reply.value = ""
        self.error = None
        self._draw()

    def retry_missed(self) -> None:
        if not self.quiz.missed:
            return self._fail(ValueError("no missed cards to drill yet"))
        self.quiz = self.quiz.retry_missed()
        self.error = None
        self._draw()

    def _fail(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        self._draw()

    def _draw(self) -> None:
        q = self.quiz
        if q.done:
            self.card.value = f"<b>Done.</b> {html.escape(q.summary())}"
        else:
            self.card.value = _card_html(q.current, q.revealed) + _feedback_html(q.feedback)
        self.buttons["check"].disabled = q.done or q.feedback is not None
        self.buttons["continue"].disabled = q.done
        known, seen = q.score
        text = (f"card {min(q.position + 1, len(q.cards))} of {len(q.cards)} · "
                f"every point covered {known}/{seen}")
        if self.error:
            text = f"<span style='color:#b00'>{html.escape(self.error)}</span><br>{text}"
        self.status.value = text

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        q = self.quiz
        bundle["text/plain"] = q.current.question if not q.done else q.summary()
        return bundle


class FlashCards(InterviewQuiz):
    """Flash cards: flip through the questions, reveal each answer; no score kept.

    ``next()`` and ``previous()`` move between cards; ``reveal()`` shows the answer.
    """

    def __init__(self, topic: str | None = None, *, seed: int = 0):
        super().__init__(topic, seed=seed)
        self.buttons = {"previous": W.Button(description="Previous"),
                        "reveal": W.Button(description="Reveal answer"),
                        "next": W.Button(description="Next")}
        self.buttons["previous"].on_click(lambda _b: self.previous())
        self.buttons["reveal"].on_click(lambda _b: self.reveal())
        self.buttons["next"].on_click(lambda _b: self.next())
        self.view.children = (self.topic, self.card, W.HBox(list(self.buttons.values())),
                              self.status)
        self._draw()

    def next(self) -> None:
        self._move(+1)

    def previous(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        q = self.quiz
        q.position = (q.position + step) % len(q.cards)
        q.revealed = False
        self.error = None
        self._draw()

    def _draw(self) -> None:
        q = self.quiz
        self.card.value = _card_html(q.current, q.revealed)
        if "next" in self.buttons:
            self.buttons["reveal"].disabled = q.revealed
        text = f"card {q.position + 1} of {len(q.cards)}"
        if self.error:
            text = f"<span style='color:#b00'>{html.escape(self.error)}</span><br>{text}"
        self.status.value = text

