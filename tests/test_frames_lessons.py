"""Lessons 03 and 07 set the boundary at the best-validation epoch beside the one at the last: what
their sentences say about the two holds on the lesson's seed and on at least 4 of 5 others."""

import pytest
from seeds_helpers import SEEDS, holds

from hplab import frames, playground, widgets

OVERFIT_03 = widgets.CapacityLab.PRESETS["too big for the data"].values
LONG_07 = {**widgets.EarlyStoppingLab.VALUES, **widgets.EarlyStoppingLab.PRESETS["too many epochs"].values}


def _recorded(config):
    """{seed: (History, best frame, last frame)} for the run the lesson records."""
    out = {}
    for seed in SEEDS:
        c = playground.check_config({**config, "seed": seed})
        rec = frames.FrameRecorder(playground.load_data(c))
        hist = playground.train_run(c, callbacks=[rec], track=False).history
        out[seed] = (hist, *frames.best_and_last(rec, hist))
    return out


@pytest.fixture(scope="module")
def overfit_03():
    return _recorded(OVERFIT_03)


@pytest.fixture(scope="module")
def long_07():
    return _recorded(LONG_07)


def test_lesson03_the_last_boundary_is_longer_and_fits_single_points(overfit_03):
    def claim(run):
        hist, best, last = run
        lengths = frames.boundary_length(best), frames.boundary_length(last)
        assert lengths[1] > 1.3 * lengths[0], f"boundary lengths best, last: {lengths}"
        n = hist.config["n_train"]  # 30 examples, a tenth of them with the wrong label
        gained = round(n * (hist.train_metric[-1] - hist.train_metric[hist.best_epoch - 1]))
        assert gained >= 2, f"training examples gained after the best epoch: {gained}"
        assert hist.best_epoch <= 5, f"best epoch {hist.best_epoch}"
        doubt = frames.unsure_share(best), frames.unsure_share(last)
        assert doubt[0] > 3 * doubt[1], f"unsure shares best, last: {doubt}"

    holds(claim, overfit_03)


def test_lesson07_same_line_but_the_band_of_doubt_is_gone(long_07):
    def claim(run):
        _, best, last = run
        lengths = frames.boundary_length(best), frames.boundary_length(last)
        assert 0.8 * lengths[0] < lengths[1] < 1.25 * lengths[0], f"boundary lengths: {lengths}"
        assert frames.changed_share(best, last) < 0.15, "the boundary moved"
        doubt = frames.unsure_share(best), frames.unsure_share(last)
        assert 0.25 < doubt[0] < 0.45 and doubt[1] < min(0.1, 0.25 * doubt[0]), f"unsure shares: {doubt}"

    holds(claim, long_07)
