"""The budget calculator of lesson 09, driven as a learner drives it."""

import ipywidgets as W
import pytest

from hplab import tune, widgets


def test_sliders_recompute_the_budget():
    calc = widgets.BudgetCalculator(points_per_axis=3, n_hyperparameters=4, n_trials=30)
    assert calc.last_result["grid_trials"] == 81
    calc.controls["n_hyperparameters"].value = 6
    calc.controls["n_trials"].value = 60
    assert calc.last_result["grid_trials"] == 3 ** 6
    assert calc.last_result["random_hit_chance"] == pytest.approx(1 - 0.95 ** 60)
    assert "729 trials" in calc.output.value and "95.4%" in calc.output.value
    calc.controls["top"].value = 0.10
    assert calc.last_result["random_trials_for_95"] == tune.trials_needed(0.95, top=0.10) == 29


def test_bad_values_are_shown_and_the_panel_keeps_working():
    with pytest.raises(ValueError, match="points_per_axis must be >= 2, got 1"):
        widgets.BudgetCalculator(points_per_axis=1)
    calc = widgets.BudgetCalculator()
    calc.controls["top"] = W.FloatText(value=0.0)  # a control that lets a bad value through
    assert calc.update() is None
    assert "top must be > 0" in calc.error and "top must be" in calc.output.value
    calc.controls["top"].value = 0.05
    assert calc.update()["random_trials_for_95"] == 59 and calc.error is None
