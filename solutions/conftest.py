"""The solution notebooks run with strict checks: a check that fails on its own solution raises."""

import os

import pytest

from hplab.checks import STRICT_ENV


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # nbval starts the notebook's kernel while its first cell is set up; the kernel keeps a copy
    # of the environment, so the variable is needed only during set-up
    os.environ[STRICT_ENV] = "1"
    try:
        yield
    finally:
        os.environ.pop(STRICT_ENV, None)
