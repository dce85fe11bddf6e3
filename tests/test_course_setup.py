"""course.py's choice of PyTorch build: which build on which platform, with and without a GPU,
with and without PyTorch's CPU index reachable. Pure functions only: no network, no pip."""

import http.server
import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


@pytest.mark.parametrize(
    "choice, system, gpu, build",
    [
        ("auto", "Linux", False, "cpu"),  # the learner's laptop: never the CUDA build
        ("auto", "Linux", True, "cuda"),
        ("cpu", "Linux", True, "cpu"),
        ("cuda", "Linux", False, "cuda"),
        ("cpu", "Linux", False, "cpu"),
        ("auto", "Darwin", False, "default"),  # the Package Index's macOS and Windows builds are CPU ones
        ("auto", "Windows", True, "default"),
        ("cpu", "Windows", False, "default"),
        ("cuda", "Darwin", False, "default"),
    ],
)
def test_build_by_platform_and_gpu(choice, system, gpu, build):
    assert course.torch_build(choice, system, gpu) == build


def test_unknown_build_is_refused():
    with pytest.raises(ValueError, match="--torch"):
        course.torch_build("rocm", "Linux", False)


@pytest.mark.parametrize("reachable", [True, False])
def test_cpu_build_is_asked_for_by_its_local_version(reachable):
    # "+cpu" is carried only by PyTorch's CPU wheels, so whichever source pip uses, it cannot
    # settle for the CUDA build; with the index unreachable pip is not pointed at it at all.
    requirement, options = course.torch_install("cpu", "2.13.0", reachable)
    assert requirement == "torch==2.13.0+cpu"
    assert options == (["--extra-index-url", course.CPU_INDEX] if reachable else [])


@pytest.mark.parametrize("build", ["cuda", "default"])
@pytest.mark.parametrize("reachable", [True, False])
def test_other_builds_come_from_the_package_index(build, reachable):
    assert course.torch_install(build, "2.13.0", reachable) == ("torch==2.13.0", [])


def test_cpu_build_satisfies_the_course_constraint():
    from packaging.specifiers import SpecifierSet

    pin = course.torch_version((ROOT / "constraints.txt").read_text())
    assert SpecifierSet(f"=={pin}").contains(f"{pin}+cpu")


def test_torch_version_read_from_constraints():
    assert course.torch_version("# a comment\nnumpy>=1\ntorch == 2.13.0  # pinned\n") == "2.13.0"
    with pytest.raises(ValueError):
        course.torch_version("torch>=2\n")


def test_index_asked_about_torch_alone_then_the_course():
    first, second = course.install_commands("torch==2.13.0+cpu", ["--extra-index-url", course.CPU_INDEX])
    assert first[-3:] == ["--extra-index-url", course.CPU_INDEX, "torch==2.13.0+cpu"]
    assert "-e" not in first and course.CPU_INDEX not in second
    assert second[-4:] == ["-c", "constraints.txt", "-e", ".[dev]"]


def test_without_the_index_one_pip_run_as_before():
    (only,) = course.install_commands("torch==2.13.0+cpu", [])
    assert only[-5:] == ["-c", "constraints.txt", "-e", ".[dev]", "torch==2.13.0+cpu"]
    assert not any("download.pytorch.org" in part for part in only)


def test_unreachable_index_answers_within_the_probe_time():
    start = time.monotonic()
    answer = course.probe("http://127.0.0.1:9/torch/", seconds=1.0)  # nothing listens on port 9
    assert answer() is False
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize("status, reachable", [(200, True), (404, True), (503, False)])
def test_index_that_answers_is_reachable(status, reachable):
    class Index(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index) as server:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        try:
            assert course.probe(f"http://127.0.0.1:{server.server_port}/torch/", seconds=2.0)() is reachable
        finally:
            server.shutdown()


@pytest.mark.parametrize(
    "stamp, choice, result",
    [
        ("", None, "auto"),  # first set-up
        ("h auto", None, None),  # done already
        ("h cpu", "cpu", None),
        ("h cuda", None, None),  # an earlier --torch cuda is kept by a plain `python course.py`
        ("h cuda", "cpu", "cpu"),  # a different build asked for by hand
        ("old cuda", None, "cuda"),  # pyproject.toml changed: reinstall with the same choice
        ("h", None, None),  # a set-up from before --torch existed (hash alone) stands
        ("h", "cpu", "cpu"),
    ],
)
def test_pending_set_up(stamp, choice, result):
    assert course.pending(stamp, "h", choice) == result


@pytest.mark.parametrize(
    "argv, choice, rest",
    [
        (["setup", "--torch", "cpu"], "cpu", ["setup"]),
        (["--torch=cuda"], "cuda", []),
        (["test", "-k", "x"], None, ["test", "-k", "x"]),
        (["--torch", "auto", "--port=8890"], "auto", ["--port=8890"]),
    ],
)
def test_torch_option_taken_out_of_the_arguments(argv, choice, rest):
    assert course.torch_choice(argv) == (choice, rest)


def test_bad_torch_option_stops_with_a_message():
    with pytest.raises(SystemExit, match="--torch"):
        course.torch_choice(["--torch", "gpu"])


def test_python_floor_matches_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    floor = ".".join(map(str, course.PYTHON_MIN))
    assert f'requires-python = ">={floor}"' in text
    assert sys.version_info >= course.PYTHON_MIN
