"""Lesson 08's seed check, through the functions the lesson calls (tune.search, top_configs,
compare_seeds): the winner's edge over the runner-up is real on average, on the lesson's eight
seeds and on five other sets of eight, while single runs can overlap."""

import pytest

import hplab
from hplab import tune

# the lesson's search, as its cells set it up
SPACE = {"lr": tune.LogUniform(1e-4, 1.0), "width": tune.Int(16, 128, log=True),
         "depth": tune.Int(1, 3), "activation": tune.Choice(["relu", "tanh"])}
BUDGET = dict(method="tpe", n_trials=12, epochs=10, n_startup_trials=5, seed=0)
FIXED = {"batch_size": 64}


@pytest.fixture(scope="module")
def data():
    return hplab.load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def result(data):
    return tune.search(data, SPACE, fixed=FIXED, **BUDGET)


@pytest.fixture(scope="module")
def groups(data, result):
    """The lesson's seeds 0-7, then five other sets of eight (8-15, ..., 40-47)."""
    top2 = tune.top_configs(result, 2)
    return tune.compare_seeds(data, top2, seeds=range(48), epochs=10).groups(8)


def test_the_search_tries_twelve_candidates(result):
    assert len(result.trials) == 12  # "out of the twelve candidates"
    assert set(result.trials["status"]) <= {"completed", "diverged"}


def test_top_configs_are_the_two_best_trials_with_the_fixed_settings(result):
    first, second = tune.top_configs(result, 2)
    table = result.trials.sort_values("val_loss")
    for config, (_, row) in zip((first, second), table.head(2).iterrows()):
        assert config == dict({k: row[k] for k in SPACE}, **FIXED)


def test_the_winner_stays_ahead_on_average_by_several_standard_errors(groups):
    lesson, others = groups[0], groups[1:]
    assert lesson.seeds == list(range(8))
    assert 0.05 < lesson.gap < 0.09 and 3.0 < lesson.z < 5.5  # "about 0.07, roughly four"
    held = [g.gap > 0.04 and g.z > 3 for g in others]  # "more than three ... in every one"
    assert len(held) == 5 and all(held)


def test_on_the_lesson_seeds_single_runs_could_flip_the_order(groups):
    lesson = groups[0]
    assert lesson.overlap  # the runner-up's luckiest seed beats the winner's unluckiest
    assert lesson.scores[1][0] > lesson.scores[0][0]  # seed 0 ranked them right


def test_compare_seeds_matches_separate_runs_per_seed(data, result):
    """A group cut from a long run holds the same numbers as a run on those seeds alone."""
    top2 = tune.top_configs(result, 2)
    alone = tune.compare_seeds(data, top2, seeds=[8, 9], epochs=2)
    cut = tune.compare_seeds(data, top2, seeds=[6, 7, 8, 9], epochs=2).groups(2)[1]
    assert alone.scores.ravel() == pytest.approx(cut.scores.ravel(), rel=1e-5)


@pytest.mark.parametrize("configs, seeds, error", [
    ([{"lr": 0.01}], range(3), "at least two dicts"),
    ([{"lr": 0.01}, {"lrate": 0.1}], range(3), "unknown key"),
    ([{"lr": 0.01}, {"lr": 0.1}], [1], "at least two different seeds"),
    ([{"lr": 0.01}, {"lr": 0.1}], [1, 1], "at least two different seeds"),
])
def test_compare_seeds_refuses_bad_input(data, configs, seeds, error):
    with pytest.raises(ValueError, match=error):
        tune.compare_seeds(data, configs, seeds=seeds, epochs=1)


def test_top_configs_refuses_more_than_were_trained(result):
    with pytest.raises(ValueError, match="k must be at most"):
        tune.top_configs(result, 13)
