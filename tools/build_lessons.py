"""Write lesson notebooks from their plain-text sources in tools/lessons/.

A source is a text file of cells. A line ``# %% md`` starts a Markdown cell and ``# %%`` a
code cell; everything up to the next marker is the cell. Notebooks are written without outputs
or execution counts, ready to commit.

    python tools/build_lessons.py            # rebuild every lesson that has a source
    python tools/build_lessons.py 07         # rebuild the lessons whose name starts with 07
    python tools/build_lessons.py --check    # exit 1 if a notebook differs from its source
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tools" / "lessons"
LESSONS = ROOT / "lessons"
MAX_CODE_LINES = 12


def parse(text: str) -> list:
    """Split a source into notebook cells at ``# %%`` markers."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is not None:
            body = "\n".join(lines).strip("\n")
            make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
            cells.append(make(body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("md" if line.strip() == "# %% md" else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(source: Path) -> nbformat.NotebookNode:
    cells = parse(source.read_text())
    for cell in cells:
        n = len(cell.source.splitlines())
        if cell.cell_type == "code" and n > MAX_CODE_LINES:
            raise ValueError(f"{source.name}: a code cell has {n} lines (at most "
                             f"{MAX_CODE_LINES}); move the logic into hplab:\n{cell.source}")
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs small between rebuilds
        cell.id = f"{source.stem[:2]}-{i:02d}"
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    stale = []
    for source in sorted(SOURCES.glob("*.txt")):
        if wanted and not any(source.stem.startswith(w) for w in wanted):
            continue
        target = LESSONS / f"{source.stem}.ipynb"
        text = nbformat.writes(build(source)) + "\n"
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(target.name)
            continue
        target.write_text(text)
        print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print("out of date with tools/lessons/: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
