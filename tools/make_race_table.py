"""Build the lookup table that lesson 09 races search methods on.

Every configuration of a small grid (learning rate x depth x width x activation) is trained once
on the handwritten digits, and its validation loss after every epoch is stored in
``hplab/data/race_table.npz``. A search method can then "train" a configuration by looking its
curve up, so races over many seeds take seconds instead of hours.

The learning rates are dense (twelve per decade, 1e-5 to 1) so that a search is not rounded to a
handful of values; ``LookupTable`` reads between them in log(lr). The 61 rates of one
architecture train together in one ``hplab.lr_sweep`` (each curve is the one ``hplab.fit`` gives,
up to float rounding; tests/test_race.py checks a sample), so the curves are the same on every
rebuild. The seconds stored are what one configuration costs when trained alone with ``fit``,
measured once per architecture (the only part that varies between rebuilds).

    python tools/make_race_table.py            # a few minutes on one CPU core
"""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np

import hplab
from hplab.tune.lookup import race_curves

OUT = Path(__file__).resolve().parents[1] / "hplab" / "data" / "race_table.npz"
LEVELS = {
    "lr": np.round(10.0 ** np.linspace(-5, 0, 61), 10),  # twelve per decade
    "depth": np.array([1, 2, 3]),
    "width": np.array([16, 32, 64, 128]),
    "activation": np.array(["relu", "tanh"]),
}
EPOCHS = 20
SETTINGS = dict(dataset="digits", optimizer="adam", batch_size=64, seed=0)


def seconds_alone(data, depth, width, activation, epochs: int = 3) -> float:
    """Seconds per epoch of one configuration trained on its own (lr 1e-3)."""
    model = hplab.mlp(data.n_features, data.n_outputs, depth=int(depth), width=int(width),
                      activation=str(activation), seed=SETTINGS["seed"])
    hist = hplab.fit(model, data, optimizer=SETTINGS["optimizer"], lr=1e-3,
                     batch_size=SETTINGS["batch_size"], epochs=epochs, seed=SETTINGS["seed"])
    return float(np.median(hist.seconds))


def main():
    data = hplab.load_dataset(SETTINGS["dataset"], seed=SETTINGS["seed"])
    shape = tuple(len(v) for v in LEVELS.values())
    out = {k: np.full(shape + (EPOCHS,), np.nan) for k in ("val_loss", "val_accuracy")}
    initial = np.zeros(shape)
    seconds = np.zeros(shape)  # measured seconds per epoch
    start = time.perf_counter()
    arch_levels = [LEVELS[k] for k in ("depth", "width", "activation")]
    for arch in itertools.product(*(range(len(v)) for v in arch_levels)):
        depth, width, activation = (v[i] for v, i in zip(arch_levels, arch))
        curves = race_curves(data, LEVELS["lr"], depth=depth, width=width, activation=activation,
                             epochs=EPOCHS, optimizer=SETTINGS["optimizer"],
                             batch_size=SETTINGS["batch_size"], seed=SETTINGS["seed"])
        at = (slice(None), *arch)
        out["val_loss"][at], out["val_accuracy"][at] = curves["val_loss"], curves["val_accuracy"]
        initial[at] = curves["initial_val_loss"]
        seconds[at] = seconds_alone(data, depth, width, activation)
    print(f"trained {math.prod(shape)} configurations x {EPOCHS} epochs "
          f"in {time.perf_counter() - start:.0f} s")
    np.savez_compressed(OUT, val_loss=out["val_loss"].astype(np.float32),
                        val_accuracy=out["val_accuracy"].astype(np.float32),
                        initial_val_loss=initial.astype(np.float32),
                        seconds_per_epoch=seconds.astype(np.float32),
                        names=np.array(list(LEVELS)), settings=np.array(repr(SETTINGS)),
                        **{f"level_{k}": v for k, v in LEVELS.items()})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
