"""The browser check can fail: broken notebooks written here must be reported, healthy ones not.

One notebook holds two small dashboards, a healthy one and one whose slider callback raises; the
other holds a widget whose front end does not exist, a cell that raises, and a cell after it.
"""

import nbformat
import pytest
from pagecheck import check_lab_notebook

pytestmark = pytest.mark.browser

DASHBOARD = '''\
import io
import ipywidgets as W
from matplotlib.figure import Figure


def dashboard(broken=False):
    slider = W.IntSlider(value=2, min=1, max=9, description="frequency", continuous_update=False)
    image, words = W.Image(format="png"), W.HTML()

    def draw(change=None):
        if broken and change is not None:
            raise RuntimeError("the slider callback broke")
        fig = Figure(figsize=(3, 2))
        fig.subplots().plot([i % slider.value for i in range(30)])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        image.value, words.value = buf.getvalue(), f"frequency {slider.value}"

    slider.observe(draw, "value")
    draw()
    return W.VBox([slider, image, words])'''

MISSING_FRONT_END = '''\
import ipywidgets as W
from traitlets import Unicode


class Missing(W.DOMWidget):
    _view_name = Unicode("MissingView").tag(sync=True)
    _view_module = Unicode("hplab-no-such-front-end").tag(sync=True)
    _view_module_version = Unicode("1.0.0").tag(sync=True)


Missing()'''


def write(folder, name, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / name)
    return f"{folder.name}/{name}"


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
