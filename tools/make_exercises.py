"""Generate the exercise notebooks from the solution notebooks.

    python tools/make_exercises.py           write exercises/NN_topic.ipynb from solutions/
    python tools/make_exercises.py --check   exit 1 if exercises/ and solutions/ have drifted apart

In a solution notebook, each answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader's markers). The exercise keeps everything else and replaces each answer with a
placeholder that raises ``NotImplementedError``. A comment starting with ``# Hint:`` right after
``### BEGIN SOLUTION`` (and the comment lines that continue it) stays in the exercise. In a
markdown cell the answer becomes an invitation to write your own.

A placeholder cell is tagged ``raises-exception`` (nbval then accepts its error), and so is every
later code cell that uses a name defined in a tagged cell, since in the exercise those names are
missing or unfinished until the learner fills them in.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = "# Hint:"
TAG = "raises-exception"
PLACEHOLDER = 'raise NotImplementedError("your answer goes here")'
MARKDOWN_PLACEHOLDER = "*Write your answer here.*"


def strip_solutions(source: str, markdown: bool = False) -> tuple[str, bool]:
    """Replace every BEGIN..END block in ``source``; return (new source, whether any was found)."""
    out, inside, found = [], False, False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in:\n{source}")
            inside, found, keep_hints, hinted = True, True, True, False
            indent = line[: len(line) - len(line.lstrip())]
            continue
        if stripped == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in:\n{source}")
            out.append(MARKDOWN_PLACEHOLDER if markdown else indent + PLACEHOLDER)
            inside = False
            continue
        if inside:
            # keep a leading "# Hint:" comment, and the comment lines that continue it
            if keep_hints and (stripped.startswith(HINT) or hinted and stripped.startswith("#")):
                out.append(line)
                hinted = True
            else:
                keep_hints = False
            continue
        out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in:\n{source}")
    return "\n".join(out), found


def _names(source: str) -> tuple[set, set]:
    """(names the cell defines at top level, names it reads)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: be safe and treat the cell as reading everything
        return set(), {"*"}
    defined, used = set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                (defined if isinstance(sub.ctx, ast.Store) else used).add(sub.id)
    return defined, used


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    """Cell source as Jupyter stores it: a list of lines, each but the last ending in a newline."""
    return text.splitlines(keepends=True)


def make_exercise(nb: dict) -> dict:
    """The exercise version of a solution notebook (a new dict; outputs cleared)."""
    nb = json.loads(json.dumps(nb))
    tainted: set = set()
    for cell in nb["cells"]:
        source = _source(cell)
        if cell["cell_type"] == "markdown":
            cell["source"] = _lines(strip_solutions(source, markdown=True)[0])
            continue
        if cell["cell_type"] != "code":
            continue
        new, found = strip_solutions(source)
        defined, used = _names(source)
        if found or used & tainted or "*" in used and tainted:
            tainted |= defined
            tags = cell["metadata"].setdefault("tags", [])
            if TAG not in tags:
                tags.append(TAG)
        cell["source"] = _lines(new)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def dump(nb: dict) -> str:
    """Notebook JSON the way Jupyter writes it (indent 1, sorted keys, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def pairs(root: Path = ROOT):
    """(solution path, exercise path) for every solution notebook."""
    for sol in sorted((root / "solutions").glob("*.ipynb")):
        yield sol, root / "exercises" / sol.name


def drift(root: Path = ROOT) -> list[str]:
    """What differs between exercises/ and what the solutions would generate (empty: in sync)."""
    problems = []
    wanted = set()
    for sol, ex in pairs(root):
        wanted.add(ex.name)
        expected = dump(make_exercise(json.loads(sol.read_text())))
        if not ex.exists():
            problems.append(f"{ex.relative_to(root)} is missing")
        elif ex.read_text() != expected:
            problems.append(f"{ex.relative_to(root)} differs from what {sol.relative_to(root)} "
                            "generates")
    for ex in sorted((root / "exercises").glob("*.ipynb")):
        if ex.name not in wanted:
            problems.append(f"{ex.relative_to(root)} has no solution notebook")
    return problems


def write(root: Path = ROOT) -> list[Path]:
    written = []
    (root / "exercises").mkdir(exist_ok=True)
    for sol, ex in pairs(root):
        text = dump(make_exercise(json.loads(sol.read_text())))
        if not ex.exists() or ex.read_text() != text:
            ex.write_text(text)
            written.append(ex)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report drift between solutions/ and exercises/ and exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for p in problems:
            print(p)
        if problems:
            print("Run: python tools/make_exercises.py")
        return 1 if problems else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
