"""The pieces fit shares with the other training tools: the settings object, the best-epoch
tracker under EarlyStopping, and the divergence rule."""

import dataclasses
import math

import pytest
import torch
from torch import nn

import hplab
from hplab.train import BestTracker, DivergenceRule, TrainSettings, best_epoch

# ----------------------------------------------------------------------------- TrainSettings


def test_settings_build_pytorchs_optimizer_and_schedule():
    s = TrainSettings(optimizer="nesterov", lr=0.2, weight_decay=1e-3, epochs=10, schedule="step",
                      schedule_options={"step_size": 4, "gamma": 0.5})
    opt = s.make_optimizer([torch.zeros(2, requires_grad=True)])
    group = opt.param_groups[0]
    assert type(opt) is torch.optim.SGD and group["nesterov"] and group["momentum"] == 0.9
    assert (group["lr"], group["weight_decay"]) == (0.2, 1e-3)
    sched = s.make_schedule(opt)
    assert type(sched) is torch.optim.lr_scheduler.StepLR and sched.step_size == 4


def test_settings_are_frozen_and_a_replaced_copy_is_checked_again():
    s = TrainSettings(lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.lr = 1.0
    assert s.replace(lr=0.05).lr == 0.05 and s.lr == 0.1
    with pytest.raises(ValueError, match="lr must be > 0, got -1"):
        s.replace(lr=-1)


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(lr=0), ValueError, "lr must be > 0, got 0"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
    (dict(epochs=2.5), TypeError, "epochs must be an integer, got float 2.5"),
    (dict(optimizer="adagrad"), ValueError, "optimizer 'adagrad' is unknown; choose one of: adam, adamw"),
    (dict(optimizer="momentum", momentum=0), ValueError, "momentum must be > 0 for optimizer 'momentum'"),
    (dict(schedule="linear"), ValueError, "schedule 'linear' is unknown"),
    (dict(schedule_options=[("gamma", 0.5)]), TypeError, "schedule_options must be a dict, got list"),
    (dict(schedule="step", schedule_options={"gamma": 2.0}), ValueError, "gamma must be <= 1, got 2"),
    (dict(clip_grad_norm=0), ValueError, "clip_grad_norm must be > 0, got 0"),
    (dict(divergence_factor=1), ValueError, "divergence_factor must be > 1, got 1"),
    (dict(seed=-1), ValueError, "seed must be >= 0, got -1"),
])
def test_bad_settings_name_the_parameter_the_rule_and_the_value(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        TrainSettings(**kwargs)


def test_fit_records_its_settings(moons):
    hist = hplab.fit(hplab.mlp(2, 2), moons, optimizer="momentum", lr=0.05, epochs=2, seed=3)
    want = TrainSettings(optimizer="momentum", lr=0.05, epochs=2, seed=3).as_config(n_train=moons.n_train)
    assert hist.config == want


# ----------------------------------------------------------------------------- BestTracker


def test_the_tracker_keeps_the_best_epoch_and_counts_the_patience():
    t = BestTracker(mode="min", patience=2, min_delta=0.1)
    assert [t.update(v, e) for e, v in enumerate([1.0, 0.95, 0.8, math.nan, 0.75], 1)] == \
        [True, False, True, False, False]
    assert (t.best, t.best_epoch, t.wait, t.exhausted) == (0.8, 3, 2, True)
    t.reset()
    assert (t.best, t.best_epoch, t.wait) == (math.inf, None, 0)
    up = BestTracker(mode="max", patience=1)
    assert up.update(0.5, 1) and not up.update(0.5, 2) and up.exhausted


def test_early_stopping_stops_where_its_tracker_runs_out(noisy_small):
    stopper = hplab.EarlyStopping(patience=3, restore_best_weights=False)
    hist = hplab.fit(hplab.mlp(2, 2, width=128, seed=0), noisy_small, lr=0.01, epochs=200,
                     early_stopping=stopper)
    tracker = BestTracker(patience=3)
    for epoch, value in zip(hist.epoch, hist.val_loss):
        tracker.update(value, epoch)
        if tracker.exhausted:
            break
    assert hist.status == "early_stopped"
    assert (hist.stopped_epoch, hist.best_epoch) == (epoch, tracker.best_epoch)
    assert hist.best_epoch == best_epoch(hist.val_loss, hist.epoch)


@pytest.mark.parametrize("kwargs, message", [
    (dict(mode="auto"), "mode 'auto' is unknown; choose one of: max, min"),
    (dict(patience=0), "patience must be >= 1, got 0"),
    (dict(min_delta=-0.1), "min_delta must be >= 0, got -0.1"),
])
def test_bad_tracker_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BestTracker(**kwargs)


# ----------------------------------------------------------------------------- divergence


def test_the_divergence_rule_for_a_minibatch_and_an_epoch():
    rule = DivergenceRule(start=0.5, factor=10)
    assert not rule.batch_blown(499.0) and rule.batch_blown(501.0)
    assert rule.batch_blown(math.nan) and rule.batch_blown(math.inf)
    assert rule.reason(None, 4.9, epoch=2) == ""
    assert rule.reason(None, 5.1, epoch=2).startswith("training loss 5.1 at epoch 2 is over 10x")
    assert "is not a number" in rule.reason((7, math.inf), 1.0, epoch=1)


def test_an_infinite_minibatch_loss_blows_up_even_when_the_start_was_infinite():
    """No finite limit can be set from an infinite starting loss; inf must still stop the run."""
    rule = DivergenceRule(start=math.inf)
    assert rule.batch_limit == math.inf and rule.batch_blown(math.inf) and not rule.batch_blown(1e30)
    X = torch.linspace(-1, 1, 100)[:, None]
    data = hplab.Data.from_arrays(X.numpy(), (3 * X).numpy(), task="regression", standardize=False,
                                  seed=0)
    net = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        net[0].weight.fill_(1e30)  # outputs near 1e30: their squares overflow float32
    hist = hplab.fit(net, data, standardize_targets=False, epochs=3)
    assert math.isinf(hist.initial["train_loss"])
    assert hist.status == "diverged" and hist.stopped_step == 1 and hist.stopped_epoch == 1


def test_early_stopping_hands_out_fresh_trackers_with_its_rule_and_says_why_it_stopped(noisy_small):
    stopper = hplab.EarlyStopping(monitor="val_metric", patience=4, min_delta=0.01)
    a, b = stopper.tracker(), stopper.tracker()
    assert a is not b and (a.mode, a.patience, a.min_delta) == ("max", 4, 0.01)
    hist = hplab.fit(hplab.mlp(2, 2, width=128, seed=0), noisy_small, lr=0.01, epochs=200,
                     early_stopping=stopper)
    assert hist.stop_reason == stopper.reason("val_metric")
    assert hist.stop_reason.startswith("val_metric did not improve by more than 0.01 for 4 epochs")


def test_the_training_split_check_names_the_rule(moons):
    split, batch = hplab.train.check_training_split(moons, None, 16.0)
    assert split is moons.train and batch == 16
    with pytest.raises(ValueError, match="batch_size must be <= the training split size \\(180\\), got 181"):
        hplab.train.check_training_split(moons, None, 181)
    with pytest.raises(TypeError, match="train_split must be a Split \\(X, y\\), got tuple"):
        hplab.train.check_training_split(moons, (moons.train.X,), 16)
