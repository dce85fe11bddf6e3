"""Checks of exercises 01, 03-06 and 08-10: they pass on the solution and on other correct
answers, and name the typical wrong ones, all of them at once."""

import itertools
import math

import numpy as np
import optuna
import pytest
import torch
from checks_helpers import assert_fails, assert_passes, placeholder, train

import hplab
from hplab import checks
from hplab.checks.optimizers import _fake_history


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)


# ----------------------------------------------------------------------------- 01 why tune


@pytest.fixture(scope="module")
def mysteries():
    return checks.mystery_runs(seed=0)


def test_mystery_runs_hold_one_run_of_each_kind(mysteries):
    labels = sorted(hplab.diagnose(h).label for h in mysteries.values())
    assert labels == sorted(checks.MYSTERY_RECIPES)
    assert list(mysteries) == list("ABCDEF")
    # the solution's answer about run D: the training loss goes to zero while the validation
    # loss bottoms out in the first quarter of the run and climbs
    d = mysteries["D"]
    assert hplab.diagnose(d).label == "overfitting" and min(d.train_loss) < 0.01
    assert d.best_epoch < d.epochs_run / 4 and d.val_loss[-1] > 2 * d.best_val_loss


def test_mystery_runs_are_shuffled_by_seed():
    order = [np.random.default_rng(s).permutation(6).tolist() for s in (0, 1)]
    assert order[0] != order[1]


def test_mystery_diagnoses(mysteries):
    truth = {k: hplab.diagnose(h).label for k, h in mysteries.items()}
    assert_passes(checks.mystery_diagnoses(truth, mysteries))
    shouted = {k.lower(): f" {v.capitalize()} " for k, v in truth.items()}
    assert_passes(checks.mystery_diagnoses(shouted, mysteries))
    swapped = {**truth, "A": truth["B"], "B": truth["A"]}
    fb = checks.mystery_diagnoses(swapped, mysteries)
    assert_fails(fb, "run A: you said", "look again")
    assert sum("look again" in w for w in fb.wrong) == 2
    assert_fails(checks.mystery_diagnoses({}, mysteries), "no answer yet")
    fb = checks.mystery_diagnoses(dict(truth, A="bad luck", B="overfiting", G="good"), mysteries)
    assert_fails(fb, "'bad luck' is not a diagnosis", "did you mean 'overfitting'",
                 "no run named 'G'")
    assert len(fb.wrong) == 3


# ----------------------------------------------------------------------------- 03 depth and width


@pytest.fixture(scope="module")
def overfit(moons):
    small = moons.subset(40, seed=0)
    settings = dict(optimizer="adam", lr=1e-2, epochs=150, batch_size=16, depth=3, width=128)
    return small, settings, train(small, **settings)[1]


def cures_hold(seed):
    """Exercise 03 on one seed: a smaller model (1 layer of 8) and early stopping (patience 10)
    each end with a validation loss over a quarter below the overfitting baseline's."""
    small = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed).subset(40, seed=seed)
    settings = dict(optimizer="adam", lr=1e-2, epochs=150, batch_size=16, seed=seed)

    def final_val_loss(depth, width, **more):
        model = hplab.mlp(2, 2, depth=depth, width=width, seed=seed)
        return hplab.fit(model, small, **settings, **more).val_loss[-1]

    base = final_val_loss(3, 128)
    stopped = final_val_loss(3, 128, early_stopping=hplab.EarlyStopping(patience=10))
    return final_val_loss(1, 8) < 0.75 * base and stopped < 0.75 * base


def test_both_cures_cut_the_val_loss_on_the_seed_and_4_of_5_others():
    assert cures_hold(0)
    assert sum(cures_hold(seed) for seed in range(1, 6)) >= 4


def test_overfitting_cures_pass_on_two_real_cures(overfit):
    small, settings, base = overfit
    assert hplab.diagnose(base).label == "overfitting"
    cures = {"smaller model": train(small, **dict(settings, depth=1, width=8))[1],
             "early stopping": train(small, **settings,
                                     early_stopping=hplab.EarlyStopping(patience=10))[1]}
    assert_passes(checks.overfitting_cures(base, cures))


