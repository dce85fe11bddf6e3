"""Pictures of training runs, drawn with matplotlib.

Every function takes ``ax=None`` (a new figure is made when it is None), returns the Axes it drew
on and never calls ``plt.show()``. A :class:`~hplab.History` is read as plain data, so a diverged
run with NaN or huge losses is drawn clipped to the plot, with a red mark where it blew up.
Every figure follows the course style of :mod:`hplab.plots._style`: as wide as the notebook, text
of at least 11 px, the Okabe–Ito colours with a line style per series, legends off the data, and
any value beyond the plotted range marked where it leaves, with its true value.

The functions are grouped by what they draw: :mod:`~hplab.plots.curves` (loss and metric curves,
overlays, seed bands, minibatch losses), :mod:`~hplab.plots.boundaries` (decision boundaries and
fitted curves), :mod:`~hplab.plots.gradients` (gradient health and activations),
:mod:`~hplab.plots.rates` (schedules, the range test, rate sweeps, population-based training),
:mod:`~hplab.plots.paths` (optimizer paths) and :mod:`~hplab.plots.panels` (several panels).

    >>> ax = plots.loss_curves(hist)                     # doctest: +SKIP
    >>> ax = plots.decision_boundary(model, data)        # doctest: +SKIP
"""

from ._common import (
    BAD_COLOR,
    CLIP_FACTOR,
    GHOST_ALPHA,
    RUN_COLORS,
    TRAIN_COLOR,
    VAL_COLOR,
    clip_values,
)
from ._style import fit_to_notebook, mark_true_value, style
from .boundaries import decision_boundary, fitted_curve
from .curves import batch_losses, loss_curves, metric_curves, overlay, seed_bands
from .gradients import (
    activation_histograms,
    activation_shapes,
    dead_units,
    gradient_norms,
    layer_gradients,
)
from .panels import grid
from .paths import optimizer_paths, path_losses
from .rates import lr_finder_curve, lr_schedule, lr_sweep_curve, lr_sweep_curves, pbt_losses, pbt_lrs

__all__ = [
    # what they draw
    "loss_curves", "metric_curves", "overlay", "seed_bands", "batch_losses",
    "decision_boundary", "fitted_curve",
    "gradient_norms", "layer_gradients", "dead_units", "activation_histograms", "activation_shapes",
    "lr_schedule", "lr_finder_curve", "lr_sweep_curve", "lr_sweep_curves", "pbt_lrs", "pbt_losses",
    "optimizer_paths", "path_losses",
    "grid",
    # helpers, the style for figures of one's own, and the colours of a run
    "clip_values", "mark_true_value", "style", "fit_to_notebook",
    "TRAIN_COLOR", "VAL_COLOR", "BAD_COLOR", "GHOST_ALPHA", "RUN_COLORS", "CLIP_FACTOR",
]
