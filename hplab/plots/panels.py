"""Figures of several panels, in the course style."""

from __future__ import annotations

import math

from .. import _validate as check
from . import _style as style


def grid(n: int, *, ncols: int = 4, size=None):
    """A figure with ``n`` Axes in rows of ``ncols``; returns (figure, flat list of the n Axes).

    ``size`` is (width, height) of one panel in inches; by default the row is as wide as the
    notebook."""
    import matplotlib.pyplot as plt

    n = check.integer("n", n, low=1, high=64)
    ncols = min(check.integer("ncols", ncols, low=1), n)
    nrows = math.ceil(n / ncols)
    if size is None:
        size = (style.WIDTH / ncols, max(2.8, min(3.8, 0.8 * style.WIDTH / ncols)))
    with style.course_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                                 squeeze=False, layout="constrained", dpi=style.DPI)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]
