"""hplab.tune: search spaces, every search method, saved studies, the sealed test split."""

import itertools
import json
import signal
import sys

import matplotlib
import numpy as np
import optuna
import pytest

import hplab
from hplab import tune
from hplab.tune.storage import open_storage

matplotlib.use("Agg")

SPACE = {"lr": tune.LogUniform(1e-3, 1.0), "depth": tune.Int(1, 2),
         "activation": tune.Choice(["relu", "tanh"])}


@pytest.fixture(scope="module")
def table():
    return tune.load_race_table()


# ----------------------------------------------------------------------------- spaces and errors


@pytest.mark.parametrize("make, message", [
    (lambda: tune.LogUniform(1.0, 0.1), "low must be < high"),
    (lambda: tune.Float(2.0, 2.0), "low must be < high"),
    (lambda: tune.Int(4, 1), "low must be < high"),
    (lambda: tune.LogUniform(0.0, 1.0), "log range needs low > 0"),
    (lambda: tune.Int(0, 8, log=True), "log range needs low > 0"),
    (lambda: tune.Choice([]), "must not be empty"),
    (lambda: tune.Choice(["relu", "relu"]), "must be distinct"),
])
def test_bad_dimensions_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_spaces_and_arguments_name_the_problem(moons):
    with pytest.raises(ValueError, match=r"space\['lr'\] has unknown type list"):
        tune.search(moons, {"lr": [0.1, 0.01]})
    with pytest.raises(ValueError, match="space key 'learning_rate' is unknown; choose from"):
        tune.search(moons, {"learning_rate": tune.LogUniform(1e-3, 1)})
    with pytest.raises(ValueError, match="space must name at least one"):
        tune.search(moons, {})
    with pytest.raises(ValueError, match="method 'bayes' is unknown; choose one of"):
        tune.search(moons, SPACE, method="bayes")
    with pytest.raises(ValueError, match="n_trials must be >= 1, got 0"):
        tune.search(moons, SPACE, n_trials=0)
    with pytest.raises(ValueError, match="epochs must be >= 1, got -3"):
        tune.search(moons, SPACE, epochs=-3)
    with pytest.raises(ValueError, match="storage must be a database URL"):
        tune.search(moons, SPACE, storage="study.db")
    with pytest.raises(ValueError, match=r"fixed and space both set \['lr'\]"):
        tune.search(moons, SPACE, fixed={"lr": 0.1})
    with pytest.raises(ValueError, match=r"configs\[0\]\['lr'\] = 5.0 is outside its range"):
        tune.search(moons, SPACE, method="manual",
                    configs=[{"lr": 5.0, "depth": 1, "activation": "relu"}])
    with pytest.raises(TypeError, match="data must be an hplab Data bundle"):
        tune.search([[0, 1]], SPACE)


def test_space_round_trips_through_its_json_description():
    spec = tune.space_to_dict(SPACE)
    again = tune.space_from_dict(json.loads(json.dumps(spec)))
    assert tune.space_to_dict(again) == spec
    assert repr(again["lr"]) == "LogUniform(0.001, 1)"


# ----------------------------------------------------------------------------- methods


def test_grid_enumerates_exactly_the_product_of_the_space(moons):
    space = {"lr": tune.LogUniform(1e-3, 1e-1), "depth": tune.Int(1, 2),
             "activation": tune.Choice(["relu", "tanh"])}
    result = tune.search(moons, space, method="grid", epochs=1, grid_points=3)
    tried = {(round(r.lr, 12), r.depth, r.activation) for r in result.trials.itertuples()}
    expected = set(itertools.product([1e-3, 1e-2, 1e-1], [1, 2], ["relu", "tanh"]))
    assert len(result.trials) == 12 == tune.grid_cost(3, 1) * 2 * 2
    assert tried == {(round(a, 12), b, c) for a, b, c in expected}


@pytest.mark.parametrize("method", ["random", "qmc"])
def test_random_and_qmc_are_reproducible_from_seed(moons, method):
    def params(seed):
        result = tune.search(moons, SPACE, method=method, n_trials=5, epochs=1, seed=seed)
        return result.trials[list(SPACE)].to_dict("records")

    first = params(3)
    assert params(3) == first
    assert params(4) != first
    assert len({row["lr"] for row in first}) == 5  # five different learning rates


def test_same_seed_gives_the_same_scores(moons):
    a = tune.search(moons, SPACE, method="tpe", n_trials=4, epochs=3, seed=1).trials
    b = tune.search(moons, SPACE, method="tpe", n_trials=4, epochs=3, seed=1).trials
    assert a["val_loss"].tolist() == b["val_loss"].tolist()


