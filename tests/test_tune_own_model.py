"""tune.search with the learner's own model factory: spaces, storage, join, pruning, final test."""

import math

import numpy as np
import optuna
import pytest
import torch
from sklearn.datasets import load_digits

import hplab
from hplab import tune
from hplab.reference import small_cnn
from hplab.tune.results import refit_epochs

FACTORY = "hplab.reference:small_cnn"
SPACE = {"channels": tune.Int(4, 16, log=True), "lr": tune.LogUniform(3e-3, 3e-2)}


@pytest.fixture(scope="module")
def images():
    digits = load_digits()
    return hplab.Data.from_arrays(digits.data.reshape(-1, 1, 8, 8), digits.target, seed=0)


def test_search_trains_the_factory_on_its_own_keys(images):
    result = tune.search(images, SPACE, model=FACTORY, method="random", n_trials=3, epochs=3)
    table = result.trials
    assert set(table["status"]) == {"completed"} and "channels" in table.columns
    assert table["val_metric"].min() > 0.5  # a CNN learned the digits, not a constant
    assert set(result.best_params) == {"channels", "lr"}
    assert all(isinstance(note, str) for note in result.health_check())  # own keys: no KeyError
    assert result.study.user_attrs["hplab"]["model"] == FACTORY
    again = tune.search(images, SPACE, model=small_cnn, method="random", n_trials=3, epochs=3)
    assert again.trials["val_loss"].tolist() == table["val_loss"].tolist()  # same seed, same run


def test_the_factory_gets_every_value_and_seeded_weights(images):
    seen = []

    def factory(params, data):
        seen.append(params)
        return small_cnn(params, data)

    tune.search(images, {"channels": tune.Choice([4])}, model=factory, fixed={"lr": 1e-2},
                method="random", n_trials=1, epochs=1, seed=3)
    assert seen == [{"channels": 4, "lr": 1e-2}]
    a, b = (tune.space.build_model(small_cnn, {}, images, 3) for _ in range(2))
    assert torch.equal(a[0].weight, b[0].weight)


def test_image_data_without_a_model_is_refused_at_once(images):
    with pytest.raises(ValueError, match=r"model=.*\(1, 8, 8\)|\(1, 8, 8\).*model="):
        tune.search(images, {"lr": tune.LogUniform(1e-3, 1e-1)}, n_trials=1, epochs=1)


def test_bad_factories_are_named(images):
    with pytest.raises(TypeError, match="must return an nn.Module"):
        tune.search(images, SPACE, model=lambda p, d: "cnn", n_trials=1, epochs=1)
    with pytest.raises(ValueError, match="cannot be imported"):
        tune.search(images, SPACE, model="no_such_module:cnn", n_trials=1, epochs=1)
    with pytest.raises(TypeError, match="package.module:function"):
        tune.search(images, SPACE, model="hplab.reference.small_cnn", n_trials=1, epochs=1)


def test_pruning_reads_the_factory_models_epochs(images):
    result = tune.search(images, SPACE, model=FACTORY, method="tpe", pruner="halving",
                         n_startup_trials=3, n_trials=6, epochs=4, seed=0)
    table = result.trials
    assert (table["status"] == "pruned").sum() >= 2
    assert (table.loc[table["status"] == "pruned", "epochs"] < 4).all()


def test_a_shared_study_stores_the_factory_name_and_join_imports_it(tmp_path):
    tabular = hplab.load_dataset("digits", seed=0).subset(300)
    wide = {"width": tune.Int(8, 32), "lr": tune.LogUniform(1e-3, 1e-2)}
    url = f"sqlite:///{tmp_path / 's.db'}"
    tune.search(tabular, wide, model=wide_mlp, n_trials=2, epochs=2, storage=url,
                study_name="own")
    name = f"{__name__}:wide_mlp"  # the name a worker imports it by
    assert tune.load(url, "own").study.user_attrs["hplab"]["model"] == name
    joined = tune.join(url, "own", n_trials=3, seed=1)
    assert len(joined.trials) == 3 and set(joined.trials["status"]) == {"completed"}
    assert joined.model is wide_mlp
    loaded = tune.load(url, "own")  # a reader gets the factory's name, and retrains with it
    assert isinstance(loaded.health_check(), list) and loaded.model == name
    final = tune.final_evaluation(tabular, loaded)
    assert final.model[0].out_features == loaded.best_params["width"]


def wide_mlp(params, data):
    """A factory importable by name (this module), as a worker needs."""
    return hplab.mlp(data.n_features, data.n_outputs, width=params["width"])


def test_join_explains_a_factory_it_cannot_import(tmp_path):
    tabular = hplab.load_dataset("digits", seed=0).subset(300)

    def local_mlp(params, data):
        return hplab.mlp(data.n_features, data.n_outputs, width=params["width"])

    url = f"sqlite:///{tmp_path / 's.db'}"
    tune.search(tabular, {"width": tune.Int(8, 32)}, model=local_mlp, n_trials=1, epochs=1,
                storage=url, study_name="local")
    with pytest.raises(ValueError, match="cannot import by name.*move it to a .py file"):
        tune.join(url, "local", n_trials=2)
    again = tune.search(tabular, {"width": tune.Int(8, 32)}, model=local_mlp, n_trials=2,
                        epochs=1, storage=url, study_name="local")  # resuming still works
    assert len(again.trials) == 2


def test_join_explains_it_cannot_rebuild_from_arrays(images, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    tune.search(images, SPACE, model=FACTORY, n_trials=1, epochs=1, storage=url,
                study_name="arrays")
    with pytest.raises(ValueError, match="Data.from_arrays.*cannot rebuild"):
        tune.join(url, "arrays", n_trials=2)


def test_wrapping_an_optuna_study_keeps_its_trial_states():
    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        for step in range(1, 4):
            trial.report(x * x + 1 / step, step)
        if x > 0.5:
            raise optuna.TrialPruned()
        return x * x

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=12)
    result = tune.SearchResult(study, {"x": tune.Float(-1, 1)}, method="random", epochs=3)
    states = {t.number: t.state.name for t in study.trials}
    status = result.trials["status"].to_dict()
    assert "failed" not in status.values()
    assert all((s == "pruned") == (states[n] == "PRUNED") for n, s in status.items())
    assert math.isclose(result.best_value, study.best_value)
    assert result.best_params == study.best_params and result.best_epoch == 3


def test_final_evaluation_takes_the_factory_and_the_winners_best_epoch(images):
    result = tune.search(images, SPACE, model=FACTORY, method="random", n_trials=2, epochs=6)
    final = tune.final_evaluation(images, result)
    best, bs = result.best_epoch, 32
    expected = refit_epochs(best, images.n_train, images.n_train + len(images.val.y), bs)
    assert final.history.epochs_run == expected < result.epochs  # not all the search's epochs
    steps_search = best * math.ceil(images.n_train / bs)
    assert abs(final.history.steps_per_epoch * expected - steps_search) <= final.history.steps_per_epoch / 2
    assert final.test_metric > 0.8 and images.test_reads == 1
    with pytest.raises(ValueError, match="model=your_factory"):
        tune.final_evaluation(images, dict(result.best_config))


def test_refit_epochs_keeps_the_optimizer_steps():
    assert refit_epochs(10, 600, 800, 32) == 8  # 10 x 19 steps = 190 ~ 8 x 25
    assert refit_epochs(10, 600, 600, 32) == 10 and refit_epochs(1, 600, 6000, 32) == 1
    assert np.isclose(refit_epochs(30, 640, 800, 1), 24)  # one example per step: 30 x 0.8
