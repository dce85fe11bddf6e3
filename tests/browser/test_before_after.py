"""Before and after: lessons 01, 02 and 07 and lesson 01's dashboard, as a learner sees them in
JupyterLab at 1280 px, from this checkout ("after") and from an older copy of the course ("before").

Not part of the ordinary run: it starts when HPLAB_BEFORE names a folder holding an older version
of the course, for example the one just before the course style came in:

    mkdir -p /tmp/hplab-before
    git archive "$(git log --diff-filter=A --format=%h -- hplab/_style.py)^" | tar -x -C /tmp/hplab-before
    HPLAB_BEFORE=/tmp/hplab-before pytest -m browser -n 0 tests/browser/test_before_after.py

Each version runs in its own JupyterLab, whose kernels import that version's ``hplab``. The
screens go to ``artifacts/browser/before/`` and ``artifacts/browser/after/`` (``<lesson>-sNN.png``
top to bottom, ``dashboard-01_why_tune-1.png``), with ``measures.txt``: every figure's width
against its output area and every dashboard's pixel density, in both versions.
"""

import os
from pathlib import Path

import pytest
from harness import ARTIFACTS, ROOT, VIEWPORT, shutdown_kernels, start_lab
from pagecheck import snapshot_lab_notebook

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("before-after")]
LESSONS = ("lessons/01_why_tune.ipynb", "lessons/02_learning_rate.ipynb",
           "lessons/07_epochs_and_early_stopping.ipynb")
BEFORE = os.environ.get("HPLAB_BEFORE")


def describe(path: str, measured: dict) -> list[str]:
    lines = [f"{path}: {len(measured.get('figures', []))} static figures, "
             f"{len(measured.get('dashboards', []))} dashboards"]
    for f in measured.get("figures", []):
        lines.append(f"  cell {f['cell']}: figure {f['width']} of {f['area']} px ({f['fill']:.0%}), "
                     f"shown at {f['shown']:.0%} of its drawn size")
    for d in measured.get("dashboards", []):
        if "fill" in d:
            text = d["smallest"]["px"] if d.get("smallest") else float("nan")
            lines.append(f"  dashboard {d['index'] + 1} (cell {d['cell']}): figure {d['width']} of "
                         f"{d['area']} px ({d['fill']:.0%}), {d['natural']} pixels drawn "
                         f"(density {d['density']:.2f}), shown at {d['shown']:.0%} of its drawn "
                         f"size, smallest text {text:g} px")
    lines += [f"  problem: {p}" for p in measured["problems"]]
    return lines


@pytest.mark.skipif(not BEFORE, reason="set HPLAB_BEFORE to an older copy of the course")
@pytest.mark.parametrize("label", ["before", "after"])
def test_before_and_after_screens(browser, tmp_path, label):
    source = Path(BEFORE) if label == "before" else ROOT
    assert (source / "lessons").is_dir(), f"HPLAB_BEFORE={BEFORE} holds no lessons folder"
    folder = ARTIFACTS / "browser" / label
    server = start_lab(tmp_path, source)
    context = browser.new_context(viewport=VIEWPORT)
    lines = []
    try:
        page = context.new_page()
        for path in LESSONS:
            measured = snapshot_lab_notebook(page, server.base, path, folder,
                                             dashboards=1 if path == LESSONS[0] else 0)
            lines += describe(path, measured)
            shutdown_kernels(server.base)
    finally:
        context.close()
        server.stop()
    (folder / "measures.txt").write_text("\n".join(lines) + "\n")
    for path in LESSONS:
        assert list(folder.glob(f"{Path(path).stem}-s*.png")), f"no screens of {path} ({label})"
    assert (folder / "dashboard-01_why_tune-1.png").is_file()