def test_manual_tries_the_listed_configurations_in_order(moons):
    configs = [{"lr": 0.01, "depth": 1, "activation": "relu"},
               {"lr": 0.1, "depth": 2, "activation": "tanh"}]
    result = tune.search(moons, SPACE, method="manual", configs=configs, epochs=3)
    assert result.trials[list(SPACE)].to_dict("records") == configs
    assert result.best_params in configs


def test_tpe_is_no_worse_than_random_over_several_seeds(table):
    """On the digits lookup table, whose good region is known, TPE's model pays off."""
    best = {}
    for method in ("random", "tpe"):
        best[method] = np.mean([
            tune.search(table, table.space(lr=(1e-5, 1e-1)), method=method, n_trials=30, epochs=10, seed=s,
                        n_startup_trials=8).best_value for s in range(6)])
    assert best["tpe"] <= best["random"]
    _, optimum = table.best(epochs=10)
    assert best["tpe"] < optimum * 1.5  # and it gets near the table's true best


def test_hyperband_spends_fewer_epochs_than_full_training(moons):
    full = tune.search(moons, SPACE, method="random", n_trials=15, epochs=9, seed=0)
    pruned = tune.search(moons, SPACE, method="hyperband", n_trials=15, epochs=9, seed=0)
    statuses = pruned.trials["status"]
    assert (statuses == "pruned").sum() >= 5
    assert pruned.epochs_spent < full.epochs_spent
    assert full.epochs_spent <= 15 * 9
    # same configurations (same random sampler and seed), only the epochs differ
    assert pruned.trials["lr"].tolist() == full.trials["lr"].tolist()
    assert pruned.best_value < 2 * full.best_value


def test_diverged_trials_are_marked_and_never_best(moons):
    space = {"lr": tune.LogUniform(1e-2, 50.0)}
    result = tune.search(moons, space, method="grid", grid_points=4, epochs=4,
                         fixed={"optimizer": "sgd"})
    statuses = dict(zip(result.trials["lr"].round(4), result.trials["status"]))
    assert statuses[50.0] == "diverged"
    assert result.best_params["lr"] < 50.0
    axes = result.plot_axes()
    crosses = [c for c in axes[0].collections if c.get_label() == "diverged"]
    assert len(crosses) == 1 and len(crosses[0].get_offsets()) >= 1


def test_epoch_budget_stops_the_search(table):
    result = tune.search(table, table.space(), method="random", epochs=10, epoch_budget=55)
    assert 55 <= result.epochs_spent < 65


# ----------------------------------------------------------------------------- health check


def test_health_check_fires_on_an_edge_optimum_and_not_on_an_interior_one(moons):
    short = dict(method="random", n_trials=8, epochs=5, seed=0)
    edge = tune.search(moons, {"lr": tune.LogUniform(1e-5, 1e-3)}, **short)
    inside = tune.search(moons, {"lr": tune.LogUniform(1e-4, 10.0)}, **short)
    assert any("upper edge" in note and "lr" in note for note in edge.health_check())
    assert inside.health_check() == []


def test_health_check_warns_when_most_trials_diverge(moons):
    result = tune.search(moons, {"lr": tune.LogUniform(5.0, 500.0)}, method="random",
                         n_trials=6, epochs=3, fixed={"optimizer": "sgd"})
    assert any("diverged" in note for note in result.health_check())


# ----------------------------------------------------------------------------- the sealed test split


def test_search_never_reads_test_and_final_evaluation_reads_it_once():
    data = hplab.load_dataset("moons", n_samples=300, seed=1)
    result = tune.search(data, SPACE, method="random", n_trials=4, epochs=5)
    assert data.test_reads == 0
    final = tune.final_evaluation(data, result)
    assert data.test_reads == 1 == final.test_reads and not final.peeked
    assert 0.5 < final.test_metric <= 1.0
    assert "read 1 time" in str(final)
    again = tune.final_evaluation(data, result.best_config, epochs=5, refit_on="train")
    assert again.test_reads == 2 and again.peeked
    assert "no longer an unbiased estimate" in str(again)


