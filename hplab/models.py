"""Multilayer perceptrons with a named activation and a seeded initialisation.

    >>> net = mlp(2, 2, depth=2, width=32, activation="tanh", seed=0)
    >>> sum(p.numel() for p in net.parameters())
    1218
"""

from __future__ import annotations

import torch
from torch import nn

from . import _validate as check

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "linear": nn.Identity,
}

# The one table of activations: name -> module. The module type behind each name (for code that
# recognises activations in a network, such as the hand-written backward pass) comes from it.
ACTIVATION_TYPES = {name: type(make()) for name, make in ACTIVATIONS.items()}

NORMS = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


def activation_name(module: nn.Module) -> str | None:
    """The name in ``ACTIVATIONS`` of an activation module (``nn.Tanh()`` -> "tanh"), else None.

    ``nn.Identity`` counts as "linear".
    """
    for name, kind in ACTIVATION_TYPES.items():
        if type(module) is kind:
            return name
    return None


def mlp(n_inputs: int, n_outputs: int, *, depth: int = 2, width: int = 32,
        activation: str = "relu", dropout: float = 0.0, norm: str | None = None,
        seed: int = 0) -> nn.Sequential:
    """Build a fully connected network: ``depth`` hidden layers of ``width`` units each.

    Args:
        n_inputs, n_outputs: sizes of the input and the output (classes, or regression targets).
        depth: number of hidden layers; 0 gives a linear model.
        width: units per hidden layer.
        activation: one of relu, leaky_relu, sigmoid, tanh, gelu, elu, linear.
        dropout: probability of zeroing a hidden unit during training, in [0, 1).
        norm: None, "batch" (BatchNorm: each unit rescaled by its mean and spread over the
            minibatch, running averages at evaluation) or "layer" (LayerNorm: each example's
            units rescaled by their own mean and spread); placed between every hidden Linear
            layer and its activation. Such a network trains through autograd.
        seed: the initial weights depend on this alone (the global RNG is left untouched).

    Weights start with the scale that suits the activation: He (Kaiming) initialisation for
    the ReLU family, Glorot (Xavier) for sigmoid, tanh and linear, small weights in the output layer (so
    training starts from nearly even predictions); biases start at zero.

    Example:
        >>> mlp(64, 10, depth=0)
        Sequential(
          (0): Linear(in_features=64, out_features=10, bias=True)
        )
    """
    n_inputs = check.integer("n_inputs", n_inputs, low=1)
    n_outputs = check.integer("n_outputs", n_outputs, low=1)
    depth = check.integer("depth", depth, low=0, high=64)
    width = check.integer("width", width, low=1, high=4096)
    activation = check.choice("activation", activation, ACTIVATIONS)
    dropout = check.fraction("dropout", dropout)
    if norm is not None:
        norm = check.choice("norm", norm, NORMS)
    seed = check.seed(seed)

    layers: list[nn.Module] = []
    fan_in = n_inputs
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator alone: cheap, same numbers
        for _ in range(depth):
            layers.append(nn.Linear(fan_in, width))
            if norm is not None:
                layers.append(NORMS[norm](width))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            fan_in = width
        layers.append(nn.Linear(fan_in, n_outputs))
        for layer in layers[:-1]:
            if isinstance(layer, nn.Linear):
                _init(layer, activation)
        nn.init.normal_(layers[-1].weight, std=0.5 / fan_in**0.5)  # small logits: a calm start
        nn.init.zeros_(layers[-1].bias)
    net = nn.Sequential(*layers)
    net.activation = activation  # read by diagnostics and plots
    net.norm = norm
    return net


def _init(layer: nn.Linear, activation: str) -> None:
    if activation in ("relu", "leaky_relu", "gelu", "elu"):
        slope = 0.1 if activation == "leaky_relu" else 0.0
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
    else:
        gain = nn.init.calculate_gain("tanh") if activation == "tanh" else 1.0
        nn.init.xavier_normal_(layer.weight, gain=gain)
    nn.init.zeros_(layer.bias)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers, input side first."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
