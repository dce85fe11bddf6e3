"""Exercise 02a and 02b checks: right on the solution and on other correct answers, specific on
the typical wrong ones, and every problem reported at once."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from checks_helpers import assert_fails, assert_passes, placeholder

import hplab
from hplab import checks
from hplab.checks.learning_rate import selection_scenario
from hplab.checks.lr_range_test import smooth

RATES = [1e-4, 1e-2, 1.0]  # the exercise's rates
PREDICTIONS = {1e-4: "slow", 1e-2: "good", 1.0: "diverged"}  # the solution's


@pytest.fixture(scope="module")
def data():
    return hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)


def fresh(data):
    return hplab.mlp(data.n_features, data.n_outputs, depth=2, width=32, seed=0)


def solution_train(data, lr):
    return hplab.fit(fresh(data), data, optimizer="momentum", lr=lr, epochs=30, seed=0)


@pytest.fixture(scope="module")
def runs(data):
    return {lr: solution_train(data, lr) for lr in RATES}


@pytest.fixture(scope="module")
def shared_network_runs(data):
    """The task asks for a fresh network per rate; this one is made once and trained on."""
    model = fresh(data)
    return {lr: hplab.fit(model, data, optimizer="momentum", lr=lr, epochs=30) for lr in RATES}


def frozen_train(data, lr, epochs=5):
    """A hand-written loop that forgot optimizer.step(): the weights never change."""
    model = fresh(data)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    hist = hplab.History()
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        F.cross_entropy(model(data.train.X), data.train.y).backward()  # no opt.step()
        with torch.no_grad():
            hist.epoch.append(epoch)
            hist.train_loss.append(F.cross_entropy(model(data.train.X), data.train.y).item())
            hist.val_loss.append(F.cross_entropy(model(data.val.X), data.val.y).item())
    return hist


# ----------------------------------------------------------------------------- task 1 and 2


def takeaway_holds(seed):
    """The exercise's takeaway on one seed (data, network and batches): at 1e-4 the loss is
    still falling at the end (by over 2% in the last 5 epochs), 1e-2 is diagnosed good, 1.0
    blows up (diverged)."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed)
    runs = {lr: hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=seed), data,
                          optimizer="momentum", lr=lr, epochs=30, seed=seed) for lr in RATES}
    small = runs[1e-4].train_loss
    return (small[-1] < 0.98 * small[-6] and hplab.diagnose(runs[1e-2]).label == "good"
            and runs[1.0].status == "diverged")


def test_the_takeaway_holds_on_the_exercise_seed_and_on_4_of_5_others():
    assert takeaway_holds(0)
    assert sum(takeaway_holds(seed) for seed in range(1, 6)) >= 4



def test_the_solution_passes_and_its_runs_show_what_it_predicts(runs):
    assert {lr: hplab.diagnose(h).label for lr, h in runs.items()} == PREDICTIONS
    assert_passes(checks.learning_rate_predictions(PREDICTIONS, runs))


def test_rates_written_as_strings_are_matched_by_value(runs):
    # once reported as "no prediction": the keys "1e-4", "0.01" and "1" are the same rates
    said = {"1e-4": "slow", "0.01": "good", "1": "diverged"}
    assert_passes(checks.learning_rate_predictions(said, runs))
    assert_passes(checks.learning_rate_predictions({0.0001: "slow", 0.01: "good", 1: "diverged"},
                                                   runs))


def test_labels_are_read_in_any_case_and_without_spaces(runs):
    # once "Slow" was rejected for its capital
    said = {1e-4: "Slow", 1e-2: " good ", 1.0: "DIVERGED"}
    assert_passes(checks.learning_rate_predictions(said, runs))


def test_wrong_or_unreadable_predictions_are_all_named_at_once(runs):
    said = {1e-4: "good", "1e-2": "divereged", "ten": "slow", 0.5: "good"}
    fb = checks.learning_rate_predictions(said, runs)
    assert_fails(fb, "lr=0.0001: you predicted 'good', the run is 'slow'",
                 "did you mean 'diverged'", "'ten' is not a learning rate",
                 "no run used that rate", "no prediction for lr=1")
    assert "train()" not in str(fb)


def test_a_train_that_never_updates_the_weights_is_blamed_not_the_prediction(data):
    frozen = {lr: frozen_train(data, lr) for lr in RATES}
    fb = checks.learning_rate_predictions(PREDICTIONS, frozen)
    assert_fails(fb, "weights never changed", "not compared yet", "problem is in train()")
    assert "you predicted" not in str(fb)