def test_final_evaluation_refits_on_train_and_validation(moons):
    final = tune.final_evaluation(moons, {"lr": 0.05, "depth": 1}, epochs=2)
    assert final.history.config["n_train"] == len(moons.train.y) + len(moons.val.y)
    with pytest.raises(ValueError, match="refit_on 'test' is unknown"):
        tune.final_evaluation(moons, {"lr": 0.05}, refit_on="test")
    with pytest.raises(ValueError, match=r"config key\(s\) \['learning_rate'\] are unknown"):
        tune.final_evaluation(moons, {"learning_rate": 0.05})


# ----------------------------------------------------------------------------- budgets and races


def test_budget_formulas_match_the_closed_forms():
    assert tune.grid_cost(3, 4) == 81
    assert tune.random_hit_chance(60) == pytest.approx(1 - 0.95 ** 60)
    n = tune.trials_needed(0.95, top=0.05)
    assert tune.random_hit_chance(n) >= 0.95 > tune.random_hit_chance(n - 1)
    with pytest.raises(ValueError, match="top must be > 0"):
        tune.random_hit_chance(10, top=0)


def test_hit_chance_matches_simulated_random_search_on_the_table(table):
    """Draw n of the table's configurations at random, many times: how often is one in the top 5%?"""
    scores = table.scores().ravel()
    top = scores <= np.quantile(scores, 0.05)
    rng = np.random.default_rng(0)
    for n in (5, 20, 60):
        hits = top[rng.integers(0, len(scores), size=(4000, n))].any(axis=1).mean()
        share = top.mean()  # the exact share is a little over 5% (ties at the quantile)
        assert hits == pytest.approx(tune.random_hit_chance(n, top=share), abs=0.03)


# ----------------------------------------------------------------------------- saved studies


def _study(path, name="s"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{path}")


def test_journal_file_storage_saves_and_loads(tmp_path, moons):
    log = tmp_path / "study.log"
    tune.search(moons, SPACE, n_trials=3, epochs=2, storage=str(log), study_name="j")
    loaded = tune.load(str(log), "j")
    assert len(loaded.trials) == 3 and loaded.method == "random"
    more = tune.search(moons, SPACE, n_trials=5, epochs=2, storage=str(log), study_name="j")
    assert len(more.trials) == 5
    with pytest.raises(ValueError, match="made with a different space"):
        tune.search(moons, {"lr": tune.LogUniform(1e-3, 1.0)}, n_trials=6, epochs=2,
                    storage=str(log), study_name="j")


def test_sigkilled_search_resumes_with_completed_trials_kept(tmp_path, moons):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.search(moons, SPACE, method="random", n_trials=1, epochs=20, storage=url,
                study_name="s")
    worker = tune.start_worker(url, "s", n_trials=200, seed=1)  # another process
    try:
        tune.wait_for_trials(url, "s", n=4, timeout=120)
    finally:
        worker.kill()  # SIGKILL: no chance to clean up
    assert tune.worker_report(worker) == {"killed_by_signal": signal.SIGKILL}
    before = {t.number: (t.params, t.value) for t in _study(tmp_path / "study.db").trials
              if t.state.name == "COMPLETE"}
    assert len(before) >= 4
    target = len(before) + 3
    resumed = tune.search(moons, SPACE, method="random", n_trials=target, epochs=20,
                          storage=url, study_name="s")
    after = {t.number: (t.params, t.value) for t in resumed.study.trials
             if t.state.name == "COMPLETE"}
    assert {n: after[n] for n in before} == before  # every completed trial kept, unchanged
    new = sorted(set(after) - set(before))
    assert len(new) == 3 and min(new) > max(before)  # trial numbers continue
    assert len(after) == target
    old_params = [p for p, _ in before.values()]
    assert all(after[n][0] not in old_params for n in new)  # the sampler does not replay


def test_two_processes_sharing_one_study_record_every_trial_once(tmp_path, moons):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    tune.search(moons, SPACE, method="random", n_trials=1, epochs=5, storage=url,
                study_name="s")
    reports = tune.run_workers(url, "s", n_workers=2, n_trials=12)  # seeds 1 and 2
    trials = _study(tmp_path / "shared.db").trials
    numbers = [t.number for t in trials]
    assert numbers == list(range(len(trials)))  # every trial recorded once, none lost
    assert all(t.state.name == "COMPLETE" for t in trials)
    mine = [set(r["run_here"]) for r in reports]
    assert mine[0] and mine[1] and not mine[0] & mine[1]  # both worked, never on the same trial
    assert mine[0] | mine[1] | {0} == set(numbers)
    assert 12 <= len(trials) <= 14  # each stops once the study holds its 12 trials
    configs = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(configs)) == len(configs)  # the two workers drew different configurations


