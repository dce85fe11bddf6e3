"""Lesson 04's dashboard: one PyTorch optimizer walking a 2-parameter loss surface, step by step.

    >>> paths = PathExplorer()                          # doctest: +SKIP
    >>> paths.controls["optimizer"].value = "adam"      # doctest: +SKIP
    >>> paths.result.diagnosis.label                    # doctest: +SKIP
    'converged'
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import _validate as check
from .. import plots
from ..playground import USES_MOMENTUM, PathResult, Preset
from ..plots import _style as style
from ..surfaces import SURFACES, describe_path, get_surface, optimizer_path
from ._base import Dashboard, _move_veil, _slider_style, _veil

HERE_GID = "hplab-path-here"


class PathExplorer(Dashboard):
    """Lesson 04: watch one PyTorch optimizer walk a 2-parameter loss surface.

    Changing the optimizer (or the surface) also sets the learning rate to one that suits it
    there; move the rate afterwards to see what too much and too little do.

    Example:
        >>> paths = PathExplorer()                          # doctest: +SKIP
        >>> paths.controls["optimizer"].value = "adam"      # doctest: +SKIP
        >>> paths.last_result.diagnosis.label               # doctest: +SKIP
        'converged'
    """

    TITLE = "Optimizer paths"
    KNOBS = ("optimizer", "lr", "momentum", "beta1", "beta2", "weight_decay")
    PANELS = ("path", "loss")
    VALUES = dict(optimizer="sgd", lr=0.45, momentum=0.9)
    STEP = "step"  # the scrubber walks the path step by step
    PRESET_BASE = dict(surface="valley", steps=50)  # every preset walks the valley, 50 steps
    FIGSIZE = (11.0, 4.6)
    PRESETS = {
        "SGD zig-zags": Preset(dict(optimizer="sgd", lr=0.45), "zig-zag",
                               "Plain SGD bounces between the valley walls and crawls along it."),
        "SGD too big a step": Preset(dict(optimizer="sgd", lr=0.6), "diverged",
                                     "A little more and the bouncing grows instead of fading."),
        "SGD tiny steps": Preset(dict(optimizer="sgd", lr=0.01), "slow",
                                 "No bouncing, but it barely moves."),
        "momentum": Preset(dict(optimizer="momentum", lr=0.12), "converged",
                           "Momentum cancels the bouncing and speeds along the floor."),
        "Adam": Preset(dict(optimizer="adam", lr=0.3), "converged",
                       "Equal-sized steps on both weights: Adam dives diagonally into the "
                       "valley, then swings along its floor."),
    }

    def __init__(self, *, surface: str = "valley", steps: int = 50, live: bool = False,
                 **values):
        surf = get_surface(surface)
        steps = check.integer("steps", steps, low=5, high=500)
        self._extra = {
            "surface": W.Dropdown(options=list(SURFACES), value=surf.name, description="surface",
                                  **_slider_style()),
            "steps": W.IntSlider(value=steps, min=5, max=500, step=5, description="steps",
                                 continuous_update=False, **_slider_style()),
        }
        super().__init__(live=live, **values)
        self.controls["lr"].step = 0.05  # finer than the network dashboards: 12% per notch

    def compute(self, config: dict) -> PathResult:
        """Walk the surface with the knobs' optimizer."""
        momentum = config["momentum"] if config["optimizer"] in USES_MOMENTUM else None
        path = optimizer_path(config["surface"], config["optimizer"], lr=config["lr"],
                              steps=config["steps"], momentum=momentum,
                              betas=(config["beta1"], config["beta2"]),
                              weight_decay=config["weight_decay"])
        return PathResult(config, path, describe_path(path))

    def facts(self, result) -> str:
        p = result.path
        return (f"{p.optimizer} on the {p.surface.replace('_', ' ')}, lr {p.lr:g}, "
                f"{len(p.points) - 1} steps, final loss {p.final_loss:.3g}")

    def draw(self, result: PathResult, axes: dict) -> None:
        """The path on the surface's contours, and the loss at each step."""
        runs = {f"now: {result.path.optimizer}": result.path}
        if self.ghost is not None:
            runs = {f"before: {self.ghost.path.optimizer}": self.ghost.path, **runs}
        plots.optimizer_paths(runs, axes["path"], surface=result.path.surface)
        plots.path_losses(runs, axes["loss"])
        # One legend, under the paths: the loss panel draws the same runs in the same colours
        # and line styles, so both panels get their full width instead of a legend each beside.
        axes["loss"].get_legend().remove()
        axes["path"].legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2,
                            fontsize=style.SMALL_PT, borderaxespad=3.2)  # clear of the x label,
        # in font sizes, whatever height the panel gets

    def steps(self, result: PathResult) -> int:
        return len(result.path.points) - 1

    def replay_artists(self, result: PathResult, axes: dict) -> tuple[list, dict]:
        """The path drawn up to a step, with a dot where the optimizer stands; the loss panel
        marks the step and veils the steps after it."""
        ax = axes["path"]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        pts = np.clip(np.asarray(result.path.points, dtype=float), [x0 - 1, y0 - 1],
                      [x1 + 1, y1 + 1])  # as drawn: blow-ups kept on screen
        for line in ax.get_lines():
            if line.get_label().startswith("now:"):
                path_line = line
            elif line.get_gid() == HERE_GID:
                line.remove()  # from a replay before
            elif len(line.get_xdata()) == 1 and np.allclose(line.get_xydata()[0], pts[-1]):
                line.set_visible(False)  # the end dot gives the ending away
        here, = ax.plot(*pts[0], marker="o", ms=9, color=path_line.get_color(), mec="black",
                        zorder=8, gid=HERE_GID)
        view = {"line": path_line, "here": here, "points": pts, "veil": _veil(axes["loss"])}
        return [path_line, here, *view["veil"]], view

    def update_step(self, view: dict, result: PathResult, step: int) -> None:
        pts = view["points"]
        view["line"].set_data(pts[:step + 1, 0], pts[:step + 1, 1])
        view["here"].set_data(pts[step:step + 1, 0], pts[step:step + 1, 1])
        _move_veil(*view["veil"], step)

    def _on_change(self, change):
        if not self._busy and change["owner"] in (self.controls["optimizer"],
                                                  self._extra["surface"]):
            c = self.config
            self._busy = True
            try:
                self.controls["lr"].value = get_surface(c["surface"]).lrs[c["optimizer"]]
            finally:
                self._busy = False
        super()._on_change(change)

