"""hplab.frames: a recorder that never changes the run, frames that match the model, and drawing
that replays them in place."""

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")


import hplab  # noqa: E402
from hplab.frames import (  # noqa: E402
    Frame,
    FrameArtists,
    FrameRecorder,
    best_and_last,
    best_vs_last,
    boundary_length,
    changed_share,
    draw_frame,
    mark_epoch,
    unsure_share,
    update_frame,
)
from hplab.plots import _style as style  # noqa: E402


def _run(data, *, recorder=None, epochs=8, seed=0, **kw):
    model = hplab.mlp(data.n_features, data.n_outputs, depth=2, width=16, dropout=0.2, seed=seed)
    hist = hplab.fit(model, data, lr=1e-2, epochs=epochs, seed=seed,
                     callbacks=[recorder] if recorder else [], **kw)
    return model, hist


@pytest.fixture(scope="module")
def recorded(moons):
    rec = FrameRecorder(moons)
    model, hist = _run(moons, recorder=rec, track_gradients=True)
    return rec, model, hist


def _grid_probabilities(model, rec):
    """The oracle: softmax of the model's logits over the recorder's grid, rows up the y axis."""
    x0, x1, y0, y1 = rec.extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, rec.grid), np.linspace(y0, y1, rec.grid))
    X = torch.tensor(np.stack([xx.ravel(), yy.ravel()], axis=1), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(X), dim=1).numpy().reshape(rec.grid, rec.grid, -1)


def test_recording_leaves_the_run_exactly_as_it_was(moons, recorded):
    _, _, with_rec = recorded
    _, without = _run(moons, track_gradients=True)  # dropout: the random stream is used
    for key in ("train_loss", "val_loss", "train_metric", "val_metric", "batch_loss", "grad_norms"):
        assert getattr(with_rec, key) == getattr(without, key), key


def test_one_small_frame_per_epoch_and_one_before_training(recorded):
    rec, _, hist = recorded
    assert [f.epoch for f in rec.frames] == [0, *hist.epoch]
    f = rec.frames[-1]
    assert f.kind == "boundary" and f.values.dtype == np.uint8
    assert f.values.shape == (40, 40, 1)  # two classes: the probability of class 1 is enough
    assert rec.nbytes == sum(fr.values.nbytes for fr in rec.frames) == 9 * 40 * 40
    assert isinstance(f, Frame) and f.probabilities().max() <= 1.0


def test_frames_are_the_models_probabilities_on_the_grid(moons, recorded):
    rec, model, _ = recorded
    assert np.abs(rec.frames[-1].probabilities() - _grid_probabilities(model, rec)).max() <= 1 / 255
    untrained = hplab.mlp(2, 2, depth=2, width=16, dropout=0.2, seed=0)
    assert np.abs(rec.frames[0].probabilities() - _grid_probabilities(untrained, rec)).max() <= 1 / 255
    x = np.asarray(rec.extent)  # the grid covers the data with half a unit to spare
    pts = torch.cat([moons.train.X, moons.val.X])
    assert np.allclose(x[[0, 2]], (pts.min(0).values - 0.5).numpy())
    assert np.allclose(x[[1, 3]], (pts.max(0).values + 0.5).numpy())


def test_same_seed_same_frames_and_the_recorder_resets_for_the_next_run(moons, recorded):
    rec, _, _ = recorded
    again = FrameRecorder(moons)
    _run(moons, recorder=again, track_gradients=True)
    assert all(np.array_equal(a.values, b.values) for a, b in zip(rec.frames, again.frames))
    _run(moons, recorder=again, epochs=3)
    assert [f.epoch for f in again.frames] == [0, 1, 2, 3]


def test_health_is_read_from_the_history_not_copied(recorded):
    rec, _, hist = recorded
    assert rec.health(3) == {"grad_norms": hist.grad_norms[2]}
    assert rec.health(0) == {}
    assert not any(hasattr(f, "grad_norms") for f in rec.frames)


