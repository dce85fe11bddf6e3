"""The leaderboard, on the projector and in a notebook: ``python course.py leaderboard`` opens
optuna-dashboard with the storage kept off every command line, and ``widgets.Leaderboard`` shows
the best trials by learner and everyone's best-so-far curve, read again at every refresh. Driven
without a browser: the widget's ``refresh`` is called directly on a SQLite study."""

from pathlib import Path

import pytest
from course_helpers import load_course

import hplab
from hplab import tune, widgets

SPACE = {"lr": tune.LogUniform(1e-3, 1e-1)}
PNG = b"\x89PNG"




@pytest.fixture(scope="module")
def data():
    return hplab.load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def made(tmp_path_factory, data):
    """A SQLite study holding two trials by ana and one by ben."""
    path = tmp_path_factory.mktemp("made") / "class.db"
    url = f"sqlite:///{path}"
    tune.search(data, SPACE, n_trials=2, epochs=2, seed=1, storage=url, study_name="class", learner="ana")
    tune.search(data, SPACE, n_trials=3, epochs=2, seed=2, storage=url, study_name="class", learner="ben")
    return path


@pytest.fixture
def study(made, tmp_path):
    """A copy of that study of each test's own (copied safely: this process has it open)."""
    tune.export(f"sqlite:///{made}", tmp_path / "class.db", study_name="class")
    return f"sqlite:///{tmp_path / 'class.db'}"


def test_board_shows_the_best_trials_by_learner_and_everyones_curve(study):
    board = widgets.Leaderboard(study, "class", every=None)
    table, curves = board.last_result["table"], board.last_result["curves"]
    assert list(table["val_loss"]) == sorted(table["val_loss"]) and len(table) == 3
    assert set(curves.columns) == {"ana", "ben"}
    assert (curves["ana"].diff().dropna() <= 0).all()  # a best so far never gets worse
    assert "ana" in board.table.value and "ben" in board.table.value and "lr" in board.table.value
    assert bytes(board.image.value).startswith(PNG) and board.error is None


def test_refresh_reads_trials_added_since(study, data):
    board = widgets.Leaderboard(study, "class", top=10, every=None)
    assert "cy" not in board.table.value
    tune.search(data, SPACE, n_trials=5, epochs=2, seed=3, storage=study, study_name="class", learner="cy")
    before = board.image.value
    result = board.refresh()
    assert len(result["table"]) == 5 and "cy" in result["curves"].columns
    assert "cy" in board.table.value and board.image.value != before


def test_top_limits_the_table_not_the_curves(study):
    board = widgets.Leaderboard(study, "class", top=1, every=None)
    assert len(board.last_result["table"]) == 1
    assert set(board.last_result["curves"].columns) == {"ana", "ben"}


def test_failed_refresh_keeps_the_last_board_and_says_why(study):
    board = widgets.Leaderboard(study, "class", every=None)
    shown, table = board.last_result, board.table.value
    Path(study.removeprefix("sqlite:///")).unlink()  # the storage is gone
    assert board.refresh() is None
    assert board.last_result is shown and board.table.value == table
    assert "not refreshed" in board.status.value and board.error


def test_storage_from_the_environment(study, monkeypatch):
    monkeypatch.setenv("HPLAB_STORAGE", study)
    snapshot = widgets.leaderboard_snapshot(study_name="class", top=2)
    assert len(snapshot["table"]) == 2


@pytest.mark.parametrize("every", [0, -5, 0.5, True, "10"])
def test_bad_refresh_interval_is_refused(study, every):
    with pytest.raises(ValueError, match="every must be"):
        widgets.Leaderboard(study, "class", every=every)


def test_unknown_study_is_refused_with_the_names_there(study):
    with pytest.raises(ValueError, match="'class'"):
        widgets.Leaderboard(study, "clas", every=None)


def test_board_refreshes_itself_until_stopped(study):
    board = widgets.Leaderboard(study, "class", every=1)
    assert board._thread.is_alive()
    board.stop()
    board._thread.join(5)
    assert not board._thread.is_alive()


def test_leaderboard_command_keeps_the_storage_off_the_command_line():
    course = load_course()
    cmd, env = course.leaderboard_command(["sqlite:///class.db", "--study-name", "class", "--port", "8123"])
    assert cmd == ["-m", "hplab.tune", "dashboard", "--port", "8123", "--study-name", "class"]
    assert env == {"HPLAB_STORAGE": "sqlite:///class.db"}
    assert course.leaderboard_command([]) == (["-m", "hplab.tune", "dashboard", "--port", "8080"], {})


def test_leaderboard_refuses_a_password_on_the_command_line():
    with pytest.raises(SystemExit, match="HPLAB_STORAGE"):
        load_course().leaderboard_command(["postgresql://teach:s3cret@db.example/class"])


def test_dashboard_names_an_unknown_study(study, capsys):
    pytest.importorskip("optuna_dashboard")
    from hplab.tune.__main__ import main

    assert main(["dashboard", study, "--study-name", "clas"]) == 2
    assert "'clas'" in capsys.readouterr().err
