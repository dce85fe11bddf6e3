"""The browser check can fail: broken notebooks written here must be reported, healthy ones not.

The notebooks are built from samples.py: two small dashboards, a healthy one and one whose slider
callback raises; a widget whose front end does not exist, a cell that raises, and a cell after it;
a dashboard drawn small at one pixel per pixel with tiny text, and a narrow static figure beside a
wide one whose text is scaled down too far; dashboards with an epoch scrubber and play, one whose
frames never change the picture.
"""

import pagecheck
import pytest
from harness import record_timing
from pagecheck import check_lab_notebook
from samples import DASHBOARD, MISSING_FRONT_END, NARROW_FIGURE, WIDE_FIGURE, write

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


def test_narrow_low_density_image_small_text_and_narrow_figure_are_reported(lab, lab_page):
    path = write(lab.root / "checks", "sizes.ipynb",
                 [DASHBOARD, "dashboard()", "dashboard(small=True)", NARROW_FIGURE, WIDE_FIGURE])
    report = check_lab_notebook(lab_page, lab.base, path, "check-sizes")
    text = "\n".join(report.problems)
    healthy, small = report.dashboards
    assert healthy["fill"] >= 0.99 and healthy["density"] >= 2 and healthy["smallest_text_px"] >= 11
    assert small["shown"] == pytest.approx(1)  # 300 px drawn, 300 px shown
    assert not any("dashboard 1" in p for p in report.problems), text
    # 16 inches wide: it fills the area, but scaled down that far its text is too small to read
    assert not any("cell 5: a figure is" in p and "wide" in p for p in report.problems), text
    assert "cell 5: a figure is shown at" in text and "so its smallest text, drawn at" in text
    assert "dashboard 2 (cell 3): its figure is 300 px wide in an output area of" in text
    assert "dashboard 2 (cell 3): its figure has 300 pixels shown on 300 (density 1.00" in text
    assert "dashboard 2 (cell 3): the text 'tiny print 2' is 8 px" in text  # measured before moving it
    assert "cell 4: a figure is" in text
    narrow, wide = report.figures
    assert narrow["fill"] < 0.5 and wide["fill"] >= 0.99
    for n in (1, 2):
        assert (pagecheck.DASHBOARD_SHOTS / f"check-sizes-{n}.png").stat().st_size > 1000
    said = dict(cell=9, fill=1.0, width=600, area=600, textPx=20)  # a picture saying its text size
    assert not pagecheck.size_problems({"dashboards": [], "figures": [{**said, "shown": 0.6}]})
    assert "shows at 10.0 px" in pagecheck.size_problems({"dashboards": [],
                                                          "figures": [{**said, "shown": 0.5}]})[0]


def test_scrubbing_and_play_change_the_picture_or_are_reported(lab, lab_page, monkeypatch):
    monkeypatch.setattr(pagecheck, "FIGURE_TIMEOUT", 3)  # the stuck dashboard waits this long
    monkeypatch.setattr(pagecheck, "PLAY_TIMEOUT", 3)
    path = write(lab.root / "checks", "frames.ipynb",
                 [DASHBOARD, "dashboard(frames=6)", "dashboard(frames=6, stuck=True)"])
    report = check_lab_notebook(lab_page, lab.base, path, "check-frames")
    record_timing(report.summary())  # the floor a scrub costs: a stored PNG sent, no drawing
    text = "\n".join(report.problems)
    playing, stuck = report.dashboards
    assert 0 < playing["scrub_ms"] < 3000 and len(playing["scrub_moves_ms"]) == 3
    values = [int(v) for v in playing["play_values"].split(" > ")]
    assert values[0] == 2 and any(b > a for a, b in zip(values, values[1:]))  # 5 -> 2, then on
    assert not any("dashboard 1" in p for p in report.problems), text
    assert "dashboard 2: moving the epoch scrubber did not change the picture within 3 s" in text
    assert "dashboard 2: pressing play did not move the epoch scrubber on and change the picture" in text
