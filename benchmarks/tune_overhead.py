"""What a search method costs per trial, beyond training, side by side in one run.

    python benchmarks/tune_overhead.py            # about a minute on 2 cores

Every method searches lesson 09's lookup table (a trial is a lookup, so what remains is the
sampler's own thinking and Optuna's bookkeeping), with repeats interleaved so a busy machine
slows every method alike; read the ratios to random search. The last rows compare one trial
by lookup with one trial trained for real by ``hplab.fit``, and an in-memory study with one in
SQLite.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import hplab
from hplab import tune

METHODS = ("random", "grid", "qmc", "tpe", "hyperband", "gp")
TRIALS, REPEATS = 16, 3


def per_trial(fn, n_trials):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / n_trials


def main():
    table = tune.load_race_table()
    space = table.space()
    times = {m: [] for m in METHODS}
    for rep in range(REPEATS):
        for m in METHODS:
            times[m].append(per_trial(lambda m=m: tune.search(
                table, space, method=m, n_trials=TRIALS, epochs=10, seed=rep,
                n_startup_trials=6), TRIALS))
    base = statistics.median(times["random"])
    print(f"| method | ms per trial (median of {REPEATS}) | x random |")
    print("|---|---:|---:|")
    for m in METHODS:
        t = statistics.median(times[m])
        print(f"| {m} | {t * 1e3:.1f} | {t / base:.1f} |")

    data = hplab.load_dataset("digits", seed=0)
    real = per_trial(lambda: tune.search(data, space, method="random", n_trials=4, epochs=10,
                                         fixed={"batch_size": 64}), 4)
    print(f"| random, trained for real (digits, 10 epochs) | {real * 1e3:.1f} | "
          f"{real / base:.0f} |")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        tune.search(table, space, n_trials=1, epochs=10, storage=url)  # open the database once
        sqlite = per_trial(lambda: tune.search(table, space, n_trials=TRIALS + 1, epochs=10,
                                               storage=url), TRIALS)
    print(f"| random, saved to SQLite | {sqlite * 1e3:.1f} | {sqlite / base:.1f} |")


if __name__ == "__main__":
    main()