def test_overfitting_cures_reject_non_cures_and_duplicates(overfit):
    small, settings, base = overfit
    assert_fails(checks.overfitting_cures(base, {"same": base}), "not cured yet", "try two")
    good = train(small, **dict(settings, depth=1, width=8))[1]
    assert_fails(checks.overfitting_cures(base, {"a": good, "b": good}), "identical runs")
    assert_fails(checks.overfitting_cures(None, {"a": good}), "baseline")
    assert_fails(checks.overfitting_cures(base, {"a": good, "b": "run"}), "not a History")


# ----------------------------------------------------------------------------- 04 optimizers


def epochs_to_reach_solution(hist, target):
    for epoch, metric in zip(hist.epoch, hist.val_metric):
        if metric >= target:
            return epoch
    return None


def test_epochs_to_reach_passes_on_other_correct_answers():
    assert_passes(checks.epochs_to_reach(epochs_to_reach_solution))

    def with_numpy(hist, target):
        hits = np.flatnonzero(np.asarray(hist.val_metric) >= target)
        return int(hits[0]) + 1 if len(hits) else None

    assert_passes(checks.epochs_to_reach(with_numpy))


@pytest.mark.parametrize("fn, words", [
    (lambda h, t: next((i for i, m in enumerate(h.val_metric) if m >= t), None),
     ["count from 1"]),
    (lambda h, t: epochs_to_reach_solution(h, t) or -1, ["return none"]),
    (lambda h, t: next((e for e, m in zip(h.epoch, h.val_metric) if m > t), None),
     ["exactly equal"]),
    (placeholder, ["not written yet"]),
], ids=["zero-based", "minus one", "strict", "placeholder"])
def test_epochs_to_reach_names_mistakes(fn, words):
    assert_fails(checks.epochs_to_reach(fn), *words)


def test_epochs_to_reach_reports_an_error_and_still_tests_the_rest():
    def no_default(hist, target):  # next() without a default raises when never reached
        return next(e for e, m in zip(hist.epoch, hist.val_metric) if m >= target)

    fb = checks.epochs_to_reach(no_default)
    assert_fails(fb, "raised StopIteration")
    assert len(fb.wrong) == 1 and len(fb.right) == 4


