"""What every lesson notebook must look like; used by the tests of lessons 12 and 13."""

import json
from pathlib import Path

LESSONS = Path(__file__).resolve().parent.parent / "lessons"


def shape_problems(name: str, *, checks: int = 3) -> list[str]:
    """Everything about the built notebook ``name`` that breaks the course's lesson shape."""
    cells = json.loads((LESSONS / f"{name}.ipynb").read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    prose = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    problems = [f"committed with outputs: {''.join(c['source'])[:40]!r}" for c in code
                if c["outputs"] or c["execution_count"] is not None]
    problems += [f"first cell imports something private: {line!r}"
                 for line in "".join(code[0]["source"]).splitlines()
                 if line.strip() and not line.startswith(("import ", "from hplab import "))]
    wanted = {"After this lesson you will be able to explain": 1, "Predict first": 3,
              "Takeaway": 1, "<details>": 2}
    problems += [f"{text!r} fewer than {n} times" for text, n in wanted.items() if prose.count(text) < n]
    if prose.count("<details>") != prose.count("</details>"):
        problems.append("unbalanced <details> blocks")
    tagged = sum("check" in c.get("metadata", {}).get("tags", []) for c in code)
    if tagged < checks:
        problems.append(f"only {tagged} check cells, want >= {checks}")
    return problems
