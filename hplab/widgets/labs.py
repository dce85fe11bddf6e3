"""The training dashboards of the lessons: every knob on one network (``Playground``), and one
lab per lesson with the knobs and presets that lesson is about. ``compare_configs`` and
``compare_presets`` draw several runs side by side, without widgets.

    >>> lab = CapacityLab()                        # doctest: +SKIP
    >>> lab.controls["depth"].value = 3            # doctest: +SKIP
    >>> lab.result.diagnosis.label                 # doctest: +SKIP
"""

from __future__ import annotations

import math

import ipywidgets as W
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from .. import plots
from ..data import load_dataset
from ..diagnose import Diagnosis
from ..playground import DATA_SEED, DYING_RELU, PRESETS, Preset, Result, StudyResult, train_run
from ..plots import _style as style
from ._base import Dashboard, _model_panel, _slider_style


class Playground(Dashboard):
    """Every knob of the course on one network, with presets for each symptom.

    Example:
        >>> dash = Playground()                        # doctest: +SKIP
        >>> dash.apply_preset("overfitting").diagnosis.label   # doctest: +SKIP
        'overfitting'
    """

    TITLE = "Playground"
    KNOBS = ("dataset", "noise", "label_noise", "n_train", "depth", "width", "activation",
             "dropout", "optimizer", "lr", "momentum", "beta1", "beta2", "weight_decay",
             "batch_size", "epochs", "schedule", "patience", "min_delta", "seed", "seeds")
    ESSENTIAL = ("dataset", "n_train", "depth", "width", "optimizer", "lr", "batch_size",
                 "epochs", "seeds")
    PANELS = ("loss", "model", "health")  # accuracies are in the line under the figure
    FIGSIZE = (11.0, 3.3)
    PRESETS = PRESETS


class CapacityLab(Dashboard):
    """Lesson 03: how big a network the data can support; dropout and weight decay as brakes.

    Example:
        >>> lab = CapacityLab()                        # doctest: +SKIP
        >>> lab.controls["depth"].value = 3            # doctest: +SKIP
    """

    TITLE = "Depth and width"
    KNOBS = ("dataset", "noise", "label_noise", "n_train", "depth", "width", "dropout",
             "weight_decay", "epochs", "seed", "seeds")
    PANELS = ("loss", "metric", "model")
    FIGSIZE = (11.0, 3.4)
    VALUES = dict(dataset="spirals", depth=0, epochs=40)
    _SMALL_NOISY = dict(dataset="moons", noise=0.3, label_noise=0.1, n_train=30, depth=3,
                        width=128, epochs=60, batch_size=16, lr=3e-3)
    PRESETS = {
        "too simple": Preset(dict(depth=0), "underfitting",
                             "No hidden layer: a straight line cannot follow two spirals."),
        "big enough": Preset(dict(depth=2, width=32), "good",
                             "Two hidden layers of 32: the spirals are separated."),
        "too big for the data": Preset(_SMALL_NOISY, "overfitting",
                                       "A big network on 30 noisy examples: it memorizes them."),
        "same, with weight decay": Preset(dict(_SMALL_NOISY, weight_decay=0.1), "good",
                                          "The same big network, with its weights pulled "
                                          "towards zero: the validation loss stops climbing."),
    }


