"""Training is a package now: every name the course takes from it is still there."""

import importlib
import re
from pathlib import Path

import hplab.train as train

ROOT = Path(__file__).resolve().parent.parent


def test_every_name_the_course_takes_from_train_is_there():
    files = [p for folder in ("hplab", "source", "lessons", "solutions", "exercises", "tests",
                              "benchmarks", "tools", "docs")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".ipynb", ".md")]
    files.append(ROOT / "README.md")
    used = {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in re.findall(r"hplab\.train\.([A-Za-z_]\w*)", text):
            used.setdefault(name, path.relative_to(ROOT))
        for names in re.findall(r"from (?:hplab|\.|\.\.)\.?train import \(?([\w, \n#:()'\-]+?)\)?\n(?!\s)", text):
            for part in re.sub(r"#.*", "", names).split(","):
                if part.split():
                    used.setdefault(part.split()[0], path.relative_to(ROOT))  # "x as y": x
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
