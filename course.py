"""Set up the hplab course and open it, or run its tests. Needs only Python (>= 3.10) and pip.

    python course.py          set up (first time only) and open the lessons in JupyterLab
    python course.py test     run the whole test suite, then every notebook in a real browser
    python course.py setup    set up only (what the first command does before it opens JupyterLab)
    python course.py present  show the lessons as slides-like pages with Voila (no code)

Everything is installed into ./.venv, so nothing else on the machine changes. PyTorch is pinned
(constraints.txt) to a build that runs on any CPU; a GPU is not needed for this course.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".hplab-installed"


def run(*cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, **kw).returncode


def wanted() -> str:
    text = b"".join((ROOT / f).read_bytes() for f in ("pyproject.toml", "constraints.txt"))
    return hashlib.sha256(text).hexdigest()


def setup() -> int:
    if sys.version_info < (3, 10):
        sys.exit(f"hplab needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == wanted():
        return 0
    code = run(PY, "-m", "pip", "install", "--disable-pip-version-check",
               "-c", "constraints.txt", "-e", ".[dev]")
    if code == 0:
        STAMP.write_text(wanted())
    return code


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


def main(argv: list[str]) -> int:
    command, extra = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("open", argv)
    if command not in ("open", "setup", "test", "present"):
        print(__doc__)
        return 2
    code = setup()
    if code or command == "setup":
        return code
    return {"open": open_lab, "test": test, "present": present}[command](extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
