"""Presentation mode: lessons served by Voila (``python course.py present``) pass the same check.

The lessons that hold a dashboard come first; two of them are opened, their widgets must be
drawn, no code may show, and moving a slider must change the figure and the diagnosis.
"""

import importlib.util
import json

import pytest
from harness import BIN, ROOT, Server, copy_course, discover, free_port, record_timing, scratch_env
from pagecheck import check_voila_page
from samples import DASHBOARD, write

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("voila")]
N_LESSONS = 2


def presented_lessons(n: int = N_LESSONS) -> list[str]:
    """The first ``n`` lessons, those with a dashboard first."""
    lessons = [p for p in discover() if p.startswith("lessons/")]
    has_dashboard = lambda p: "widgets." in (ROOT / p).read_text()  # noqa: E731
    return sorted(lessons, key=lambda p: (not has_dashboard(p), p))[:n]


def course_module():
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def voila(browser, tmp_path_factory):
    """``python course.py present``'s Voila command on a scratch copy: (base URL, lessons folder)."""
    work = tmp_path_factory.mktemp("voila")
    root = copy_course(work / "course")
    port = free_port()
    cmd = course_module().voila_command(["--no-browser", f"--port={port}", "--Voila.port_retries=0"])
    cmd[0] = str(BIN / "voila")  # this environment's Voila, wherever the tests run from
    base = f"http://127.0.0.1:{port}"
    server = Server("voila", cmd, cwd=root, env=scratch_env(work / "jupyter"), ready_url=base)
    server.start()
    try:
        yield base, root / "lessons"
    finally:
        server.stop()


def test_present_command_serves_lessons_without_code():
    cmd = course_module().voila_command()
    assert cmd[1:3] == ["lessons", "--Voila.ip=127.0.0.1"] and "--strip_sources=True" in cmd


@pytest.mark.parametrize("path", presented_lessons())
def test_lesson_in_presentation_mode(voila, page, path, record_property):
    name = path.removeprefix("lessons/")
    report = check_voila_page(page, f"{voila[0]}/voila/render/{name}", "voila-" + name[:-6])
    record_property("timings", report.summary())
    record_timing(report.summary())
    assert not report.problems, (
        f"{path} looks broken in presentation mode (screenshot: {report.screenshot}):\n- "
        + "\n- ".join(report.problems))
    code = page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor")
    assert code.count() == 0, f"{path}: presentation mode shows code"
    n_cells = len(json.loads((ROOT / path).read_text())["cells"])
    assert page.locator(".jp-Cell").count() >= min(n_cells, 1), f"{path}: nothing was rendered"


def test_presentation_check_can_fail(voila, page):
    """A slider whose callback raises and a cell that raises are reported in Voila too."""
    base, lessons = voila
    path = write(lessons, "zz_broken.ipynb", [DASHBOARD, "dashboard(broken=True)", "1 / 0"])
    report = check_voila_page(page, f"{base}/voila/render/{path.split('/')[-1]}", "check-voila")
    text = "\n".join(report.problems)
    assert "did not change the figure" in text
    assert "cell 3 raised an error" in text
