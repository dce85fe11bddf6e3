"""Committed notebooks carry no outputs or execution counts, and the lessons match their sources."""

import json
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


def test_lessons_built_from_sources_are_up_to_date():
    """tools/build_lessons.py writes some lessons from tools/lessons/*.txt; they must match."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_lessons.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
