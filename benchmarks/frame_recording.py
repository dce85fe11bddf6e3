"""What recording frames costs: fit with and without a FrameRecorder on the lessons' runs, the
memory of the frames, and the time to show another epoch in a drawn picture.

    python benchmarks/frame_recording.py

Timings are medians of interleaved repeats (with and without, in turn), so a busy machine slows
both alike; read the ratios. Prints a markdown table.
"""

from __future__ import annotations

import statistics
import time

import matplotlib

matplotlib.use("Agg")

import hplab  # noqa: E402
from hplab import frames  # noqa: E402

REPEATS = 7


def runs():
    """(name, data, network, fit settings) of the lessons' overfitting runs and a larger one."""
    moons = hplab.load_dataset("moons", n_samples=1000, noise=0.3, seed=0)
    noisy = hplab.load_dataset("moons", n_samples=1000, noise=0.3, label_noise=0.1, seed=0)
    spirals = hplab.load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
    yield ("lesson 07: 3 x 64, 30 examples, 150 epochs", moons.subset(30, seed=0),
           dict(depth=3, width=64), dict(lr=1e-3, batch_size=16, epochs=150))
    yield ("lesson 03: 3 x 128, 30 examples, 60 epochs", noisy.subset(30, seed=0),
           dict(depth=3, width=128), dict(lr=3e-3, batch_size=16, epochs=60))
    yield ("spirals: 2 x 32, 360 examples, 40 epochs", spirals,
           dict(depth=2, width=32), dict(lr=1e-2, batch_size=32, epochs=40))


def fit_seconds(data, arch, settings, grid):
    rec = frames.FrameRecorder(data, grid=grid) if grid else None
    model = hplab.mlp(data.n_features, data.n_outputs, seed=0, **arch)
    start = time.perf_counter()
    hplab.fit(model, data, callbacks=[rec] if rec else [], **settings)
    return time.perf_counter() - start, rec


def show_seconds(rec, data):
    """Median times to show another epoch: update_frame alone, update_frame + a full canvas draw,
    and drawing anew + a full canvas draw."""
    view = frames.draw_frame(rec.frames[0], data)
    canvas = view.ax.figure.canvas
    alone, update, anew = [], [], []
    for frame in rec.frames[1:21]:
        start = time.perf_counter()
        frames.update_frame(view, frame)
        alone.append(time.perf_counter() - start)
        canvas.draw()
        update.append(time.perf_counter() - start)
        start = time.perf_counter()
        view.ax.cla()
        view = frames.draw_frame(frame, data, view.ax)
        canvas.draw()
        anew.append(time.perf_counter() - start)
    return statistics.median(alone), statistics.median(update), statistics.median(anew)


def main():
    print("| run | grid | fit ms without | fit ms with | x without | frames | KiB of frames |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    shown = None
    for name, data, arch, settings in runs():
        for grid in (frames.GRID, 24):
            times = {"without": [], "with": []}
            for _ in range(REPEATS):
                times["without"].append(fit_seconds(data, arch, settings, None)[0])
                seconds, rec = fit_seconds(data, arch, settings, grid)
                times["with"].append(seconds)
            a, b = statistics.median(times["without"]), statistics.median(times["with"])
            print(f"| {name} | {grid} | {a * 1e3:.0f} | {b * 1e3:.0f} | {b / a:.2f} | "
                  f"{len(rec.frames)} | {rec.nbytes / 1024:.0f} |")
            if grid == frames.GRID:
                shown = rec  # the course's grid: the one a scrubber shows
    alone, update, anew = show_seconds(shown, data)
    print(f"\nAnother epoch in a drawn picture (Agg, {data.name}, grid {shown.grid}): update_frame "
          f"{alone * 1e3:.1f} ms, with the canvas drawn {update * 1e3:.0f} ms, drawn anew "
          f"{anew * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