def test_one_network_trained_for_every_rate_is_caught(shared_network_runs):
    # once this passed: the later runs start from the earlier runs' weights
    fb = checks.learning_rate_predictions(PREDICTIONS, shared_network_runs)
    assert_fails(fb, "lr=0.01 started where lr=0.0001 ended", "fresh network inside train()",
                 "not compared yet")
    assert "you predicted" not in str(fb)


def test_a_network_with_another_seed_for_each_rate_is_caught(data):
    runs = {lr: hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=i), data,
                          optimizer="momentum", lr=lr, epochs=30)
            for i, lr in enumerate(RATES)}
    assert_fails(checks.learning_rate_predictions(PREDICTIONS, runs),
                 "start from different weights", "seed=0")


def test_forgetting_the_rate_and_the_optimizer_is_named(data):
    runs = {lr: hplab.fit(fresh(data), data, epochs=30) for lr in RATES}  # neither lr nor optimizer
    fb = checks.learning_rate_predictions(PREDICTIONS, runs)
    assert_fails(fb, "trained with lr=0.001", "lr=lr", "optimizer='adam'", "'momentum'")
    assert "you predicted" not in str(fb)


def test_other_correct_ways_of_making_a_fresh_network_pass(data):
    template = fresh(data)

    def from_a_copy(lr):  # one network made up front, a fresh copy trained for each rate
        return hplab.fit(copy.deepcopy(template), data, optimizer="momentum", lr=lr, epochs=30)

    runs = {lr: from_a_copy(lr) for lr in reversed(RATES)}  # in another order, too
    assert_passes(checks.learning_rate_predictions(PREDICTIONS, runs))


def test_prediction_check_rejects_what_is_not_a_dict_of_runs(runs):
    assert_fails(checks.learning_rate_predictions(PREDICTIONS, [1, 2]), "dict of history")
    assert_fails(checks.learning_rate_predictions(PREDICTIONS, {"fast": runs[1e-2]}),
                 "keyed by learning rate")
    assert_fails(checks.learning_rate_predictions(["slow"], runs), "should be a dict")
    narrow = {0.1: runs[1e-2]}
    assert_fails(checks.learning_rate_predictions({0.1: "good"}, narrow, optimizer=None),
                 "spanning 100x")


# ----------------------------------------------------------------------------- task 3


def by_best_val(runs):
    return min(runs, key=lambda lr: runs[lr].best_val_loss)


def test_the_scenario_separates_training_from_validation():
    scenario = selection_scenario()
    by_train = min(scenario, key=lambda lr: min(scenario[lr].train_loss))
    by_final_val = min((lr for lr in scenario if math.isfinite(scenario[lr].val_loss[-1])),
                       key=lambda lr: scenario[lr].val_loss[-1])
    by_val_acc = max(scenario, key=lambda lr: max(scenario[lr].val_metric))
    assert by_best_val(scenario) == by_final_val == by_val_acc == 0.03
    assert by_train == 0.3
    assert not math.isfinite(scenario[list(scenario)[0]].val_loss[-1])  # NaN comes first


@pytest.mark.parametrize("rule", [
    by_best_val,
    lambda runs: min(runs, key=lambda lr: runs[lr].final.get("val_loss", math.inf)
                     if math.isfinite(runs[lr].val_loss[-1]) else math.inf),
    lambda runs: max(runs, key=lambda lr: max(runs[lr].val_metric)),
    lambda runs: str(by_best_val(runs)),  # the rate as text
], ids=["best val loss", "final val loss", "val accuracy", "as a string"])
def test_picking_by_validation_passes_whichever_measure(rule, runs):
    assert_passes(checks.best_learning_rate(rule, runs))


def test_picking_by_training_loss_is_told_apart(runs):
    # once this passed: on the exercise's runs both losses point at the same rate
    def by_train(runs):
        return min(runs, key=lambda lr: min(runs[lr].train_loss))

    assert by_train(runs) == by_best_val(runs)
    fb = checks.best_learning_rate(by_train, runs)
    assert_fails(fb, "lr=0.3 has the lowest training loss", "memorizing")
    assert "on your runs: lr=0.01" in str(fb)  # what is right is said too


