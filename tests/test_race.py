"""The race table and races (lesson 09): interpolation, real curves, and what the lesson claims.

The lesson's claims are statistical, so each is checked on the lesson's own seeds and on five
other sets of seeds; it must hold on the lesson's and on at least four of the other five.
"""

import matplotlib
import numpy as np
import pytest

import hplab
from hplab import tune
from hplab.tune.lookup import race_curves

matplotlib.use("Agg")

DUEL_KNOBS = ("lr", "depth", "activation")  # lesson 09's duel: width fixed at 64
DUEL_FIXED = {"width": 64}


@pytest.fixture(scope="module")
def table():
    return tune.load_race_table()


@pytest.fixture(scope="module")
def stored():
    """The trained curves exactly as the .npz holds them (no interpolation)."""
    with np.load(tune.load_race_table().path) as z:
        return {k: z[k].astype(float) for k in ("val_loss", "val_accuracy")}


def _duel(table, lr, seeds, methods=("grid", "random")):
    space = table.space(DUEL_KNOBS, lr=lr)
    return tune.race(table, space, methods=methods, seeds=seeds, n_trials=18, epochs=20,
                     fixed=DUEL_FIXED)


def _holds_on_other_seeds(claim, blocks) -> int:
    return sum(bool(claim(block)) for block in blocks)


# ----------------------------------------------------------------------------- the table


def test_table_stays_small_and_dense_in_lr(table):
    lrs = np.log10(table.trained["lr"])
    assert np.allclose(np.diff(lrs), 1 / 12, atol=1e-5)  # twelve trained rates per decade
    assert table.n_configs == 61 * 3 * 4 * 2
    assert len(table.levels["lr"]) == 60 * table.steps + 1


def test_lookup_is_exact_at_trained_learning_rates(table, stored):
    for i, lr in enumerate(table.trained["lr"]):
        for arch in ((1, 16, "relu"), (3, 128, "tanh")):
            config = dict(lr=lr, depth=arch[0], width=arch[1], activation=arch[2])
            assert table.snap(config)["lr"] == lr
            at = (i, table.trained["depth"].index(arch[0]), table.trained["width"].index(arch[1]),
                  table.trained["activation"].index(arch[2]))
            np.testing.assert_array_equal(table.curve(config), stored["val_loss"][at])


def test_lookup_between_trained_rates_lies_between_the_neighbours(table, stored):
    rng = np.random.default_rng(0)
    trained = np.asarray(table.trained["lr"])
    for lr in 10 ** rng.uniform(-5, 0, 200):
        arch = (int(rng.integers(3)), int(rng.integers(4)), int(rng.integers(2)))
        config = dict(lr=float(lr), depth=table.trained["depth"][arch[0]],
                      width=table.trained["width"][arch[1]],
                      activation=table.trained["activation"][arch[2]])
        lo = min(int(np.searchsorted(trained, lr)) - 1, len(trained) - 2)
        a, b = stored["val_loss"][(lo, *arch)], stored["val_loss"][(lo + 1, *arch)]
        got = table.curve(config)
        both = np.isfinite(a) & np.isfinite(b)
        assert np.all(got[both] >= np.minimum(a, b)[both] - 1e-12)
        assert np.all(got[both] <= np.maximum(a, b)[both] + 1e-12)
        assert np.all(np.isnan(got[~np.isfinite(a) & ~np.isfinite(b)]))  # both diverged
        assert set(np.flatnonzero(np.isnan(got))) <= set(np.flatnonzero(~both))


def test_lookup_reads_any_learning_rate_and_snaps_the_rest(table):
    config = table.snap({"lr": 0.0011, "depth": 2, "width": 70, "activation": "tanh"})
    assert config["lr"] == pytest.approx(0.0011, rel=0.015)  # not rounded to a trained rate
    assert 0.0011 not in table.trained["lr"] and config["lr"] not in table.trained["lr"]
    assert (config["depth"], config["width"], config["activation"]) == (2, 64, "tanh")
    assert len(table.curve(config)) == table.epochs
    seen = {table.snap({**config, "lr": float(lr)})["lr"] for lr in np.geomspace(1e-3, 1e-2, 60)}
    assert len(seen) == 60  # sixty draws in one decade: sixty different learning rates


@pytest.mark.parametrize("call, message", [
    (lambda t: t.curve({"lr": -1.0, "depth": 1, "width": 16, "activation": "relu"}),
     "lr must be a number > 0"),
    (lambda t: t.curve({"lr": 1e-3, "depth": 1, "width": 16, "activation": "relu6"}),
     "activation 'relu6' is not in the table"),
    (lambda t: t.curve({"lr": 1e-3, "depth": 1}), "config must give activation, width"),
    (lambda t: t.space(("lr",), lr=(1e-6, 1e-1)), r"lr range must satisfy 1e-05 <= low"),
    (lambda t: t.space(("lr", "loss"),), "names 'loss' is unknown"),
    (lambda t: t.space(("lr",), width=(16, 64)), r"ranges name \['width'\]"),
])
def test_table_rejects_bad_input_with_the_rule(table, call, message):
    with pytest.raises(ValueError, match=message):
        call(table)


