"""Small notebooks that must fail the browser check, and one dashboard that must pass it."""

import nbformat

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
