"""The course style module: numbers written for people, evidence tables, marks of values beyond
the range that follow the limits, log axes with plain labels, sharp full-width dashboards, and
dashboards that leave a picture where widgets cannot run.

Whether every plotting function's picture is readable is looked at in test_figures_readable.py,
whose checks are used here too.
"""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from test_figures_readable import (  # noqa: E402
    fractional_epochs,
    make_runs,
    series_clashes,
    small_texts,
    unmarked_exits,
    unreadable_log_axes,
)

import hplab  # noqa: E402
from hplab import plots  # noqa: E402
from hplab.plots import _style as style  # noqa: E402


@pytest.fixture(scope="module")
def runs():
    return make_runs()


def test_finish_gives_every_epoch_axis_whole_numbers():
    ax = style.new_axes()
    ax.plot([1, 2, 3], [0.5, 0.4, 0.3])
    ax.set_xlabel("epoch")
    ax.set_xlim(1, 3)
    ax.figure.canvas.draw()
    assert fractional_epochs(ax)  # matplotlib's own ticks: 1.0, 1.25, 1.5 ...
    style.finish(ax)
    ax.figure.canvas.draw()
    assert not fractional_epochs(ax)


@pytest.mark.parametrize("lo,hi", [(1e-4, 1.0), (0.01, 0.2), (0.03, 0.045), (0.031, 0.0312)])
def test_log_ticks_are_plain_distinct_numbers(lo, hi):
    ticks = style.PlainLogLocator().tick_values(lo, hi)
    inside = ticks[(ticks >= lo * (1 - 1e-9)) & (ticks <= hi * (1 + 1e-9))]
    assert len(inside) >= 2
    labels = style.PlainFormatter().format_ticks(inside)
    assert len(set(labels)) == len(labels) and not any("e" in t or "$" in t for t in labels)


def test_a_log_axis_made_after_drawing_and_redrawn_keeps_plain_labels():
    """As the learning-rate lab draws its panel on every run: lr_schedule, then a log y axis."""
    ax = None
    for _ in range(2):
        if ax is not None:
            ax.cla()
        ax = plots.lr_schedule({"this run": list(np.linspace(0.1, 0.03, 10))}, ax)
        ax.set_yscale("log")
        ax.figure.canvas.draw()
        assert not unreadable_log_axes(ax)


def test_a_value_beyond_the_range_is_marked_with_its_true_value(runs):
    ax = plots.overlay({"good": runs["good"], "blown": runs["blown"]}, key="train_loss")
    ax.figure.canvas.draw()
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "9, then infinite" in texts  # how far it got, then what it became
    ax.set_ylim(0, 0.5)  # narrower by hand: the good run now leaves at its start, marked too
    ax.figure.canvas.draw()
    assert not unmarked_exits(ax)
    assert "0.7" in " ".join(t.get_text() for t in ax.texts)  # its true starting loss


def test_a_zero_rate_on_a_log_axis_is_marked_at_the_bottom():
    ax = plots.lr_schedule({"cosine": [1.0, 0.5, 0.1, 0.0], "flat": [1.0] * 4})
    ax.set_yscale("log")
    ax.figure.canvas.draw()
    lo = ax.get_ylim()[0]
    downs = [ln for ln in ax.get_lines() if ln.get_marker() == "v"]
    assert downs and np.isclose(downs[0].get_ydata()[0], lo)
    assert "0" in [t.get_text() for t in ax.texts]


def test_dashboards_render_sharp_and_full_width():
    from hplab import widgets

    dash = widgets.Playground(epochs=5, live=False)
    fig = dash.figure
    shown = dash.DPI  # the picture is shown at its figure size; rendered at RETINA times that
    assert not small_texts(fig, shown)
    for ax in dash.axes.values():
        assert not series_clashes(ax)
    png = dash.png()
    from io import BytesIO

    from PIL import Image

    width, _ = Image.open(BytesIO(png)).size
    assert width >= style.RETINA * fig.get_figwidth() * shown - 1
    assert int(dash.image.width) == round(fig.get_figwidth() * shown)
    assert int(dash.image.width) >= 0.8 * style.WIDTH * style.DPI


