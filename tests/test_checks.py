"""Every exercise check passes on the solution's answer and fails, with a useful message, on the
placeholder and on the typical wrong answers."""

import copy
import itertools
import math

import numpy as np
import optuna
import pytest
import torch

import hplab
from hplab import checks


def placeholder(*args, **kwargs):
    raise NotImplementedError


def text(fb):
    return str(fb).lower()


def assert_fails(fb, *words):
    assert not fb.passed and not bool(fb), str(fb)
    for word in words:
        assert word.lower() in text(fb), f"{word!r} not in feedback:\n{fb}"


def assert_passes(fb):
    assert fb.passed and bool(fb), str(fb)


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0)


def train(data, **kw):
    model = hplab.mlp(data.n_features, data.n_outputs, depth=kw.pop("depth", 2),
                      width=kw.pop("width", 32), dropout=kw.pop("dropout", 0.0), seed=0)
    return model, hplab.fit(model, data, seed=0, **kw)


# ----------------------------------------------------------------------------- feedback object


def test_feedback_renders_right_wrong_and_hint_in_html_and_text():
    fb = checks.Feedback("t", right=["a < b"], wrong=["c"], hint="try d")
    html = fb._repr_html_()
    assert "Not yet" in html and "a &lt; b" in html and "try d" in html
    assert "NOT YET" in str(fb) and "hint try d" in str(fb)
    ok = checks.Feedback("t", right=["fine"], hint="hidden when passed")
    assert "Passed" in ok._repr_html_() and "hidden" not in ok._repr_html_()


def test_learner_errors_become_feedback_not_tracebacks():
    def broken(n, b):
        return n / undefined_name  # noqa: F821

    assert_fails(checks.updates_per_epoch(broken), "NameError")
    assert_fails(checks.updates_per_epoch(placeholder), "not written yet")
    assert_fails(checks.updates_per_epoch(42), "should be a function")


# ----------------------------------------------------------------------------- 01


@pytest.fixture(scope="module")
def lr_runs(moons):
    return {lr: train(moons, optimizer="sgd", lr=lr, epochs=30)[1] for lr in (1e-3, 0.1, 4.0)}


def test_learning_rate_predictions(lr_runs):
    right = {1e-3: "slow", 0.1: "good", 4.0: "diverged"}
    assert_passes(checks.learning_rate_predictions(right, lr_runs))
    swapped = {**right, 1e-3: "good", 0.1: "slow"}
    assert_fails(checks.learning_rate_predictions(swapped, lr_runs), "you predicted 'good'")
    assert_fails(checks.learning_rate_predictions({1e-3: "slow"}, lr_runs), "no prediction")
    assert_fails(checks.learning_rate_predictions({**right, 4.0: "boom"}, lr_runs),
                 "not diagnoses")
    narrow = {k: lr_runs[k] for k in (0.1,)}
    assert_fails(checks.learning_rate_predictions({0.1: "good"}, narrow), "spanning 100x")
    assert_fails(checks.learning_rate_predictions(right, [1, 2]), "dict of history")


def test_best_learning_rate_is_judged_on_validation_loss(lr_runs):
    assert_passes(checks.best_learning_rate(0.1, lr_runs))
    assert_fails(checks.best_learning_rate(4.0, lr_runs), "lowest validation loss")


def test_best_learning_rate_names_picking_by_training_loss():
    def hist(train_loss, val_loss):
        return hplab.History(epoch=[1], train_loss=[train_loss], val_loss=[val_loss])

    runs = {0.1: hist(0.1, 0.9), 0.01: hist(0.3, 0.4)}
    assert_passes(checks.best_learning_rate(0.01, runs))
    assert_fails(checks.best_learning_rate(0.1, runs), "picked by training loss")


# ----------------------------------------------------------------------------- 02


def fake_range_test(lrs):
    """A loss curve shaped like a real range test: flat, falling, bottom at 1e-1, blowing up."""
    x = np.log10(lrs)
    return list(1.0 - 0.8 / (1 + np.exp(-3 * (x + 2.5))) + np.where(x > -1, (x + 1) ** 2 * 5, 0))


