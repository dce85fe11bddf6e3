import pytest
import torch
from torch import nn

import hplab


def test_depth_and_width_build_the_expected_layers():
    net = hplab.mlp(2, 3, depth=3, width=16, activation="tanh")
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 16), (16, 16), (16, 16), (16, 3)]
    assert sum(isinstance(m, nn.Tanh) for m in net) == 3


def test_depth_zero_is_a_linear_model():
    net = hplab.mlp(64, 10, depth=0)
    assert len(net) == 1 and isinstance(net[0], nn.Linear)


def test_dropout_layers_only_when_asked():
    assert not any(isinstance(m, nn.Dropout) for m in hplab.mlp(2, 2, depth=2))
    assert sum(isinstance(m, nn.Dropout) for m in hplab.mlp(2, 2, depth=2, dropout=0.3)) == 2


@pytest.mark.parametrize("name", sorted(hplab.ACTIVATIONS))
def test_every_activation_builds_and_runs(name):
    net = hplab.mlp(2, 2, activation=name)
    assert net(torch.zeros(5, 2)).shape == (5, 2)


def test_seed_fixes_initial_weights_without_touching_global_rng():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = hplab.mlp(2, 2, seed=7)
    after = torch.rand(1)
    assert torch.equal(before, after)  # global stream untouched
    b = hplab.mlp(2, 2, seed=7)
    c = hplab.mlp(2, 2, seed=8)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a[0].weight, c[0].weight)


def test_parameter_count():
    assert hplab.count_parameters(hplab.mlp(2, 2, depth=2, width=32)) == (2 * 32 + 32) + (32 * 32 + 32) + (32 * 2 + 2)


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(depth=-1), ValueError, "depth must be >= 0, got -1"),
    (dict(width=0), ValueError, "width must be >= 1, got 0"),
    (dict(dropout=1.0), ValueError, "dropout must be < 1"),
    (dict(activation="relu6"), ValueError, "activation 'relu6' is unknown; choose one of: elu, gelu"),
    (dict(width=3.5), TypeError, "width must be an integer"),
    (dict(depth=True), TypeError, "depth must be an integer"),
])
def test_bad_model_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        hplab.mlp(2, 2, **kwargs)
