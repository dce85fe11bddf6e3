"""Build the lookup table that lesson 09 races search methods on.

Every configuration of a small grid (learning rate x depth x width x activation) is trained once
on the handwritten digits, and its validation loss after every epoch is stored in
``hplab/data/race_table.npz``. A search method can then "train" a configuration by looking its
curve up, so races over many seeds take seconds instead of hours.

The 13 learning rates of one architecture train together in one ``hplab.lr_sweep`` (each curve
is the one ``hplab.fit`` gives, up to float rounding; tests/test_tune.py checks a sample). The
seconds stored are what one configuration costs when trained alone with ``fit``, measured once
per architecture, since that is what a trial costs in a real search.

    python tools/make_race_table.py            # about a minute on one CPU core
"""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np

import hplab

OUT = Path(__file__).resolve().parents[1] / "hplab" / "data" / "race_table.npz"
LEVELS = {
    "lr": np.round(10.0 ** np.linspace(-4, 0, 13), 10),  # a third of a decade apart
    "depth": np.array([1, 2, 3]),
    "width": np.array([16, 32, 64, 128]),
    "activation": np.array(["relu", "tanh"]),
}
EPOCHS = 20
SETTINGS = dict(dataset="digits", optimizer="adam", batch_size=64, seed=0)


def curves(history) -> tuple[np.ndarray, np.ndarray]:
    """Validation loss and accuracy after every epoch (NaN after a divergence)."""
    loss = np.full(EPOCHS, np.nan)
    acc = np.full(EPOCHS, np.nan)
    n = len(history.val_loss) - (1 if history.diverged else 0)  # the diverged epoch is dropped
    loss[:n] = history.val_loss[:n]
    acc[:n] = history.val_metric[:n]
    return loss, acc


def seconds_alone(data, depth, width, activation, epochs: int = 3) -> float:
    """Seconds per epoch of one configuration trained on its own (the median lr)."""
    model = hplab.mlp(data.n_features, data.n_outputs, depth=int(depth), width=int(width),
                      activation=str(activation), seed=SETTINGS["seed"])
    hist = hplab.fit(model, data, optimizer=SETTINGS["optimizer"], lr=1e-3,
                     batch_size=SETTINGS["batch_size"], epochs=epochs, seed=SETTINGS["seed"])
    return float(np.median(hist.seconds))


def main():
    data = hplab.load_dataset(SETTINGS["dataset"], seed=SETTINGS["seed"])
    shape = tuple(len(v) for v in LEVELS.values())
    val_loss = np.full(shape + (EPOCHS,), np.nan)
    val_acc = np.full(shape + (EPOCHS,), np.nan)
    initial = np.zeros(shape)
    seconds = np.zeros(shape)  # measured seconds per epoch
    start = time.perf_counter()
    arch_levels = [(k, LEVELS[k]) for k in ("depth", "width", "activation")]
    for arch in itertools.product(*(range(len(v)) for _, v in arch_levels)):
        depth, width, activation = (v[i] for (_, v), i in zip(arch_levels, arch))
        sweep = hplab.lr_sweep(data, [float(lr) for lr in LEVELS["lr"]], depth=int(depth),
                               width=int(width), activation=str(activation),
                               optimizer=SETTINGS["optimizer"], batch_size=SETTINGS["batch_size"],
                               epochs=EPOCHS, seed=SETTINGS["seed"])
        cost = seconds_alone(data, depth, width, activation)
        for i, hist in enumerate(sweep.histories):
            idx = (i, *arch)
            val_loss[idx], val_acc[idx] = curves(hist)
            initial[idx], seconds[idx] = hist.initial["val_loss"], cost
    print(f"trained {math.prod(shape)} configurations x {EPOCHS} epochs "
          f"in {time.perf_counter() - start:.0f} s")
    np.savez_compressed(OUT, val_loss=val_loss.astype(np.float32),
                        val_accuracy=val_acc.astype(np.float32),
                        initial_val_loss=initial.astype(np.float32),
                        seconds_per_epoch=seconds.astype(np.float32),
                        names=np.array(list(LEVELS)), settings=np.array(repr(SETTINGS)),
                        **{f"level_{k}": v for k, v in LEVELS.items()})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
