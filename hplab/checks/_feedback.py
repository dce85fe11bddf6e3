"""The feedback every check returns, and the helpers the checks share.

A check never raises because an answer is wrong: it collects every problem it finds into one
:class:`Feedback` (what is right, what is not yet, a hint) and returns it.
"""

from __future__ import annotations

import difflib
import functools
import html
import inspect
import math
import numbers
import os
from dataclasses import dataclass, field

from ..diagnose import LABELS
from ..train import History


@dataclass
class Feedback:
    """The verdict of one check: what is right, what is wrong, and a hint for the next try."""

    title: str
    right: list = field(default_factory=list)
    wrong: list = field(default_factory=list)
    hint: str = ""

    @property
    def passed(self) -> bool:
        return not self.wrong

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{'PASSED' if self.passed else 'NOT YET'}: {self.title}"
        lines = [head] + [f"  ok   {r}" for r in self.right] + [f"  fix  {w}" for w in self.wrong]
        if self.hint and not self.passed:
            lines.append(f"  hint {self.hint}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color, mark = ("#1a7f37", "Passed") if self.passed else ("#b35900", "Not yet")
        items = [f"<li>&#10003; {html.escape(r)}</li>" for r in self.right]
        items += [f"<li>&#10007; <b>{html.escape(w)}</b></li>" for w in self.wrong]
        hint = (f"<p><i>Hint:</i> {html.escape(self.hint)}</p>"
                if self.hint and not self.passed else "")
        return (f'<div style="border-left:5px solid {color};padding:4px 12px;margin:4px 0">'
                f'<b style="color:{color}">{mark}</b> &mdash; {html.escape(self.title)}'
                f'<ul style="margin:4px 0">{"".join(items)}</ul>{hint}</div>')

    def verdict(self, ok: bool, right: str, wrong: str) -> bool:
        """Record ``right`` if ``ok`` else ``wrong``; return ``ok``."""
        (self.right if ok else self.wrong).append(right if ok else wrong)
        return ok


STRICT_ENV = "HPLAB_STRICT_CHECKS"  # "1": a check that does not pass raises (testing solutions)


def strict_when_asked(check_fn):
    """Return the Feedback as usual; raise AssertionError instead when STRICT_ENV is "1".

    The solution notebooks run with it set, so a check that stops passing on its own solution
    fails the tests instead of quietly printing "Not yet".
    """
    @functools.wraps(check_fn)
    def wrapper(*args, **kwargs):
        fb = check_fn(*args, **kwargs)
        if not fb.passed and os.environ.get(STRICT_ENV) == "1":
            raise AssertionError(str(fb))
        return fb
    return wrapper


class NotWritten(Exception):
    """The learner's code still raises NotImplementedError."""


def not_written(title: str, what: str) -> Feedback:
    return Feedback(title, wrong=[f"{what} is not written yet (it still raises "
                                  "NotImplementedError)."],
                    hint="Replace the `raise NotImplementedError` line with your code, then run "
                         "this cell again.")


def attempt(what: str, fn, *args):
    """Call the learner's ``fn``; return (value, None) or (None, a sentence on the error).

    Raises :class:`NotWritten` when ``fn`` still raises NotImplementedError, so a check can
    report the placeholder once instead of once per test case.
    """
    try:
        return fn(*args), None
    except NotImplementedError:
        raise NotWritten(what) from None
    except Exception as exc:  # the learner's code failed: the feedback shows the error
        return None, f"{what} raised {type(exc).__name__}: {exc}"


def catch_not_written(title: str):
    """Decorator: a check whose learner code is a placeholder returns "not written yet"."""
    def wrap(check_fn):
        @functools.wraps(check_fn)
        def wrapper(*args, **kwargs):
            try:
                return check_fn(*args, **kwargs)
            except NotWritten as exc:
                return not_written(title, str(exc))
        return wrapper
    return wrap


ERROR_HINT = "Run your function on its own on a small input and read the traceback."


def need_callable(title: str, what: str, fn):
    if not callable(fn):
        return Feedback(title, wrong=[f"{what} should be a function, got {type(fn).__name__}."],
                        hint="Pass the function itself, without calling it (no parentheses).")
    return None


def need_histories(title: str, histories, what: str = "histories"):
    if not isinstance(histories, dict) or not histories:
        return Feedback(title, wrong=[f"{what} should be a non-empty dict of History objects, "
                                      f"got {type(histories).__name__}."],
                        hint="Collect each run in a dict: runs[key] = hplab.fit(...).")
    bad = [k for k, h in histories.items() if not isinstance(h, History)]
    if bad:
        return Feedback(title, wrong=[f"{what}[{k!r}] is a {type(histories[k]).__name__}, not a "
                                      "History; store what hplab.fit returns." for k in bad])
    return None


def checks_function(title: str, what: str, *, runs: str | None = None, unwritten: str | None = None):
    """Decorator for a check of a function the learner wrote, passed as the check's first argument.

    What every such check starts with, done before its body runs: ``fn`` must be a function and,
    when ``runs`` names an argument, that argument a dict of Histories; a placeholder that still
    raises NotImplementedError is reported as not written yet (under the title ``unwritten``,
    ``title`` by default); and with HPLAB_STRICT_CHECKS=1 a check that does not pass raises.

        @checks_function("updates_per_epoch(n, batch_size)", "updates_per_epoch")
        def updates_per_epoch(fn) -> Feedback: ...
    """
    def wrap(body):
        signature = inspect.signature(body)

        @strict_when_asked
        @catch_not_written(unwritten or title)
        @functools.wraps(body)
        def check(fn, *args, **kwargs):
            given = signature.bind(fn, *args, **kwargs).arguments
            fail = first(need_callable(title, what, fn),
                         need_histories(title, given[runs]) if runs is not None else None)
            return fail if fail is not None else body(fn, *args, **kwargs)
        return check
    return wrap


def as_number(value):
    """A float from an int, float, NumPy or 0-d PyTorch number; None for anything else."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0 and hasattr(value, "dtype"):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def as_rate(key):
    """A learning rate from a number or a numeric string such as "1e-4"; None otherwise."""
    if isinstance(key, str):
        try:
            key = float(key.strip())
        except ValueError:
            return None
    rate = as_number(key)
    return rate if rate is not None and math.isfinite(rate) and rate > 0 else None


def same_rate(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9)


def as_label(value):
    """A diagnosis label, trimmed and in lower case; None if it is not a string."""
    return value.strip().lower() if isinstance(value, str) else None


def unknown_label(said) -> str:
    """Why ``said`` is not a diagnosis label, with the closest label if it is a near miss."""
    close = difflib.get_close_matches(str(said).strip().lower(), LABELS, n=1, cutoff=0.6)
    guess = f" Did you mean '{close[0]}'?" if close else ""
    return f"'{said}' is not a diagnosis; use one of {', '.join(LABELS)}.{guess}"


CLUES = {
    "diverged": "the run ended early with the loss exploding",
    "collapsed": "the network gives every input the same answer",
    "unstable": "the training loss keeps jumping back up",
    "slow": "the loss is still falling steadily at the last epoch",
    "underfitting": "even the training accuracy stays low",
    "overfitting": "the validation loss turns up while the training loss keeps falling",
    "good": "both curves flatten out close together",
}


def clue(label: str) -> str:
    """What a run with this diagnosis looks like, in a few words."""
    return CLUES.get(label, f"read hplab.diagnose(hist).explanation for '{label}'")


def make_history(status: str = "completed", lr: float = 0.01, **columns) -> History:
    """A History from per-epoch lists (missing columns are filled with placeholders)."""
    n = len(next(iter(columns.values())))
    filled = {k: list(columns.get(k, [1.0] * n))
              for k in ("train_loss", "val_loss", "train_metric", "val_metric")}
    return History(epoch=list(range(1, n + 1)), status=status, lr=[lr] * n,
                   seconds=[0.0] * n, config={"lr": lr}, **filled)


def per_run(fb: Feedback, what: str, fn, histories, reference, right: str, mistake,
            also_right=None) -> Feedback:
    """Compare ``fn(hist)`` with ``reference(hist)`` on every run, filling ``fb``.

    ``right`` formats a correct value; ``mistake(got, hist)`` names a typical error or returns
    None; ``also_right(got, hist)`` accepts another correct answer (e.g. another convention).
    """
    for key, hist in histories.items():
        value, error = attempt(what, fn, hist)
        if error is not None:
            fb.wrong.append(f"{key}: {error}")
            fb.hint = ERROR_HINT
            continue
        want, got = reference(hist), as_number(value)
        if got is not None and (math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-9)
                                or also_right is not None and also_right(got, hist)):
            fb.right.append(f"{key}: {right.format(got)}")
        else:
            named = mistake(got, hist) if got is not None else None
            fb.wrong.append(f"{key}: " + (named or f"got {value!r}, expected {want:.4g}."))
    return fb


def first(*failures):
    """The first problem found, or None (a failed Feedback is falsy, so ``or`` would skip it)."""
    return next((f for f in failures if f is not None), None)
