"""Dashboards driven the way a learner drives them: move a control, press a button, read the result."""

import math

import pytest

from hplab import widgets


@pytest.fixture(scope="module")
def dash():
    return widgets.Playground(live=False)


def test_a_new_dashboard_shows_its_default_run(dash):
    r = dash.last_result
    assert r is not None and dash.error is None
    assert r.config == widgets.check_config(dict(widgets.Playground.VALUES))
    assert bytes(dash.image.value).startswith(b"\x89PNG")
    assert "GOOD" in dash.status.value


def test_moving_a_slider_retrains_with_the_new_value(dash):
    runs = dash.runs
    dash.controls["lr"].value = 0.03
    assert dash.runs == runs + 1
    assert dash.last_result.config["lr"] == 0.03
    assert dash.last_result.history.config["lr"] == 0.03  # what fit really used


@pytest.mark.parametrize("name, value, seen", [
    ("batch_size", 64, lambda r: r.history.config["batch_size"] == 64),
    ("depth", 1, lambda r: sum(1 for _ in r.model.modules() if type(_).__name__ == "Linear") == 2),
    ("width", 8, lambda r: r.model[0].out_features == 8),
    ("activation", "tanh", lambda r: type(r.model[1]).__name__ == "Tanh"),
    ("optimizer", "rmsprop", lambda r: r.history.config["optimizer"] == "rmsprop"),
    ("epochs", 7, lambda r: r.history.epochs_run == 7),
    ("n_train", 100, lambda r: len(r.data.train.y) == 100),
    ("dataset", "sine", lambda r: r.data.name == "sine" and r.history.metric_name == "r2"),
    ("weight_decay", 1e-3, lambda r: r.history.config["weight_decay"] == 1e-3),
    ("schedule", "cosine", lambda r: r.history.lr[-1] < r.history.lr[0]),
    ("dropout", 0.3, lambda r: any(type(m).__name__ == "Dropout" for m in r.model.modules())),
    ("patience", 2, lambda r: r.history.status in ("early_stopped", "completed")
     and r.config["patience"] == 2),
])
def test_each_knob_reaches_the_training_run(name, value, seen):
    dash = widgets.Playground(live=False)
    dash.controls[name].value = value
    assert dash.error is None
    assert dash.last_result.config[name] == value
    assert seen(dash.last_result)


def test_the_previous_run_stays_as_a_ghost_until_reset(dash):
    dash.controls["lr"].value = 0.02
    first = dash.last_result
    dash.controls["lr"].value = 0.01
    assert dash.ghost is first
    dash.buttons["reset"].click()
    assert dash.ghost is None
    assert dash.last_result is not first


def test_the_train_button_retrains_the_same_configuration(dash):
    runs, before = dash.runs, dash.last_result
    dash.buttons["train"].click()
    assert dash.runs == runs + 1
    assert dash.last_result.history.val_loss == before.history.val_loss  # same seed, same run


@pytest.mark.parametrize("name", list(widgets.PRESETS))
def test_each_preset_produces_the_symptom_it_promises(name):
    dash = widgets.Playground(live=False)
    dash.buttons[name].click()
    preset = widgets.PRESETS[name]
    r = dash.last_result
    assert dash.error is None
    assert r.diagnosis.label == preset.label
    assert preset.shows(r)
    for key, value in preset.values.items():
        assert r.config[key] == value


def test_dying_relu_preset_leaves_most_units_dead_but_the_good_run_does_not():
    dying = widgets.train_run(widgets.PRESETS["dying ReLU"].values)
    good = widgets.train_run(widgets.PRESETS["good"].values)
    assert widgets.health(dying.history)["dead_units"] >= 0.5
    assert widgets.health(good.history)["dead_units"] < 0.25