def test_space_narrows_a_range_and_keeps_the_rest(table):
    space = table.space(DUEL_KNOBS, lr=(1e-5, 1e-1))
    assert list(space) == list(DUEL_KNOBS)
    assert (space["lr"].low, space["lr"].high) == (1e-5, 1e-1)
    assert tune.grid_of(space)["lr"] == pytest.approx([1e-5, 1e-3, 1e-1])


def test_profile_can_hold_other_knobs_fixed(table):
    scores = table.scores()
    w = table.levels["width"].index(64)
    fixed = table.profile("lr", fixed={"width": 64})
    np.testing.assert_array_equal(fixed.to_numpy(), scores[:, :, w, :].min(axis=(1, 2)))
    assert np.all(fixed.to_numpy() >= table.profile("lr").to_numpy())
    with pytest.raises(ValueError, match="fixed must not hold 'lr'"):
        table.profile("lr", fixed={"lr": 1e-3})


def test_duel_grid_misses_the_good_band_of_learning_rates(table):
    """Lesson 09: with width 64, the lr within 10% of the best span about a fifth of the range's
    four decades, between the grid's 1e-3 and 1e-1; at 1e-3 the best loss is 10%+ worse."""
    profile = table.profile("lr", fixed=DUEL_FIXED)
    good = profile[profile < 1.1 * profile.min()].index
    assert 1e-3 < min(good) and max(good) < 1e-1
    assert 0.15 < np.log10(max(good) / min(good)) / 4 < 0.25
    assert profile[1e-3] > 1.1 * profile.min()


def test_spread_ranks_the_learning_rate_first(table):
    """Lesson 09: the learning rate moves the best loss >10x, the others by a third or less."""
    spread = table.spread()
    assert list(spread.index) == ["lr", "width", "depth", "activation"]
    assert spread["lr"] > 10 and spread.drop("lr").max() < 1.34


@pytest.mark.parametrize("config", [
    {"lr": 1e-3, "depth": 2, "width": 64, "activation": "relu"},
    {"lr": 1e-2, "depth": 1, "width": 16, "activation": "tanh"},
    {"lr": 1e-4, "depth": 3, "width": 128, "activation": "relu"},
    {"lr": 1.0, "depth": 3, "width": 64, "activation": "relu"},  # diverges
])
def test_race_table_curves_are_what_fit_gives(table, config):
    """The table is real training: a stored curve is the one fit produces, up to rounding,
    and NaN from the epoch a run diverged on."""
    data = hplab.load_dataset("digits", seed=0)
    assert config["lr"] in table.trained["lr"]
    model = hplab.mlp(data.n_features, data.n_outputs, depth=config["depth"],
                      width=config["width"], activation=config["activation"], seed=0)
    hist = hplab.fit(model, data, optimizer="adam", lr=config["lr"], batch_size=64,
                     epochs=table.epochs, seed=0)
    n = hist.stopped_epoch - 1 if hist.diverged else table.epochs
    curve = table.curve(config)
    np.testing.assert_allclose(curve[:n], hist.val_loss[:n], rtol=2e-3)
    assert np.all(np.isnan(curve[n:])) and (n < table.epochs) == (config["lr"] == 1.0)


def test_rebuilding_the_table_is_deterministic(table):
    """tools/make_race_table.py's curves: the same on every rebuild, and the ones stored."""
    data = hplab.load_dataset("digits", seed=0)
    lrs = table.trained["lr"][20:41:10]  # about 5e-4, 3e-3 and 2e-2
    kw = dict(depth=1, width=32, activation="tanh", epochs=5)
    first, again = race_curves(data, lrs, **kw), race_curves(data, lrs, **kw)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    for i, lr in enumerate(lrs):
        curve = table.curve(dict(lr=lr, depth=1, width=32, activation="tanh"))[:5]
        np.testing.assert_allclose(first["val_loss"][i], curve, rtol=2e-3)


# ----------------------------------------------------------------------------- grid vs random


def test_random_beats_grid_when_one_knob_matters(table):
    """Lesson 09's duel: same 18 trials; random's median is 5% lower and it wins most seeds."""
    grid = _duel(table, (1e-5, 1e-1), [0], methods=("grid",)).final("grid")[0]
    lesson = _duel(table, (1e-5, 1e-1), range(40), methods=("random",)).final("random")
    others = [_duel(table, (1e-5, 1e-1), range(s, s + 30), methods=("random",)).final("random")
              for s in (100, 200, 300, 400, 500)]

    def holds(best):
        return np.median(best) < 0.95 * grid and np.mean(best < grid) > 0.75

    assert holds(lesson)
    assert _holds_on_other_seeds(holds, others) >= 4
    duel = _duel(table, (1e-5, 1e-1), range(3))
    assert np.ptp(duel.final("grid")) == 0  # the grid is one fixed design on every seed
    assert duel.results["grid"][0].trials["lr"].nunique() == 3
    assert duel.results["random"][0].trials["lr"].nunique() == 18


