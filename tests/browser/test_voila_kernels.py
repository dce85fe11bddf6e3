"""Presentation mode gives a lesson's kernel back: a page opened by its direct address and then
closed leaves no kernel behind, within the idle-cull time ``python course.py present`` sets, both
for a lesson opened cold and for one kept ready (``present 00``: Voila's preheated kernel, whose
pool is refilled once the page has taken it, so one kernel stays ready).

Voila's page asks for its kernel to be shut down as it closes (a beacon to /voila/api/shutdown);
that request is refused when the page got no ``_xsrf`` cookie, and then culling is what frees the
kernel. Either way the kernel count must come back; the log says which path freed it.
"""

import time

import psutil
import pytest
from course_helpers import load_course
from harness import BIN, Server, copy_course, free_port, record_timing, scratch_env

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("voila")]
LESSON = "00_start_here.ipynb"  # the lightest lesson: the test is about its kernel, not its page
CULL_IDLE, CULL_INTERVAL = 10, 2  # seconds; the course's own are minutes


def kernel_processes(server: Server) -> list[psutil.Process]:
    """The server's child processes that are IPython kernels."""
    found = []
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def kernels(server: Server) -> int:
    return len(kernel_processes(server))


def wait_for(condition, seconds: float) -> float | None:
    """Seconds until ``condition()`` held, or None if it did not within ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.25)
    return None


@pytest.fixture(params=["cold", "ready"])
def voila(request, browser, tmp_path):
    """``python course.py present [00]``'s Voila with the idle-cull time shortened by its own flags."""
    root = copy_course(tmp_path / "course")
    port = free_port()
    ready = [LESSON] if request.param == "ready" else []
    cmd = load_course().voila_command(["--no-browser", f"--port={port}", "--Voila.port_retries=0",
                                       f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
                                       f"--MappingKernelManager.cull_interval={CULL_INTERVAL}"], ready)
    cmd[0] = str(BIN / "voila")  # this environment's Voila, wherever the tests run from
    server = Server("voila-kernels", cmd, cwd=root, env=scratch_env(tmp_path / "jupyter"),
                    ready_url=f"http://127.0.0.1:{port}")
    server.base, server.ready = f"http://127.0.0.1:{port}", bool(ready)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_closed_lesson_gives_its_kernel_back(voila, browser):
    if voila.ready:  # the lesson's kernel, run ahead, is waiting in its pool
        assert wait_for(lambda: "Kernel pool of" in voila.log_tail(200), 120) is not None, voila.log_tail()
    before = kernels(voila)
    assert before == int(voila.ready)
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_websocket(lambda ws: "/channels" in ws.url, timeout=120_000):
            page.goto(f"{voila.base}/voila/render/{LESSON}", timeout=120_000)
        # one kernel more: the page's own or, for a lesson kept ready, the pool's next one
        assert wait_for(lambda: kernels(voila) == before + 1, 60) is not None, kernels(voila)
        # the page is open as a learner sees it: its widgets came from the kernel, so it is connected
        # (a tab closed mid-handshake can leave the server counting a connection that never opened)
        page.locator(".widget-slider").first.wait_for(timeout=120_000)
        memory = max(k.memory_info().rss for k in kernel_processes(voila)) / 2**20
        page.close(run_before_unload=True)  # what closing the tab does: Voila's beacon is sent
    finally:
        context.close()
    if voila.ready:
        assert "Using pre-heated kernel" in voila.log_tail(200), "the lesson kept ready was run again"
    limit = CULL_IDLE + 2 * CULL_INTERVAL + 20  # the cull time, two rounds of the culler, shutdown
    took = wait_for(lambda: kernels(voila) == before, limit)
    log = voila.log_tail(200)
    path = "culled when idle" if "Culling" in log else "shut down on Voila's request"
    refused = " (the shutdown request was refused)" if "403 POST /voila/api/shutdown" in log else ""
    freed = f"freed after {took:.0f} s, {path}{refused}" if took is not None else "not freed"
    record_timing(f"voila kernel of {LESSON} ({'ready' if voila.ready else 'cold'}, {memory:.0f} MB): {freed}")
    assert took is not None, (f"{kernels(voila) - before} kernel(s) of the closed page still run "
                              f"{limit} s later:\n{log}")
