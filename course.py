"""Set up the hplab course and open it, or run its tests. Needs only Python (>= 3.11) and pip.

    python course.py          set up (first time only) and open the lessons in JupyterLab
    python course.py test     run the whole test suite, then every notebook in a real browser
    python course.py setup    set up only (what the first command does before it opens JupyterLab)
    python course.py present [02 09 ...]
                              show the lessons as pages with Voila (no code), on the
                              instructor's screen; the lessons named are kept ready to open
    python course.py leaderboard [STORAGE] [--study-name NAME] [--port 8080]
                              optuna-dashboard on a shared study, on this computer only
                              (storage from $HPLAB_STORAGE when not given)
    python course.py wheelhouse DIR
                              collect every package the course needs into DIR (a USB stick)
    python course.py setup --wheelhouse DIR
                              set up from such a folder, without the network

    --torch cpu|cuda|auto     which PyTorch build to install (default: auto, see below;
                              wheelhouse and --wheelhouse default to cpu)

Everything is installed into ./.venv, so nothing else on the machine changes. PyTorch is pinned
(constraints.txt); a GPU is not needed for this course. On Linux, the Python Package Index's
PyTorch is the CUDA build, about 2.7 GB to download with its NVIDIA libraries; so without an NVIDIA
GPU (or with --torch cpu) the set-up takes the CPU build (about 190 MB) from PyTorch's own CPU
index, or from a wheel pip already finds on this machine when that index cannot be reached.
On macOS and Windows the Package Index's build is already the CPU one.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
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


def offline(commands: list[list[str]], folder) -> list[list[str]]:
    """The same pip commands, taking every package from ``folder`` and none from the network."""
    where = ["--no-index", "--find-links", str(folder)]
    return [[*cmd[:3], *where, *cmd[3:]] if cmd[:3] == ["-m", "pip", "install"] else cmd
            for cmd in commands]


def build_requires(pyproject: str) -> list[str]:
    """What pip needs to build the course itself (pyproject.toml's [build-system] requires):
    an install from a wheelhouse builds the editable course without the network."""
    import tomllib  # Python 3.11+, checked before this is called

    return list(tomllib.loads(pyproject)["build-system"]["requires"])


def wheelhouse_commands(folder, requirement: str, options: list[str], build: list[str]) -> list[list[str]]:
    """pip commands that collect into ``folder`` every package ``setup`` installs: the PyTorch
    build (and its dependencies) from its index, then the course and all its extras as wheels
    (packages published only as source are built here, once), then what builds the course."""
    folder = str(folder)
    pip = ["-m", "pip", "--disable-pip-version-check"]
    return [[*pip, "download", "--dest", folder, "-c", "constraints.txt", *options, requirement],
            [*pip, "wheel", "--wheel-dir", folder, "--find-links", folder, "-c", "constraints.txt",
             ".[dev]", requirement],
            [*pip, "download", "--dest", folder, *build]]


def check_python():
    if sys.version_info < PYTHON_MIN:
        sys.exit(f"hplab needs Python {'.'.join(map(str, PYTHON_MIN))} or newer; "
                 f"this is {sys.version.split()[0]}")


def wheelhouse(folder: str, choice: str | None = None) -> int:
    """``python course.py wheelhouse DIR``: every package the course needs, into DIR."""
    check_python()
    system = platform.system()
    build = torch_build(choice or "cpu", system, system == "Linux" and has_nvidia_gpu())
    reachable = probe()() if build == "cpu" else False  # else the CPU wheel pip finds locally
    requirement, options = torch_install(build, torch_version((ROOT / "constraints.txt").read_text()), reachable)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for cmd in wheelhouse_commands(Path(folder).resolve(), requirement, options,
                                   build_requires((ROOT / "pyproject.toml").read_text())):
        code = run(sys.executable, *cmd)
        if code:
            return code
    print(f"\nCollected in {folder}: hand it out, then on each laptop (same system and Python as "
          f"this one, {system} and Python {sys.version_info.major}.{sys.version_info.minor}):\n"
          f"    python course.py setup --wheelhouse {folder}", flush=True)
    return 0


def setup(choice: str | None = None, wheelhouse: str | None = None) -> int:
    check_python()
    if wheelhouse is not None and not Path(wheelhouse).is_dir():
        sys.exit(f"--wheelhouse {wheelhouse}: no such folder")
    if wheelhouse is not None and choice is None:
        choice = "cpu"  # what a wheelhouse holds unless it was made with --torch cuda
    choice = pending(STAMP.read_text() if STAMP.exists() else "", wanted(), choice)
    if choice is None:
        return 0
    system = platform.system()
    build = torch_build(choice, system, system == "Linux" and has_nvidia_gpu())
    reachable = probe() if build == "cpu" and wheelhouse is None else (lambda: False)
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    version = torch_version((ROOT / "constraints.txt").read_text())
    index_reachable = reachable()
    requirement, options = torch_install(build, version, index_reachable)
    where = {"cpu": f"from {CPU_INDEX}" if options else f"on this machine ({CPU_INDEX} cannot be reached)",
             "cuda": "from the Python Package Index", "default": "from the Python Package Index"}
    source = f"from {wheelhouse}" if wheelhouse is not None else where[build]
    print(f"PyTorch build: {build}, {requirement} {source}", flush=True)
    commands = install_commands(requirement, options)
    if wheelhouse is not None:
        print(f"Installing from {wheelhouse} only, without the network", flush=True)
        commands = offline(commands, Path(wheelhouse).resolve())
    for cmd in commands:
        code = run(PY, *cmd)
        if code:
            if build == "cpu" and not options and wheelhouse is None:
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
    # Two workers, each (and every kernel and server it starts) on one PyTorch/OpenMP thread:
    # otherwise each takes as many threads as the machine shows cores, which on a machine that
    # shows many cores but grants few makes every worker wait on the others' threads.
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    # --durations: the slowest tests are listed at the end, so a run that grows slow says where
    code = run(PY, "-m", "pytest", "-n", "2", "--dist", "loadfile", "--durations=15", *extra, env=env)
    # Then every notebook in a real browser (JupyterLab and Voila in Chromium): one JupyterLab
    # per worker, notebooks shared out one at a time. Exit code 5: -k chose none of them.
    browser = run(PY, "-m", "pytest", "-m", "browser", "-n", "2", "--dist", "loadgroup",
                  "tests/browser", *extra, env=env)
    return code or (0 if browser == 5 else browser)


# A presentation kernel holds about 500 MB. One whose page is closed (or was only fetched) is
# shut down after this long idle; an open page is connected, so it is never culled.
CULL_IDLE_SECONDS = 120
CULL_INTERVAL_SECONDS = 30


def lesson_files(names: list[str], folder: Path = ROOT / "lessons") -> list[str]:
    """The lesson notebooks named by number or name start: ["02"] -> ["02_learning_rate.ipynb"]."""
    found = []
    notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in names:
        matches = [n for n in notebooks if n == name or n.startswith(name.removesuffix(".ipynb") + "_")]
        if len(matches) != 1:
            raise SystemExit(f"lesson {name!r} is not one of: {', '.join(n[:2] for n in notebooks)}")
        found += matches
    return found


def voila_command(extra=(), ready=()) -> list[str]:
    """Presentation mode: every lesson's outputs and dashboards, no code, on this computer only.
    Idle kernels are culled, so a closed tab gives its memory back whichever way the page was
    opened; each lesson in ``ready`` is run ahead in a kernel of its own (Voila's preheated
    kernels), so its page opens at once, and run again in the background after each viewer."""
    cmd = [str(BIN / "voila"), "lessons", "--Voila.ip=127.0.0.1", "--theme=light",
           "--strip_sources=True",
           f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
           f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
           "--MappingKernelManager.cull_connected=False",
           # jupytext (the authors' tool) ships a JupyterLab extension that Voila's page cannot host
           "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext"]
    if ready:
        pools = {"default": {"pool_size": 0}, **{name: {"pool_size": 1} for name in ready}}
        cmd += ["--preheat_kernel=True", f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}"]
    given = {flag.partition("=")[0] for flag in extra}  # a flag given by hand replaces ours
    return [flag for flag in cmd if flag.partition("=")[0] not in given] + list(extra)


def present(extra) -> int:
    names = [a for a in extra if not a.startswith("-")]
    ready = lesson_files(names)
    print("Presentation mode, for the instructor's screen: every page opened starts a kernel of"
          " about 500 MB on this computer. Learners run the course on their own laptops.")
    if ready:
        print(f"Kept ready to open at once: {', '.join(ready)}")
    print("Pick a lesson in the browser tab that opens; Ctrl+C stops it.", flush=True)
    return run(*voila_command([a for a in extra if a.startswith("-")], ready))


HAS_PASSWORD = re.compile(r"://[^/@\s:]*:[^/@\s]+@")


def leaderboard_command(argv: list[str]) -> tuple[list[str], dict]:
    """``python -m hplab.tune dashboard``'s command and the environment it needs: a storage
    given on the command line reaches it through $HPLAB_STORAGE, never through its arguments."""
    import argparse

    parser = argparse.ArgumentParser(prog="python course.py leaderboard")
    parser.add_argument("storage", nargs="?", default=None, help="(default: $HPLAB_STORAGE)")
    parser.add_argument("--study-name", default=None)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    if args.storage and HAS_PASSWORD.search(args.storage):
        raise SystemExit("leaderboard: a URL with a password does not belong on a command line "
                         "(every user of this computer can read it); set HPLAB_STORAGE instead")
    env = {"HPLAB_STORAGE": args.storage} if args.storage else {}
    cmd = ["-m", "hplab.tune", "dashboard", "--port", str(args.port)]
    return cmd + (["--study-name", args.study_name] if args.study_name else []), env


def leaderboard(extra) -> int:
    cmd, env = leaderboard_command(extra)
    print("+", PY, *cmd, flush=True)
    return subprocess.run([str(PY), *cmd], cwd=ROOT, env={**os.environ, **env}).returncode


def option(argv: list[str], name: str) -> tuple[str | None, list[str]]:
    """Take ``name X`` (or ``name=X``) out of the arguments; the rest go on unchanged."""
    rest = list(argv)
    for i, arg in enumerate(rest):
        if arg == name and i + 1 < len(rest):
            value = rest.pop(i + 1)
            del rest[i]
            return value, rest
        if arg.startswith(name + "="):
            return rest.pop(i).partition("=")[2], rest
    return None, rest


def torch_choice(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take ``--torch X`` (or ``--torch=X``) out of the arguments; the rest go on unchanged."""
    choice, rest = option(argv, "--torch")
    if choice is not None and choice not in BUILDS:
        raise SystemExit(f"--torch must be one of {', '.join(BUILDS)}, not {choice!r}")
    return choice, rest


COMMANDS = ("open", "setup", "test", "present", "leaderboard", "wheelhouse")


def main(argv: list[str]) -> int:
    choice, argv = torch_choice(argv)
    command, extra = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("open", argv)
    if command not in COMMANDS or (command == "wheelhouse" and len(extra) != 1):
        print(__doc__)
        return 2
    if command == "wheelhouse":
        return wheelhouse(extra[0], choice)
    folder, extra = option(extra, "--wheelhouse") if command == "setup" else (None, extra)
    code = setup(choice, folder)
    if code or command == "setup":
        return code
    return {"open": open_lab, "test": test, "present": present, "leaderboard": leaderboard}[command](extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
