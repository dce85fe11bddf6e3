"""Lesson 13: the study of depth compared best with best and at one fixed rate, through the same
``hplab.playbook.compare_values`` the lesson calls, on the lesson's seed and five others."""

import math

import pytest
from lesson_shape import shape_problems
from seeds_helpers import SEEDS, holds

import hplab
from hplab import playbook

LRS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]  # the lesson's settings


@pytest.fixture(scope="module")
def spirals():
    return hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def studies(spirals):
    return {seed: playbook.compare_values(spirals, "depth", [1, 4], lrs=LRS, optimizer="momentum",
                                          width=64, epochs=30, seed=seed) for seed in SEEDS}


def test_fixed_rate_and_best_with_best_rank_the_depths_apart(studies):
    def claim(study):
        assert study.naive_winner == 1, f"naive {study.naive}"
        assert study.tuned_winner == 4, f"tuned {study.tuned}"

    holds(claim, studies)


def test_the_deep_network_wants_a_smaller_rate(studies):
    def claim(study):
        lr1, lr4 = study.best_lrs
        assert lr4 <= lr1 / 2, study.best_lrs

    holds(claim, studies)


def test_fixed_rate_defaults_to_the_baselines_best_and_reads_the_same_runs(studies):
    study = studies[0]
    assert study.fixed_lr == study.sweeps[0].best_lr
    assert study.naive[0] == study.tuned[0]  # the baseline is at its best rate either way
    assert all(n >= t for n, t in zip(study.naive, study.tuned))


def test_compare_values_rejects_bad_input(spirals):
    with pytest.raises(ValueError, match="param 'colour' is unknown"):
        playbook.compare_values(spirals, "colour", [1, 2], lrs=[0.1])
    with pytest.raises(ValueError, match="at least two values"):
        playbook.compare_values(spirals, "depth", [2], lrs=[0.1])
    with pytest.raises(ValueError, match="fixed_lr must be one of lrs"):
        playbook.compare_values(spirals, "depth", [1, 2], lrs=[0.1], fixed_lr=0.3)
    with pytest.raises(TypeError, match="depth is the hyperparameter under study"):
        playbook.compare_values(spirals, "depth", [1, 2], lrs=[0.1], depth=3)


def test_weight_decay_study_and_isolation_plot(spirals):
    study = playbook.compare_values(spirals, "weight_decay", [0.0, 0.1], lrs=[0.01, 0.1],
                                    fixed_lr=0.1, epochs=3)
    assert study.fixed_lr == 0.1 and len(study.sweeps) == 2
    assert all(math.isfinite(v) for v in study.tuned)
    ax = playbook.isolation_plot(study)
    assert ax.get_xscale() == "log" and len(ax.get_legend().get_texts()) == 2


def test_lesson_reads_like_a_lesson():
    assert shape_problems("13_tuning_playbook", checks=2) == []


def test_playbook_lab_shows_the_lessons_study_and_switches_studies():
    from hplab import widgets

    lab = widgets.PlaybookLab()
    study = lab.last_result.study
    assert lab.error is None and (study.param, study.values) == ("depth", [1, 4])
    assert lab.last_result.diagnosis.label == "misleading"  # the lesson's seed: the verdicts differ
    assert (study.naive_winner, study.tuned_winner) == (1, 4)
    lab.controls["study"].value = "weight decay 0 vs 0.01"
    assert lab.runs == 2 and lab.last_result.study.param == "weight_decay"
    assert lab.last_result.diagnosis.label in ("misleading", "agree")
    assert "14 runs" in lab.facts(lab.last_result) and lab.static_png()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="study 'colour' is unknown"):
        widgets.PlaybookLab(study="colour")
