"""A shared study's leaderboard for a classroom, refreshing itself from the study's storage."""

from __future__ import annotations

import html
import time

import ipywidgets as W
from matplotlib.figure import Figure

from ..plots import _style as style
from ._base import render_png


def leaderboard_snapshot(storage=None, study_name: str = "hplab", *, top: int = 10) -> dict:
    """What the leaderboard widget shows, read fresh from a shared study: ``table`` (the ``top``
    finished trials, best first, with who ran each) and ``curves`` (each learner's best
    validation loss so far, by trial number). ``storage`` None reads ``$HPLAB_STORAGE``."""
    from .. import tune

    return {"table": tune.leaderboard(storage, study_name, top=top),
            "curves": tune.best_so_far(storage, study_name)}


class Leaderboard:
    """A shared study's leaderboard that refreshes itself every ``every`` seconds: the best
    trials with the learner who ran each, beside everyone's best-so-far curve. Learners name
    their trials with ``python -m hplab.tune join --learner NAME``.

        board = widgets.Leaderboard(study_name="class", every=10)   # storage from $HPLAB_STORAGE
        board.stop()                                                # no more refreshes

    ``every=None`` refreshes only when ``refresh()`` is called. A refresh that fails (the
    database restarting) keeps the last board and says why; the next one tries again."""

    COLUMNS = ("learner", "val_loss")

    def __init__(self, storage=None, study_name: str = "hplab", *, top: int = 10,
                 every: float | None = 10):
        import threading

        if every is not None and (isinstance(every, bool) or not isinstance(every, (int, float))
                                  or not every >= 1):
            raise ValueError(f"every must be a number of seconds >= 1 or None, got {every!r}")
        self.storage, self.study_name, self.top, self.every = storage, study_name, top, every
        self.last_result, self.error = None, None
        self.status, self.table = W.HTML(), W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.view = W.VBox([self.status, W.HBox([self.table, self.image])])
        self.last_result = leaderboard_snapshot(storage, study_name, top=top)  # bad input raises here
        self._draw(self.last_result)
        self._stopped, self._thread = threading.Event(), None
        if every is not None:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self):
        while not self._stopped.wait(self.every):
            self.refresh()

    def stop(self) -> None:
        """No more automatic refreshes (a board left running reads the study every ``every`` s)."""
        self._stopped.set()

    def refresh(self) -> dict | None:
        """Read the study again and redraw; returns the snapshot, or None when it could not be read."""
        try:
            result = leaderboard_snapshot(self.storage, self.study_name, top=self.top)
        except Exception as exc:  # an outage or a locked file: keep the last board, say why
            self.error = f"{type(exc).__name__}: {exc}"
            self.status.value = (f"<span style='color:#b00'>not refreshed ({time.strftime('%H:%M:%S')}):"
                                 f" {html.escape(self.error)}</span>")
            return None
        self.error, self.last_result = None, result
        self._draw(result)
        return result

    def _draw(self, result: dict) -> None:
        table, curves = result["table"], result["curves"]
        params = [c for c in table.columns if c not in self.COLUMNS and c in self._params(table)]
        shown = table[[*self.COLUMNS, *params]].rename_axis("trial")
        self.table.value = shown.to_html(float_format=lambda v: f"{v:.4g}", border=0)
        self.status.value = (f"<b>{html.escape(self.study_name)}</b>: {len(curves.columns)} learners,"
                             f" best {len(table)} shown; refreshed {time.strftime('%H:%M:%S')}")
        with style.course_style():
            figure = Figure(figsize=(6, 3.6), dpi=style.DPI * style.RETINA, layout="constrained")
            ax = figure.add_subplot()
            for i, name in enumerate(curves.columns):
                ax.step(curves.index, curves[name], where="post", label=name,
                        **style.series(i, len(curves.columns)))
            ax.set(xlabel="trial", ylabel="best val loss so far", title="everyone's best so far")
            style.finish(ax, legend=len(curves.columns) > 0)
        self.image.value = render_png(figure)

    @staticmethod
    def _params(table) -> list[str]:
        # the hyperparameters are the columns before the outcome columns the study reports
        end = list(table.columns).index("val_loss") if "val_loss" in table.columns else 0
        return [c for c in list(table.columns)[:end] if c != "learner"]

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.view._repr_mimebundle_(**kwargs) or {})
        if self.last_result is not None:
            bundle["text/plain"] = self.last_result["table"].to_string()
        return bundle

