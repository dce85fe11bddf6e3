"""Watching a run learn: play and the epoch scrubber replay a finished run from stored snapshots."""

import asyncio

import numpy as np
import pytest

from hplab import frames, playground, widgets
from hplab.widgets import _base

REPLAYED = [widgets.Playground, widgets.CapacityLab, widgets.EarlyStoppingLab,
            widgets.LearningRateLab, widgets.BatchSizeLab, widgets.ActivationLab,
            widgets.PathExplorer]


def _count(monkeypatch, owner, name):
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.fixture(scope="module")
def dashes():
    made = {cls.__name__: cls(live=False) for cls in REPLAYED}
    for dash in made.values():
        dash.run()
    return made


@pytest.mark.parametrize("cls", REPLAYED, ids=lambda c: c.__name__)
def test_every_training_dashboard_has_play_and_a_linked_scrubber(dashes, cls):
    dash = dashes[cls.__name__]
    assert "hplab-play" in dash.player._dom_classes
    assert "hplab-scrubber" in dash.scrubber._dom_classes
    assert dash.scrubber.description == cls.STEP
    assert 5 <= 1000 / dash.player.interval <= 8  # a steady pace the eye can follow
    last = dash.steps(dash.result)
    assert (dash.scrubber.min, dash.scrubber.max, dash.scrubber.value) == (0, last, last)
    assert dash.player.max == last and dash.replay_bar.layout.display is None


@pytest.mark.parametrize("cls", REPLAYED, ids=lambda c: c.__name__)
def test_scrubbing_shows_each_step_and_the_same_step_twice_alike(dashes, cls):
    dash = dashes[cls.__name__]
    last = dash.steps(dash.result)
    dash.scrubber.value = 2
    two = bytes(dash.image.value)
    dash.scrubber.value = last - 1
    later = bytes(dash.image.value)
    dash.scrubber.value = 2
    assert two.startswith(b"\x89PNG") and two != later
    assert bytes(dash.image.value) == two and dash.shown_step == 2


@pytest.mark.parametrize("cls", REPLAYED, ids=lambda c: c.__name__)
def test_scrubbing_never_trains(monkeypatch, dashes, cls):
    dash = dashes[cls.__name__]
    computed = _count(monkeypatch, cls, "compute")
    fitted = _count(monkeypatch, playground, "fit")
    runs = dash.runs
    for step in (0, 3, 1, dash.steps(dash.result)):
        dash.scrubber.value = step
    assert computed == [] and fitted == [] and dash.runs == runs


def test_play_moves_the_scrubber_and_the_picture_on(dashes):
    dash = dashes["Playground"]
    dash.scrubber.value = 0
    shown = [bytes(dash.image.value)]
    for step in (1, 2, 3):  # what the Play widget does in the browser, one tick at a time
        dash.player.value = step
        assert dash.scrubber.value == step and dash.shown_step == step
        shown.append(bytes(dash.image.value))
    assert len(set(shown)) == 4


def test_the_boundary_shown_is_the_stored_snapshot_of_that_epoch(dashes):
    dash = dashes["CapacityLab"]
    rec = dash.result.frames
    assert isinstance(rec, frames.FrameRecorder) and rec.epochs == list(range(41))
    dash.scrubber.value = 7
    view = dash._replay[1]["model"]
    assert np.array_equal(view.image.get_array(), rec.frame(7).probabilities()[:, :, 1])
    assert view.ax.get_title() == "the model at epoch 7"
    dash.scrubber.value = 30
    assert not np.array_equal(view.image.get_array(), rec.frame(7).probabilities()[:, :, 1])


def test_the_curves_are_marked_at_the_epoch_and_veiled_after_it(dashes):
    dash = dashes["EarlyStoppingLab"]
    dash.scrubber.value = 12
    veil, mark = dash._replay[1]["curves"]["loss"]
    assert list(mark.get_xdata()) == [12, 12] and veil.get_x() == 12
    assert veil.get_x() + veil.get_width() == pytest.approx(dash.axes["loss"].get_xlim()[1])


def test_the_path_is_drawn_up_to_the_step(dashes):
    dash = dashes["PathExplorer"]
    dash.scrubber.value = 10
    line = dash._replay[1]["line"]
    assert len(line.get_xdata()) == 11
    assert np.allclose(line.get_xydata()[-1], dash.result.path.points[10])


def test_a_new_run_shows_the_finished_picture_and_the_scrubber_at_its_end():
    dash = widgets.EarlyStoppingLab(live=False)
    finished = dash.png()
    dash.scrubber.value = 5
    assert dash.png() != finished  # the picture is the scrubbed epoch's
    dash.controls["patience"].value = 5  # early stopping: fewer epochs
    h = dash.result.history
    assert dash.shown_step is None and dash._replay is None
    assert dash.scrubber.max == h.epochs_run == dash.scrubber.value < 60
    assert dash.static_png().startswith(b"\x89PNG")


