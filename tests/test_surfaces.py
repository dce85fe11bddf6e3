"""Optimizer paths on 2-D loss surfaces: PyTorch's steps match the textbook updates, and the
differences lesson 04 points at (zig-zag, momentum, per-parameter step sizes) really happen."""

import math

import numpy as np
import pytest
import torch

from hplab.surfaces import (
    SURFACES,
    compare_paths,
    describe_path,
    get_surface,
    loss_grid,
    optimizer_path,
    slope_steps,
)

A, B = 0.04, 4.0  # curvatures of the valley along x and across it (y)


def _grad(p):
    return np.array([A * p[0], B * p[1]])


def test_sgd_path_is_plain_gradient_descent():
    path = optimizer_path("valley", "sgd", lr=0.3, steps=20)
    p = np.array(SURFACES["valley"].start)
    for t in range(21):
        np.testing.assert_allclose(path.points[t], p, rtol=1e-9, atol=1e-12)
        p = p - 0.3 * _grad(p)


def test_momentum_path_is_the_heavy_ball_update():
    path = optimizer_path("valley", "momentum", lr=0.1, momentum=0.9, steps=20)
    p, v = np.array(SURFACES["valley"].start), np.zeros(2)
    for t in range(21):
        np.testing.assert_allclose(path.points[t], p, rtol=1e-9, atol=1e-12)
        v = 0.9 * v + _grad(p)  # PyTorch's form: the buffer holds summed gradients
        p = p - 0.1 * v