def test_figures_fill_every_output_area_and_their_text_stays_readable_in_each():
    """Measured in a 1280 px window: JupyterLab's output area with and without the file browser,
    and Voila's. A course figure fills at least 80 % of each; where it is scaled down to fit,
    its smallest text still shows at MIN_TEXT_PX or more; and titles stay larger than ticks."""
    drawn = style.WIDTH * style.DPI
    for layout, area in style.OUTPUT_AREAS_PX.items():
        shown = min(drawn, area)  # a picture is scaled down to fit its area, never up
        assert shown / area >= 0.8, layout
        scale = shown / drawn
        assert style.SMALLEST_DRAWN_PX * scale >= style.MIN_TEXT_PX, layout
        assert style.SMALL_PT * style.DPI / 72 * scale >= style.MIN_TEXT_PX, layout
    assert style.shown_scale(drawn) == pytest.approx(style.WORST_SCALE)
    assert style.TEXT_PT > style.SMALL_PT >= style.MIN_PT
    # the on-screen floor the readability test applies: a tick label at SMALL_PT passes, and
    # the old size (9 pt, 9.2 px on screen at 848 px) fails
    ax = style.new_axes()
    ax.set_title("t", fontsize=style.SMALL_PT)
    assert not small_texts(ax.figure, style.DPI)
    ax.set_title("t", fontsize=9.0)
    assert small_texts(ax.figure, style.DPI) == [("t", 9.2)]


@pytest.mark.parametrize("value,words", [
    (0.8672825694084167, "0.867"), (1e-05, "1e-5"), (12345.678, "12,346"), (math.nan, "not a number"),
    (math.inf, "infinite"), (3, "3"), (0.0, "0"), (2.5e-3, "0.0025"), (True, "yes")])
def test_numbers_are_written_for_people(value, words):
    assert style.number(value) == words


def test_rounded_walks_dicts_and_lists():
    assert style.rounded({"loss": 0.8672825694084167, "n": [0.123456, 7]}) == \
        {"loss": 0.867, "n": [0.123, 7]}


def test_diagnosis_evidence_is_a_table_with_plain_words_and_thresholds(runs):
    d = hplab.diagnose(runs["good"])
    page = style.diagnosis_html(d)
    assert "<table" in page and "rise_ratio" not in page and "end_pace" not in page
    assert "upward jumps of the training loss" in page
    assert f"unstable above {hplab.diagnose.__globals__['UNSTABLE_RISE']}" in page
    assert "0.8672825694084167" not in page
    assert d._repr_html_() == page  # what a notebook shows for a Diagnosis
    for _, value, _ in style.evidence_rows(d):
        if isinstance(value, float) and math.isfinite(value):
            assert len(style.number(value).replace("-", "").replace(".", "")) <= 6


# ----------------------------------------------------------------------------- static export


def _export(nb, path):
    """Execute ``nb`` in a fresh kernel and export it to HTML as nbconvert does."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


def _static_blocks(body):
    """The dashboards' static copies in an exported page: (picture bytes, text) for each."""
    import base64
    import re

    blocks = []
    for block in re.findall(r'<div class="hplab-static">(.*?)</div>\s*</div>', body, flags=re.S):
        pics = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', block)
        blocks.append(([base64.b64decode(p) for p in pics], re.sub("<[^>]+>", " ", block)))
    return blocks


def test_an_exported_notebook_shows_the_dashboards_last_figure_and_verdict(tmp_path):
    """Where widgets cannot run (nbconvert's HTML, a repository page) the dashboard is not
    blank: its last figure and verdict are there, and only the live widgets hide them."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from hplab import widgets\n"
                                  "lab = widgets.EarlyStoppingLab(epochs=5, live=False)\nlab"),
        nbformat.v4.new_code_cell("lab.apply_preset('too few epochs').diagnosis.label")])
    body = _export(nb, tmp_path)
    (block,) = _static_blocks(body)
    pictures, text = block
    assert len(pictures) == 1 and pictures[0].startswith(b"\x89PNG")
    assert "SLOW" in text and "3 epochs" in text  # the last run (the preset), not the first
    assert "the numbers behind this verdict" in text
    hiders = body.count(".hplab-static {display: none}")
    assert hiders >= 1 and body.index(".hplab-static {display: none}") > body.index(
        "application/vnd.jupyter.widget-state+json")  # only the live widgets' state hides it


@pytest.mark.slow
def test_the_exported_first_lesson_shows_its_playground(tmp_path):
    from pathlib import Path

    import nbformat

    lessons = Path(__file__).resolve().parent.parent / "lessons"
    nb = nbformat.read(lessons / "00_start_here.ipynb", as_version=4)
    blocks = _static_blocks(_export(nb, lessons))
    assert blocks and all(pics and pics[0].startswith(b"\x89PNG") for pics, _ in blocks)
    assert any("Playground" in text for _, text in blocks)


def test_marks_follow_a_cleared_and_redrawn_axes(runs):
    """Dashboards clear their Axes and draw again on every run: the marks must follow."""
    ax = plots.overlay({"good": runs["good"], "blown": runs["blown"]}, key="train_loss")
    for _ in range(2):
        ax.cla()
        plots.overlay({"good": runs["good"], "blown": runs["blown"]}, ax, key="train_loss")
        ax.set_ylim(0, 0.5)
        ax.figure.canvas.draw()
        assert not unmarked_exits(ax)
