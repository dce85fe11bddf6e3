"""Fixtures for the browser tests: Chromium through Playwright, JupyterLab on a scratch copy.

These tests only run when asked for with ``-m browser`` (``python course.py test`` does so after
the main suite). Without Chromium or Playwright they are skipped with a message saying what is
missing, except when the environment variable CI is set: there a missing browser is a failure.
"""

from __future__ import annotations

import os

import pytest
from harness import CHROMIUM_FLAGS, VIEWPORT, chromium_path, shutdown_kernels, start_lab


def pytest_collection_modifyitems(config, items):
    """Leave the browser tests out of a run that did not select them with ``-m browser``."""
    if "browser" in (config.getoption("markexpr") or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("browser") is None]
    if len(chosen) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


def _missing(what: str):
    message = f"{what}; the browser tests need it (see README: Browser tests and presentation mode)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so a missing browser is an error: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; closed after the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[dev]')")
    path = chromium_path()
    if path is None:
        _missing("Chromium was not found (apt-get install chromium, or set $CHROMIUM)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab 1280 px wide, closed after the test."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory):
    """JupyterLab serving a scratch copy of the course (``.base`` URL, ``.root`` folder)."""
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_tab(lab, browser):
    """One JupyterLab tab per test process: loading JupyterLab once saves seconds per notebook."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def lab_page(lab, lab_tab):
    """The JupyterLab tab; every kernel is shut down after the test, pass or fail."""
    try:
        yield lab_tab
    finally:
        shutdown_kernels(lab.base)