def adam_first_holds(seed):
    """Exercise 04 on one seed (lr 0.01, 40 epochs): Adam reaches 90% validation accuracy first
    (ties allowed), and plain SGD does not get there before momentum."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed)
    epochs = {}
    for name in ("sgd", "momentum", "adam"):
        model = hplab.mlp(2, 2, depth=2, width=32, seed=seed)
        hist = hplab.fit(model, data, optimizer=name, lr=0.01, epochs=40, seed=seed)
        epochs[name] = epochs_to_reach_solution(hist, 0.9) or math.inf
    return epochs["adam"] <= epochs["momentum"] <= epochs["sgd"] and epochs["adam"] < math.inf


def test_adam_first_on_the_seed_and_4_of_5_others():
    assert adam_first_holds(0)
    assert sum(adam_first_holds(seed) for seed in range(1, 6)) >= 4


def test_optimizer_ranking():
    runs = {"sgd": _fake_history([0.5, 0.6, 0.7]), "adam": _fake_history([0.8, 0.95]),
            "momentum": _fake_history([0.7, 0.91]), "rmsprop": _fake_history([0.8, 0.92])}
    assert_passes(checks.optimizer_ranking(["adam", "rmsprop", "momentum", "sgd"], runs, 0.9))
    assert_passes(checks.optimizer_ranking(("momentum", "adam", "rmsprop", "sgd"), runs, 0.9))
    fb = checks.optimizer_ranking(["sgd", "adam", "momentum"], runs, 0.9)
    assert_fails(fb, "sgd comes before adam", "leaves out ['rmsprop']")
    assert_fails(checks.optimizer_ranking(["adam", "Adam", "momentum", "rmsprop", "sgd"], runs,
                                          0.9), "not among the runs")
    assert_fails(checks.optimizer_ranking(None, runs, 0.9), "list of names")


# ----------------------------------------------------------------------------- 05 batch size


@pytest.mark.parametrize("fn", [lambda n, b: math.ceil(n / b), lambda n, b: (n + b - 1) // b,
                                lambda n, b: len(range(0, n, b)), lambda n, b: np.ceil(n / b)],
                         ids=["ceil", "floor trick", "range", "numpy"])
def test_updates_per_epoch_passes_on_other_correct_answers(fn):
    assert_passes(checks.updates_per_epoch(fn))


def test_updates_per_epoch_names_mistakes():
    fb = checks.updates_per_epoch(lambda n, b: n // b)
    assert_fails(fb, "last, smaller batch")
    assert len(fb.wrong) == 2  # the two cases where n is not a multiple of the batch
    assert_fails(checks.updates_per_epoch(lambda n, b: n), "expected")


@pytest.fixture(scope="module")
def batch_runs(moons):
    return {b: train(moons, lr=1e-2, epochs=5, batch_size=b)[1] for b in (8, 120)}


def batch_noise_solution(hist):
    return float(np.std(hist.batch_loss[-hist.steps_per_epoch:]))


def test_batch_noise(batch_runs):
    assert_passes(checks.batch_noise(batch_noise_solution, batch_runs))
    sample_std = lambda h: torch.tensor(h.batch_loss[-h.steps_per_epoch:]).std()  # noqa: E731
    assert_passes(checks.batch_noise(sample_std, batch_runs))
    assert batch_noise_solution(batch_runs[8]) > batch_noise_solution(batch_runs[120])
    assert_fails(checks.batch_noise(lambda h: float(np.std(h.batch_loss)), batch_runs),
                 "whole run")
    assert_fails(checks.batch_noise(lambda h: float(np.std(h.train_loss)), batch_runs),
                 "per-epoch losses")
    assert_fails(checks.batch_noise(lambda h: "noisy", batch_runs), "expected")
    assert_fails(checks.batch_noise(placeholder, batch_runs), "not written yet")
    assert_fails(checks.batch_noise(None, batch_runs), "should be a function")


def small_batches_hold(seed):
    """Exercise 05 on one seed (15 epochs at lr 0.01): batches of 8 are over 3x noisier in the
    last epoch than batches of 120, and reach a validation loss over 5% lower."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed)
    runs = {b: hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=seed), data, lr=0.01,
                         batch_size=b, epochs=15, seed=seed) for b in (8, 120)}
    noise = {b: batch_noise_solution(h) for b, h in runs.items()}
    return noise[8] > 3 * noise[120] and runs[8].val_loss[-1] < 0.95 * runs[120].val_loss[-1]


def test_small_batches_are_noisier_and_go_further_on_the_seed_and_4_of_5_others():
    assert small_batches_hold(0)
    assert sum(small_batches_hold(seed) for seed in range(1, 6)) >= 4


# ----------------------------------------------------------------------------- 06 activations


