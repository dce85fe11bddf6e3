"""Every notebook of the course, run in JupyterLab in a real browser, as a learner would.

The notebooks are found when the tests are collected, so a new lesson, solution or exercise is
checked without touching this file. For each one: the page opens, the kernel becomes idle, Run
All Cells runs, no cell shows an error (except ``raises-exception`` placeholders) and no widget is
left undrawn; every figure fills at least 80 % of its output area at 1280 px, and a dashboard's
picture has at least two pixels per displayed pixel and no text under 11 px; then every
dashboard's slider is moved with the keyboard, and the figure and the diagnosis must change; where
a dashboard has an epoch scrubber, moving it and pressing play must change the picture (the scrub
time is recorded, not judged). A screenshot of each notebook goes to ``artifacts/screenshots/``,
one of each dashboard to ``artifacts/browser/dashboards/``, the measures to
``artifacts/browser/timings.txt``.
"""

import pytest
from harness import discover, record_timing
from pagecheck import check_lab_notebook

pytestmark = pytest.mark.browser


def stem(path: str) -> str:
    return "lab-" + path.removesuffix(".ipynb").replace("/", "-")


@pytest.mark.parametrize("path", discover())
def test_notebook_in_jupyterlab(lab, lab_page, path, record_property):
    report = check_lab_notebook(lab_page, lab.base, path, stem(path))
    record_property("timings", report.summary())
    record_timing(report.summary())
    assert not report.problems, (
        f"{path} looks broken in JupyterLab (screenshot: {report.screenshot}):\n- "
        + "\n- ".join(report.problems))
