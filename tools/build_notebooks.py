"""Build the lesson and solution notebooks from their text sources, then the exercises.

Every lesson and every solution is written as a plain Python file in jupytext's ``py:percent``
format (``source/lessons/*.py``, ``source/solutions/*.py``): ``# %%`` starts a code cell and
``# %% [markdown]`` a Markdown cell whose lines are commented with ``# ``. Those files are the
only ones to edit; the notebooks are written from them without outputs or execution counts,
with stable cell ids, and the exercises are then generated from the solutions
(``tools/make_exercises.py``).

    python tools/build_notebooks.py            # rebuild every notebook
    python tools/build_notebooks.py 07         # rebuild those whose name starts with 07
    python tools/build_notebooks.py --check    # exit 1 if a notebook differs from its source

One rule for cell length holds everywhere: a code cell has at most ``MAX_CODE_LINES`` lines,
not counting blank lines, imports, and the learner's answer between ``### BEGIN SOLUTION`` and
``### END SOLUTION``. Longer logic belongs in ``hplab``, where it is tested.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("lessons", "solutions")
MAX_CODE_LINES = 12
KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402  (a sibling script, not a package)


def counted_lines(code: str) -> int:
    """Lines that count towards a cell's length (see the module docstring)."""
    n, inside = 0, False
    for line in code.splitlines():
        s = line.strip()
        if s == make_exercises.BEGIN:
            inside = True
        elif s == make_exercises.END:
            inside = False
        elif s and not inside and not s.startswith(("import ", "from ")):
            n += 1
    return n


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook for one ``py:percent`` source: no outputs, stable ids, kept tags only."""
    nb = jupytext.reads(source.read_text(), fmt="py:percent")
    nb = nbformat.from_dict(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and counted_lines(cell.source) > MAX_CODE_LINES:
            raise ValueError(f"{source.name}: a code cell has {counted_lines(cell.source)} "
                             f"lines (at most {MAX_CODE_LINES}); move the logic into hplab:\n{cell.source}")
        tags = list(cell.metadata.get("tags", []))
        cell.metadata = {"tags": tags} if tags else {}
        cell.id = f"c{i:02d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = dict(KERNEL)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def targets(root: Path = ROOT, wanted=()) -> list[tuple[Path, Path]]:
    """(source, notebook) pairs, all of them or those whose name starts with one of ``wanted``."""
    pairs = []
    for kind in KINDS:
        for source in sorted((root / "source" / kind).glob("*.py")):
            if not wanted or any(source.stem.startswith(w) for w in wanted):
                pairs.append((source, root / kind / f"{source.stem}.ipynb"))
    return pairs


def main(argv: list[str], root: Path = ROOT) -> int:
    check = "--check" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    stale = []
    for source, target in targets(root, wanted):
        text = nbformat.writes(build(source)) + "\n"
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(root)))
            continue
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {target.relative_to(root)}")
    if check:
        stale += make_exercises.drift(root)
    else:
        make_exercises.write(root)
    if stale:
        print("out of date with source/ (run python tools/build_notebooks.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
