"""The checks package: one module per exercise, a shared Feedback, strict mode for solutions."""

import importlib
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from checks_helpers import assert_fails, assert_passes, placeholder

from hplab import checks

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((ROOT / "source" / "solutions").glob("*.py"))


def module_for(exercise: Path) -> str:
    """The checks module of an exercise: named after it (07's is early_stopping)."""
    topic = exercise.stem[3:]
    names = [p.stem for p in (ROOT / "hplab" / "checks").glob("[a-z]*.py")]
    matches = [n for n in names if topic == n or topic.endswith("_" + n)]
    assert len(matches) == 1, f"{exercise.name}: no single checks module named after it"
    return matches[0]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.stem)
def test_each_exercise_has_its_module_and_its_checks_live_there(exercise):
    module = importlib.import_module(f"hplab.checks.{module_for(exercise)}")
    called = set(re.findall(r"checks\.(\w+)\(", exercise.read_text()))
    assert called
    for name in called:
        fn = getattr(checks, name)
        assert fn.__module__ == module.__name__, (name, fn.__module__)
        assert getattr(module, name) is fn


def test_every_public_name_is_re_exported_and_documented():
    for name in checks.__all__:
        obj = getattr(checks, name)
        assert obj is not None
        if callable(obj):
            assert obj.__doc__, name
    assert callable(checks.lr_range_test)  # the function, not the module of the same name


def test_a_non_editable_install_ships_the_checks_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "hplab").rglob("__init__.py")}
    assert "hplab.checks" in listed
    assert on_disk <= listed, f"packages missing from pyproject.toml: {on_disk - listed}"


def test_feedback_renders_right_wrong_and_hint_in_html_and_text():
    fb = checks.Feedback("t", right=["a < b"], wrong=["c"], hint="try d")
    html = fb._repr_html_()
    assert "Not yet" in html and "a &lt; b" in html and "try d" in html
    assert "NOT YET" in str(fb) and "hint try d" in str(fb)
    ok = checks.Feedback("t", right=["fine"], hint="hidden when passed")
    assert "Passed" in ok._repr_html_() and "hidden" not in ok._repr_html_()


def test_learner_errors_become_feedback_not_tracebacks():
    def broken(n, b):
        return n / undefined_name  # noqa: F821

    assert_fails(checks.updates_per_epoch(broken), "NameError")
    assert_fails(checks.updates_per_epoch(placeholder), "not written yet")
    assert_fails(checks.updates_per_epoch(42), "should be a function")


def test_an_error_on_one_case_does_not_hide_the_others():
    def fails_on_a_full_batch(n, b):
        if n == b:
            raise ZeroDivisionError("one batch")
        return n // b  # and forgets the last, smaller batch

    fb = checks.updates_per_epoch(fails_on_a_full_batch)
    assert_fails(fb, "n=240, batch_size=240: updates_per_epoch raised ZeroDivisionError",
                 "n=1000, batch_size=128: got 7, expected 8: the last, smaller batch")


def test_checks_leave_the_global_random_state_alone():
    before = torch.random.get_rng_state()
    checks.updates_per_epoch(lambda n, b: math.ceil(n / b))
    assert torch.equal(before, torch.random.get_rng_state())


def test_strict_mode_turns_a_failing_check_into_an_error(monkeypatch):
    monkeypatch.setenv(checks.STRICT_ENV, "1")
    assert_passes(checks.updates_per_epoch(lambda n, b: math.ceil(n / b)))
    with pytest.raises(AssertionError, match="last, smaller batch"):
        checks.updates_per_epoch(lambda n, b: n // b)
    with pytest.raises(AssertionError, match="not written yet"):
        checks.updates_per_epoch(placeholder)
    monkeypatch.setenv(checks.STRICT_ENV, "0")
    assert_fails(checks.updates_per_epoch(lambda n, b: n // b), "last, smaller batch")


def test_the_solutions_conftest_sets_strict_mode():
    text = (ROOT / "solutions" / "conftest.py").read_text()
    assert "STRICT_ENV" in text and '"1"' in text


def test_answers_are_read_the_way_a_learner_writes_them():
    from hplab.checks._feedback import as_label, as_number, as_rate, unknown_label

    assert as_rate("1e-4") == as_rate(1e-4) == as_rate(torch.tensor(1e-4, dtype=torch.float64))
    assert as_rate(" 0.01 ") == 0.01 and as_rate("fast") is None and as_rate(-1) is None
    assert as_number(True) is None and as_number("3") is None and as_number(np.float32(0.5)) == 0.5
    assert as_label(" Slow ") == "slow" and as_label(3) is None
    assert "did you mean 'unstable'" in unknown_label("unstabel").lower()