def test_a_diverged_epoch_gets_its_frame(moons):
    rec = FrameRecorder(moons)
    model = hplab.mlp(2, 2, depth=2, width=16, seed=0)
    hist = hplab.fit(model, moons, optimizer="sgd", lr=1e3, epochs=5, callbacks=[rec])
    assert hist.diverged and rec.frames[-1].epoch == hist.epoch[-1]


def test_early_stopping_frames_stop_with_the_run(moons):
    rec = FrameRecorder(moons)
    model = hplab.mlp(2, 2, depth=2, width=16, seed=0)
    hist = hplab.fit(model, moons, lr=1e-2, epochs=60, callbacks=[rec],
                     early_stopping=hplab.EarlyStopping(patience=2))
    assert hist.status == "early_stopped"
    assert rec.frames[-1].epoch == hist.stopped_epoch and rec.frame(hist.best_epoch).epoch == hist.best_epoch


def test_a_curve_frame_for_one_dimensional_regression():
    data = hplab.load_dataset("sine", n_samples=200, seed=0)
    rec = FrameRecorder(data)
    model = hplab.mlp(1, 1, depth=2, width=16, seed=0)
    hplab.fit(model, data, lr=1e-2, epochs=4, callbacks=[rec])
    f = rec.frames[-1]
    assert f.kind == "curve" and f.values.shape == (100,) and f.values.dtype == np.float32
    x = torch.linspace(*f.extent, 100)[:, None]
    with torch.no_grad():
        assert np.allclose(f.values, model(x)[:, 0].numpy(), atol=1e-5)
    view = draw_frame(rec.frames[0], data)
    update_frame(view, f)
    assert np.allclose(view.line.get_ydata(), f.values, atol=1e-5)
    assert view.ax.get_title() == "epoch 4"
    with pytest.raises(ValueError, match="boundary frame"):
        boundary_length(f)


@pytest.mark.parametrize("kw, error, words", [
    (dict(grid=2), ValueError, "grid must be >= 4, got 2"),
    (dict(grid=40.5), TypeError, "grid must be an integer"),
    (dict(points=1), ValueError, "points must be >= 4, got 1"),
])
def test_bad_settings_are_named(moons, kw, error, words):
    with pytest.raises(error, match=words):
        FrameRecorder(moons, **kw)


def test_data_without_a_picture_is_refused_and_unknown_epochs_named(recorded):
    digits = hplab.load_dataset("digits", seed=0)
    with pytest.raises(ValueError, match="2-D classification or 1-D regression.*'digits' with 64"):
        FrameRecorder(digits)
    with pytest.raises(TypeError, match="data must be an hplab Data"):
        FrameRecorder("moons")
    rec = recorded[0]
    with pytest.raises(ValueError, match=r"epoch must be one of the recorded epochs 0\.\.8, got 99"):
        rec.frame(99)


def _frame(classes):
    values = np.zeros((*classes.shape, 2), dtype=np.uint8)
    values[..., 1] = np.where(classes == 1, 255, 0)
    values[..., 0] = 255 - values[..., 1]
    return Frame(1, "boundary", values, (0.0, 1.0, 0.0, 1.0))