def test_the_same_seed_gives_the_same_frames():
    a = widgets.train_run({"epochs": 5, "seed": 3}, frames=True)
    b = widgets.train_run({"epochs": 5, "seed": 3}, frames=True)
    assert [f.values.tobytes() for f in a.frames.frames] == [f.values.tobytes() for f in b.frames.frames]
    plain = widgets.train_run({"epochs": 5, "seed": 3})
    assert plain.frames is None and plain.history.val_loss == a.history.val_loss  # recording is free


def test_data_without_a_picture_replays_the_curves_only():
    dash = widgets.Playground(live=False, dataset="digits", n_train=200, epochs=4)
    assert dash.result.frames is None
    first = dash.show_step(1)
    assert first != dash.show_step(4)


def test_a_step_outside_the_run_is_refused_by_name(dashes):
    dash = dashes["Playground"]
    with pytest.raises(ValueError, match="epoch must be <= 30, got 31"):
        dash.show_step(31)
    with pytest.raises(ValueError, match="step must be >= 0, got -1"):
        dashes["PathExplorer"].show_step(-1)


def test_a_dashboard_whose_run_failed_says_so_and_has_nothing_to_replay():
    dash = widgets.Playground(live=False, batch_size=512)
    assert dash.result is None and "could not start" in dash.status.value
    with pytest.raises(ValueError, match="epoch cannot be shown: the dashboard has no run"):
        dash.show_step(1)
    dash.scrubber.value = 0  # a scrubber moved with no run is simply ignored
    assert "batch_size must be <=" in dash.error


def test_the_playbook_lab_has_nothing_to_replay_and_hides_the_scrubber(monkeypatch):
    lab = widgets.PlaybookLab(live=False, epochs=3)
    monkeypatch.setattr(widgets.PlaybookLab, "LRS", (0.05, 0.5))
    lab.run()
    assert lab.replay_bar.layout.display == "none"


# ----------------------------------------------------------------------------- the frames kept per run


def _short(**values):
    dash = widgets.Playground(live=False, epochs=6, **values)
    dash.run()
    return dash


def test_a_step_seen_before_is_the_same_picture_without_drawing_again(monkeypatch):
    dash = _short()
    first = dash.show_step(3)
    renders = _count(monkeypatch, _base._Blitter, "render")
    dash.show_step(5)
    assert dash.show_step(3) == first and bytes(dash.image.value) == first
    assert len(renders) == 1  # step 5 only
    assert dash.png() == first and dash._replay[1]["curves"]["loss"][1].get_xdata()[0] == 3


def test_the_kept_frames_are_what_a_fresh_render_draws():
    dash = _short(seed=4)
    assert dash.draw_ahead() == 7 and sorted(dash.frames_png) == list(range(7))
    fresh = _short(seed=4)
    for step in (0, 6, 2):  # drawn in another order, from a figure that has seen no other step
        assert fresh.show_step(step) == dash.frames_png[step]
    assert dash.draw_ahead() == 0


def test_drawing_ahead_starts_next_to_the_scrubber_and_leaves_the_picture_alone():
    dash = _short()
    finished = bytes(dash.image.value)
    assert dash.draw_ahead(limit=2) == 2 and sorted(dash.frames_png) == [4, 5]  # it stands at 6
    assert dash.shown_step is None and bytes(dash.image.value) == finished == dash.png()
    dash.scrubber.value = 2  # moved back: the frame before it comes before the one after it
    dash.draw_ahead(limit=1)
    assert sorted(dash.frames_png) == [1, 2, 4, 5] and dash.shown_step == 2
    dash.scrubber.value = 3
    dash.draw_ahead(limit=1)
    assert sorted(dash.frames_png) == [1, 2, 3, 4, 5, 6]  # 4 was there already
    assert dash.shown_step == 3 and bytes(dash.image.value) == dash.frames_png[3] == dash.png()


def test_a_new_run_or_a_new_ghost_drops_the_kept_frames():
    dash = _short(seed=1)
    old = dash.show_step(4)
    dash.controls["seed"].value = 2
    assert dash.frames_png == {} and dash.shown_step is None
    assert dash.show_step(4) != old and list(dash.frames_png) == [4]
    dash.reset()  # the ghost of the run before leaves the curves
    assert dash.frames_png == {}
    assert dash.show_step(4) != old


def test_an_idle_kernel_draws_every_frame_ahead_and_a_new_run_cancels_the_rest(monkeypatch):
    monkeypatch.setattr(_base, "AHEAD_IDLE", 0.05)

    async def scenario():
        dash = widgets.Playground(live=False, epochs=6, seed=1)
        dash.run()  # schedules the frames on the running event loop
        assert dash.frames_png == {}  # nothing drawn before the loop is free
        while len(dash.frames_png) < 3:
            await asyncio.sleep(0.01)
        dash.controls["seed"].value = 2  # a knob move: the first run's frames stop
        for _ in range(500):
            if len(dash.frames_png) == 7:
                break
            await asyncio.sleep(0.01)
        return dash

    dash = asyncio.run(scenario())
    fresh = _short(seed=1)
    fresh.controls["seed"].value = 2  # the same run, beside the same ghost
    assert {s: fresh.show_step(s) for s in range(7)} == dash.frames_png
    assert dash.shown_step is None and dash.png() == dash._finished_png


