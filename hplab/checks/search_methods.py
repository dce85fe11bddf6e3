"""Exercise 09 · Search methods: grid search and random search by hand."""

from __future__ import annotations

import itertools
import math
import zlib

import numpy as np

from ._feedback import (
    ERROR_HINT,
    Feedback,
    attempt,
    checks_function,
)

GRID = "Grid search by hand"
RANDOM = "Random search by hand"


def _counting_objective(log):
    def objective(params):
        log.append(dict(params))
        return -sum(zlib.crc32(str(v).encode()) % 97 for v in params.values())  # any fixed score
    return objective


@checks_function(GRID, "grid_search", unwritten="grid_search")
def grid_search(fn) -> Feedback:
    """Test ``fn(space, objective)``: try every combination once; return [(params, score), ...]."""
    space = {"lr": [0.001, 0.01, 0.1], "width": [16, 64], "activation": ["relu", "tanh"]}
    log = []
    results, error = attempt("grid_search", fn, space, _counting_objective(log))
    if error is not None:
        return Feedback(GRID, wrong=[error], hint=ERROR_HINT)
    every = [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    tried = {tuple(sorted(p.items())) for p in log}
    want = {tuple(sorted(p.items())) for p in every}
    fb = Feedback(GRID)
    if tried == want and len(log) == len(every):
        fb.right.append(f"tried all {len(every)} combinations of 3 x 2 x 2 values, each once.")
    else:
        missed = want - tried
        if missed:
            fb.wrong.append(f"missed {len(missed)} of {len(every)} combinations, e.g. "
                            f"{dict(min(missed))}. Zipping the lists pairs values up "
                            "instead of combining them; use itertools.product.")
        if len(log) > len(tried):
            fb.wrong.append(f"{len(log) - len(tried)} combination(s) were trained twice.")
    if not isinstance(results, list) or len(results) != len(log):
        fb.wrong.append("return a list with one (params, score) pair per trial.")
    fb.hint = "for values in itertools.product(*space.values()): params = dict(zip(space, values))"
    return fb


@checks_function(RANDOM, "random_search", unwritten="random_search")
def random_search(fn) -> Feedback:
    """Test ``fn(space, objective, n_trials, seed)``: sample each value at random.

    Lists are choices (pick one); (low, high) tuples are ranges sampled on a log scale.
    """
    space = {"lr": (1e-4, 1e-1), "width": [16, 32, 64, 128]}
    runs = []
    for seed in (0, 0, 1):
        log = []
        _, error = attempt("random_search", fn, space, _counting_objective(log), 200, seed)
        if error is not None:
            return Feedback(RANDOM, wrong=[error], hint=ERROR_HINT)
        runs.append(log)
    fb = Feedback(RANDOM, hint="lr = 10 ** rng.uniform(log10(low), log10(high)); "
                               "width = rng.choice(options).")
    log = runs[0]
    fb.verdict(len(log) == 200, "runs exactly n_trials trials.",
               f"asked for 200 trials, the objective was called {len(log)} times.")
    if len(log) < 20:
        return fb
    lrs = np.array([p.get("lr", np.nan) for p in log], dtype=float)
    widths = {p.get("width") for p in log}
    if not np.all((lrs >= 1e-4) & (lrs <= 1e-1)) or not widths <= set(space["width"]):
        fb.wrong.append("some sampled values lie outside the search space.")
    elif len(set(lrs)) < 0.75 * len(lrs):
        fb.wrong.append(f"only {len(set(lrs))} distinct learning rates in {len(lrs)} trials: sample "
                        "ranges continuously, not from a few fixed points.")
    else:
        fb.right.append("every value lies inside the space, and ranges are sampled continuously.")
    below = float(np.mean(lrs < math.sqrt(1e-4 * 1e-1)))
    if 0.35 <= below <= 0.65:
        fb.right.append("ranges are sampled on a log scale: each decade gets its share.")
    else:
        fb.wrong.append(f"only {below:.0%} of the learning rates fall below 3e-3, the middle of "
                        "the range on a log scale: sample the exponent uniformly, not the value.")
    if runs[0] != runs[1]:
        fb.wrong.append("the same seed gave different trials: draw from a generator made from "
                        "seed (np.random.default_rng(seed)).")
    elif runs[0] == runs[2]:
        fb.wrong.append("different seeds gave the same trials: use the seed argument.")
    else:
        fb.right.append("the same seed repeats the search; another seed gives other trials.")
    return fb


