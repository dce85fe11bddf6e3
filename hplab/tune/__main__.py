"""``python -m hplab.tune join STORAGE --study-name NAME``: add trials to a saved study."""

from __future__ import annotations

import json

from .study import WORKER, join


def main(argv=None) -> int:
    """``python -m hplab.tune join STORAGE --study-name NAME [--n-trials N] [--seed S]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hplab.tune",
                                     description="Add trials to a saved hplab study.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("join", help="work on a saved study until it holds --n-trials trials")
    p.add_argument("storage", help="e.g. sqlite:///study.db or study.log")
    p.add_argument("--study-name", default="hplab")
    p.add_argument("--n-trials", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = join(args.storage, args.study_name, n_trials=args.n_trials, seed=args.seed)
    mine = [t.number for t in result.study.get_trials(deepcopy=False)
            if t.user_attrs.get("worker") == WORKER]
    print(json.dumps({"study": args.study_name, "trials_in_study": len(result.study.trials),
                      "run_here": mine}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
