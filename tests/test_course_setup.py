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


# ----------------------------------------------------------------------------- the offline path


def test_wheelhouse_collects_the_cpu_torch_the_course_and_what_builds_it(tmp_path):
    folder = str(tmp_path / "wheels")
    torch, course_wheels, build = course.wheelhouse_commands(
        folder, "torch==2.13.0+cpu", ["--extra-index-url", course.CPU_INDEX], ["setuptools>=64"])
    assert torch[3:6] == ["download", "--dest", folder]
    assert torch[-3:] == ["--extra-index-url", course.CPU_INDEX, "torch==2.13.0+cpu"]
    # every package set-up installs, as wheels; torch found in the folder, never the CUDA build
    assert course_wheels[3:5] == ["wheel", "--wheel-dir"] and ".[dev]" in course_wheels
    assert course_wheels[-1] == "torch==2.13.0+cpu" and ["--find-links", folder] == course_wheels[6:8]
    assert course.CPU_INDEX not in course_wheels
    assert build[-1] == "setuptools>=64" and build[3:6] == ["download", "--dest", folder]
    assert all(["-c", "constraints.txt"] == cmd[i:i + 2] for cmd in (torch, course_wheels)
               for i in [cmd.index("-c")])


def test_build_requirements_read_from_pyproject():
    assert course.build_requires((ROOT / "pyproject.toml").read_text()) == ["setuptools>=64"]


@pytest.mark.parametrize("reachable", [True, False])
def test_wheelhouse_set_up_never_asks_the_network(reachable, tmp_path):
    requirement, options = course.torch_install("cpu", "2.13.0", reachable)
    commands = course.offline(course.install_commands(requirement, options), tmp_path)
    for cmd in commands:
        assert cmd[3:6] == ["--no-index", "--find-links", str(tmp_path)]
    everything = [part for cmd in commands for part in cmd]
    assert "-e" in everything and requirement in everything  # the course and the CPU build


def test_wheelhouse_option_taken_out_of_the_arguments():
    assert course.option(["--wheelhouse", "/media/usb/wheels", "-x"], "--wheelhouse") == (
        "/media/usb/wheels", ["-x"])
    assert course.option(["--wheelhouse=w"], "--wheelhouse") == ("w", [])
    assert course.option(["-x"], "--wheelhouse") == (None, ["-x"])


def test_setup_refuses_a_missing_wheelhouse(tmp_path):
    with pytest.raises(SystemExit, match="no such folder"):
        course.setup(None, str(tmp_path / "nowhere"))


def test_wheelhouse_needs_its_folder(capsys):
    assert course.main(["wheelhouse"]) == 2 and "wheelhouse DIR" in capsys.readouterr().out