def test_boundary_length_counts_neighbours_of_different_classes():
    n = 40
    left_right = np.zeros((n, n), dtype=int)
    left_right[:, n // 2:] = 1
    checker = np.indices((n, n)).sum(0) % 2
    assert boundary_length(_frame(np.zeros((n, n), dtype=int))) == 0
    assert boundary_length(_frame(left_right)) == n  # a straight boundary: one pair per row
    assert boundary_length(_frame(checker)) == 2 * n * (n - 1)  # every pair differs
    island = np.zeros((n, n), dtype=int)
    island[10, 10] = 1  # a single cell wrapped in the other class: four sides
    assert boundary_length(_frame(island)) == 4


def _sure(p1):
    """A frame whose class-1 probability is ``p1`` in every cell."""
    values = np.zeros((*p1.shape, 2), dtype=np.uint8)
    values[..., 1] = np.round(p1 * 255)
    values[..., 0] = 255 - values[..., 1]
    return Frame(1, "boundary", values, (0.0, 1.0, 0.0, 1.0))


def test_unsure_share_is_the_band_of_doubt():
    ramp = np.tile([0.0, 0.05, 0.3, 0.5, 0.7, 0.95, 1.0], (7, 1))  # left to right
    assert unsure_share(_sure(ramp)) == pytest.approx(3 / 7)  # 0.3, 0.5, 0.7: no class reaches 0.9
    assert unsure_share(_sure(ramp), confidence=0.6) == pytest.approx(1 / 7)  # 0.5 only
    assert unsure_share(_sure(np.ones((5, 5)))) == 0.0
    with pytest.raises(ValueError, match="confidence must be <= 1, got 2"):
        unsure_share(_sure(ramp), confidence=2)


def test_changed_share_counts_cells_that_switched_class():
    n = 10
    a = np.zeros((n, n), dtype=int)
    b = a.copy()
    b[:, :3] = 1
    assert changed_share(_frame(a), _frame(b)) == pytest.approx(0.3)
    assert changed_share(_frame(a), _frame(a)) == 0.0
    with pytest.raises(ValueError, match="a and b must be frames of the same grid"):
        changed_share(_frame(a), _frame(np.zeros((4, 4), dtype=int)))
    with pytest.raises(TypeError, match="b must be a Frame, got ndarray"):
        changed_share(_frame(a), b)


def test_draw_then_update_in_place(moons, recorded):
    rec, _, _ = recorded
    view = draw_frame(rec.frames[0], moons)
    assert isinstance(view, FrameArtists) and view.ax.get_title() == "epoch 0"
    assert np.allclose(view.image.get_array(), rec.frames[0].probabilities()[:, :, 1], atol=1e-5)
    n_images, n_points = len(view.ax.images), len(view.ax.collections)
    update_frame(view, rec.frames[-1])
    assert np.allclose(view.image.get_array(), rec.frames[-1].probabilities()[:, :, 1])
    assert view.ax.get_title() == "epoch 8" and len(view.ax.images) == n_images
    assert len(view.ax.collections) == n_points  # the 50/50 contour is replaced, not added
    with pytest.raises(ValueError, match="curve Frame like the one drawn|boundary Frame"):
        update_frame(draw_frame(_curve_frame(), hplab.load_dataset("sine", seed=0)), rec.frames[0])


def _curve_frame():
    return Frame(0, "curve", np.zeros(100, dtype=np.float32), (-1.0, 1.0))


def test_more_than_two_classes_are_drawn_by_predicted_class():
    data = hplab.load_dataset("blobs", n_samples=300, seed=0)
    rec = FrameRecorder(data, grid=20)
    _run(data, recorder=rec, epochs=3)
    view = update_frame(draw_frame(rec.frames[0], data), rec.frames[-1])
    assert rec.frames[-1].values.shape == (20, 20, data.n_outputs) and data.n_outputs > 2
    assert np.array_equal(view.image.get_array(), rec.frames[-1].predicted())


def test_mark_epoch_moves_one_line(recorded):
    _, _, hist = recorded
    ax = hplab.plots.loss_curves(hist)
    first = mark_epoch(ax, 2)
    assert mark_epoch(ax, 5) is first and list(first.get_xdata()) == [5, 5]
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        mark_epoch(ax, -1)


def test_figures_after_the_first_still_show_in_a_notebook():
    """The inline backend switches interactive mode on at a notebook's first figure, inside
    course_style when best_vs_last draws first: leaving the block must not switch it off."""
    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with style.course_style():
            matplotlib.interactive(True)  # what the inline backend does at its first figure
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(was)


def test_best_beside_last(recorded):
    rec, _, hist = recorded
    best, last = best_and_last(rec, hist)
    assert (best.epoch, last.epoch) == (hist.best_epoch, hist.epoch[-1])
    fig = best_vs_last(rec, hist)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith(f"best epoch {hist.best_epoch}: validation loss ")
    assert titles[1].startswith(f"last epoch {hist.epoch[-1]}: validation loss ")
