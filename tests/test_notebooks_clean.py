"""Committed notebooks carry no outputs or execution counts, and match their sources in source/."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for folder in ("lessons", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


def test_there_are_notebooks_to_check():
    assert any(p.parent.name == "lessons" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; clear them "
                       "with: jupyter nbconvert --clear-output --inplace " + path.name)


def test_notebooks_are_built_from_their_sources():
    """Every lesson and solution is written from source/ (py:percent), the exercises from the
    solutions, and no code cell breaks the one length rule; tools/build_notebooks.py checks all."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_lesson_and_solution_has_a_source():
    for kind in ("lessons", "solutions"):
        notebooks = {p.stem for p in (ROOT / kind).glob("*.ipynb")}
        sources = {p.stem for p in (ROOT / "source" / kind).glob("*.py")}
        assert notebooks == sources, f"{kind}: notebooks without a source or sources without a notebook"


def test_the_check_fails_when_a_notebook_is_edited_by_hand(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import build_notebooks

    for folder in ("source", "lessons", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert build_notebooks.main(["--check"], root=tmp_path) == 0
    lesson = tmp_path / "lessons" / "01_why_tune.ipynb"
    lesson.write_text(lesson.read_text().replace("Why tune?", "Why tune at all?"))
    assert build_notebooks.main(["--check"], root=tmp_path) == 1
    assert "lessons/01_why_tune.ipynb" in capsys.readouterr().out
    assert build_notebooks.main([], root=tmp_path) == 0  # a rebuild puts it right
    assert build_notebooks.main(["--check"], root=tmp_path) == 0


def test_one_cell_length_rule_for_every_notebook(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import build_notebooks

    long_cell = tmp_path / "99_long.py"
    long_cell.write_text("# %%\nimport numpy\n" + "\n".join(f"x{i} = {i}" for i in range(13)) + "\n")
    with pytest.raises(ValueError, match="99_long.py: a code cell has 13 lines \\(at most 12\\)"):
        build_notebooks.build(long_cell)
