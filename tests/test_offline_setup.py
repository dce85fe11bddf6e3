"""The offline path for a classroom, end to end: ``python course.py wheelhouse DIR`` collects every
package the course needs, then ``python course.py setup --wheelhouse DIR`` sets a fresh copy of the
course up from that folder alone, with the network out of reach, and the course's packages import.

It runs in the normal suite, and is kept as cheap as it can be: the folder (some 145 wheels, 420 MB
with PyTorch's CPU build) and the new virtual environment (1.5 GB) sit in memory where Linux offers
it (/dev/shm), since writing and then deleting 40,000 files on a busy disk takes minutes, and pip
leaves out compiling every module ahead of time (Python compiles those imported). It takes about
95 s of CPU time, mostly pip's; on a two-core machine busy with other tests, 2.5 to 4 minutes.
tests/conftest.py has pytest-xdist start it first.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from course_helpers import load_course

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = "http://127.0.0.1:9"  # nothing listens on port 9: any request through it fails at once
IMPORTS = """
import importlib.metadata as m, json, sys
import hplab, ipywidgets, jupyterlab, optuna, torch
print(json.dumps({"torch": torch.__version__, "hplab": hplab.__file__, "prefix": sys.prefix,
                  "optuna": optuna.__version__, "ipywidgets": ipywidgets.__version__,
                  "jupyterlab": jupyterlab.__version__}))
"""


@pytest.fixture
def scratch(tmp_path):
    """A folder for a few GB of files, in memory where there is room for them; removed afterwards."""
    shm = Path("/dev/shm")
    folder = (Path(tempfile.mkdtemp(prefix="hplab-offline-", dir=shm))
              if shm.is_dir() and shutil.disk_usage(shm).free > 6 * 2**30 else tmp_path / "scratch")
    folder.mkdir(exist_ok=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_course(dest: Path) -> Path:
    """What a learner unpacks: course.py, its package and the files that say what to install."""
    for name in ("course.py", "pyproject.toml", "constraints.txt", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "hplab", dest / "hplab", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def without_network() -> tuple[list[str], dict]:
    """A command prefix and environment under which pip can reach nothing but local folders: no
    pip configuration (so none of this machine's find-links or indexes), an index and proxies that
    refuse every connection and, where the system allows it, no network interface at all."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=f"{NOWHERE}/simple", PIP_RETRIES="0",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_COMPILE="1", HTTP_PROXY=NOWHERE, HTTPS_PROXY=NOWHERE,
               http_proxy=NOWHERE, https_proxy=NOWHERE, ALL_PROXY=NOWHERE)
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"], env  # a network namespace of its own: loopback only, and down
    return [], env


def run(cmd, cwd, env=None, timeout=900) -> subprocess.CompletedProcess:
    """Run ``cmd``; past ``timeout`` seconds stop it and all it started (course.py starts pip,
    which would otherwise keep the output pipes open, and this test waiting, after its parent
    was stopped) and fail with what it had printed."""
    start = time.monotonic()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(map(str, cmd))} still ran after {timeout} s:\n{out[-4000:]}\n{err[-4000:]}")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    done.seconds = round(time.monotonic() - start, 1)
    return done


@pytest.mark.slow
@pytest.mark.timeout(2400)  # three pip runs of at most 900 s each (see run)
def test_set_up_from_a_wheelhouse_without_the_network(scratch, record_property):
    course = copy_course(scratch)
    wheels = scratch / "usb-stick"
    collect = run([sys.executable, "course.py", "wheelhouse", wheels], cwd=course)
    names = sorted(p.name for p in wheels.iterdir())
    assert any(n.startswith("torch-") and "+cpu-" in n for n in names), names
    assert not any(n.startswith("nvidia_") for n in names), "the CUDA build's libraries were collected"

    prefix, env = without_network()
    # the environment really is cut off: pip, asked for a package without --no-index, fails
    fetch = subprocess.run([*prefix, sys.executable, "-m", "pip", "download", "--no-deps", "--dest",
                            scratch / "fetched", "six"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert fetch.returncode != 0 and not any(scratch.glob("fetched/*")), fetch.stdout

    setup = run([*prefix, sys.executable, "course.py", "setup", "--wheelhouse", wheels], cwd=course, env=env)
    log = setup.stdout + setup.stderr
    assert "Downloading" not in log and f"Looking in links: {wheels}" in log, log[-4000:]

    imports = run([*prefix, course / ".venv" / "bin" / "python", "-c", IMPORTS], cwd=scratch, env=env)
    record_property("seconds", {"wheelhouse": collect.seconds, "setup": setup.seconds,
                                "imports": imports.seconds})
    found = json.loads(imports.stdout)
    pin = load_course().torch_version((ROOT / "constraints.txt").read_text())
    assert found["torch"] == f"{pin}+cpu"  # PyTorch's CPU build, as pinned
    assert Path(found["prefix"]) == course / ".venv"  # the fresh environment, not this one
    assert Path(found["hplab"]).is_relative_to(course / "hplab")  # the course, installed editable
    assert all(found[name] for name in ("optuna", "ipywidgets", "jupyterlab"))
