"""Comparisons over seeds: the helpers lessons 04-06 use to show a spread instead of one draw."""

import math

import numpy as np
import pytest
import torch

import hplab
from hplab import comparisons


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", seed=0)


def test_spread_gives_median_and_range():
    s = comparisons.spread([0.3, 0.1, 0.2, 0.9])
    assert s == (0.25, 0.1, 0.9)
    assert str(s) == "median 0.25 (from 0.1 to 0.9)"
    with pytest.raises(ValueError, match="values must hold at least one number, got none"):
        comparisons.spread([])


def test_optimizer_race_trains_each_optimizer_once_per_seed_like_fit(moons):
    race = comparisons.optimizer_race(moons, {"sgd": 0.1, "adamw": 0.01}, seeds=[0, 3], epochs=2,
                                      weight_decay={"adamw": 0.1})
    assert list(race) == ["sgd", "adamw"] and all(len(h) == 2 for h in race.values())
    assert race["adamw"][1].config["weight_decay"] == 0.1
    assert race["sgd"][0].config["weight_decay"] == 0.0
    alone = hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=3), moons, optimizer="sgd", lr=0.1,
                      epochs=2, seed=3)
    assert race["sgd"][1].train_loss == pytest.approx(alone.train_loss, rel=1e-4)


@pytest.mark.parametrize("rates, weight_decay, error, words", [
    ({}, None, TypeError, "rates must be a non-empty dict optimizer -> lr"),
    ({"lion": 0.1}, None, ValueError, "optimizer 'lion' is unknown"),
    ({"sgd": 0.1}, {"lion": 0.1}, ValueError, "optimizer 'lion' is unknown"),
    ({"sgd": -1.0}, None, ValueError, "lr must be > 0"),
])
def test_optimizer_race_rejects_bad_input(moons, rates, weight_decay, error, words):
    with pytest.raises(error, match=words):
        comparisons.optimizer_race(moons, rates, seeds=[0], epochs=1, weight_decay=weight_decay)


def test_minibatch_jumps_is_the_mean_absolute_step_between_batch_losses():
    hist = hplab.History(batch_loss=[1.0, 0.5, 0.7, 0.1])
    assert comparisons.minibatch_jumps(hist) == pytest.approx((0.5 + 0.2 + 0.6) / 3)
    with pytest.raises(ValueError, match="at least two minibatch losses"):
        comparisons.minibatch_jumps(hplab.History(batch_loss=[1.0]))


def test_gradient_noise_is_zero_for_the_full_batch_and_follows_one_over_sqrt_batch(moons):
    model = hplab.mlp(2, 2, depth=2, width=32, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    noise = comparisons.gradient_noise(model, moons, [4, 64, moons.n_train], draws=150, seed=1)
    assert noise[moons.n_train] < 1e-5                     # every "minibatch" is the whole set
    n = moons.n_train  # without replacement: variance ~ (n - b) / (b (n - 1))
    expected = math.sqrt((n - 4) / 4 / ((n - 64) / 64))
    assert noise[4] / noise[64] == pytest.approx(expected, rel=0.2)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))   # untouched
    again = comparisons.gradient_noise(model, moons, [4], draws=150, seed=1)
    assert again[4] == noise[4]                                                  # same seed


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(batch_sizes=[0]), ValueError, "batch_sizes must be >= 1, got 0"),
    (dict(batch_sizes=[301]), ValueError, "batch_sizes must be <= 300, got 301"),
    (dict(batch_sizes=[4], draws=1), ValueError, "draws must be >= 2, got 1"),
])
def test_gradient_noise_rejects_bad_input(moons, kwargs, error, words):
    with pytest.raises(error, match=words):
        comparisons.gradient_noise(hplab.mlp(2, 2), moons, **kwargs)
    with pytest.raises(TypeError, match="data must be an hplab Data bundle"):
        comparisons.gradient_noise(hplab.mlp(2, 2), np.zeros(3), [4])


def test_rough_start_tracks_dead_units_per_seed_and_repeats_itself():
    data = hplab.load_dataset("moons", n_samples=1000, seed=0).subset(200)
    (m1, h1), (_, h2) = comparisons.rough_start(data, "relu", seeds=[1, 2], epochs=3)
    assert len(h1.dead_fraction) == 3 and h1.config["lr"] == 0.3
    assert h1.config["schedule"] == "cosine" and h1.dead_fraction != h2.dead_fraction
    (_, again), = comparisons.rough_start(data, "relu", seeds=[1], epochs=3)
    assert again.train_loss == h1.train_loss
    with pytest.raises(ValueError, match="activation 'swish' is unknown"):
        comparisons.rough_start(data, "swish", seeds=[1], epochs=1)
