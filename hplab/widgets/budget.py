"""Lesson 09's budget calculator: pure arithmetic from :mod:`hplab.tune` (nothing trains), so it
is a small panel of its own rather than a dashboard. Moving a slider calls ``update()``; a test can
set ``controls[...].value`` exactly as a learner does.
"""

from __future__ import annotations

import html

import ipywidgets as W

from .. import _validate as check
from ._base import _slider_style


class BudgetCalculator:
    """Sliders for a tuning budget: what a full grid costs, and what random trials buy.

    Example:
        >>> calc = BudgetCalculator()                  # doctest: +SKIP
        >>> calc.controls["n_trials"].value = 60       # doctest: +SKIP
        >>> round(calc.last_result["random_hit_chance"], 2)   # doctest: +SKIP
        0.95
    """

    def __init__(self, *, points_per_axis: int = 3, n_hyperparameters: int = 4,
                 n_trials: int = 30, top: float = 0.05):
        check.integer("points_per_axis", points_per_axis, low=2, high=10)
        check.integer("n_hyperparameters", n_hyperparameters, low=1, high=10)
        check.integer("n_trials", n_trials, low=1, high=500)
        check.number("top", top, low=0.01, high=0.25)
        s = dict(continuous_update=False, **_slider_style())
        self.controls = {
            "points_per_axis": W.IntSlider(value=points_per_axis, min=2, max=10,
                                           description="values per axis", **s),
            "n_hyperparameters": W.IntSlider(value=n_hyperparameters, min=1, max=10,
                                             description="hyperparameters", **s),
            "n_trials": W.IntSlider(value=n_trials, min=1, max=500, description="random trials",
                                    **s),
            "top": W.FloatSlider(value=top, min=0.01, max=0.25, step=0.01, readout_format=".0%",
                                 description="top share", **s),
        }
        self.output = W.HTML()
        self.error: str | None = None
        self.last_result: dict | None = None
        for widget in self.controls.values():
            widget.observe(lambda _change: self.update(), names="value")
        self.view = W.VBox([W.HTML("<b>Budget calculator</b>"), *self.controls.values(),
                            self.output])
        self.update()

    def update(self) -> dict | None:
        """Recompute from the sliders; an error is shown in the panel, which keeps working."""
        from .. import tune

        values = {k: w.value for k, w in self.controls.items()}
        try:
            result = tune.budget(**values)
        except (TypeError, ValueError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.output.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            return None
        self.error, self.last_result = None, result
        self.output.value = self.text(values, result).replace("\n", "<br>")
        return result

    @staticmethod
    def text(values: dict, result: dict) -> str:
        k, d, n, top = (values[key] for key in ("points_per_axis", "n_hyperparameters",
                                                "n_trials", "top"))
        return (f"A full grid of {k} values on each of {d} hyperparameters: "
                f"{k}^{d} = {result['grid_trials']:,} trials.\n"
                f"{n} random trials land at least one in the best {top:.0%} with chance "
                f"1 - {1 - top:.2f}^{n} = {result['random_hit_chance']:.1%}.\n"
                f"For a 95% chance: {result['random_trials_for_95']} random trials, "
                f"however many hyperparameters there are.")

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        if self.last_result is not None:
            values = {k: w.value for k, w in self.controls.items()}
            bundle["text/plain"] = self.text(values, self.last_result)
        return bundle