def test_vanishing_preset_starves_the_first_layer_compared_with_relu():
    sigmoid = widgets.train_run(widgets.PRESETS["vanishing gradients"].values)
    relu = widgets.train_run({**widgets.PRESETS["vanishing gradients"].values, "activation": "relu"})
    assert widgets.health(sigmoid.history)["gradient_ratio"] < 1e-3
    assert widgets.health(relu.history)["gradient_ratio"] > 1e-2


def test_a_preset_resets_the_knobs_it_does_not_mention():
    dash = widgets.Playground(live=False)
    dash.controls["width"].value = 8
    dash.apply_preset("slow")
    assert dash.controls["width"].value == widgets.DEFAULTS["width"]


def test_a_bad_combination_shows_a_message_and_the_next_run_works():
    dash = widgets.Playground(live=False)
    good = dash.last_result
    dash.controls["batch_size"].value = 512  # larger than the 200 training examples
    assert dash.error is not None
    assert "batch_size must be <= the training split size (200), got 512" in dash.error
    assert "could not start" in dash.status.value
    assert dash.last_result is good  # the last picture stays
    dash.controls["batch_size"].value = 64
    assert dash.error is None
    assert dash.last_result.config["batch_size"] == 64
    assert "could not start" not in dash.status.value


def test_momentum_zero_with_the_momentum_optimizer_is_explained():
    dash = widgets.Playground(live=False, optimizer="momentum")
    assert not dash.controls["momentum"].disabled
    dash.controls["momentum"].value = 0.0
    assert "momentum must be > 0" in dash.error
    dash.controls["optimizer"].value = "adam"
    assert dash.error is None and dash.controls["momentum"].disabled


def test_training_size_beyond_the_data_is_explained():
    dash = widgets.Playground(live=False, dataset="breast_cancer", n_train=100)
    dash.controls["n_train"].value = 500
    assert "n_train must be <=" in dash.error and "got 500" in dash.error


def test_live_frames_are_drawn_while_a_long_run_trains(monkeypatch):
    monkeypatch.setattr(widgets._base, "LIVE_FIRST", 0.0)  # a frame after every epoch
    monkeypatch.setattr(widgets._base, "LIVE_INTERVAL", 0.0)
    dash = widgets.Playground(epochs=5)
    dash.run()
    assert dash.live_frames == 5
    assert "training... epoch 5" not in dash.axes["loss"].get_title()  # the final picture won


def test_no_live_frame_before_the_first_delay(monkeypatch):
    monkeypatch.setattr(widgets._base, "LIVE_FIRST", 60.0)
    dash = widgets.Playground(epochs=5)
    dash.run()
    assert dash.live_frames == 0 and dash.last_result.history.epochs_run == 5


def test_a_static_viewer_gets_a_picture_and_a_widget_front_end_gets_widgets(dash):
    bundle = dash._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert dash.last_result.diagnosis.label.upper() in bundle["text/plain"]


def test_unknown_knobs_and_presets_are_refused_by_name():
    with pytest.raises(ValueError, match="knob 'learning_rate' is unknown"):
        widgets.Playground(learning_rate=0.1)
    with pytest.raises(ValueError, match="preset 'chaos' is unknown"):
        widgets.Playground(live=False).apply_preset("chaos")


def test_train_run_is_reproducible():
    a = widgets.train_run({"epochs": 5, "seed": 3})
    b = widgets.train_run({"epochs": 5, "seed": 3})
    assert a.history.val_loss == b.history.val_loss
    assert not math.isnan(a.val["loss"])


def test_compare_presets_trains_and_draws_each_preset():
    import matplotlib

    matplotlib.use("Agg")
    fig, results = widgets.compare_presets(["good", "slow"])
    assert [r.diagnosis.label for r in results.values()] == ["good", "slow"]
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title().endswith("good")
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------- the lesson dashboards


LESSON_DASHBOARDS = [widgets.CapacityLab, widgets.EarlyStoppingLab]


@pytest.mark.parametrize("cls, name", [(c, n) for c in LESSON_DASHBOARDS for n in c.PRESETS])
def test_lesson_dashboard_presets_produce_their_label(cls, name):
    dash = cls(live=False)
    dash.buttons[name].click()
    assert dash.error is None
    assert cls.PRESETS[name].shows(dash.last_result)


