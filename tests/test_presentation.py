"""Presentation mode (``python course.py present``) holds up: a page's kernel is shut down once it
sits idle, however the page was opened (here fetched without a browser, so no shutdown request
ever comes), while the kernels kept ready for the lessons named are never culled; those lessons
open from a kernel that has already run them."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from course_helpers import load_course

BIN = Path(sys.executable).parent




course = load_course()


def flags(cmd: list[str]) -> dict:
    return dict(f.removeprefix("--").partition("=")[::2] for f in cmd if f.startswith("--"))


def test_idle_kernels_are_culled_but_open_pages_are_not():
    given = flags(course.voila_command())
    assert int(given["MappingKernelManager.cull_idle_timeout"]) == course.CULL_IDLE_SECONDS > 0
    assert int(given["MappingKernelManager.cull_interval"]) == course.CULL_INTERVAL_SECONDS > 0
    assert given["MappingKernelManager.cull_connected"] == "False"  # a page still open keeps its kernel
    assert "preheat_kernel" not in given  # nothing is run ahead unless asked for


def test_named_lessons_alone_are_kept_ready():
    ready = course.lesson_files(["02", "09_search_methods.ipynb"])
    assert ready == ["02_learning_rate.ipynb", "09_search_methods.ipynb"]
    given = flags(course.voila_command(ready=ready))
    pools = json.loads(given["VoilaKernelManager.kernel_pools_config"])
    assert given["preheat_kernel"] == "True"
    assert pools == {"default": {"pool_size": 0}, "02_learning_rate.ipynb": {"pool_size": 1},
                     "09_search_methods.ipynb": {"pool_size": 1}}  # not a kernel for every lesson


def test_a_flag_given_by_hand_replaces_the_default():
    cmd = course.voila_command(["--MappingKernelManager.cull_idle_timeout=600", "--no-browser"])
    assert [f for f in cmd if "cull_idle_timeout" in f] == ["--MappingKernelManager.cull_idle_timeout=600"]
    assert cmd[1:3] == ["lessons", "--Voila.ip=127.0.0.1"] and "--no-browser" in cmd


@pytest.mark.parametrize("name", ["99", "0", "learning"])
def test_unknown_lesson_is_refused_with_the_numbers_there(name):
    with pytest.raises(SystemExit, match="02"):
        course.lesson_files([name])


def _kernels(server) -> set[int]:
    """The live kernel processes under the server (a shut-down one may linger as a zombie)."""
    found = set()
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:  # it ended meanwhile
            pass
    return found


def _wait(condition, seconds=90.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.25)
    return condition()


def test_fetched_page_gives_its_kernel_back_and_the_ready_one_stays(tmp_path):
    """Voila with the course's command on a one-cell lesson, culling after 2 s idle."""
    nbformat = pytest.importorskip("nbformat")
    (tmp_path / "lessons").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ready' + '-made')")])
    nbformat.write(nb, tmp_path / "lessons" / "00_tiny.ipynb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = course.voila_command(["--no-browser", f"--port={port}", "--Voila.port_retries=0",
                                "--MappingKernelManager.cull_idle_timeout=2",
                                "--MappingKernelManager.cull_interval=1"], ready=["00_tiny.ipynb"])
    cmd[0] = str(BIN / "voila")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        ready = _wait(lambda: _kernels(server))
        assert len(ready) == 1, "the named lesson gets one kernel kept ready"
        (first,) = ready
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/00_tiny.ipynb", timeout=90) as page:
            assert "ready-made" in page.read().decode()
        # the page took the ready kernel and another is made ready; the page's is culled once idle
        assert _wait(lambda: first not in _kernels(server)), "a fetched page's kernel was never shut down"
        time.sleep(4)  # two more cull rounds past the idle timeout
        assert len(_kernels(server)) == 1, "the kernel kept ready was culled too"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
