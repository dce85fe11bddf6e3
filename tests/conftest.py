"""Shared fixtures: small, seeded datasets so the tests stay fast."""

import pytest

import hplab


@pytest.fixture(scope="session")
def spirals():
    return hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)


@pytest.fixture(scope="session")
def moons():
    return hplab.load_dataset("moons", n_samples=300, noise=0.2, seed=0)


@pytest.fixture(scope="session")
def noisy_small():
    """Few, noisy training examples: a big network will memorize them."""
    data = hplab.load_dataset("moons", n_samples=600, noise=0.3, label_noise=0.1, seed=0)
    return data.subset(60, seed=0)