class EarlyStoppingLab(Dashboard):
    """Lesson 07: too few epochs, too many, and early stopping with patience and min_delta.

    Example:
        >>> lab = EarlyStoppingLab()                   # doctest: +SKIP
        >>> lab.controls["patience"].value = 10        # doctest: +SKIP
        >>> lab.last_result.history.status             # doctest: +SKIP
        'early_stopped'
    """

    TITLE = "Epochs and early stopping"
    KNOBS = ("epochs", "patience", "min_delta", "restore_best", "n_train", "label_noise", "seed",
             "seeds")
    PANELS = ("loss", "metric", "model")
    FIGSIZE = (11.0, 3.4)
    VALUES = dict(dataset="moons", noise=0.3, n_train=30, depth=3, width=64, epochs=60,
                  batch_size=16, lr=1e-3)
    PRESETS = {
        "too few epochs": Preset(dict(epochs=3), "slow",
                                 "Three epochs: the loss is still falling fast when training ends."),
        "too many epochs": Preset(dict(epochs=150), "overfitting",
                                  "150 epochs, no stopping: validation loss turns and climbs."),
        "early stopping": Preset(dict(epochs=150, patience=10), "good",
                                 "Stop after 10 epochs without improvement and restore the best "
                                 "weights."),
    }

    def facts(self, result: Result) -> str:
        h = result.history
        text = super().facts(result)
        if h.status == "early_stopped" and h.best_epoch is not None:
            kept = ("restored from best epoch" if result.config["restore_best"]
                    else "kept from the last epoch")
            text += (f"; stopped at epoch {h.stopped_epoch}, weights {kept} {h.best_epoch}: "
                     f"validation loss {result.val['loss']:.3f} (best seen "
                     f"{h.best_val_loss:.3f}, last epoch {h.val_loss[-1]:.3f})")
        return text


def compare_configs(runs: dict, *, base: dict | None = None):
    """Train several configurations and draw them side by side: loss curves above, the model
    below, each titled with its diagnosis. Returns the figure and a dict name -> :class:`Result`.

    Example:
        >>> fig, results = compare_configs({"small": {"depth": 1}, "big": {"depth": 4}})  # doctest: +SKIP
    """
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"runs must be a non-empty dict name -> knob values, got {runs!r}")
    base = dict(base or {})
    results = {name: train_run({**base, **values}, track=False) for name, values in runs.items()}
    import matplotlib.pyplot as plt

    k = len(results)
    with style.course_style():  # as wide as the notebook, whatever the number of columns
        fig, axes = plt.subplots(2, k, figsize=(style.WIDTH, 5.8), squeeze=False,
                                 layout="constrained", dpi=style.DPI)
    for j, (name, r) in enumerate(results.items()):
        verdict = " + ".join([r.diagnosis.label, *r.diagnosis.also])  # e.g. slow + underfitting
        plots.loss_curves(r.history, axes[0, j], title=f"{name}\n-> {verdict}", legend=j == 0)
        _model_panel(r, axes[1, j], title=f"validation {r.history.metric_name} "
                                          f"{r.val['metric']:.2f}")
    return fig, results


def compare_presets(names, *, cls=Playground):
    """Train several of a dashboard's presets and draw them side by side (see
    :func:`compare_configs`). Returns the figure and a dict name -> :class:`Result`."""
    names = list(names)
    for name in names:
        if name not in cls.PRESETS:
            raise ValueError(f"preset {name!r} is unknown; choose one of: {', '.join(cls.PRESETS)}")
    return compare_configs({n: cls.PRESETS[n].values for n in names}, base=cls.VALUES)


