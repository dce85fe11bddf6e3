"""Measure how fast hplab is, side by side in one run, and write a markdown table.

    python benchmarks/run.py                       # everything (a few minutes on 2 cores)
    python benchmarks/run.py --only fit,many       # some of: fit, many, dashboards, notebooks, memory

Timings are medians of interleaved repeats, so a busy machine slows every contender alike;
the ratios are what to read. Results go to benchmarks/RESULTS.md (see --out).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from threadpoolctl import threadpool_limits

import hplab

ROOT = Path(__file__).resolve().parent.parent
ITEMS = ("fit", "many", "dashboards", "notebooks", "memory")
ARCH = dict(depth=2, width=64, activation="relu")  # the same network for every contender


def log(*words):
    print(*words, file=sys.stderr, flush=True)


def clock(fn):
    """(CPU seconds, result) of one call.

    Everything measured here runs on one thread of this process, so its CPU time is its cost;
    unlike wall time it barely grows when other programs share the machine.
    """
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def interleaved(contenders: dict, repeats: int) -> dict:
    """Run every contender ``repeats`` times, round-robin; median CPU seconds, last result."""
    times, results = {k: [] for k in contenders}, {}
    for fn in contenders.values():
        fn()  # warm-up: first-call costs (allocator, lazy imports) are not what we measure
    for _ in range(repeats):
        for name, fn in contenders.items():
            seconds, results[name] = clock(fn)
            times[name].append(seconds)
    return {k: (statistics.median(v), results[k]) for k, v in times.items()}


# ----------------------------------------------------------------------------- 1. one network


def dataloader_loop(data, *, epochs: int, batch_size: int, lr: float) -> float:
    """The loop most tutorials write: DataLoader, zero_grad/backward/step, evaluate each epoch."""
    from torch.utils.data import DataLoader, TensorDataset

    model = hplab.mlp(data.n_features, data.n_outputs, **ARCH, seed=0)
    loader = DataLoader(TensorDataset(*data.train), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():  # the same per-epoch scoring fit does: train and validation
            for split in (data.train, data.val):
                out = model(split.X)
                loss_fn(out, split.y).item()
                accuracy = (out.argmax(1) == split.y).float().mean().item()
    return accuracy


def sklearn_mlp(data, *, epochs: int, batch_size: int, lr: float) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(ARCH["width"],) * ARCH["depth"], activation="relu",
                        solver="adam", learning_rate_init=lr, batch_size=batch_size,
                        max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=epochs + 1,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.train.X.numpy(), data.train.y.numpy())
    return float(clf.score(data.val.X.numpy(), data.val.y.numpy()))


def bench_fit(data, repeats: int) -> list[str]:
    epochs, batch_size, lr = 20, 32, 1e-3

    def run_fit():
        model = hplab.mlp(data.n_features, data.n_outputs, **ARCH, seed=0)
        return hplab.fit(model, data, lr=lr, batch_size=batch_size, epochs=epochs,
                         seed=0).val_metric[-1]

    res = interleaved({
        "hplab.fit": run_fit,
        "DataLoader loop": lambda: dataloader_loop(data, epochs=epochs, batch_size=batch_size,
                                                   lr=lr),
        "scikit-learn MLPClassifier": lambda: sklearn_mlp(data, epochs=epochs,
                                                          batch_size=batch_size, lr=lr),
    }, repeats)
    base = res["hplab.fit"][0]
    rows = [f"| {name} | {1000 * t / epochs:.1f} | {t / base:.2f}x | {100 * acc:.1f} % |"
            for name, (t, acc) in res.items()]
    loader, mlp = res["DataLoader loop"], res["scikit-learn MLPClassifier"]
    verdict = (f"fit is **{loader[0] / base:.2f}x** as fast per epoch as the DataLoader loop "
               f"(target >= 2x) and **{mlp[0] / base:.2f}x** as fast as MLPClassifier "
               f"(target > 1x); accuracy gap to the loop "
               f"{100 * abs(res['hplab.fit'][1] - loader[1]):.1f} points (target <= 1).")
    return [
        "## 1. One network: `fit` vs a DataLoader loop vs scikit-learn",
        "",
        f"digits ({data.n_train} training images), MLP 64-64-64-10 ReLU, Adam lr {lr:g}, "
        f"batch {batch_size}, {epochs} epochs, 1 thread each; median of {repeats}. "
        "fit and the loop score train and validation after every epoch; MLPClassifier does not.",
        "",
        "| contender | CPU ms per epoch | time vs fit | validation accuracy |",
        "|---|---:|---:|---:|",
        *rows, "", verdict, ""]


# ----------------------------------------------------------------------------- 2. many networks


def _many_row(label, K, data, configs, settings, repeats) -> str:
    """One line of the fit_many table: fit_many vs K separate fit calls, same settings."""
    arch = {k: settings[k] for k in ("depth", "width", "activation")}
    train = {k: v for k, v in settings.items() if k not in arch}

    def sequential():
        return [hplab.fit(hplab.mlp(data.n_features, data.n_outputs, **arch, seed=c["seed"]),
                          data, lr=c["lr"], seed=c.get("data_seed", c["seed"]), **train)
                for c in configs]

    res = interleaved({"fit_many": lambda: hplab.fit_many(data, configs, **settings),
                       "sequential": sequential}, repeats)
    (t_many, many), (t_seq, seq) = res["fit_many"], res["sequential"]
    pairs = [(m, s) for m, s in zip(many, seq) if not m.diverged and not s.diverged]
    gap = max(abs(a - b) / max(1.0, abs(b)) for m, s in pairs for a, b in zip(m.val_loss, s.val_loss))
    acc = [100 * np.mean([h.val_metric[-1] for h in hs]) for hs in zip(*pairs)]
    diverged = [sum(h.diverged for h in hs) for hs in (many, seq)]
    row = (f"| {label} | {K} | {t_many:.3f} | {t_seq:.3f} | **{t_seq / t_many:.2f}x** | "
           f"{t_many / (t_seq / K):.1f} | {diverged[0]} / {diverged[1]} | "
           f"{acc[0]:.1f} % / {acc[1]:.1f} % | {gap:.1e} | {load()} |")
    log(row)
    return row


def bench_many(data, repeats: int) -> list[str]:
    rows, epochs = [], 10
    # Few steps per epoch, so per-epoch work (scoring, bookkeeping) weighs most: 480 training
    # examples (a subset of digits), batch 32, 15 steps per epoch. Target: >= 3x.
    small = hplab.load_dataset("digits", n_samples=800, seed=0)
    configs = [{"lr": float(lr), "seed": i} for i, lr in enumerate(np.logspace(-4, -2, 16))]
    rows.append(_many_row(f"digits, {small.n_train} training examples, 64-64-64-10, Adam, "
                          "K seeds (target >= 3x)", 16, small, configs,
                          dict(**ARCH, epochs=epochs, batch_size=32), max(repeats, 5)))
    for K in (16, 32):  # a seed-and-rate study on the digits network of item 1
        configs = [{"lr": float(lr), "seed": i} for i, lr in enumerate(np.logspace(-4, -2, K))]
        rows.append(_many_row("digits 64-64-64-10, Adam, K seeds", K, data, configs,
                              dict(**ARCH, epochs=epochs), repeats if K == 16 else 1))
    moons = hplab.load_dataset("moons", seed=0)
    for K in (16, 32):  # lesson 02's learning-rate sweep: one seed, K rates
        configs = [{"lr": float(lr), "seed": 0} for lr in np.logspace(-3, 1.5, K)]
        rows.append(_many_row("moons 2-32-32-2, SGD, one seed (lesson 02)", K, moons, configs,
                              dict(depth=2, width=32, activation="relu", optimizer="sgd",
                                   epochs=20), repeats if K == 16 else 1))
    return [
        "## 2. Many networks: `fit_many` vs K separate `fit` calls",
        "",
        f"Three studies, 1 thread, after a warm-up: K learning rates (1e-4 to 1e-2) and K "
        f"seeds on the digits network of item 1 for {epochs} epochs, first on a 480-example "
        "training split (few steps per epoch, target >= 3x at K = 16) then on all of digits, and "
        "lesson 02's sweep, K learning rates (1e-3 to 30) from one seed on moons for 20 epochs "
        "(target >= 6x at K = 16). fit_many and the K fit calls alternate within each repeat. "
        "Members that diverged are counted (the same ones diverge either way); accuracy and the "
        "last column but one, the largest difference between a member's validation loss and its "
        "own `fit` over all epochs (relative to the loss once it exceeds 1; floating-point "
        "rounding only, which a member on the edge of diverging amplifies most), cover the "
        "others. The load average (1 minute, of a machine others "
        "share) is read when the row is done.",
        "",
        "| study | K | fit_many (CPU s) | K x fit (CPU s) | speed-up | costs as many single runs as "
        "| diverged (many / fit) | mean val. accuracy (many / fit) | largest val-loss difference "
        "| load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows, ""]


# ----------------------------------------------------------------------------- 3. dashboards


def dashboard_classes() -> list[type]:
    from hplab import widgets

    found, todo = [], list(widgets.Dashboard.__subclasses__())
    while todo:
        cls = todo.pop(0)
        if not cls.__name__.startswith("_"):
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__name__)


def change_a_control(dash, i: int) -> None:
    """Move one knob the way a learner would: the seed if there is one, else press Train."""
    if "seed" in dash.controls:
        dash.controls["seed"].value = (dash.controls["seed"].value + 1) % 1000 if i % 2 == 0 \
            else max(0, dash.controls["seed"].value - 1)
    else:
        dash.run()


def bench_dashboards(changes: int) -> list[str]:
    rows = []
    for cls in dashboard_classes():
        try:
            dash = cls()
            wall, cpu = [], []
            for i in range(changes):
                seconds, _ = clock(lambda i=i: change_a_control(dash, i))
                if dash.error:
                    raise RuntimeError(dash.error)
                wall.append(dash.last_seconds)
                cpu.append(seconds)
            med = statistics.median(cpu)
            rows.append(f"| {cls.__name__} | {med:.2f} | {max(cpu):.2f} | "
                        f"{statistics.median(wall):.2f} | {'yes' if med <= 0.5 else '**no**'} |")
        except Exception as exc:  # a broken dashboard is a finding, not a crash of the benchmark
            rows.append(f"| {cls.__name__} | failed: {type(exc).__name__}: {exc} | | | |")
        log(rows[-1])
    return [
        "## 3. Dashboards: control change to finished figure",
        "",
        f"Every `Dashboard` subclass in `hplab.widgets`, default settings (live frames on); "
        f"{changes} changes of the seed knob (or Train again when there is none), CPU time of "
        "the change and the dashboard's own wall-clock count. "
        "Target: median <= 0.5 s.",
        "",
        "| dashboard | median CPU s | slowest CPU s | median wall s | target met |",
        "|---|---:|---:|---:|---|",
        *(rows or ["| (no dashboards found) | | | | |"]), ""]


# ----------------------------------------------------------------------------- 4. notebooks


def bench_notebooks() -> list[str]:
    import nbformat
    from nbclient import NotebookClient

    rows = []
    for folder in ("lessons", "solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            start = time.perf_counter()
            try:
                client.execute()
                note = "yes" if time.perf_counter() - start <= 60 else "**no**"
            except Exception as exc:  # record it and go on with the next notebook
                note = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            seconds = time.perf_counter() - start
            rows.append(f"| {folder}/{path.name} | {seconds:.1f} | {note} |")
            log(rows[-1])
    return [
        "## 4. Notebooks: execution time, top to bottom in a fresh kernel",
        "",
        "Wall-clock seconds, including starting the kernel (so a busy machine adds to them). "
        "Target: <= 60 s each.",
        "",
        "| notebook | seconds | target met |",
        "|---|---:|---|",
        *(rows or ["| (no notebooks found) | | |"]), ""]


# ----------------------------------------------------------------------------- 5. memory

MEMORY_SCRIPT = """
import hplab

