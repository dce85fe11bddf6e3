"""Start JupyterLab or Voila on a scratch copy of the course, and always stop them again.

The servers run in their own process group with scratch ``JUPYTER_*`` folders, so they neither
read nor change the learner's Jupyter settings. While a server runs, its process-group id sits in
``artifacts/browser/servers/``; ``.ci/run`` stops whatever is still listed there on exit, in case
the test process itself was killed before its fixtures could clean up.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PIDS = ARTIFACTS / "browser" / "servers"
NOTEBOOK_DIRS = ("lessons", "solutions", "exercises")
TOKEN = "hplab-browser-tests"  # fixed; the servers listen on 127.0.0.1 only
VIEWPORT = {"width": 1280, "height": 1000}  # a classroom laptop; figure widths are judged at this

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

# JupyterLab settings that keep a test page quiet and complete: no autosave writing to the copy,
# no news pop-up over the page, and every cell in the DOM (no virtual scrolling).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def record_timing(line: str) -> None:
    """Append one line to ``artifacts/browser/timings.txt`` (how long each page took)."""
    path = ARTIFACTS / "browser" / "timings.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(line.rstrip() + "\n")


def discover(root: Path = ROOT) -> list[str]:
    """Every notebook of the course, as paths relative to ``root`` (lessons, solutions, exercises)."""
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted(p.relative_to(root).as_posix() for p in (root / folder).glob("*.ipynb"))
    return found


def chromium_path() -> str | None:
    """Debian's Chromium (or $CHROMIUM, or any chromium/chrome on PATH); None if there is none."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def copy_course(dest: Path, source: Path = ROOT) -> Path:
    """Copy the notebook folders of ``source`` into ``dest`` so a run can never touch them."""
    for folder in NOTEBOOK_DIRS:
        src = source / folder
        if src.is_dir():
            shutil.copytree(src, dest / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            (dest / folder).mkdir(parents=True)
    return dest


def scratch_env(home: Path) -> dict:
    """Environment for a server whose Jupyter config, data, runtime and settings live in ``home``."""
    dirs = {name: home / name.lower() for name in (
        "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR",
        "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for plugin, values in LAB_SETTINGS.items():
        target = dirs["JUPYTERLAB_SETTINGS_DIR"] / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # the kernel is this environment's
    env.pop("JUPYTER_PATH", None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the test process dies, even by kill."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """One background Jupyter process (JupyterLab or Voila) that :meth:`stop` always ends."""

    def __init__(self, name: str, cmd: list[str], *, cwd: Path, env: dict, ready_url: str):
        self.name, self.cmd, self.cwd, self.env, self.ready_url = name, cmd, cwd, env, ready_url
        self.log_path = cwd.parent / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> "Server":
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True,  # its own process group
                                     preexec_fn=_die_with_parent)
        log.close()
        PIDS.mkdir(parents=True, exist_ok=True)
        self.pid_file = PIDS / f"{self.proc.pid}.pid"
        self.pid_file.write_text(str(self.proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.ready_url} within {timeout:.0f} s:\n"
                           + self.log_tail())

    def log_tail(self, n: int = 30) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        """Terminate the whole process group (server and kernels); kill it if it lingers."""
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        try:  # kernels left in the group after the server itself exited
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.pid_file.unlink(missing_ok=True)
        self.proc = None


def start_lab(workdir: Path, source: Path = ROOT) -> Server:
    """JupyterLab on a copy of the course in ``workdir``; ``server.base`` is its URL.

    ``source`` is the course to serve: another checkout (an older version, say) has its kernels
    import its own ``hplab``.
    """
    root = copy_course(workdir / "course", source)
    port = free_port()
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True",  # lets the checker read cell outputs
           "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    env = scratch_env(workdir / "jupyter")
    if source.resolve() != ROOT:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    server = Server("jupyterlab", cmd, cwd=root, env=env,
                    ready_url=f"{base}/api/status?token={TOKEN}")
    server.base, server.root = base, root
    return server.start()


def shutdown_kernels(base: str) -> None:
    """End every kernel of a JupyterLab server, so notebooks checked one after another stay light."""
    def call(method, path):
        req = urllib.request.Request(f"{base}{path}?token={TOKEN}", method=method)
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read() or b"null")
    for kind in ("sessions", "kernels"):  # a session's kernel ends with it
        for item in call("GET", f"/api/{kind}") or []:
            try:
                call("DELETE", f"/api/{kind}/{item['id']}")
            except urllib.error.HTTPError as exc:
                if exc.code != 404:  # already gone
                    raise