def test_join_and_load_never_create_a_study_by_accident(tmp_path, moons):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.search(moons, SPACE, n_trials=1, epochs=1, storage=url, study_name="digits")
    with pytest.raises(ValueError, match=r"study 'digit' is not in sqlite:///.*holds: 'digits'"):
        tune.join(url, "digit", n_trials=2)
    with pytest.raises(ValueError, match="study 'x' is not in"):
        tune.load(url, "x")
    for missing in (f"sqlite:///{tmp_path / 'stdy.db'}", str(tmp_path / "stdy.log")):
        with pytest.raises(ValueError, match=r"storage file .*stdy\.(db|log)' does not exist"):
            tune.join(missing, "digits")
    assert sorted(p.name for p in tmp_path.iterdir() if "stdy" in p.name) == []
    with pytest.raises(ValueError, match="made with method 'random'.*not 'tpe'"):
        tune.search(moons, SPACE, method="tpe", n_trials=2, epochs=1, storage=url,
                    study_name="digits")
    with pytest.raises(ValueError, match="n_trials must be >= 1, got 0"):
        tune.join(url, "digits", n_trials=0)


def _two_trials_and_an_orphan(tmp_path, moons):
    """A study with 2 finished trials and a running one whose worker, on another machine, sent
    one heartbeat and died."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.search(moons, SPACE, n_trials=2, epochs=1, storage=url, study_name="s", heartbeat=1)
    study = optuna.load_study(study_name="s", storage=open_storage(url, heartbeat=1),
                              sampler=optuna.samplers.RandomSampler(seed=0))
    orphan = study.ask()
    orphan.set_user_attr("worker", "another-laptop:1")
    study._storage.record_heartbeat(orphan._trial_id)
    return url


def test_join_by_default_adds_one_trial_and_takes_over_a_dead_workers_trial(tmp_path, moons):
    url = _two_trials_and_an_orphan(tmp_path, moons)
    tune.join(url, "s", heartbeat=1)  # one more than the 3 finished or under way
    states = [t.state.name for t in _study(tmp_path / "study.db").trials]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]



@pytest.mark.timeout(120)  # before the fix, the join below waited for ever
def test_a_trial_whose_worker_died_before_its_first_line_is_failed_not_waited_for(tmp_path, moons):
    """A worker killed between Optuna creating its trial and calling the objective leaves a
    running trial with no worker tag, no values and no heartbeat (as a killed worker did in a
    test run). Past three heartbeats it is failed, and the study reaches its target."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.search(moons, SPACE, n_trials=2, epochs=1, storage=url, study_name="s", heartbeat=1)
    study = optuna.load_study(study_name="s", storage=open_storage(url, heartbeat=1),
                              sampler=optuna.samplers.RandomSampler(seed=0))
    orphan = study.ask()  # created, then its process died before the objective's first line
    tune.join(url, "s", n_trials=3, heartbeat=1)
    states = [t.state.name for t in _study(tmp_path / "study.db").trials]
    assert states[orphan.number] == "FAIL" and "RUNNING" not in states
    assert states.count("COMPLETE") == 3 and len(states) == 4  # failed, not queued again

def test_no_trial_starts_while_running_ones_fill_the_target(tmp_path, moons):
    url = _two_trials_and_an_orphan(tmp_path, moons)
    tune.join(url, "s", n_trials=3, heartbeat=1)  # 2 finished + 1 running: nothing to start
    states = [t.state.name for t in _study(tmp_path / "study.db").trials]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]  # waited, then ran its retry


