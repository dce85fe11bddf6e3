"""Training is a package now: every name the course takes from it is still there."""

import importlib
import re
from pathlib import Path

import hplab.train as train

ROOT = Path(__file__).resolve().parent.parent


IMPORTED = re.compile(r"from (?:hplab|\.|\.\.)\.?train import \(?([\w, \n#:()'\-]+?)\)?\n(?!\s)")


def _names_taken(path: Path) -> set[str]:
    """Names a file takes from hplab.train: as attributes, or by import ("x as y" counts as x)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    names = set(re.findall(r"hplab\.train\.([A-Za-z_]\w*)", text))
    for group in IMPORTED.findall(text):
        names |= {part.split()[0] for part in re.sub(r"#.*", "", group).split(",") if part.split()}
    return names


def test_every_name_the_course_takes_from_train_is_there():
    patterns = ("hplab/**/*.py", "tests/**/*.py", "benchmarks/*.py", "tools/*.py", "source/**/*.py",
                "lessons/*.ipynb", "solutions/*.ipynb", "exercises/*.ipynb", "docs/**/*.md", "*.md")
    used = {name: path.relative_to(ROOT) for pattern in patterns for path in ROOT.glob(pattern)
            for name in _names_taken(path)}
    assert {"fit", "History", "EarlyStopping", "divergence_reason", "TrainSettings"} <= set(used)
    missing = {}
    for name, where in used.items():
        if not hasattr(train, name):
            try:
                importlib.import_module(f"hplab.train.{name}")  # one of the package's modules
            except ModuleNotFoundError:
                missing[name] = str(where)
    assert not missing, missing


def test_the_old_home_of_the_backward_pass_still_imports():
    from hplab.backprop import Backprop

    assert Backprop is train.Backprop
