"""How the dashboards are put together: the plain part needs no widgets, one base class runs them
all, and nothing trains before a dashboard is shown or asked for its result."""

import subprocess
import sys

import pytest

from hplab import playground, widgets


def test_the_plain_part_imports_without_ipywidgets():
    code = ("import sys, hplab.playground as p; "
            "r = p.train_run({'epochs': 2}, track=False); "
            "assert r.history.epochs_run == 2; "
            "print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_public_name_is_still_reached_through_widgets():
    for name in ("Result", "check_config", "load_data", "train_run", "health", "Preset",
                 "PRESETS", "DEFAULTS", "DYING_RELU", "WEIGHT_DECAYS"):
        assert getattr(widgets, name) is getattr(playground, name)
    for name in widgets.__all__:
        assert hasattr(widgets, name), name


def test_path_explorer_uses_the_base_class_run_and_presets():
    for name in ("run", "apply_preset", "_layout", "_repr_mimebundle_"):
        assert name not in widgets.PathExplorer.__dict__, name
        assert name not in widgets.PlaybookLab.__dict__, name
    for name in ("compute", "draw", "facts"):
        assert name in widgets.PathExplorer.__dict__, name


def _count_compute(monkeypatch, cls):
    calls = []
    original = cls.compute

    def counted(self, config):
        calls.append(config)
        return original(self, config)

    monkeypatch.setattr(cls, "compute", counted)
    return calls


@pytest.mark.parametrize("cls", [widgets.Playground, widgets.CapacityLab, widgets.PathExplorer,
                                 widgets.ActivationLab, widgets.PlaybookLab])
def test_constructors_do_not_train_and_the_result_does(monkeypatch, cls):
    calls = _count_compute(monkeypatch, cls)
    dash = cls(live=False)
    assert calls == [] and dash.runs == 0
    if cls is widgets.PlaybookLab:
        return  # its study takes seconds; the first access is the same code as below
    assert dash.result is not None and len(calls) == 1
    assert dash.result is dash.last_result and len(calls) == 1  # asked again: no new run


def test_showing_a_dashboard_trains_it_once(monkeypatch):
    calls = _count_compute(monkeypatch, widgets.Playground)
    dash = widgets.Playground(live=False, epochs=5)
    bundle = dash._repr_mimebundle_()
    assert len(calls) == 1 and bundle["image/png"].startswith(b"\x89PNG")
    assert "GOOD" in bundle["text/plain"]


def test_a_bad_starting_value_is_shown_when_the_dashboard_first_runs():
    dash = widgets.Playground(live=False, batch_size=512)
    assert dash.result is None
    assert "batch_size must be <= the training split size (200), got 512" in dash.error
    assert "could not start" in dash.status.value


def test_the_playbook_lab_reruns_no_study_it_has_already_seen(monkeypatch):
    from hplab import playbook

    monkeypatch.setattr(widgets.PlaybookLab, "LRS", (0.05, 0.5))
    studies = []
    original = playbook.compare_values

    def counted(*args, **kwargs):
        studies.append(kwargs["seed"])
        return original(*args, **kwargs)

    monkeypatch.setattr(playbook, "compare_values", counted)
    lab = widgets.PlaybookLab(epochs=3)
    first = lab.result.study
    lab.controls["seed"].value = 1
    lab.controls["seed"].value = 0  # back to the first study: drawn again, not trained again
    assert studies == [0, 1] and lab.runs == 3
    assert lab.result.study is first and lab.result.diagnosis == lab._verdict(first)
    lab.controls["study"].value = "width 8 vs 128"
    assert studies == [0, 1, 0] and lab.result.study.param == "width"
