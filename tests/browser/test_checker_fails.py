"""The browser check can fail: broken notebooks written here must be reported, healthy ones not.

One notebook (built from samples.py) holds two small dashboards, a healthy one and one whose
slider callback raises; the other holds a widget whose front end does not exist, a cell that
raises, and a cell after it.
"""

import pytest
from pagecheck import check_lab_notebook
from samples import DASHBOARD, MISSING_FRONT_END, write

pytestmark = pytest.mark.browser


def test_broken_slider_callback_is_reported_and_healthy_dashboard_passes(lab, lab_page):
    path = write(lab.root / "checks", "callbacks.ipynb",
                 [DASHBOARD, "dashboard()", "dashboard(broken=True)"])
    report = check_lab_notebook(lab_page, lab.base, path, "check-callbacks")
    healthy, broken = report.dashboards
    assert healthy["figure_s"] < 15 and healthy["diagnosis_s"] < 15  # the healthy one updates
    assert "figure_s" not in broken
    assert not any("dashboard 1" in p for p in report.problems)
    assert any("dashboard 2" in p and "did not change the figure" in p for p in report.problems)
    assert any("RuntimeError" in p and "the slider callback broke" in p for p in report.problems)


def test_widget_without_front_end_and_failing_cell_are_reported(lab, lab_page):
    path = write(lab.root / "checks", "broken.ipynb",
                 [MISSING_FRONT_END, "1 / 0", "print('never reached')"])
    report = check_lab_notebook(lab_page, lab.base, path, "check-broken")
    text = "\n".join(report.problems)
    assert "cell 1 shows a widget that failed to draw" in text
    assert "hplab-no-such-front-end" in text
    assert "cell 2 raised ZeroDivisionError" in text
    assert "cell 3 never ran" in text
