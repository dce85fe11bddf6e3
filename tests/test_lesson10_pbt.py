"""Lesson 10's population-based training section: its calls, run with its settings, do what
the text says."""

import json
from pathlib import Path

import numpy as np
import pytest

import hplab

NOTEBOOK = Path(__file__).resolve().parent.parent / "lessons" / "10_tools_and_scaling.ipynb"
SETTINGS = dict(population=8, epochs=24, interval=4, optimizer="adam", lr_range=(1e-5, 1e-1),
                width=32, seed=0)


@pytest.fixture(scope="module")
def runs():
    spirals = hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)
    return {"PBT": hplab.pbt(spirals, **SETTINGS),
            "no exploit": hplab.pbt(spirals, exploit=False, **SETTINGS)}


def finals(result):
    return np.array([h.val_loss[-1] for h in result.histories])


def test_the_lesson_runs_these_settings():
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]}
    code = cells["c20"]
    assert 'hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)' in code
    assert " ".join(code.split()).count(
        'settings = dict(population=8, epochs=24, interval=4, optimizer="adam", '
        'lr_range=(1e-5, 1e-1), width=32, seed=0)') == 1
    assert "hplab.pbt(spirals, **settings)" in code
    assert "hplab.pbt(spirals, exploit=False, **settings)" in code


def test_both_runs_start_from_the_same_members(runs):
    pbt, alone = runs["PBT"], runs["no exploit"]
    assert [h.lr[0] for h in pbt.histories] == [h.lr[0] for h in alone.histories]
    assert len(pbt.events) == 2 * 5 and alone.events == []  # the weakest quarter, 5 rounds


def test_pbt_ends_about_ten_times_lower_in_the_median(runs):
    pbt, alone = np.median(finals(runs["PBT"])), np.median(finals(runs["no exploit"]))
    assert pbt < 0.2 * alone
    assert (finals(runs["no exploit"]) > 0.5).sum() == 5  # five members stuck near the start
    assert (finals(runs["PBT"]) > 0.1).sum() == 1 and 0.25 < finals(runs["PBT"]).max() < 0.4


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
