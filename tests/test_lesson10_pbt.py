"""Lesson 10's population-based training section, through the function it calls
(tune.compare_pbt): on the lesson's seed the figure shows what the text reads from it, and the
headline (PBT's median member ends several times lower) holds on other seeds too."""

import numpy as np
import pytest

import hplab
from hplab import tune

SETTINGS = dict(population=8, epochs=24, interval=4, optimizer="adam", lr_range=(1e-5, 1e-1),
                width=32)
OTHER_SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def spirals():
    return hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def runs(spirals):
    return tune.compare_pbt(spirals, seed=0, **SETTINGS)


@pytest.fixture(scope="module")
def other_runs(spirals):
    return [tune.compare_pbt(spirals, seed=seed, **SETTINGS) for seed in OTHER_SEEDS]


def medians(runs):
    table = tune.pbt_table(runs)["median final val loss"]
    return table["PBT"], table["no exploit"]


def test_both_runs_start_from_the_same_members(runs):
    pbt, alone = runs["PBT"], runs["no exploit"]
    assert [h.lr[0] for h in pbt.histories] == [h.lr[0] for h in alone.histories]
    assert len(pbt.events) == 2 * 5 and alone.events == []  # the weakest quarter, 5 rounds
    assert tune.pbt_table(runs)["exploit steps"].tolist() == [10, 0]


def test_pbt_ends_about_ten_times_lower_in_the_median(runs, other_runs):
    pbt, alone = medians(runs)
    assert 7 < alone / pbt < 13  # "about ten times lower"
    assert (tune.final_losses(runs["no exploit"]) > 0.5).sum() == 5  # five members stuck
    final = tune.final_losses(runs["PBT"])
    assert (final > 0.1).sum() == 1 and 0.25 < final.max() < 0.4  # "one ends at 0.33"
    ratios = [alone / pbt for pbt, alone in map(medians, other_runs)]
    assert sum(3.5 < r < 16 for r in ratios) >= 4  # "four to fifteen times lower" elsewhere


def test_without_exploitation_half_the_members_stay_stuck_on_every_seed(runs, other_runs):
    for r in [runs, *other_runs]:
        assert (tune.final_losses(r["no exploit"]) > 0.5).sum() >= 4


def test_the_rates_drift_up_on_most_seeds(runs, other_runs):
    """"Large rates won the early rankings": the final rates sit far above the starting ones."""
    def drift(r):
        hists = r["PBT"].histories
        return np.median([h.lr[-1] for h in hists]) / np.median([h.lr[0] for h in hists])

    assert drift(runs) > 5
    assert sum(drift(r) > 5 for r in other_runs) >= 4


def test_the_median_falls_most_right_after_epochs_12_and_16(runs):
    median = np.median([h.val_loss for h in runs["PBT"].histories], axis=0)
    steepest = np.argsort(np.diff(median))[:2] + 2  # epoch at the end of each fall
    assert sorted(steepest.tolist()) == [13, 17]


def test_the_left_panel_shows_what_the_text_reads_from_it(runs):
    pbt = runs["PBT"]
    first = [e for e in pbt.events if e["epoch"] == 4]
    assert len(first) == 2
    for e in first:  # the two members that started near 1e-5, lifted several hundred times
        assert e["lr_before"] < 2e-5 and e["lr_after"] / e["lr_before"] > 300
    best = pbt.best_history
    assert best.lr[0] == pytest.approx(0.008, rel=0.05)
    assert best.lr[12] == pytest.approx(0.056, rel=0.05) and best.lr[11] == best.lr[0]
    last = np.array([h.lr[-1] for h in pbt.histories])
    assert ((last > 0.035) & (last < 0.06)).sum() >= 6  # most rates drifted up to 0.04-0.06


def test_compare_pbt_refuses_an_exploit_argument(spirals):
    with pytest.raises(TypeError, match="exploit"):
        tune.compare_pbt(spirals, exploit=False, **SETTINGS)