def kb(key):  # a line of /proc/self/status, in kB
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))

data = hplab.load_dataset("digits", seed=0)
before = kb("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # restart the peak (VmHWM) count from here
hplab.fit_many(data, [{"lr": 1e-3, "seed": i} for i in range(32)], depth=2, width=64, epochs=3)
print(before / 1024, kb("VmHWM") / 1024)
"""


# Scoring a split of image-like inputs with a small CNN, in a fresh process: the split in one
# forward pass (batch_size = the whole split) or in fit's batches (hplab.EVAL_BATCH_SIZE).
EVAL_MEMORY_SCRIPT = """
import sys, torch, hplab
from torch import nn

def kb(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))

torch.set_num_threads(1)
n, side = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(0)
X, y = torch.randn(n, 1, side, side, generator=g), torch.randint(0, 10, (n,), generator=g)
data = hplab.Data.from_arrays(X, y, task="classification", val=0.1, test=0.1, seed=0)
del X, y
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1),
                      nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
batch = len(data.train.y) if sys.argv[3] == "one" else int(sys.argv[3])
hplab.evaluate(model, data, "val", batch_size=min(batch, len(data.val.y)))  # warm-up, small
before = kb("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
hplab.evaluate(model, data, "train", batch_size=batch)
print(len(data.train.y), before / 1024, kb("VmHWM") / 1024)
"""


def _peak(script: str, *args) -> tuple[list[float] | None, str]:
    """Numbers printed by a fresh Python process running ``script``, or None and why not."""
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                         text=True)
    if out.returncode != 0:  # e.g. no /proc on this system
        return None, out.stderr.strip().splitlines()[-1]
    return [float(v) for v in out.stdout.split()], ""


def bench_memory() -> list[str]:
    lines = ["## 5. Peak memory", ""]
    got, why = _peak(MEMORY_SCRIPT)
    if got is None:
        lines += [f"Not measured: {why}", ""]
    else:
        before, peak = got[-2:]
        lines += [
            "A K = 32 sweep on digits: resident memory of a fresh Python process (MLP "
            "64-64-64-10, 3 epochs), read from /proc/self/status. Target: under 1 GB.",
            "",
            "| moment | MB |",
            "|---|---:|",
            f"| after import hplab and loading digits | {before:.0f} |",
            f"| peak during fit_many with K = 32 | {peak:.0f} |",
            f"| added by the sweep | {peak - before:.0f} |", ""]
    n, side = 25_000, 8
    from hplab.train import EVAL_BATCH_SIZE as batched
    rows = []
    for label, batch in (("one forward pass over the split", "one"),
                         (f"in batches of {batched} (fit's and evaluate's default)", batched),
                         ("in batches of 1024", 1024)):
        got, why = _peak(EVAL_MEMORY_SCRIPT, n, side, batch)
        if got is None:
            rows.append(f"| {label} | not measured: {why} | |")
        else:
            size, before, peak = got
            rows.append(f"| {label} | {peak - before:.0f} | {peak:.0f} |")
        log(rows[-1])
    lines += [
        f"Scoring a split with `hplab.evaluate`: {n * 8 // 10} random 1x{side}x{side} images "
        "(the training split of `Data.from_arrays`), a CNN with 32 and 64 channels of 3x3 "
        "convolutions, global average pooling and a linear layer, 1 thread. Peak resident "
        "memory of a fresh process (VmHWM, reset just before scoring) above what it held before.",
        "",
        "| scoring | peak added (MB) | peak of the process (MB) |",
        "|---|---:|---:|",
        *rows, ""]
    return lines


# ----------------------------------------------------------------------------- report


def load() -> str:
    """The 1-minute load average, or '?' where the system does not say."""
    import os

    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def merge(old: str, new: list[str]) -> list[str]:
    """``new`` (a report of some items) with the sections of ``old`` it did not measure."""
    def sections(lines):
        found, key = {}, None
        for line in lines:
            if line.startswith("## "):
                key = line.split(".")[0]
            if key is not None:
                found.setdefault(key, []).append(line)
        return found

    head = new[:new.index(next(line for line in new if line.startswith("## ")))] \
        if any(line.startswith("## ") for line in new) else new
    ours, theirs = sections(new), sections(old.splitlines())
    when = re.search(r"^Measured (.+?) on: .*?load average ([0-9.]+)", old, re.M)
    for key, lines in theirs.items():  # a report from before sections carried their date
        if when and not any(line.startswith("Measured") for line in lines):
            lines[1:1] = ["", f"Measured {when[1]}, load average {when[2]} at the start of "
                          "the whole run."]
    body = [line for key in sorted(set(ours) | set(theirs))
            for line in ours.get(key, theirs.get(key))]
    return head + body


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{model}, {cores} cores usable, Python {platform.python_version()}, "
            f"PyTorch {torch.__version__}, scikit-learn {sklearn.__version__}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ITEMS),
                        help=f"comma-separated items to run, from: {', '.join(ITEMS)}")
    parser.add_argument("--repeats", type=int, default=3, help="repeats for the timing items")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    items = [i.strip() for i in args.only.split(",") if i.strip()]
    unknown = sorted(set(items) - set(ITEMS))
    if unknown:
        parser.error(f"unknown item(s) {unknown}; choose from: {', '.join(ITEMS)}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    torch.set_num_threads(1)
    data = hplab.load_dataset("digits", seed=0)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# hplab benchmarks", "", f"Machine: {machine()}.", "",
             "Written by `python benchmarks/run.py`; timings are CPU seconds (medians of "
             "interleaved repeats) unless a table says wall clock; the ratios matter more than "
             "the seconds. Each section says when it was measured and the load average then "
             "(`--only` measures some sections again and keeps the others).", ""]
    with threadpool_limits(limits=1):
        for item in items:
            log(f"== {item}")
            start = [f"Measured {when}, load average {load()} at the start of this section.",
                     ""]
            if item == "fit":
                part = bench_fit(data, args.repeats)
            elif item == "many":
                part = bench_many(data, args.repeats)
            elif item == "dashboards":
                part = bench_dashboards(changes=5)
            elif item == "notebooks":
                part = bench_notebooks()
            else:
                part = bench_memory()
            lines += part[:2] + start + part[2:]
    out = Path(args.out)
    if out.exists() and set(items) != set(ITEMS):
        lines = merge(out.read_text(), lines)
    out.write_text("\n".join(lines))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