def test_lr_range_test_accepts_geometric_sweep_and_names_mistakes():
    lrs = list(np.geomspace(1e-5, 10, 60))
    assert_passes(checks.lr_range_test(lrs, fake_range_test(np.array(lrs))))
    linear = list(np.linspace(1e-5, 10, 60))
    assert_fails(checks.lr_range_test(linear, fake_range_test(np.array(linear))), "fixed factor")
    short = list(np.geomspace(1e-5, 1e-3, 60))
    assert_fails(checks.lr_range_test(short, fake_range_test(np.array(short))),
                 "decades", "never turned up")
    assert_fails(checks.lr_range_test(lrs, fake_range_test(np.array(lrs))[:-1]), "one loss per")
    assert_fails(checks.lr_range_test([], []), "at least 20")


def test_lr_choice_wants_a_rate_about_a_decade_below_the_bottom():
    lrs = np.geomspace(1e-5, 10, 120)
    losses = fake_range_test(lrs)
    bottom = lrs[int(np.argmin(checks._smooth(losses))) + 2]
    assert 0.03 < bottom < 0.3
    assert_passes(checks.lr_choice(bottom / 10, lrs, losses))
    assert_fails(checks.lr_choice(bottom, lrs, losses), "bottom of the curve")
    assert_fails(checks.lr_choice(bottom * 5, lrs, losses), "blow up")
    assert_fails(checks.lr_choice(bottom / 1.2, lrs, losses), "too close")
    assert_fails(checks.lr_choice(bottom / 1000, lrs, losses), "cautious")
    assert_fails(checks.lr_choice("0.01", lrs, losses), "positive number")


# ----------------------------------------------------------------------------- 03


@pytest.fixture(scope="module")
def mysteries():
    return checks.mystery_runs(seed=0)


def test_mystery_runs_hold_one_run_of_each_kind(mysteries):
    labels = sorted(hplab.diagnose(h).label for h in mysteries.values())
    assert labels == sorted(checks.LABELS)
    assert list(mysteries) == list("ABCDEF")


def test_mystery_runs_are_shuffled_by_seed():
    order = [checks.np.random.default_rng(s).permutation(6).tolist() for s in (0, 1)]
    assert order[0] != order[1]


def test_mystery_diagnoses(mysteries):
    truth = {k: hplab.diagnose(h).label for k, h in mysteries.items()}
    assert_passes(checks.mystery_diagnoses(truth, mysteries))
    a, b = "A", "B"
    swapped = {**truth, a: truth[b], b: truth[a]}
    fb = checks.mystery_diagnoses(swapped, mysteries)
    assert_fails(fb, f"run {a}: you said", "look again")
    assert sum("look again" in w for w in fb.wrong) == 2
    assert_fails(checks.mystery_diagnoses({}, mysteries), "no answer yet")
    assert_fails(checks.mystery_diagnoses(dict(truth, A="bad luck"), mysteries), "is not one of")


@pytest.fixture(scope="module")
def overfit(moons):
    small = moons.subset(40, seed=0)
    settings = dict(optimizer="adam", lr=1e-2, epochs=150, batch_size=16, depth=3, width=128)
    return small, settings, train(small, **settings)[1]


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


# ----------------------------------------------------------------------------- 04


def epochs_to_reach_solution(hist, target):
    for epoch, metric in zip(hist.epoch, hist.val_metric):
        if metric >= target:
            return epoch
    return None


def test_epochs_to_reach():
    assert_passes(checks.epochs_to_reach(epochs_to_reach_solution))
    assert_fails(checks.epochs_to_reach(placeholder), "not written yet")

    def zero_based(hist, target):
        return next((i for i, m in enumerate(hist.val_metric) if m >= target), None)

    assert_fails(checks.epochs_to_reach(zero_based), "count from 1")

    def minus_one(hist, target):
        return epochs_to_reach_solution(hist, target) or -1

    assert_fails(checks.epochs_to_reach(minus_one), "return none")

    def strict(hist, target):
        return next((e for e, m in zip(hist.epoch, hist.val_metric) if m > target), None)

    assert_fails(checks.epochs_to_reach(strict), "exactly equal")


