"""Small notebooks that must fail the browser check, and dashboards and figures that must pass it."""

import nbformat

DASHBOARD = '''\
import io
import ipywidgets as W
from matplotlib.figure import Figure


def png(frequency, n=30, small=False):
    fig = Figure(figsize=(3, 2) if small else (12, 2), dpi=100 if small else 200)
    fig.subplots().plot([i % frequency for i in range(n)])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def dashboard(broken=False, small=False, frames=0, stuck=False):
    """A slider and its picture, drawn at twice the pixels and shown full width (small: 300 px
    at one pixel per pixel, with 8 px text). frames: also an epoch scrubber and play over that
    many stored pictures; stuck: they never change the picture."""
    slider = W.IntSlider(value=2, min=1, max=9, description="frequency", continuous_update=False)
    image = W.Image(format="png", width="300" if small else "1150",
                    layout=W.Layout(max_width="100%", height="auto"))
    words = W.HTML()
    image.add_class("hplab-figure")
    stored = []
    epoch = W.IntSlider(value=max(frames - 1, 0), min=0, max=max(frames - 1, 0), description="epoch")
    play = W.Play(value=epoch.value, min=0, max=epoch.max, interval=150)
    epoch.add_class("hplab-scrubber")
    play.add_class("hplab-play")
    W.jslink((play, "value"), (epoch, "value"))

    def draw(change=None):
        if broken and change is not None:
            raise RuntimeError("the slider callback broke")
        stored[:] = [png(slider.value, 10 + 4 * k) for k in range(frames)]
        image.value = stored[-1] if stored else png(slider.value, small=small)
        words.value = (f"<span style='font-size:8px'>tiny print {slider.value}</span>" if small
                       else f"frequency {slider.value}")

    def show(change):
        if not stuck:
            image.value = stored[change.new]

    slider.observe(draw, "value")
    epoch.observe(show, "value")
    draw()
    return W.VBox([slider, image, words] + ([W.HBox([play, epoch])] if frames else []))'''

# Static figures: one a fifth of the output area wide, one as wide as it.
NARROW_FIGURE = '''\
import matplotlib.pyplot as plt
plt.figure(figsize=(2.5, 2))
plt.plot([0, 1], [1, 0]);'''

WIDE_FIGURE = '''\
plt.figure(figsize=(16, 3))
plt.plot([0, 1], [1, 0]);'''

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