def gradients_hold(seed):
    """Exercise 06 on one seed (6 hidden layers, epoch 1): under 1/1000 of the last layer's
    gradient reaches the sigmoid network's first layer; ReLU and tanh pass back over 100x more,
    ReLU about a tenth (over 1/20) of the last layer's."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed)
    ratio = {}
    for act in ("sigmoid", "tanh", "relu"):
        model = hplab.mlp(2, 2, depth=6, width=32, activation=act, seed=seed)
        hist = hplab.fit(model, data, lr=1e-2, epochs=1, track_gradients=True, seed=seed)
        ratio[act] = gradient_ratio_solution(hist)
    return (ratio["sigmoid"] < 1e-3 and ratio["relu"] > 0.05
            and min(ratio["relu"], ratio["tanh"]) > 100 * ratio["sigmoid"])


def test_sigmoid_gradients_vanish_on_the_seed_and_4_of_5_others():
    assert gradients_hold(0)
    assert sum(gradients_hold(seed) for seed in range(1, 6)) >= 4



@pytest.fixture(scope="module")
def grad_runs(moons):
    runs = {}
    for act in ("sigmoid", "relu"):
        model = hplab.mlp(2, 2, depth=6, width=32, activation=act, seed=0)
        runs[act] = hplab.fit(model, moons, lr=1e-2, epochs=2, track_gradients=True, seed=0)
    return runs


def gradient_ratio_solution(hist):
    return hist.grad_norms[0][0] / hist.grad_norms[0][-1]


def test_gradient_ratio_and_the_vanishing_gradient_it_measures(grad_runs):
    assert_passes(checks.gradient_ratio(gradient_ratio_solution, grad_runs))
    as_tensor = lambda h: torch.tensor(h.grad_norms[0])[0] / torch.tensor(h.grad_norms[0])[-1]  # noqa: E731
    assert_passes(checks.gradient_ratio(as_tensor, grad_runs))
    ratio = gradient_ratio_solution
    assert ratio(grad_runs["sigmoid"]) < ratio(grad_runs["relu"]) / 10  # the lesson's claim


def test_gradient_ratio_names_mistakes(grad_runs):
    assert_fails(checks.gradient_ratio(lambda h: 1 / gradient_ratio_solution(h), grad_runs),
                 "other way round")
    last_epoch = lambda h: h.grad_norms[-1][0] / h.grad_norms[-1][-1]  # noqa: E731
    assert_fails(checks.gradient_ratio(last_epoch, grad_runs), "last epoch's ratio")
    assert_fails(checks.gradient_ratio(placeholder, grad_runs), "not written yet")
    no_grads = {"relu": hplab.History(epoch=[1])}
    assert_fails(checks.gradient_ratio(gradient_ratio_solution, no_grads), "track_gradients=true")


# ----------------------------------------------------------------------------- 08 tuning workflow


def test_honest_test_score():
    data = hplab.load_dataset("digits", n_samples=400, seed=0)
    model = hplab.mlp(64, 10, seed=0)
    hplab.fit(model, data, lr=1e-2, epochs=3)
    assert_fails(checks.honest_test_score(data, model, 0.5), "never read")
    score = hplab.evaluate(model, data, "test")["metric"]
    assert_passes(checks.honest_test_score(data, model, score))
    assert_passes(checks.honest_test_score(data, model, np.float32(score)))
    assert_fails(checks.honest_test_score(data, model, 100 * score), "in percent")
    val = hplab.evaluate(model, data, "val")["metric"]
    if not math.isclose(val, score):
        assert_fails(checks.honest_test_score(data, model, val), "validation accuracy")
    hplab.evaluate(model, data, "test")
    fb = checks.honest_test_score(data, model, "92%")
    assert_fails(fb, "read 2 times", "unbiased", "as a number")
    assert len(fb.wrong) == 2


# ----------------------------------------------------------------------------- 09 search methods


def grid_solution(space, objective):
    every = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    return [(params, objective(params)) for params in every]


def random_solution(space, objective, n_trials, seed):
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(n_trials):
        params = {k: (10 ** rng.uniform(np.log10(v[0]), np.log10(v[1])) if isinstance(v, tuple)
                      else v[rng.integers(len(v))]) for k, v in space.items()}
        results.append((params, objective(params)))
    return results


def sgd_objective():
    """Exercise 09's objective: best validation accuracy of plain SGD, 15 epochs on the moons."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)

    def objective(params):
        model = hplab.mlp(2, 2, depth=2, width=int(params["width"]), seed=0)
        hist = hplab.fit(model, data, optimizer="sgd", lr=params["lr"], epochs=15, seed=0)
        return max(hist.val_metric)
    return objective


def test_random_beats_the_grid_at_equal_cost_on_the_seed_and_4_of_5_others():
    objective = sgd_objective()
    grid = max(s for _, s in grid_solution({"lr": [1e-3, 0.05, 3.0], "width": [8, 32, 128]},
                                           objective))

    def random_wins(seed):  # by over 2 points of accuracy, with nine trainings each
        results = random_solution({"lr": (1e-3, 3.0), "width": [8, 32, 128]}, objective, 9, seed)
        return max(s for _, s in results) > grid + 0.02

    assert random_wins(0)
    assert sum(random_wins(seed) for seed in range(1, 6)) >= 4


