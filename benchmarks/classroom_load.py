"""How many trials per second one shared study sustains, with N worker processes, and errors.

    HPLAB_STORAGE=postgresql://user:password@host/db python benchmarks/classroom_load.py 2 4 8

Each worker is ``python -m hplab.tune join`` on a study of lesson 09's lookup table, so a trial is
a lookup and what is measured is the database's side: asking for a trial, 20 reported epochs,
the outcome, heartbeats. Workers run for ``--seconds`` (after a warm-up while they import), then
are stopped; the rate counts trials completed in that window. A trial that trains for real takes
seconds, so a class of 30 laptops asks for a few trials a second at most.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

import optuna

from hplab import tune
from hplab.tune.storage import ENV, hide_password, open_storage


def completed(storage, name) -> int:
    study = optuna.load_study(study_name=name, storage=storage)
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def run(url: str, n_workers: int, seconds: float, warmup: float) -> dict:
    name = f"load_{n_workers}_{os.getpid()}_{time.time_ns()}"
    table = tune.load_race_table()
    tune.search(table, table.space(), method="random", n_trials=1, epochs=20, storage=url,
                study_name=name)
    storage = open_storage(url)
    workers = [tune.start_worker(url, name, n_trials=10**7, seed=i + 1) for i in range(n_workers)]
    time.sleep(warmup)
    start_count, start = completed(storage, name), time.monotonic()
    time.sleep(seconds)
    end_count, elapsed = completed(storage, name), time.monotonic() - start
    crashed = [w.returncode for w in workers if w.poll() is not None]
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.communicate(timeout=60)
    study = optuna.load_study(study_name=name, storage=storage)
    failed = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,)))
    return dict(workers=n_workers, trials_per_s=(end_count - start_count) / elapsed,
                workers_crashed=len(crashed), failed_trials=failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workers", nargs="*", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=15)
    args = parser.parse_args()
    url = os.environ.get(ENV)
    if not url:
        raise SystemExit(f"set {ENV} to the database to load, e.g. postgresql://user:pw@host/db")
    print(f"storage {hide_password(url)}, {args.seconds:g} s per row")
    print("workers  trials/s  crashed  failed")
    for n in args.workers:
        r = run(url, n, args.seconds, args.warmup)
        print(f"{r['workers']:>7}  {r['trials_per_s']:>8.1f}  {r['workers_crashed']:>7}  "
              f"{r['failed_trials']:>6}", flush=True)


if __name__ == "__main__":
    main()