def test_without_an_event_loop_nothing_is_drawn_ahead():
    dash = _short()
    assert dash.frames_png == {} and dash._replay is None


class _Loop:
    """Stands in for the kernel's event loop: keeps what was scheduled, runs it when asked."""

    def __init__(self):
        self.later = []

    def call_later(self, delay, fn, *args):
        self.later.append((fn, args))

    def run_one(self):
        fn, args = self.later.pop(0)
        fn(*args)


def test_a_frame_is_drawn_ahead_only_while_no_other_thread_draws(monkeypatch):
    import threading

    dash = _short()
    loop = _Loop()
    monkeypatch.setattr(_base.asyncio, "get_running_loop", lambda: loop)
    monkeypatch.setattr(_base, "AHEAD_IDLE", 0.0)
    dash.reset()  # a new picture: its frames are scheduled on the loop
    loop.run_one()  # the still parts
    held, release = threading.Event(), threading.Event()

    def scrub_elsewhere():  # what a widget message in a second thread of the kernel does
        with dash._lock:
            held.set()
            release.wait(10)

    other = threading.Thread(target=scrub_elsewhere)
    other.start()
    held.wait(10)
    loop.run_one()
    assert dash.frames_png == {} and len(loop.later) == 1  # not drawn, tried again later
    release.set()
    other.join()
    loop.run_one()
    assert list(dash.frames_png) == [5]
    dash.controls["seed"].value = 1  # a new run: what was scheduled for the old one does nothing
    stale = loop.later.pop(0)
    loop.run_one()  # the new run's first step
    stale[0](*stale[1])
    assert dash.frames_png == {} and dash._replay is not None



def test_a_scrub_while_another_thread_runs_is_dropped_not_an_error():
    """A scrub for the old run arriving on a second thread of the kernel while a knob move
    trains the new one: no error, no picture of the old run; the new run's end sets the scrubber."""
    import threading

    dash = _short()  # 6 epochs
    held, release = threading.Event(), threading.Event()
    steps_of_new = []

    def knob_move_elsewhere():  # what run() does: hold the figure while the new run trains
        with dash._lock:
            held.set()
            release.wait(10)
            dash.controls["epochs"].value = 3  # the new run: 3 epochs (runs within the lock)
            steps_of_new.append(dash.steps(dash.result))

    other = threading.Thread(target=knob_move_elsewhere)
    other.start()
    held.wait(10)
    picture = bytes(dash.image.value)
    dash.scrubber.value = 5  # a step of the old 6-epoch run, beyond the new run's 3
    assert dash.error is None and bytes(dash.image.value) == picture
    release.set()
    other.join(30)
    assert steps_of_new == [3] and dash.error is None
    assert dash.scrubber.max == 3 and dash.scrubber.value == 3
    dash.scrubber.value = 1  # and scrubbing works again
    assert dash.shown_step == 1 and dash.error is None


@pytest.mark.parametrize("cls", [widgets.Playground, widgets.PathExplorer])
def test_showing_a_dashboard_leaves_its_panels_where_the_live_picture_has_them(cls):
    """Displaying a dashboard draws its picture for viewers without widgets, with the verdict
    under it (the panels move up); the frames scrubbed to afterwards have the live picture's
    panels, not that squeezed layout."""
    dash = cls(epochs=6) if cls is widgets.Playground else cls(steps=20)
    dash.run()
    live = np.array([ax.get_position().bounds for ax in dash.figure.axes])
    dash._repr_mimebundle_()  # what a notebook does to show it
    dash.scrubber.value = 2
    assert dash.shown_step == 2
    now = np.array([ax.get_position().bounds for ax in dash.figure.axes])
    assert np.allclose(now, live, atol=1e-3)

def test_at_most_keep_pictures_are_kept_the_farthest_going_first(monkeypatch):
    monkeypatch.setattr(_base, "KEEP", 3)
    dash = _short()
    assert dash.draw_ahead() == 3 and sorted(dash.frames_png) == [3, 4, 5]
    assert dash.draw_ahead() == 0  # drawing ahead never pushes a kept picture out
    dash.scrubber.value = 0
    assert sorted(dash.frames_png) == [0, 3, 4]  # 5 was the farthest from 0


def test_nothing_is_drawn_ahead_until_the_learner_has_stopped_moving_things(monkeypatch):
    dash = _short()
    loop = _Loop()
    monkeypatch.setattr(_base.asyncio, "get_running_loop", lambda: loop)
    monkeypatch.setattr(_base, "AHEAD_IDLE", 60.0)
    dash.reset()
    loop.run_one()
    assert dash._replay is None and dash.frames_png == {} and len(loop.later) == 1  # later
    monkeypatch.setattr(_base, "AHEAD_IDLE", 0.0)
    loop.run_one()
    loop.run_one()
    assert list(dash.frames_png) == [5]