@pytest.mark.parametrize("rule, words", [
    (lambda runs: min(runs, key=lambda lr: runs[lr].val_loss[-1]), ["diverged", "nan"]),
    (lambda runs: max(runs, key=lambda lr: runs[lr].train_metric[-1]), ["training loss"]),
    (lambda runs: 0.01, ["not one of the rates given", "not from a variable outside"]),
    (lambda runs: runs[by_best_val(runs)], ["return the rate itself"]),
    (lambda runs: runs.best, ["attributeerror"]),
    (placeholder, ["not written yet"]),
], ids=["nan wins min", "train accuracy", "global", "history", "error", "placeholder"])
def test_typical_wrong_rules_are_named(rule, words, runs):
    assert_fails(checks.best_learning_rate(rule, runs), *words)


def test_a_rate_picked_by_hand_is_still_judged(runs):
    assert_passes(checks.best_learning_rate(1e-2, runs))
    assert_passes(checks.best_learning_rate("1e-2", runs))
    assert_fails(checks.best_learning_rate(1.0, runs), "lowest validation loss")


def test_a_rate_picked_by_training_loss_on_runs_where_they_differ():
    runs = selection_scenario()
    assert_fails(checks.best_learning_rate(0.3, runs), "lowest training loss")


# ----------------------------------------------------------------------------- 02b range test


def fake_range_test(lrs):
    """A loss curve shaped like a real range test: flat, falling, bottom at 1e-1, blowing up."""
    x = np.log10(lrs)
    return list(1.0 - 0.8 / (1 + np.exp(-3 * (x + 2.5))) + np.where(x > -1, (x + 1) ** 2 * 5, 0))


def test_lr_range_test_accepts_geometric_sweep_and_names_mistakes():
    lrs = list(np.geomspace(1e-5, 10, 60))
    assert_passes(checks.lr_range_test(lrs, fake_range_test(np.array(lrs))))
    assert_passes(checks.lr_range_test(np.array(lrs), torch.tensor(fake_range_test(lrs))))
    linear = list(np.linspace(1e-5, 10, 60))
    assert_fails(checks.lr_range_test(linear, fake_range_test(np.array(linear))), "fixed factor")
    assert_fails(checks.lr_range_test(lrs, fake_range_test(np.array(lrs))[:-1]), "one loss per")
    assert_fails(checks.lr_range_test([], []), "at least 20")
    assert_fails(checks.lr_range_test(lrs[::-1], fake_range_test(np.array(lrs))), "grow")


def test_lr_range_test_reports_every_problem_at_once():
    short_linear = list(np.linspace(1e-5, 1e-3, 60))
    fb = checks.lr_range_test(short_linear, fake_range_test(np.array(short_linear))[:-1])
    assert_fails(fb, "fixed factor", "decades", "one loss per")
    short = list(np.geomspace(1e-5, 1e-3, 60))
    assert_fails(checks.lr_range_test(short, fake_range_test(np.array(short))),
                 "decades", "never turned up")


def test_lr_choice_wants_a_rate_about_a_decade_below_the_bottom():
    lrs = np.geomspace(1e-5, 10, 120)
    losses = fake_range_test(lrs)
    bottom = lrs[int(np.argmin(smooth(losses))) + 2]
    assert 0.03 < bottom < 0.3
    assert_passes(checks.lr_choice(bottom / 10, lrs, losses))
    assert_passes(checks.lr_choice(np.float32(bottom / 8), lrs, losses))
    assert_fails(checks.lr_choice(bottom, lrs, losses), "bottom of the curve")
    assert_fails(checks.lr_choice(bottom * 5, lrs, losses), "blow up")
    assert_fails(checks.lr_choice(bottom / 1.2, lrs, losses), "too close")
    assert_fails(checks.lr_choice(bottom / 1000, lrs, losses), "cautious")
    assert_fails(checks.lr_choice("0.01", lrs, losses), "positive number")


def test_a_largest_rate_whose_network_collapsed_counts_as_too_large():
    # on seed 1 the run at 1.0 dies without blowing up: one answer for every input
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=1)
    runs = {lr: hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=1), data,
                          optimizer="momentum", lr=lr, epochs=30, seed=1) for lr in RATES}
    labels = {lr: hplab.diagnose(h).label for lr, h in runs.items()}
    assert labels[1.0] == "collapsed"
    fb = checks.learning_rate_predictions(labels, runs)
    assert not any("trains fine" in w for w in fb.wrong), fb.wrong