def test_capacity_lab_retrains_with_the_depth_and_width_a_learner_picks():
    dash = widgets.CapacityLab(live=False)
    assert dash.last_result.diagnosis.label == "underfitting"  # starts too simple on purpose
    dash.controls["depth"].value = 2
    assert dash.last_result.diagnosis.label == "good"  # two layers of 32 separate the spirals
    dash.controls["width"].value = 64
    r = dash.last_result
    assert [m.out_features for m in r.model if type(m).__name__ == "Linear"] == [64, 64, 2]
    assert (dash.ghost.config["depth"], dash.ghost.config["width"]) == (2, 32)


def test_early_stopping_lab_stops_and_restores_as_the_controls_say():
    dash = widgets.EarlyStoppingLab(live=False)
    assert dash.last_result.history.status == "completed"
    dash.controls["patience"].value = 5
    h, r = dash.last_result.history, dash.last_result
    assert h.status == "early_stopped"
    assert h.stopped_epoch - h.best_epoch == 5
    assert r.val["loss"] == pytest.approx(h.best_val_loss, rel=1e-6)  # best weights restored
    dash.controls["restore_best"].value = False
    h, r = dash.last_result.history, dash.last_result
    assert r.val["loss"] == pytest.approx(h.val_loss[-1], rel=1e-6)  # last weights kept
    assert "kept from the last epoch" in dash.status.value


def test_early_stopping_lab_disables_its_knobs_while_early_stopping_is_off():
    dash = widgets.EarlyStoppingLab(live=False)
    assert dash.controls["min_delta"].disabled and dash.controls["restore_best"].disabled
    dash.controls["patience"].value = 3
    assert not dash.controls["min_delta"].disabled


def test_lesson_dashboards_explain_a_bad_value_and_recover():
    dash = widgets.CapacityLab(live=False)
    dash.controls["dataset"].value = "breast_cancer"
    dash.controls["n_train"].value = 600  # only 341 training examples exist
    assert "n_train must be <= 341, got 600" in dash.error
    dash.controls["n_train"].value = 200
    assert dash.error is None and dash.last_result.data.n_train == 200


# ---------------------------------------------------------------- seeds: real difference or luck?


def test_seeds_control_trains_the_configuration_once_per_seed():
    dash = widgets.Playground(live=False, epochs=8)
    assert dash.last_result.seed_runs == []
    dash.controls["seed"].value = 4
    dash.controls["seeds"].value = 3
    runs = dash.last_result.seed_runs
    assert len(runs) == 3 and all(h.epochs_run == 8 for h in runs)
    assert len({tuple(h.val_loss) for h in runs}) == 3  # three different seeds, three curves
    assert "over 3 seeds" in dash.status.value
    assert "3 seeds" in dash.axes["loss"].get_title()


def test_seed_band_member_matches_a_single_run_with_that_seed():
    many = widgets.train_run({"epochs": 5, "seed": 2, "seeds": 3}, track=False)
    one = widgets.train_run({"epochs": 5, "seed": 3}, track=False)
    assert many.seed_runs[1].val_loss == pytest.approx(one.history.val_loss, rel=1e-4)


def test_seed_band_with_dropout_matches_single_runs_with_dropout():
    many = widgets.train_run({"epochs": 5, "seed": 2, "seeds": 3, "dropout": 0.3,
                              "depth": 2}, track=False)
    one = widgets.train_run({"epochs": 5, "seed": 3, "dropout": 0.3, "depth": 2}, track=False)
    plain = widgets.train_run({"epochs": 5, "seed": 3, "depth": 2}, track=False)
    assert many.seed_runs[1].val_loss == pytest.approx(one.history.val_loss, rel=1e-4)
    assert one.history.val_loss != pytest.approx(plain.history.val_loss, rel=1e-4)  # masks matter
