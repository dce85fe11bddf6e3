"""``python -m hplab.tune join|export ...``: work on a saved study, or copy it safely.

The storage comes from ``$HPLAB_STORAGE`` when it is not given, so a password need never sit on
a command line (where every user of the machine can read it).
"""

from __future__ import annotations

import json
import sys

from .callbacks import KillSwitch
from .storage import ENV, export, hide_password, open_storage, storage_from_env, study_names, unknown_study
from .study import WORKER, join


def dashboard(storage=None, *, port: int = 8080, study_name: str | None = None) -> int:
    """Serve optuna-dashboard on a saved storage at http://127.0.0.1:PORT/, for a projector.

    Bound to this computer only; the storage is passed as an object, so its URL (and password)
    never appears on a command line."""
    try:
        import optuna_dashboard
    except ImportError:
        raise ImportError("the leaderboard dashboard needs optuna-dashboard: "
                          "pip install 'hplab[classroom]'") from None
    opened = open_storage(storage_from_env(storage), create=False)
    page = ""
    if study_name is not None:  # checked now, and its own page named
        if study_name not in (names := study_names(opened)):
            raise ValueError(unknown_study(study_name, storage_from_env(storage), names))
        page = f"dashboard/studies/{opened.get_study_id_from_name(study_name)}"
    print(f"leaderboard at http://127.0.0.1:{port}/{page} (Ctrl+C stops it)", flush=True)
    optuna_dashboard.run_server(opened, host="127.0.0.1", port=port)
    return 0


def main(argv=None) -> int:
    """``python -m hplab.tune join [STORAGE] --study-name NAME [--n-trials N] [--seed S]``,
    ``python -m hplab.tune export [STORAGE] FILE [--study-name NAME]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hplab.tune",
                                     description="Work on a saved hplab study, or copy it.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("join", help="work on a saved study until it holds --n-trials trials")
    p.add_argument("storage", nargs="?", default=None,
                   help=f"e.g. sqlite:///study.db or study.log (default: ${ENV})")
    p.add_argument("--study-name", default="hplab")
    p.add_argument("--n-trials", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heartbeat", type=float, default=None,
                   help="seconds between a running trial's heartbeats (default 10)")
    p.add_argument("--learner", default=None, help="your name on the leaderboard")
    p.add_argument("--kill-after", type=int, default=None,
                   help="SIGKILL this worker inside the trial after this many (a planned crash)")
    e = sub.add_parser("export", help="copy a study into a new SQLite file, safely")
    e.add_argument("paths", nargs="+", metavar="[STORAGE] FILE",
                   help=f"the storage (default: ${ENV}) and the new file to write")
    e.add_argument("--study-name", default=None)
    d = sub.add_parser("dashboard", help="serve optuna-dashboard on this computer (127.0.0.1)")
    d.add_argument("storage", nargs="?", default=None, help=f"(default: ${ENV})")
    d.add_argument("--port", type=int, default=8080)
    d.add_argument("--study-name", default=None, help="check it is there and print its page")
    args = parser.parse_args(argv)
    try:
        if args.command == "dashboard":
            return dashboard(args.storage, port=args.port, study_name=args.study_name)
        if args.command == "export":
            if len(args.paths) > 2:
                parser.error("export takes [STORAGE] FILE")
            storage = args.paths[0] if len(args.paths) == 2 else None
            path = export(storage, args.paths[-1], study_name=args.study_name)
            print(json.dumps({"exported": str(path)}), flush=True)
            return 0
        crash = () if args.kill_after is None else (KillSwitch(args.kill_after),)
        result = join(args.storage, args.study_name, n_trials=args.n_trials, seed=args.seed,
                      heartbeat=args.heartbeat, train_callbacks=crash, learner=args.learner)
    except (ValueError, TypeError, ImportError, ConnectionError) as error:
        print(f"error: {hide_password(str(error))}", file=sys.stderr)
        return 2
    mine = [t.number for t in result.study.get_trials(deepcopy=False)
            if t.user_attrs.get("worker") == WORKER]
    print(json.dumps({"study": args.study_name, "trials_in_study": len(result.study.trials),
                      "run_here": mine}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