def test_optimizer_ranking():
    fake = checks._fake_history
    runs = {"sgd": fake([0.5, 0.6, 0.7]), "adam": fake([0.8, 0.95]), "momentum": fake([0.7, 0.91])}
    assert_passes(checks.optimizer_ranking(["adam", "momentum", "sgd"], runs, 0.9))
    assert_fails(checks.optimizer_ranking(["sgd", "momentum", "adam"], runs, 0.9), "does not match")


# ----------------------------------------------------------------------------- 05


def test_updates_per_epoch():
    assert_passes(checks.updates_per_epoch(lambda n, b: math.ceil(n / b)))
    assert_fails(checks.updates_per_epoch(lambda n, b: n // b), "last, smaller batch")
    assert_fails(checks.updates_per_epoch(lambda n, b: n), "expected")


@pytest.fixture(scope="module")
def batch_runs(moons):
    return {b: train(moons, lr=1e-2, epochs=5, batch_size=b)[1] for b in (8, 120)}


def test_batch_noise(batch_runs):
    def solution(hist):
        return float(np.std(hist.batch_loss[-hist.steps_per_epoch:]))

    assert_passes(checks.batch_noise(solution, batch_runs))
    assert solution(batch_runs[8]) > solution(batch_runs[120])  # the lesson's claim
    assert_fails(checks.batch_noise(lambda h: float(np.std(h.batch_loss)), batch_runs),
                 "whole run")
    assert_fails(checks.batch_noise(lambda h: float(np.std(h.train_loss)), batch_runs), "expected")
    assert_fails(checks.batch_noise(placeholder, batch_runs), "not written yet")


# ----------------------------------------------------------------------------- 06


def test_gradient_ratio_and_the_vanishing_gradient_it_measures(moons):
    runs = {}
    for act in ("sigmoid", "relu"):
        model = hplab.mlp(2, 2, depth=6, width=32, activation=act, seed=0)
        runs[act] = hplab.fit(model, moons, lr=1e-2, epochs=1, track_gradients=True, seed=0)

    def solution(hist):
        return hist.grad_norms[0][0] / hist.grad_norms[0][-1]

    assert_passes(checks.gradient_ratio(solution, runs))
    assert solution(runs["sigmoid"]) < solution(runs["relu"]) / 10  # the lesson's claim
    assert_fails(checks.gradient_ratio(lambda h: 1 / solution(h), runs), "other way round")
    assert_fails(checks.gradient_ratio(placeholder, runs), "not written yet")
    no_grads = {"relu": hplab.History(epoch=[1])}
    assert_fails(checks.gradient_ratio(solution, no_grads), "track_gradients=true")


# ----------------------------------------------------------------------------- 07


class HandStopping(hplab.Callback):
    """The solution: patience counted on val_loss, best weights put back."""

    def __init__(self, patience=5):
        self.patience = patience

    def on_train_begin(self, trainer):
        self.best, self.wait, self.best_state = math.inf, 0, None

    def on_epoch_end(self, trainer, epoch, logs):
        if logs["val_loss"] < self.best:
            self.best, self.wait = logs["val_loss"], 0
            self.best_state = copy.deepcopy(trainer.model.state_dict())
        else:
            self.wait += 1
            trainer.stop = self.wait >= self.patience

    def on_train_end(self, trainer):
        if self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)


class NoRestore(HandStopping):
    def on_train_end(self, trainer):
        pass


class OffByOne(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        trainer.stop = self.wait > self.patience


class NoReset(HandStopping):
    def __init__(self, patience=5):
        super().__init__(patience)
        super().on_train_begin(None)

    def on_train_begin(self, trainer):
        pass


class KeepsReference(HandStopping):
    """Saves the state dict without copying: it then follows the live weights."""

    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        if self.wait == 0:
            self.best_state = trainer.model.state_dict()


class Unwritten(hplab.Callback):
    def __init__(self, patience=5):
        raise NotImplementedError


def test_early_stopping_callback_passes_on_solution():
    assert_passes(checks.early_stopping_callback(HandStopping))


@pytest.mark.parametrize("cls, words", [
    (NoRestore, ["weights of epoch 7", "best epoch 4"]),
    (KeepsReference, ["weights of epoch 7", "deepcopy"]),
    (OffByOne, ["stopped at epoch 8", "off-by-one"]),
    (NoReset, ["remembered the first run", "on_train_begin"]),
    (Unwritten, ["not written yet"]),
    (int, ["subclass of hplab.callback"]),
])
def test_early_stopping_callback_names_the_typical_mistakes(cls, words):
    assert_fails(checks.early_stopping_callback(cls), *words)


def test_hand_written_stopping_matches_hplab(moons):
    small = moons.subset(60, seed=0)
    mine = train(small, lr=1e-2, epochs=80, callbacks=[HandStopping(patience=5)])
    ref = train(small, lr=1e-2, epochs=80, early_stopping=hplab.EarlyStopping(patience=5))
    assert ref[1].status == "early_stopped"
    assert_passes(checks.same_as_reference(mine, ref, small))
    lazy = train(small, lr=1e-2, epochs=80, callbacks=[NoRestore(patience=5)])
    assert_fails(checks.same_as_reference(lazy, ref, small), "best weights restored")


# ----------------------------------------------------------------------------- 08


def grid_solution(space, objective):
    results = []
    for values in itertools.product(*space.values()):
        params = dict(zip(space, values))
        results.append((params, objective(params)))
    return results


def random_solution(space, objective, n_trials, seed):
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(n_trials):
        params = {k: (10 ** rng.uniform(np.log10(v[0]), np.log10(v[1])) if isinstance(v, tuple)
                      else v[rng.integers(len(v))]) for k, v in space.items()}
        results.append((params, objective(params)))
    return results


def test_grid_search():
    assert_passes(checks.grid_search(grid_solution))

    def zipped(space, objective):
        return [(p, objective(p)) for p in (dict(zip(space, v)) for v in zip(*space.values()))]

    assert_fails(checks.grid_search(zipped), "missed 10 of 12", "itertools.product")

    def twice(space, objective):
        return grid_solution(space, objective) + grid_solution(space, objective)[:1]

    assert_fails(checks.grid_search(twice), "trained twice")
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


# ----------------------------------------------------------------------------- 09


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
    assert_fails(checks.beat_target(study, target=0.5, n_trials=5), "10 trials used of 5")
    assert_fails(checks.beat_target("study", target=0.5, n_trials=5), "optuna study")


# ----------------------------------------------------------------------------- 10


def test_honest_test_score():
    data = hplab.load_dataset("digits", n_samples=400, seed=0)
    model = hplab.mlp(64, 10, seed=0)
    hplab.fit(model, data, lr=1e-2, epochs=3)
    assert_fails(checks.honest_test_score(data, model, 0.5), "never read")
    score = hplab.evaluate(model, data, "test")["metric"]
    assert_passes(checks.honest_test_score(data, model, score))
    val = hplab.evaluate(model, data, "val")["metric"]
    if not math.isclose(val, score):
        assert_fails(checks.honest_test_score(data, model, val), "validation accuracy")
    hplab.evaluate(model, data, "test")
    assert_fails(checks.honest_test_score(data, model, score), "read 2 times", "unbiased")
    assert_fails(checks.honest_test_score(data, model, "92%"), "as a number")


def test_checks_leave_the_global_random_state_alone():
    before = torch.random.get_rng_state()
    checks.updates_per_epoch(lambda n, b: math.ceil(n / b))
    assert torch.equal(before, torch.random.get_rng_state())


def test_strict_mode_turns_a_failing_check_into_an_error(monkeypatch):
    monkeypatch.setenv(checks.STRICT_ENV, "1")
    assert_passes(checks.updates_per_epoch(lambda n, b: math.ceil(n / b)))
    with pytest.raises(AssertionError, match="last, smaller batch"):
        checks.updates_per_epoch(lambda n, b: n // b)
    monkeypatch.setenv(checks.STRICT_ENV, "0")
    assert_fails(checks.updates_per_epoch(lambda n, b: n // b), "last, smaller batch")