class LearningRateLab(Dashboard):
    """Lesson 02: one knob that matters most. Too large diverges, too small crawls.

    Example:
        >>> LearningRateLab(lr=10.0).result.diagnosis.label   # doctest: +SKIP
        'diverged'
    """

    TITLE = "Learning rate"
    KNOBS = ("lr", "optimizer", "momentum", "schedule", "epochs")
    PANELS = ("loss", "lr", "model")
    VALUES = dict(optimizer="sgd", lr=0.1, epochs=20)
    PRESETS = {
        "too high": Preset(dict(lr=10.0), "diverged",
                           "Plain SGD at 10: every step overshoots and the loss explodes."),
        "too low": Preset(dict(lr=1e-3), "slow",
                          "Plain SGD at 0.001: safe, but the loss has barely moved after 20 "
                          "epochs."),
        "just right": Preset(dict(lr=0.1), "good",
                             "Plain SGD at 0.1 on this small, standardized problem: a fast drop, "
                             "then a smooth settle."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "lr":
            return super()._draw_panel(panel, ax, result, ghost)
        runs = {"this run": result.history}
        if ghost is not None:
            runs = {"previous": ghost.history, **runs}
        plots.lr_schedule(runs, ax, title="learning rate per epoch")
        ax.set_yscale("log")
        return ax


class BatchSizeLab(Dashboard):
    """Lesson 05: batch size changes how noisy each step is and how many steps an epoch holds."""

    TITLE = "Batch size"
    KNOBS = ("batch_size", "lr", "optimizer", "epochs")
    PANELS = ("loss", "batches", "model")
    VALUES = dict(optimizer="sgd", lr=0.3, batch_size=32, epochs=20)
    PRESETS = {
        "small batches": Preset(dict(batch_size=8, lr=0.1), "good",
                                "8 examples per step: 25 noisy steps per epoch."),
        "one big batch, same rate": Preset(dict(batch_size=128, lr=0.1), "good",
                                           "128 per step at the small batches' rate (0.1): "
                                           "smooth, but only 2 steps per epoch."),
        "big batch, scaled rate": Preset(dict(batch_size=128, lr=1.6), "good",
                                         "128 per step, 16 times the batch of 8, with the rate "
                                         "raised 16 times to 1.6."),
        "too big a rate": Preset(dict(batch_size=128, lr=10.0), "diverged",
                                 "Scaling the rate up has a limit: past it, training blows up."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "batches":
            return super()._draw_panel(panel, ax, result, ghost)
        runs = {f"batch {result.config['batch_size']}": result.history}
        if ghost is not None:
            runs = {f"previous (batch {ghost.config['batch_size']})": ghost.history, **runs}
        return plots.batch_losses(runs, ax)

    def facts(self, result) -> str:
        h = result.history
        per_epoch = sum(h.seconds) / max(len(h.seconds), 1)
        return (f"{super().facts(result)}; {h.steps_per_epoch} updates per epoch, "
                f"{h.steps_per_epoch * h.epochs_run} in all, {per_epoch * 1000:.0f} ms per epoch")


class ActivationLab(Dashboard):
    """Lesson 06: activations, vanishing gradients in deep sigmoid nets, and dying ReLUs."""

    TITLE = "Activations and gradient health"
    KNOBS = ("activation", "depth", "width", "optimizer", "lr", "schedule", "epochs", "seed")
    PANELS = ("loss", "health", "dead")
    VALUES = dict(optimizer="adam", lr=0.01, depth=4, width=8, epochs=15)
    _SPIKE = {k: v for k, v in DYING_RELU.values.items() if k != "activation"}
    PRESETS = {
        "vanishing gradients": Preset(
            dict(activation="sigmoid", depth=8, width=32, optimizer="sgd", lr=0.1, epochs=20),
            "underfitting", "Eight sigmoid layers: the first layers get almost no gradient."),
        "dying ReLU": DYING_RELU,
        "leaky ReLU survives": Preset(
            dict(_SPIKE, activation="leaky_relu"), "good",
            "The same rough start with leaky ReLU: every unit keeps a gradient and recovers."),
        "healthy ReLU": Preset({}, "good", "ReLU at a sensible rate: gradients of similar size."),
    }

    def _draw_panel(self, panel, ax, result, ghost):
        if panel != "dead" or result.config["activation"] == "relu":
            return super()._draw_panel(panel, ax, result, ghost)
        act = result.config["activation"].replace("_", " ")
        plots.dead_units(result.history, ax, title=f"dead ReLU units (none here: {act})")


# ---- lesson 13 ----


class PlaybookLab(Dashboard):
    """Lesson 13: pick a scientific hyperparameter; the lab re-tunes the learning rate for each
    of its values (one ``fit_many`` sweep per value) and compares best with best, beside the
    naive comparison at the rate that is best for the first value.

    Example:
        >>> lab = PlaybookLab(live=False)                       # doctest: +SKIP
        >>> lab.controls["study"].value = "width 8 vs 128"      # doctest: +SKIP
        >>> lab.last_result.diagnosis.label                     # doctest: +SKIP
    """

    TITLE = "Best with best"
    KNOBS = ("optimizer", "epochs", "seed")
    PANELS = ("isolation", "verdicts")
    VALUES = dict(optimizer="momentum", epochs=30)
    STUDIES = {"depth 1 vs 4": ("depth", (1, 4)), "width 8 vs 128": ("width", (8, 128)),
               "weight decay 0 vs 0.01": ("weight_decay", (0.0, 0.01)),
               "batch size 16 vs 128": ("batch_size", (16, 128))}
    LRS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    KEEP = 16  # studies kept, so going back to one is instant
    FIGSIZE = (11.5, 4.2)

    def __init__(self, *, study: str = "depth 1 vs 4", live: bool = False, **values):
        if study not in self.STUDIES:
            raise ValueError(f"study {study!r} is unknown; choose one of: {', '.join(self.STUDIES)}")
        self._extra = {"study": W.Dropdown(options=list(self.STUDIES), value=study,
                                           description="study", **_slider_style())}
        self._data = load_dataset("spirals", n_samples=600, noise=0.2, seed=DATA_SEED)
        self._studies: dict = {}  # knob values -> Comparison: a study seen before is not rerun
        super().__init__(live=live, **values)

    def steps(self, result: StudyResult) -> int:
        return 0  # one study of many runs: nothing to replay epoch by epoch

    def compute(self, c: dict) -> StudyResult:
        from ..playbook import compare_values

        param, values = self.STUDIES[c["study"]]
        fixed = {} if param == "width" else {"width": 64}  # 2 hidden layers unless depth is studied
        key = (c["study"], c["optimizer"], c["epochs"], c["seed"], tuple(self.LRS))
        if key not in self._studies:  # same knobs, same seed: the same study (fit_many is exact)
            if len(self._studies) >= self.KEEP:
                self._studies.pop(next(iter(self._studies)))
            self._studies[key] = compare_values(self._data, param, values, lrs=self.LRS,
                                                optimizer=c["optimizer"], epochs=c["epochs"],
                                                seed=c["seed"], **fixed)
        study = self._studies[key]
        return StudyResult(c, study, self._verdict(study))

    @staticmethod
    def _verdict(study) -> Diagnosis:
        naive, tuned, p = study.naive_winner, study.tuned_winner, study.param.replace("_", " ")
        if naive != tuned:
            return Diagnosis("misleading", {}, (
                f"At the fixed rate {study.fixed_lr:g}, {p} {naive} wins; each at its own best rate, "
                f"{p} {tuned} wins. The fixed rate suited one value and not the other."),
                "Trust the best-with-best verdict; check it over a few seeds.")
        return Diagnosis("agree", {}, (
            f"Both comparisons pick {p} {tuned}: here the fixed rate did not change the verdict."),
            "Check whether any best rate sits on the edge of the searched range.")

    def facts(self, result) -> str:
        s = result.study
        rates = ", ".join(f"{v}: {lr}" for v, lr in zip(s.values, s.best_lrs))
        return (f"{len(s.values)} values x {len(self.LRS)} rates = {len(s.values) * len(self.LRS)} "
                f"runs; best rates {rates}; trained in {result.seconds:.1f} s")

    def _draw_panel(self, panel, ax, result, ghost):
        from ..playbook import isolation_plot

        s = result.study
        if panel == "isolation":
            isolation_plot(s, ax, title="final validation loss against the rate")
            return
        top = 1.15 * max(v for v in s.tuned + s.naive if math.isfinite(v))
        for k, (label, losses) in enumerate((("at the fixed rate", s.naive),
                                            ("each at its best rate", s.tuned))):
            xs = [i + (k - 0.5) * 0.38 for i in range(len(s.values))]  # colours unlike the lines
            color = style.GREY if k == 0 else style.OKABE_ITO["green"]
            ax.bar(xs, [min(v, top) for v in losses], width=0.36, color=color, label=label,
                   hatch="//" if k == 0 else None, edgecolor="black")
        ax.set_xticks(range(len(s.values)), [f"{s.param.replace('_', ' ')} {v}" for v in s.values])
        ax.set_ylim(0, top * 1.05)
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))  # one width: no new layout
        ax.set(ylabel="final validation loss", title=f"lower wins; fixed rate {s.fixed_lr:g}")
        style.finish(ax, legend=True, loc="outside")
