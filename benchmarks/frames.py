"""Replaying a run on the dashboards: what a scrubber move, a knob move and the stored frames cost.

    python benchmarks/frames.py                 # every training dashboard (about a minute)
    python benchmarks/frames.py --moves 9       # more moves per dashboard

For every dashboard with play and a scrubber: the median CPU time of a scrubber move to a new
frame (the PNG bytes ready to send), of a move back to a step drawn before (its picture is kept),
of the first move after a run (which draws the still parts once), of drawing every other frame
ahead (what an idle kernel does after a run), of a knob move to the finished figure (the seed,
or Train again), the bytes of the frames stored per run and of the pictures kept. The
PlaybookLab has no scrubber; its knob move is timed for a study never seen before and for one
seen before. Everything runs on one thread; CPU time, not wall time, so a busy machine changes
the figures little. The table goes to benchmarks/FRAMES.md (see --out); a section of that file
headed "## In the browser" (figures measured in Chromium by tests/browser) is kept as it is.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.1  # seconds from scrubber move to new frame
BROWSER = "## In the browser"  # the section of --out written by hand, kept as it is


def clock(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def stored_bytes(dash) -> int:
    """What a run keeps for its replay: the frame recorder's arrays, or the path's points and
    losses; the curves come from the History every run keeps anyway."""
    r = dash.result
    if hasattr(r, "path"):
        return int(np.asarray(r.path.points).nbytes + np.asarray(r.path.losses).nbytes)
    return r.frames.nbytes if r.frames is not None else 0


def move_a_knob(dash, i: int) -> None:
    """The seed one up or down, as a learner would; Train again where there is no seed."""
    if "seed" in dash.controls:
        seed = dash.controls["seed"]
        seed.value = seed.value + 1 if i % 2 == 0 else seed.value - 1
    else:
        dash.run()


def bench_dashboard(cls, moves: int) -> dict:
    dash = cls(live=False)
    dash.run()
    knob = [clock(lambda i=i: move_a_knob(dash, i)) for i in range(moves)]
    if dash.error:
        raise RuntimeError(dash.error)
    last = dash.steps(dash.result)
    steps = [round(k * last / (moves + 1)) for k in range(1, moves + 1)]
    first = clock(lambda: setattr(dash.scrubber, "value", 0))
    shown, scrub = {bytes(dash.image.value)}, []
    for step in steps:
        scrub.append(clock(lambda step=step: setattr(dash.scrubber, "value", step)))
        shown.add(bytes(dash.image.value))
    again = [clock(lambda step=step: setattr(dash.scrubber, "value", step)) for step in steps]
    ahead = clock(dash.draw_ahead)
    pictures = [len(png) for png in dash.frames_png.values()]
    return dict(name=cls.__name__, steps=f"{last} {cls.STEP}s", scrub=statistics.median(scrub),
                slowest=max(scrub), first=first, again=statistics.median(again), ahead=ahead,
                knob=statistics.median(knob), frames_differ=len(shown) == len(steps) + 1,
                stored=stored_bytes(dash), kept=sum(pictures), largest=max(pictures))


def bench_playbook(moves: int) -> list[str]:
    from hplab import widgets

    lab = widgets.PlaybookLab()
    lab.run()
    fresh = [clock(lambda s=s: setattr(lab.controls["seed"], "value", s))
             for s in range(1, moves + 1)]
    again = [clock(lambda s=s: setattr(lab.controls["seed"], "value", s))
             for s in range(moves, 0, -1)]
    return [
        "",
        "PlaybookLab (no scrubber: one study of 14 runs): seed moved to a study never seen, "
        f"median {statistics.median(fresh):.2f} s CPU (slowest {max(fresh):.2f}); back to a study "
        f"seen before, median {statistics.median(again):.2f} s (drawn again, not retrained).",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=7, help="moves per dashboard (default 7)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "FRAMES.md")
    args = parser.parse_args(argv)
    from hplab import widgets

    replayed = [widgets.Playground, widgets.CapacityLab, widgets.EarlyStoppingLab,
                widgets.LearningRateLab, widgets.BatchSizeLab, widgets.ActivationLab,
                widgets.PathExplorer]
    rows = []
    with threadpool_limits(1):
        for cls in replayed:
            m = bench_dashboard(cls, args.moves)
            rows.append(f"| {m['name']} | {m['steps']} | {m['scrub']:.3f} | {m['slowest']:.3f} | "
                        f"{m['again']:.4f} | {m['first']:.3f} | {m['ahead']:.2f} | "
                        f"{'yes' if m['scrub'] < TARGET else '**no**'} | "
                        f"{'yes' if m['frames_differ'] else '**no**'} | {m['knob']:.2f} | "
                        f"{m['stored']:,} | {m['kept'] / 1e6:.1f} MB | {m['largest'] / 1e3:.0f} kB |")
            print(rows[-1], file=sys.stderr, flush=True)
        playbook = bench_playbook(max(3, args.moves // 2))
    lines = [
        "# Replaying a run: scrubber, knob and stored frames",
        "",
        f"{datetime.date.today()}, {platform.machine()}, Python {platform.python_version()}, "
        f"one thread; `python benchmarks/frames.py --moves {args.moves}`.",
        "",
        f"CPU seconds, medians of {args.moves} moves. Scrubber: a move to a new step until its "
        f"PNG is ready (target < {TARGET} s); again: a move back to a step drawn before, whose "
        "picture is kept; first: the first move after a run, which draws the still parts of the "
        "figure once; ahead: drawing every other step's picture, what an idle kernel does after "
        "a run, one frame at a time between messages. Knob: the seed one up or down (Train again "
        "where there is none) until the figure is finished. Stored: bytes kept per run for its "
        "replay; pictures: the PNG pictures of every step, kept per run, and the largest one "
        "(what one scrubber move sends).",
        "",
        "| dashboard | run | scrubber move | slowest | again | first move | ahead | < 0.1 s "
        "| frames differ | knob move | stored bytes | pictures | largest |",
        "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|",
        *rows,
        *playbook,
        "",
    ]
    if args.out.exists() and BROWSER in args.out.read_text():  # measured by hand, kept
        kept = args.out.read_text()
        lines += [kept[kept.index(BROWSER):].rstrip("\n"), ""]
    text = "\n".join(lines)
    print(text)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