def test_storage_comes_from_the_environment_and_never_from_the_command_line(
        tmp_path, moons, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.search(moons, SPACE, n_trials=1, epochs=1, storage=url, study_name="s")
    monkeypatch.setenv("HPLAB_STORAGE", url)
    assert len(tune.load(study_name="s").trials) == 1
    worker = tune.start_worker(None, "s", n_trials=2, seed=1)
    assert url not in " ".join(worker.args)  # `ps` shows every user the command line
    assert tune.worker_report(worker)["trials_in_study"] == 2
    monkeypatch.delenv("HPLAB_STORAGE")
    with pytest.raises(ValueError, match=r"no storage given and \$HPLAB_STORAGE is not set"):
        tune.load(study_name="s")


@pytest.mark.parametrize("url", [
    "postgresql//hplab:s3cret@db.example/tuning",  # "://" mistyped
    "postgresql://hplab:s3cret@127.0.0.1:1/tuning",  # no server there
])
def test_passwords_never_appear_in_errors(url, capsys, monkeypatch):
    pytest.importorskip("psycopg")
    with pytest.raises((ValueError, ConnectionError)) as error:
        tune.load(url, "s")
    assert "s3cret" not in str(error.value) and "hplab:***@" in str(error.value)
    monkeypatch.setenv("HPLAB_STORAGE", url)
    from hplab.tune.__main__ import main

    assert main(["join", "--study-name", "s"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "s3cret" not in err


def test_a_postgres_server_that_never_answers_is_given_up_on_not_waited_for(monkeypatch):
    """A server that takes the connection and then says nothing (an unreachable host behind a
    dead link looks the same to the client): opening the storage fails after CONNECT_TIMEOUT."""
    import socket

    from hplab.tune import storage

    pytest.importorskip("psycopg")
    monkeypatch.setattr(storage, "CONNECT_TIMEOUT", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        port = silent.getsockname()[1]
        with pytest.raises(ConnectionError, match="timeout expired") as error:  # libpq's words
            tune.load(f"postgresql://hplab:s3cret@127.0.0.1:{port}/tuning", "s")
    assert "s3cret" not in str(error.value)


def test_a_url_keeps_its_own_connection_settings():
    from hplab.tune.storage import CONNECT_TIMEOUT, _postgres_connect_args

    assert _postgres_connect_args("postgresql://u:p@h/db")["connect_timeout"] == CONNECT_TIMEOUT
    own = _postgres_connect_args("postgresql://u:p@h/db?connect_timeout=30&keepalives_idle=5")
    assert "connect_timeout" not in own and "keepalives_idle" not in own and own["keepalives"] == 1


def test_a_missing_database_driver_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'psycopg\[binary\]'") as error:
        tune.load("postgresql://hplab:s3cret@no-driver.example/tuning", "s")
    assert "s3cret" not in str(error.value)


def test_export_copies_a_study_that_is_still_open_with_every_trial(tmp_path, moons):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = tune.search(moons, SPACE, n_trials=3, epochs=1, storage=url, study_name="s")
    assert (tmp_path / "study.db-wal").stat().st_size > 0  # trials still sit in the -wal file
    from hplab.tune.__main__ import main

    assert main(["export", url, str(tmp_path / "handed_in.db")]) == 0
    copied = tune.load(f"sqlite:///{tmp_path / 'handed_in.db'}", "s").trials
    assert copied["val_loss"].tolist() == result.trials["val_loss"].tolist()
    with pytest.raises(ValueError, match="already exists"):
        tune.export(url, tmp_path / "handed_in.db")
    log = tmp_path / "study.log"
    tune.search(moons, SPACE, n_trials=2, epochs=1, storage=str(log), study_name="j")
    tune.export(str(log), tmp_path / "from_journal.db")
    assert len(tune.load(f"sqlite:///{tmp_path / 'from_journal.db'}", "j").trials) == 2


def test_leaderboard_names_who_ran_each_trial_and_tracks_everyones_best(tmp_path, moons):
    url = f"sqlite:///{tmp_path / 'class.db'}"
    tune.search(moons, SPACE, n_trials=2, epochs=2, storage=url, study_name="c")  # no name
    tune.join(url, "c", n_trials=5, seed=1, learner="ada")
    tune.join(url, "c", n_trials=8, seed=2, learner="grace")
    board = tune.leaderboard(url, "c", top=4)
    trials = tune.load(url, "c").trials.query("status == 'completed'")
    assert board["val_loss"].tolist() == sorted(trials["val_loss"])[:4]  # best first
    who = {t.number: t.user_attrs.get("learner") for t in _study(tmp_path / "class.db", "c").trials}
    assert all(board.loc[n, "learner"] == (who[n] or "(no name)") for n in board.index)
    best = tune.best_so_far(url, "c")
    assert set(best.columns) == {"(no name)", "ada", "grace"}
    for name in best.columns:
        mine = trials.loc[[n for n in trials.index if (who[n] or "(no name)") == name], "val_loss"]
        curve = best[name].dropna()
        assert (curve.diff().dropna() <= 0).all() and curve.iloc[-1] == mine.min()
    with pytest.raises(ValueError, match="learner must be a name of 1 to 64 characters"):
        tune.join(url, "c", n_trials=9, learner="  ")


def test_progress_bar_counts_trials(moons, capsys):
    tune.search(moons, SPACE, n_trials=3, epochs=1, progress=True)
    assert "3/3" in capsys.readouterr().err
