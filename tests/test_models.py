import pytest
import torch
from torch import nn

import hplab
from hplab.models import ACTIVATION_TYPES, activation_name, linear_layers
from hplab.train._fast import _DERIVATIVES, Backprop


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


@pytest.mark.parametrize("norm, kind", [("batch", torch.nn.BatchNorm1d), ("layer", torch.nn.LayerNorm)])
def test_norm_layer_sits_between_each_hidden_linear_and_its_activation(norm, kind):
    net = hplab.mlp(3, 2, depth=3, width=8, norm=norm, dropout=0.1, seed=0)
    names = [type(m).__name__ for m in net]
    assert names == ["Linear", kind.__name__, "ReLU", "Dropout"] * 3 + ["Linear"]
    assert all(m.normalized_shape == (8,) if norm == "layer" else m.num_features == 8
               for m in net if isinstance(m, kind))
    assert net.norm == norm and hplab.mlp(3, 2, seed=0).norm is None
    plain = hplab.mlp(3, 2, depth=3, width=8, dropout=0.1, seed=0)
    for a, b in zip(linear_layers(net), linear_layers(plain)):
        assert torch.equal(a.weight, b.weight)  # the same initial weights as without norm


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_normalized_network_outputs_unit_scale_hidden_units_and_trains(norm):
    torch.manual_seed(0)
    x = 50 * torch.randn(64, 3) + 10  # badly scaled inputs
    net = hplab.mlp(3, 2, depth=2, width=16, norm=norm, seed=0).train()
    normed = net[1](net[0](x))
    dim = 0 if norm == "batch" else 1
    assert torch.allclose(normed.mean(dim=dim), torch.zeros(1), atol=1e-4)
    assert torch.allclose(normed.std(dim=dim, unbiased=False), torch.ones(1), atol=1e-2)
    data = hplab.load_dataset("moons", seed=0)
    h = hplab.fit(hplab.mlp(2, 2, norm=norm, seed=0), data, lr=1e-2, epochs=5)
    assert h.val_metric[-1] > 0.8 and h.train_loss[-1] < h.initial["train_loss"]


def test_unknown_norm_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="norm 'group' is unknown; choose one of: batch, layer"):
        hplab.mlp(2, 2, norm="group")


def test_one_table_of_activations_names_every_module_type():
    assert set(ACTIVATION_TYPES) == set(hplab.ACTIVATIONS)
    for name in hplab.ACTIVATIONS:
        net = hplab.mlp(2, 2, depth=1, activation=name)
        assert activation_name(net[1]) == name
    assert activation_name(nn.Linear(2, 2)) is None


def test_the_hand_written_backward_pass_knows_every_activation_of_the_table():
    assert set(_DERIVATIVES) == set(hplab.ACTIVATIONS) - {"linear"}
    for name in hplab.ACTIVATIONS:
        assert Backprop.of(hplab.mlp(2, 2, activation=name), "classification") is not None
