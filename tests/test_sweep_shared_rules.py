"""fit_many runs on train's rules, not a copy of them: the settings object, the early-stopping
tracker, the divergence rule and the best epoch are hplab.train's public pieces, with fit as the
oracle."""

import ast
from pathlib import Path

import pytest
from test_sweep import assert_same_run, sequential

import hplab
from hplab.sweep import fit_many


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=240, noise=0.25, seed=0)


def test_sweep_takes_only_public_names_from_train():
    def from_train(node):  # from .train import ..., from .train.callbacks import ...
        if not isinstance(node, ast.ImportFrom):
            return False
        return (node.module or "").removeprefix("hplab.").split(".")[0] == "train"

    tree = ast.parse(Path(hplab.sweep.__file__).read_text())
    taken = [alias.name for node in ast.walk(tree) if from_train(node) for alias in node.names]
    assert taken, "sweep imports nothing from hplab.train"
    assert [name for name in taken if name.startswith("_")] == []


def test_each_member_records_the_config_fit_records(moons):
    members = [dict(lr=0.05, seed=1, data_seed=4), dict(lr=0.02, momentum=0.5, seed=2)]
    hists = fit_many(moons, members, optimizer="momentum", schedule="cosine", width=8, epochs=3)
    for member, hist in zip(members, hists):
        want, _ = sequential(moons, member, optimizer="momentum", schedule="cosine", width=8,
                             epochs=3)
        for key, value in want.config.items():  # fit's "seed" orders the minibatches
            assert hist.config["data_seed" if key == "seed" else key] == value, key
        assert hist.config["seed"] == member["seed"]


@pytest.mark.parametrize("stopper", [
    dict(monitor="val_metric", patience=2, min_delta=0.01),
    dict(monitor="train_loss", patience=1, restore_best_weights=False),
])
def test_early_stopping_on_any_monitor_stops_each_member_where_fit_stops(moons, stopper):
    members = [dict(lr=0.5, seed=s) for s in range(3)]
    template = hplab.EarlyStopping(**stopper)
    hists, nets = fit_many(moons, members, optimizer="sgd", width=16, epochs=25,
                           early_stopping=template, return_models=True)
    assert any(h.status == "early_stopped" for h in hists)
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(moons, member, optimizer="sgd", epochs=25,
                                    early_stopping=hplab.EarlyStopping(**stopper))
        assert_same_run(hist, want, net, want_net)
        assert hist.stop_reason == want.stop_reason
    assert template.best_epoch is None  # a template: each member kept its own tracker


def test_a_member_that_blows_up_gets_fits_reason(moons):
    members = [dict(lr=0.05), dict(lr=80.0)]
    hists = fit_many(moons, members, optimizer="sgd", width=16, epochs=5)
    want, _ = sequential(moons, members[1], optimizer="sgd", epochs=5)
    assert hists[1].status == want.status == "diverged"
    assert hists[1].stop_reason == want.stop_reason
    assert hists[0].status == "completed"
