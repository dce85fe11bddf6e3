"""The classroom flow: several worker processes fill one study while one dies and the server restarts.

Runs on SQLite and journal files always, and on a real PostgreSQL server when
``HPLAB_TEST_POSTGRES_URL`` names one (``.ci/run`` starts a throwaway server and sets it). Without
it the PostgreSQL tests are skipped, except when the environment variable CI is set: there a
missing server is a failure. ``HPLAB_TEST_POSTGRES_CLUSTER`` ("15 main") lets a test restart it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

import hplab
from hplab import tune
from hplab.tune.storage import open_storage

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
SPACE = {"lr": tune.LogUniform(1e-3, 1.0), "width": tune.Int(4, 32)}
HEARTBEAT = 1  # seconds: a dead worker's trial is taken back after 3 s of silence


def _need(what: str) -> str:
    value = os.environ.get(what)
    if not value:
        message = f"${what} is not set; the PostgreSQL tests need a server (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so a missing PostgreSQL server is an error: {message}",
                        pytrace=False)
        pytest.skip(message)
    return value


@pytest.fixture(scope="module")
def data():
    return hplab.load_dataset("moons", n_samples=200, noise=0.2, seed=0)


@pytest.fixture(params=["sqlite", "journal", "postgres"])
def storage(request, tmp_path):
    """A storage URL of each kind, and a unique study name in it."""
    name = f"class_{request.node.name.split('[')[0][-20:]}_{os.getpid()}_{time.time_ns()}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.db'}", name
    if request.param == "journal":
        return str(tmp_path / "class.log"), name
    return _need("HPLAB_TEST_POSTGRES_URL"), name


def _oracle(url: str):
    """Optuna's own view of the storage, independent of hplab's opener."""
    if url.endswith(".log"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(url))
    return url


def _trials(url, name):
    return optuna.load_study(study_name=name, storage=_oracle(url)).get_trials()


def _restart_postgres():
    cluster = _need("HPLAB_TEST_POSTGRES_CLUSTER").split()
    subprocess.run(["pg_ctlcluster", *cluster, "stop"], check=True, timeout=120)
    time.sleep(4)  # an outage, not only a reconnect: workers must wait and retry
    subprocess.run(["pg_ctlcluster", *cluster, "start"], check=True, timeout=120)


def test_workers_fill_one_study_through_a_kill_and_a_restart(storage, data):
    """Three workers, one SIGKILLed mid-trial (and, on PostgreSQL, the server restarted while
    trials run): the study ends with its target, nothing running, nothing lost or doubled."""
    url, name = storage
    target, n_workers = 10, 3
    tune.search(data, SPACE, n_trials=1, epochs=20, storage=url, study_name=name,
                heartbeat=HEARTBEAT)
    # the first worker SIGKILLs itself inside its first trial (tune.KillSwitch): a crash at the
    # same point on every run, however fast the machine
    victim = 0
    workers = [tune.start_worker(url, name, n_trials=target, seed=i + 1, heartbeat=HEARTBEAT,
                                 kill_after=0 if i == victim else None)
               for i in range(n_workers)]
    try:
        assert tune.worker_report(workers[victim], timeout=300) == {"killed_by_signal": 9}
        if url.startswith("postgresql"):
            tune.wait_for_trials(url, name, n=4)
            _restart_postgres()
        reports = [tune.worker_report(w, timeout=300) for i, w in enumerate(workers)
                   if i != victim]
    finally:
        for w in workers:
            w.kill()
    trials = _trials(url, name)
    tag = f"{socket.gethostname()}:{workers[victim].pid}"
    killed = next(t.number for t in trials if t.user_attrs.get("worker") == tag)  # its one trial
    states = [t.state for t in trials]
    assert TrialState.RUNNING not in states  # no trial left running
    assert [t.number for t in trials] == list(range(len(trials)))  # every number once
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    overshoot = len(done) - target
    assert 0 <= overshoot <= n_workers - 1, f"{len(done)} completed for a target of {target}"
    configs = [tuple(sorted(t.params.items())) for t in done]
    assert len(set(configs)) == len(configs)  # no completed trial counted twice
    assert trials[killed].state == TrialState.FAIL  # the killed worker's trial...
    # ...was queued again with the values it had drawn (a retry cut off in turn, by an outage
    # longer than the heartbeat's grace period, is queued again too), and ends run once, or
    # left waiting when the target was reached without it (it was a surplus trial)
    again = [t for t in trials if RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == killed]
    assert all(trials[killed].params.items() <= t.params.items() for t in again)
    assert [t.state for t in again[:-1]] == [TrialState.FAIL] * (len(again) - 1)
    assert again and again[-1].state in (TrialState.COMPLETE, TrialState.WAITING)
    assert all(r["run_here"] for r in reports)  # every surviving worker did its share
    here = socket.gethostname()
    who = {f"{here}:{p}" for p in [os.getpid(), *(w.pid for w in workers)]}
    assert {t.user_attrs["worker"] for t in done} <= who


@pytest.mark.parametrize("storage", ["sqlite", "postgres"], indirect=True)
def test_a_trial_from_a_dead_worker_elsewhere_is_failed_by_heartbeat_and_rerun(storage, data):
    """A running trial whose worker (on another machine) stopped sending heartbeats is marked
    failed after three missed beats, its configuration run again, and the study completed."""
    url, name = storage
    tune.search(data, SPACE, n_trials=2, epochs=5, storage=url, study_name=name,
                heartbeat=HEARTBEAT)
    study = optuna.load_study(study_name=name, storage=open_storage(url, heartbeat=HEARTBEAT),
                              sampler=optuna.samplers.RandomSampler(seed=0))  # same trial every run
    orphan = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True),
                        "width": optuna.distributions.IntDistribution(4, 32)})
    orphan.set_user_attr("worker", "another-laptop:4242")
    study._storage.record_heartbeat(orphan._trial_id)  # it beat once, then its laptop died
    result = tune.join(url, name, n_trials=4, heartbeat=HEARTBEAT)
    trials = {t.number: t for t in _trials(url, name)}
    assert trials[orphan.number].state == TrialState.FAIL
    assert not [t for t in trials.values() if t.state == TrialState.RUNNING]
    done = [t for t in trials.values() if t.state == TrialState.COMPLETE]
    finished = result.trials["status"].isin(["completed", "diverged"])  # a run that blew up
    assert len(done) == 4 and finished.sum() == 4  # is a finished trial too, scored as such
    rerun = [t for t in done
             if RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == orphan.number]
    assert len(rerun) == 1 and rerun[0].params == orphan.params


def test_dashboard_serves_the_shared_study_on_this_computer_only(tmp_path, data):
    """``python -m hplab.tune dashboard`` shows the study in optuna-dashboard at 127.0.0.1."""
    import json
    import sys
    import urllib.request

    pytest.importorskip("optuna_dashboard")
    url = f"sqlite:///{tmp_path / 'class.db'}"
    tune.search(data, SPACE, n_trials=2, epochs=2, storage=url, study_name="class")
    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "dashboard.log"  # a file, not a pipe: a full pipe would stop the server
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "hplab.tune", "dashboard", "--port",
                                   str(port)], env={**os.environ, "HPLAB_STORAGE": url},
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, studies = time.monotonic() + 60, None
        while studies is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=10) as page:
                    studies = json.load(page)["study_summaries"]
            except OSError:
                time.sleep(0.3)
        assert studies is not None, log.read_text()[-4000:]
        assert [s["study_name"] for s in studies] == ["class"]
        assert url not in " ".join(server.args)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
