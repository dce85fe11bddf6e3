"""Lesson 10's kill-and-resume story, made exact by tune.KillSwitch: a worker that finishes N
trials and dies inside the next leaves N more completed trials and one left running; resuming
keeps them all and runs the killed trial's configuration again. No clock is involved."""

import matplotlib
import pytest

import hplab
from hplab import tune

matplotlib.use("Agg")

SPACE = {"lr": tune.LogUniform(1e-3, 1e-1), "width": tune.Int(16, 64, log=True)}


@pytest.fixture(scope="module")
def data():
    return hplab.load_dataset("digits", n_samples=300, seed=0)


def test_a_killed_worker_leaves_its_finished_trials_and_one_running_and_resume_reruns_it(
        data, tmp_path):
    url = f"sqlite:///{tmp_path / 'class.db'}"
    tune.search(data, SPACE, method="random", n_trials=1, epochs=2, storage=url,
                study_name="class")
    worker = tune.start_worker(url, "class", n_trials=40, seed=3, kill_after=2)
    assert tune.worker_report(worker) == {"killed_by_signal": 9}  # SIGKILL, not a clean exit

    board = tune.load(url, "class").trials
    assert board["status"].tolist() == ["completed"] * 3 + ["running"]  # 1 + 2, then the killed
    assert board["epochs"].tolist() == [2, 2, 2, 1]  # the killed trial reported one epoch, no score

    resumed = tune.join(url, "class", n_trials=4, seed=7).trials
    assert resumed.loc[:2].equals(board.loc[:2])  # nothing finished was lost
    assert resumed.loc[3, "status"] == "failed"
    assert resumed.loc[4, ["lr", "width"]].tolist() == board.loc[3, ["lr", "width"]].tolist()
    assert resumed["status"].tolist().count("completed") == 4


class Killed(Exception):
    """Stands in for SIGKILL: it ends the run, and the test, where the process would die."""


class Recorder(tune.KillSwitch):
    """A kill switch that says when it fires instead of killing the test process."""

    epoch = None

    def on_epoch_end(self, trainer, epoch, logs):
        self.epoch = epoch
        super().on_epoch_end(trainer, epoch, logs)

    def kill(self):
        raise Killed(self.started, self.epoch)


def run_trials(switch, data, n, epochs):
    """Train up to ``n`` short runs in a row, as a worker does; return where the switch fired."""
    for seed in range(n):
        switch.epoch = None
        try:
            hplab.fit(hplab.mlp(64, 10, width=8, seed=seed), data, epochs=epochs,
                      callbacks=[switch], seed=seed)
        except Killed as killed:
            return killed.args
    return None


@pytest.mark.parametrize("after, at_epoch", [(0, 1), (2, 3)])
def test_the_kill_switch_fires_inside_the_trial_after_the_given_number(data, after, at_epoch):
    assert run_trials(Recorder(after, at_epoch), data, n=5, epochs=3) == (after + 1, at_epoch)


def test_a_trial_shorter_than_at_epoch_still_dies_before_its_result_is_written(data):
    assert run_trials(Recorder(1, at_epoch=5), data, n=3, epochs=2) == (2, 2)  # at its end


@pytest.mark.parametrize("kwargs, message", [
    ({"after_trials": -1}, "after_trials"), ({"after_trials": 1, "at_epoch": 0}, "at_epoch"),
    ({"after_trials": 1.5}, "after_trials")])
def test_the_kill_switch_refuses_bad_settings(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tune.KillSwitch(**kwargs)


def test_start_worker_refuses_a_negative_kill_after(tmp_path):
    with pytest.raises(ValueError, match="kill_after"):
        tune.start_worker(f"sqlite:///{tmp_path / 'x.db'}", "class", kill_after=-1)