def test_a_grid_rides_on_where_its_values_fall(table):
    """Shift the lr range so the grid's middle lands in the good band: now the grid wins, and
    its result moves far more than random search's median."""
    ranges = ((1e-5, 1e-1), (1e-4, 1e-1))
    grid = {lr: _duel(table, lr, [0], methods=("grid",)).final("grid")[0] for lr in ranges}
    grid_move = abs(grid[ranges[0]] - grid[ranges[1]])

    def holds(seeds):
        best = {lr: _duel(table, lr, seeds, methods=("random",)).final("random") for lr in ranges}
        random_move = abs(np.median(best[ranges[0]]) - np.median(best[ranges[1]]))
        grid_wins_shifted = np.mean(grid[ranges[1]] < best[ranges[1]])
        return grid_wins_shifted > 0.5 and grid_move > 3 * random_move

    assert holds(range(40))
    assert _holds_on_other_seeds(holds, [range(s, s + 30) for s in (100, 200, 300, 400, 500)]) >= 4


# ----------------------------------------------------------------------------- the full race


def test_full_race_ranking_is_what_the_lesson_says(table):
    """TPE's median ends below random's (by 0.002+); Hyperband beats random on most seeds."""
    full = table.space(lr=(1e-5, 1e-1))

    def race(seeds, methods=("random", "tpe", "hyperband")):
        return tune.race(table, full, methods=methods, seeds=seeds, epochs=20, epoch_budget=400,
                         n_startup_trials=8)

    def holds(r):
        median = r.summary()["median_best_val_loss"]
        return median["tpe"] < median["random"] - 0.002 and r.wins("hyperband", "random") > 0.55

    lesson = race(range(10), methods=("grid", "random", "tpe", "hyperband"))
    assert holds(lesson)
    others = [race(range(s, s + 10)) for s in (10, 20, 30, 40, 50)]
    assert _holds_on_other_seeds(holds, others) >= 4
    assert lesson.summary().loc["hyperband", "trials"] > 2 * lesson.summary().loc["random", "trials"]
    # grid and random: no fixed order, it changes with the seeds
    second = race(range(10, 20), methods=("grid", "random"))
    order = [np.median(r.final("grid")) < np.median(r.final("random")) for r in (lesson, second)]
    assert order[0] != order[1]


def test_manual_entrant_stops_short_of_the_best(table):
    by_hand = [dict(lr=1e-3, depth=2, width=32, activation="relu"),
               dict(lr=1e-2, depth=2, width=64, activation="tanh")]
    result = tune.race(table, table.space(lr=(1e-5, 1e-1)), methods=("manual",), seeds=[0, 1],
                       epochs=20, configs=by_hand)
    assert result.summary().loc["manual", "trials"] == 2
    assert np.ptp(result.final("manual")) == 0
    assert result.final("manual")[0] > 1.1 * table.best(epochs=20)[1]


# ----------------------------------------------------------------------------- races


def test_random_tries_more_values_of_each_axis_than_grid(table):
    """Bergstra & Bengio's point: with the same trials, grid repeats each value many times."""
    space = {"lr": tune.LogUniform(1e-4, 1.0), "width": tune.Int(16, 128, log=True)}
    grid = tune.search(table, space, method="grid", grid_points=3, epochs=10,
                       fixed={"depth": 2, "activation": "relu"})
    rand = tune.search(table, space, method="random", n_trials=9, epochs=10,
                       fixed={"depth": 2, "activation": "relu"})
    assert grid.trials["lr"].nunique() == 3
    assert rand.trials["lr"].nunique() == 9  # no two draws share a learning rate


def test_race_gives_a_curve_per_seed_and_method(table):
    result = tune.race(table, table.space(), methods=("random", "hyperband"), seeds=[0, 1],
                       n_trials=8, epochs=9)
    grid, curves = result.curves("random", x="epochs")
    assert curves.shape == (2, len(grid))
    assert np.all(np.diff(curves[:, -20:], axis=1) <= 0)  # best-so-far never rises
    summary = result.summary()
    assert summary.loc["hyperband", "epochs"] < summary.loc["random", "epochs"]
    assert result.plot().get_ylabel() == "best validation loss so far"


def test_plot_seeds_shows_every_seed_and_the_median(table):
    result = _duel(table, (1e-5, 1e-1), range(5))
    ax = result.plot_seeds()
    dots = [c.get_offsets() for c in ax.collections]
    assert [len(d) for d in dots] == [5, 5]
    np.testing.assert_allclose(np.sort(dots[1][:, 1]), np.sort(result.final("random")))
    bars = [line.get_ydata()[0] for line in ax.lines]
    assert bars == pytest.approx([np.median(result.final(m)) for m in ("grid", "random")])
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["grid", "random"]
    assert result.wins("random", "grid") == np.mean(result.final("random") < result.final("grid"))
    with pytest.raises(ValueError, match="method 'tpe' is unknown"):
        result.final("tpe")
