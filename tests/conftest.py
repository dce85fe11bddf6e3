"""Shared fixtures: small, seeded datasets so the tests stay fast."""

import sys

import pytest

import hplab


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew, so hundreds of them do not pile up in one worker."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


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


# Files of a few long tests, started first under ``--dist loadfile`` (``python course.py test``):
# pytest-xdist hands out the files with the most tests first, which would leave these to the end.
SLOW_FILES = ("tests/test_offline_setup.py",)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SlowFilesFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            for scope in [s for s in self.workqueue if s in SLOW_FILES]:
                self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return SlowFilesFirst(config, log)