def test_adam_path_follows_the_published_update():
    b1, b2, lr, eps = 0.8, 0.99, 0.2, 1e-8
    path = optimizer_path("valley", "adam", lr=lr, betas=(b1, b2), steps=15)
    p, m, s = np.array(SURFACES["valley"].start), np.zeros(2), np.zeros(2)
    for t in range(1, 16):
        g = _grad(p)
        m, s = b1 * m + (1 - b1) * g, b2 * s + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(s / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(path.points[t], p, rtol=1e-7, atol=1e-9)


def test_sgd_zigzags_across_the_valley_while_momentum_gets_further_along_it():
    paths = compare_paths("valley", ["sgd", "momentum"], steps=40)
    sgd, mom = paths["sgd"], paths["momentum"]
    assert sgd.zigzag(axis=1) == 1.0           # every step reverses across the valley
    assert sgd.zigzag(axis=0) == 0.0           # ... while creeping one way along it
    start_x = SURFACES["valley"].start[0]
    assert abs(mom.points[-1, 0]) < 0.25 * abs(sgd.points[-1, 0])  # far more ground covered
    assert abs(sgd.points[-1, 0]) > 0.4 * abs(start_x)              # sgd is still far away
    assert mom.final_loss < sgd.final_loss / 10


def test_adam_takes_equal_steps_on_both_weights_whatever_their_gradients():
    start = np.array(SURFACES["valley"].start)
    g = _grad(start)
    assert abs(g[1]) > 10 * abs(g[0])          # the wall is over 10x steeper than the floor
    sgd = optimizer_path("valley", "sgd", lr=0.1, steps=1).steps[0]
    adam = optimizer_path("valley", "adam", lr=0.1, steps=1).steps[0]
    assert abs(sgd[1]) / abs(sgd[0]) == pytest.approx(abs(g[1] / g[0]))
    np.testing.assert_allclose(np.abs(adam), [0.1, 0.1], rtol=1e-6)


def test_adams_advantage_needs_the_valley_aligned_with_the_weights():
    def speedup(surface):
        paths = compare_paths(surface, ["sgd", "adam"], steps=50)
        return paths["sgd"].final_loss / paths["adam"].final_loss
    assert speedup("valley") > 10 * speedup("tilted_valley")


def test_too_large_a_step_diverges_and_stops():
    path = optimizer_path("valley", "sgd", lr=1.0, steps=500)  # 1 - lr * 4 = -3: grows 3x a step
    assert path.diverged and len(path.points) < 501
    assert not optimizer_path("valley", "sgd", lr=0.45, steps=50).diverged


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_optimizer_reaches_the_floor_with_the_suggested_rates(name):
    steps = 300 if name == "rosenbrock" else 150
    for path in compare_paths(name, steps=steps).values():
        assert not path.diverged
        assert path.final_loss < 0.2 * path.losses[0], path


def test_weight_decay_pulls_adamw_towards_the_origin():
    plain = optimizer_path("rosenbrock", "adamw", lr=0.05, steps=400, weight_decay=0.0)
    decayed = optimizer_path("rosenbrock", "adamw", lr=0.05, steps=400, weight_decay=0.5)
    assert plain.distance_to((1, 1)) < 0.05
    assert np.linalg.norm(decayed.points[-1]) < np.linalg.norm(plain.points[-1]) - 0.1


def test_loss_grid_matches_the_surface_function():
    X, Y, Z = loss_grid("rosenbrock", n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    assert X[0, 0] == -2 and X[0, -1] == 2 and Y[0, 0] == -1 and Y[-1, 0] == 3
    i, j = 3, 5
    expect = (1 - X[i, j]) ** 2 + 10 * (Y[i, j] - X[i, j] ** 2) ** 2
    assert Z[i, j] == pytest.approx(expect, rel=1e-5)
    assert float(get_surface("rosenbrock")(torch.tensor([1.0, 1.0]))) == 0.0


def test_paths_are_deterministic():
    a = optimizer_path("tilted_valley", "rmsprop", steps=30)
    b = optimizer_path("tilted_valley", "rmsprop", steps=30)
    np.testing.assert_array_equal(a.points, b.points)
    assert math.isfinite(a.final_loss)


@pytest.mark.parametrize("call, error, words", [
    (lambda: optimizer_path("canyon"), ValueError, "surface 'canyon' is unknown; choose one of"),
    (lambda: optimizer_path("valley", "lion"), ValueError, "optimizer 'lion' is unknown"),
    (lambda: optimizer_path("valley", lr=0), ValueError, "lr must be > 0, got 0"),
    (lambda: optimizer_path("valley", steps=0), ValueError, "steps must be >= 1, got 0"),
    (lambda: optimizer_path("valley", start=(1, 2, 3)), TypeError, "start must be a point"),
    (lambda: optimizer_path("valley", start=(1, "a")), TypeError, r"start\[1\] must be a number"),
    (lambda: optimizer_path("valley", "adam", betas=(0.9, 1.0)), ValueError,
     r"betas\[1\] must be < 1"),
    (lambda: compare_paths("valley", lrs={"lion": 0.1}), ValueError, "lrs key 'lion' is unknown"),
])
def test_bad_input_names_parameter_rule_and_value(call, error, words):
    with pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("optimizer, lr, label", [
    ("sgd", 0.45, "zig-zag"), ("sgd", 0.6, "diverged"), ("sgd", 0.01, "slow"),
    ("momentum", 0.12, "converged"), ("adam", 0.3, "converged"),
])
def test_describe_path_names_what_the_path_did(optimizer, lr, label):
    path = optimizer_path("valley", optimizer, lr=lr, steps=50)
    verdict = describe_path(path)
    assert verdict.label == label
    share = verdict.evidence["loss_share"]
    if label == "converged":
        assert share < 0.01
    elif label == "diverged":
        assert path.diverged or share > 1
    else:
        assert 0.01 <= share <= 1
    assert verdict.explanation and verdict.advice
    with pytest.raises(TypeError, match="path must be an OptimizerPath"):
        describe_path(verdict)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_momentum_step_on_a_steady_slope_grows_to_lr_over_one_minus_beta(beta):
    steps = slope_steps("momentum", momentum=beta, steps=2000, gradient=(1.0, 0.01), lr=0.1)
    np.testing.assert_allclose(steps[0], [-1.0, -0.01])            # the first step: lr x gradient
    np.testing.assert_allclose(steps[-1], [-1 / (1 - beta), -0.01 / (1 - beta)], rtol=1e-6)


def test_sgd_steps_copy_the_gradient_and_adam_steps_are_lr_on_every_weight():
    np.testing.assert_allclose(slope_steps("sgd", steps=5, gradient=(2.0, 0.01)), [[-2.0, -0.01]] * 5)
    adam = slope_steps("adam", steps=50, gradient=(2.0, 0.01), lr=0.3)
    np.testing.assert_allclose(adam, -np.ones((50, 2)), rtol=1e-5)   # steep or flat: lr


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(optimizer="lion"), ValueError, "optimizer 'lion' is unknown"),
    (dict(gradient=(1.0,)), TypeError, "gradient must be a pair"),
    (dict(lr=-1), ValueError, "lr must be > 0, got -1"),
    (dict(steps=0), ValueError, "steps must be >= 1, got 0"),
])
def test_slope_steps_rejects_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        slope_steps(**kwargs)
