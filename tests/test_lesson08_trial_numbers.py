"""Trial numbers read the same in the trials table and on the best-so-far plot: Optuna's own
``number``, 0 for the first trial (lesson 08 says so, lesson 10's Optuna plots do the same)."""

import matplotlib
import numpy as np
import pytest

import hplab
from hplab import tune

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def result():
    data = hplab.load_dataset("digits", n_samples=300, seed=0)
    space = {"lr": tune.LogUniform(1e-3, 1e-1)}
    return tune.search(data, space, method="random", n_trials=5, epochs=2, seed=0)


def test_the_best_so_far_plot_puts_each_trial_at_its_table_number(result):
    ax = result.plot_best_so_far()
    step_x = ax.lines[0].get_xdata()
    dots = ax.collections[0].get_offsets()
    assert list(result.trials.index) == [0, 1, 2, 3, 4]
    assert np.asarray(step_x).tolist() == [0, 1, 2, 3, 4]
    assert dots[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert dots[:, 1].tolist() == pytest.approx(result.trials["val_loss"].tolist())
    assert "trial number" in ax.get_xlabel()


def test_the_epochs_clock_is_unchanged(result):
    ax = result.plot_best_so_far(x="epochs")
    assert np.asarray(ax.lines[0].get_xdata()).tolist() == [2, 4, 6, 8, 10]
