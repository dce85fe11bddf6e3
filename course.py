"""Set up the hplab course and open it, or run its tests. Needs only Python (>= 3.11) and pip.

    python course.py          set up (first time only) and open the lessons in JupyterLab
    python course.py test     run the whole test suite, then every notebook in a real browser
    python course.py setup    set up only (what the first command does before it opens JupyterLab)
    python course.py present  show the lessons as slides-like pages with Voila (no code)

    --torch cpu|cuda|auto     which PyTorch build to install (default: auto, see below)

Everything is installed into ./.venv, so nothing else on the machine changes. PyTorch is pinned
(constraints.txt); a GPU is not needed for this course. On Linux, the Python Package Index's
PyTorch is the CUDA build, about 2.7 GB to download with its NVIDIA libraries; so without an NVIDIA
GPU (or with --torch cpu) the set-up takes the CPU build (about 190 MB) from PyTorch's own CPU
index, or from a wheel pip already finds on this machine when that index cannot be reached.
On macOS and Windows the Package Index's build is already the CPU one.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".hplab-installed"
PYTHON_MIN = (3, 11)  # the oldest Python the course is tested on; pyproject.toml says the same
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_SECONDS = 3.0  # how long to wait for PyTorch's index before using what is on this machine
BUILDS = ("auto", "cpu", "cuda")


def run(*cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, **kw).returncode


def wanted() -> str:
    text = b"".join((ROOT / f).read_bytes() for f in ("pyproject.toml", "constraints.txt"))
    return hashlib.sha256(text).hexdigest()


def torch_version(constraints: str) -> str:
    """The version constraints.txt pins torch to (``torch==X``)."""
    for line in constraints.splitlines():
        name, sep, version = line.split("#")[0].replace(" ", "").partition("==")
        if sep and name.lower() == "torch":
            return version
    raise ValueError("constraints.txt does not pin torch (a line such as torch==2.13.0)")


def torch_build(choice: str, system: str, has_gpu: bool) -> str:
    """Which PyTorch build to install: "cpu" (PyTorch's CPU index), "cuda" or "default" (the
    Python Package Index's build). Only on Linux do these differ: there the Package Index's build
    is the CUDA one; on macOS and Windows it is already the CPU build."""
    if choice not in BUILDS:
        raise ValueError(f"--torch must be one of {', '.join(BUILDS)}, not {choice!r}")
    if system != "Linux":
        return "default"
    if choice == "auto":
        return "cuda" if has_gpu else "cpu"
    return choice


def torch_install(build: str, version: str, index_reachable: bool) -> tuple[str, list[str]]:
    """The torch requirement and pip options for a build. The CPU build is asked for by its
    local version (``2.13.0+cpu``), which only PyTorch's CPU wheels carry: whether it comes from
    the index or, when the index cannot be reached, from a wheel pip finds locally (its
    find-links, a wheelhouse, a local index), pip can never fall back to the CUDA build."""
    if build != "cpu":
        return f"torch=={version}", []
    return f"torch=={version}+cpu", (["--extra-index-url", CPU_INDEX] if index_reachable else [])


def install_commands(requirement: str, options: list[str]) -> list[list[str]]:
    """pip commands for the course. With PyTorch's index, torch comes first on its own, so the
    index is asked about torch and its few dependencies only, not every package of the course."""
    pip = ["-m", "pip", "install", "--disable-pip-version-check"]
    course = [*pip, "-c", "constraints.txt", "-e", ".[dev]"]
    if options:
        return [[*pip, "-c", "constraints.txt", *options, requirement], course]
    return [[*course, requirement]]


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (Linux), or nvidia-smi is on PATH and finds a GPU."""
    if Path("/proc/driver/nvidia/version").exists():
        return True
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        return subprocess.run([smi, "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def probe(url: str = CPU_INDEX + "/torch/", seconds: float = PROBE_SECONDS):
    """Start asking whether ``url`` answers; returns a function that waits at most ``seconds``
    (name look-up included) for the answer. Runs in the background while the venv is created."""
    answer = []

    def ask():
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=seconds) as r:
                answer.append(r.status < 500)
        except urllib.error.HTTPError as e:  # it answered; pip would wait and retry on 5xx only
            answer.append(e.code < 500)
        except Exception:
            answer.append(False)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()

    def result() -> bool:
        thread.join(seconds)
        return bool(answer and answer[0])

    return result


def pending(stamp: str, wanted: str, choice: str | None) -> str | None:
    """The --torch choice to install with, or None when the set-up is already done. ``stamp``
    holds what the last set-up installed (its inputs' hash and its choice). Without --torch an
    earlier choice is kept; the first time it is "auto"."""
    done = stamp.split()
    earlier = done[1] if len(done) > 1 else "auto"
    if done[:1] == [wanted] and choice in (None, earlier):
        return None
    return choice or earlier


def setup(choice: str | None = None) -> int:
    if sys.version_info < PYTHON_MIN:
        sys.exit(f"hplab needs Python {'.'.join(map(str, PYTHON_MIN))} or newer; "
                 f"this is {sys.version.split()[0]}")
    choice = pending(STAMP.read_text() if STAMP.exists() else "", wanted(), choice)
    if choice is None:
        return 0
    system = platform.system()
    build = torch_build(choice, system, system == "Linux" and has_nvidia_gpu())
    reachable = probe() if build == "cpu" else (lambda: False)
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    version = torch_version((ROOT / "constraints.txt").read_text())
    index_reachable = reachable()
    requirement, options = torch_install(build, version, index_reachable)
    where = {"cpu": f"from {CPU_INDEX}" if options else f"on this machine ({CPU_INDEX} cannot be reached)",
             "cuda": "from the Python Package Index", "default": "from the Python Package Index"}
    print(f"PyTorch build: {build}, {requirement} {where[build]}", flush=True)
    for cmd in install_commands(requirement, options):
        code = run(PY, *cmd)
        if code:
            if build == "cpu" and not options:
                print(f"\nIf pip found no {requirement}: connect to {CPU_INDEX} and run this again,"
                      " or give pip a folder of wheels (PIP_FIND_LINKS=/path/to/wheels), or take the"
                      " Python Package Index's CUDA build with --torch cuda (about 2.7 GB).", file=sys.stderr)
            return code
    run(PY, "-c", "import importlib.metadata as m; print('Installed torch', m.version('torch'))")
    STAMP.write_text(f"{wanted()} {choice}\n")
    return 0


def lab_flags() -> list[str]:
    flags = ["--ip=127.0.0.1"]  # only this computer can connect; the token stays on
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--allow-root")  # containers and CI machines often run as root
    return flags


def open_lab(extra) -> int:
    start = "lessons/00_start_here.ipynb"
    return run(BIN / "jupyter", "lab", *lab_flags(), f"--ServerApp.root_dir={ROOT}", start, *extra)


def test(extra) -> int:
    code = run(PY, "-m", "pytest", "-n", "2", "--dist", "loadfile", *extra)
    # Then every notebook in a real browser (JupyterLab and Voila in Chromium): one JupyterLab
    # per worker, notebooks shared out one at a time. Exit code 5: -k chose none of them.
    browser = run(PY, "-m", "pytest", "-m", "browser", "-n", "2", "--dist", "loadgroup",
                  "tests/browser", *extra)
    return code or (0 if browser == 5 else browser)


def voila_command(extra=()) -> list[str]:
    """Presentation mode: every lesson's outputs and dashboards, no code, on this computer only."""
    return [str(BIN / "voila"), "lessons", "--Voila.ip=127.0.0.1", "--theme=light",
            "--strip_sources=True", *extra]


def present(extra) -> int:
    print("Presentation mode: pick a lesson in the browser tab that opens; Ctrl+C stops it.")
    return run(*voila_command(extra))


def torch_choice(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take ``--torch X`` (or ``--torch=X``) out of the arguments; the rest go on unchanged."""
    rest, choice = list(argv), None
    for i, arg in enumerate(rest):
        if arg == "--torch" and i + 1 < len(rest):
            choice = rest.pop(i + 1)
            del rest[i]
            break
        if arg.startswith("--torch="):
            choice = rest.pop(i).partition("=")[2]
            break
    if choice is not None and choice not in BUILDS:
        raise SystemExit(f"--torch must be one of {', '.join(BUILDS)}, not {choice!r}")
    return choice, rest


def main(argv: list[str]) -> int:
    choice, argv = torch_choice(argv)
    command, extra = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("open", argv)
    if command not in ("open", "setup", "test", "present"):
        print(__doc__)
        return 2
    code = setup(choice)
    if code or command == "setup":
        return code
    return {"open": open_lab, "test": test, "present": present}[command](extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
