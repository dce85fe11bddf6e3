"""exercises/ is generated from solutions/ by tools/make_exercises.py and must stay in sync."""

import ast
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def cells(path, kind="code"):
    nb = json.loads(Path(path).read_text())
    return [c for c in nb["cells"] if c["cell_type"] == kind]


def source(cell):
    return "".join(cell["source"])


def test_exercises_are_in_sync_with_solutions():
    assert tool.drift() == [], "run: python tools/make_exercises.py"
    assert tool.main(["--check"]) == 0


def lesson_named_in(path):
    """The lesson notebook an exercise says it goes with, in its first cell."""
    match = re.search(r"`(lessons/\d\d_\w+\.ipynb)`", source(cells(path, "markdown")[0]))
    return match and ROOT / match.group(1)


def test_there_is_an_exercise_for_every_lesson_01_to_10():
    numbers = {p.name[:2] for p in SOLUTIONS}
    assert {f"{i:02d}" for i in range(1, 11)} <= numbers


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_exercise_names_its_lesson_and_the_lesson_exists(path):
    lesson = lesson_named_in(path)
    assert lesson, "say which lesson the exercise goes with, as `lessons/NN_name.ipynb`"
    assert lesson.exists() and lesson.name[:2] == path.name[:2], lesson


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_notebooks_are_committed_clean_and_end_tasks_with_a_check(path):
    code = cells(path)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    first = ast.parse(source(code[0]))
    assert all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in first.body)
    answers = [c for c in code if tool.BEGIN in source(c)]
    assert answers, "a solution notebook needs at least one answer to hide"
    assert any("checks." in source(c) for c in code), "every exercise needs a check call"
    assert all(len(source(c).splitlines()) <= 30 for c in code)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercises_hide_every_answer_behind_a_tagged_placeholder(path):
    exercise = ROOT / "exercises" / path.name
    for cell in cells(exercise) + cells(exercise, "markdown"):
        assert "SOLUTION" not in source(cell)
    code = cells(exercise)
    placeholders = [c for c in code if tool.PLACEHOLDER in source(c)]
    assert placeholders
    for cell in placeholders:
        assert tool.TAG in cell["metadata"]["tags"]
        ast.parse(source(cell))  # still valid Python


def test_strip_solutions_keeps_hints_and_indentation():
    src = ("def f(x):\n    ### BEGIN SOLUTION\n    # Hint: double it,\n    # then return it\n"
           "    y = 2 * x  # the answer\n    # a comment inside the answer\n    return y\n"
           "    ### END SOLUTION\n")
    out, found = tool.strip_solutions(src)
    assert found
    assert out == ("def f(x):\n    # Hint: double it,\n    # then return it\n"
                   "    raise NotImplementedError(\"your answer goes here\")")
    out, _ = tool.strip_solutions("### BEGIN SOLUTION\n# not a hint\nx = 1\n### END SOLUTION")
    assert out == tool.PLACEHOLDER
    md, found = tool.strip_solutions("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                     markdown=True)
    assert md == "Why?\n\n" + tool.MARKDOWN_PLACEHOLDER and found


@pytest.mark.parametrize("bad", ["### BEGIN SOLUTION\nx = 1\n",
                                 "x = 1\n### END SOLUTION\n",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n"])
def test_unbalanced_markers_are_an_error(bad):
    with pytest.raises(ValueError, match="SOLUTION"):
        tool.strip_solutions(bad)


def test_cells_that_use_a_hidden_answer_are_tagged_and_the_rest_are_not():
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 3,
         "source": "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 4,
         "source": "double = answer * 2"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 5,
         "source": "print(double)"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 6,
         "source": "print('independent')"},
    ]}
    out = tool.make_exercise(nb)
    tags = [c["metadata"].get("tags", []) for c in out["cells"]]
    assert tags == [[tool.TAG], [tool.TAG], [tool.TAG], []]
    assert all(c["execution_count"] is None for c in out["cells"])
    assert nb["cells"][0]["execution_count"] == 3  # the solution is left untouched


def test_check_mode_reports_drift(tmp_path):
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    tool.write(tmp_path)
    assert tool.drift(tmp_path) == []
    first = sorted((tmp_path / "solutions").glob("*.ipynb"))[0]
    nb = json.loads(first.read_text())
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "new text"})
    first.write_text(json.dumps(nb))
    (tmp_path / "exercises" / "99_extra.ipynb").write_text("{}")
    last = sorted((tmp_path / "exercises").glob("*.ipynb"))[-2]
    last.unlink()
    problems = tool.drift(tmp_path)
    assert any(first.name in p and "differs" in p for p in problems)
    assert any("99_extra" in p and "no solution" in p for p in problems)
    assert any(last.name in p and "missing" in p for p in problems)