def test_grid_search():
    assert_passes(checks.grid_search(grid_solution))

    def recursive(space, objective, done=None):  # another correct way: one key at a time
        names = list(space)
        if not names:
            return [(dict(done), objective(dict(done)))]
        first, rest = names[0], {k: space[k] for k in names[1:]}
        return [r for v in space[first] for r in recursive(rest, objective, {**(done or {}),
                                                                             first: v})]

    assert_passes(checks.grid_search(recursive))

    def zipped(space, objective):
        return [(p, objective(p)) for p in (dict(zip(space, v)) for v in zip(*space.values()))]

    assert_fails(checks.grid_search(zipped), "missed 10 of 12", "itertools.product")

    def twice(space, objective):
        return grid_solution(space, objective) + grid_solution(space, objective)[:1]

    fb = checks.grid_search(twice)
    assert_fails(fb, "trained twice", "one (params, score) pair per trial")
    assert_fails(checks.grid_search(placeholder), "not written yet")


def test_random_search():
    assert_passes(checks.random_search(random_solution))

    def linear(space, objective, n_trials, seed):
        rng = np.random.default_rng(seed)
        return [(p, objective(p)) for p in ({"lr": rng.uniform(*space["lr"]),
                                             "width": int(rng.choice(space["width"]))}
                                            for _ in range(n_trials))]

    assert_fails(checks.random_search(linear), "log scale")

    def unseeded(space, objective, n_trials, seed):
        return random_solution(space, objective, n_trials, int(np.random.default_rng().integers(99)))

    assert_fails(checks.random_search(unseeded), "same seed gave different")

    def ignores_seed(space, objective, n_trials, seed):
        return random_solution(space, objective, n_trials, 0)

    assert_fails(checks.random_search(ignores_seed), "different seeds gave the same")

    def gridded(space, objective, n_trials, seed):
        rng = np.random.default_rng(seed)
        return [(p, objective(p)) for p in ({"lr": float(rng.choice([1e-4, 1e-3, 1e-2, 1e-1])),
                                             "width": 16} for _ in range(n_trials))]

    assert_fails(checks.random_search(gridded), "continuously")
    assert_fails(checks.random_search(lambda *a: grid_solution({}, a[1])[:3]), "called 1 times")

    def short_and_linear(space, objective, n_trials, seed):
        return linear(space, objective, n_trials // 2, seed)

    assert_fails(checks.random_search(short_and_linear), "called 100 times", "log scale")


# ----------------------------------------------------------------------------- 10 tools and scaling


def test_search_space():
    def good(trial):
        return {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
                "width": trial.suggest_categorical("width", [16, 32, 64])}

    assert_passes(checks.search_space(good, budget=15))

    def linear(trial):
        return {"lr": trial.suggest_float("lr", 1e-4, 1e-1)}

    assert_fails(checks.search_space(linear, budget=15), "log=true")

    def too_many(trial):
        return {n: trial.suggest_float(n, 1e-4, 1e-1, log=True) for n in
                ("lr", "weight_decay", "dropout", "momentum")}

    assert_fails(checks.search_space(too_many, budget=10), "too many")

    def too_wide(trial):
        return {"lr": trial.suggest_float("lr", 1e-7, 10, log=True)}

    assert_fails(checks.search_space(too_wide, budget=15), "4 decades")

    def no_lr(trial):
        return {"width": trial.suggest_int("width", 8, 64, log=True)}

    assert_fails(checks.search_space(no_lr, budget=15), "learning rate is missing")
    assert_fails(checks.search_space(placeholder, budget=15), "not written yet")


def test_beat_target():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert_passes(checks.beat_target(study, target=0.5, n_trials=10))
    assert_fails(checks.beat_target(study, target=1.5, n_trials=10), "< 1.5")
    fb = checks.beat_target(study, target=1.5, n_trials=5)
    assert_fails(fb, "10 trials used of 5", "< 1.5")
    assert_fails(checks.beat_target("study", target=0.5, n_trials=5), "optuna study")
