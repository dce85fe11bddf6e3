"""fit_many and friends, checked against sequential hplab.fit (PyTorch's optimizers) as the oracle."""

import math

import numpy as np
import pytest
import torch

import hplab
from hplab.sweep import LRSweep, fit_many, fit_seeds, lr_sweep, seed_band

CURVES = ("train_loss", "val_loss", "train_metric", "val_metric", "lr", "batch_loss")


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=240, noise=0.25, seed=0)


def sequential(data, member, *, depth=2, width=16, activation="relu", dropout=0.0, **settings):
    """The oracle: one ordinary fit per member."""
    net = hplab.mlp(data.n_features, data.n_outputs, depth=depth, width=width,
                    activation=activation, dropout=dropout, seed=member.get("seed", 0))
    knobs = {k: member[k] for k in ("lr", "momentum", "betas", "weight_decay") if k in member}
    hist = hplab.fit(net, data, seed=member.get("data_seed", member.get("seed", 0)),
                     **knobs, **settings)
    return hist, net


def assert_same_run(got, want, got_net=None, want_net=None, rel=1e-4):
    assert got.status == want.status
    assert got.epoch == want.epoch
    assert got.best_epoch == want.best_epoch
    assert got.steps_per_epoch == want.steps_per_epoch
    assert got.stopped_epoch == want.stopped_epoch and got.stopped_step == want.stopped_step
    assert got.predictions.keys() == want.predictions.keys()
    for key, value in want.predictions.items():
        assert got.predictions[key] == pytest.approx(value, abs=0.02), key  # a rounding may flip one
    for key in CURVES:
        a, b = np.array(getattr(got, key)), np.array(getattr(want, key))
        np.testing.assert_allclose(a, b, rtol=rel, atol=rel, equal_nan=True, err_msg=key)
    for key in ("train_loss", "val_loss", "train_metric", "val_metric"):
        assert got.initial[key] == pytest.approx(want.initial[key], rel=1e-6, abs=1e-6)
    if got_net is not None:
        for p, q in zip(got_net.parameters(), want_net.parameters()):
            torch.testing.assert_close(p, q, rtol=rel, atol=rel)


MEMBERS = {
    "sgd": [dict(lr=0.1), dict(lr=0.3, seed=1, data_seed=7, weight_decay=1e-3)],
    "momentum": [dict(lr=0.05), dict(lr=0.02, seed=1, momentum=0.5, weight_decay=1e-3)],
    "nesterov": [dict(lr=0.05, momentum=0.8), dict(lr=0.02, seed=2, data_seed=3)],
    "rmsprop": [dict(lr=1e-3), dict(lr=3e-3, seed=1, momentum=0.5, weight_decay=1e-3)],
    "adam": [dict(lr=1e-2), dict(lr=3e-3, seed=1, betas=(0.8, 0.99), weight_decay=1e-3)],
    "adamw": [dict(lr=1e-2, weight_decay=0.1), dict(lr=3e-3, seed=1, betas=(0.5, 0.9))],
}


@pytest.mark.parametrize("optimizer", hplab.OPTIMIZERS)
def test_each_member_matches_a_sequential_fit(moons, optimizer):
    members = MEMBERS[optimizer]
    hists, nets = fit_many(moons, members, optimizer=optimizer, width=16, batch_size=16,
                           epochs=4, return_models=True)
    assert len(hists) == len(members)
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(moons, member, optimizer=optimizer, batch_size=16, epochs=4)
        assert_same_run(hist, want, net, want_net)


@pytest.mark.parametrize("optimizer,schedule", [("adam", "one_cycle"), ("sgd", "one_cycle"),
                                                ("momentum", "warmup_cosine"), ("rmsprop", "step")])
def test_schedules_match_fit_including_cycled_momentum(moons, optimizer, schedule):
    members = [dict(lr=0.02), dict(lr=0.05, seed=3)]
    hists = fit_many(moons, members, optimizer=optimizer, schedule=schedule, width=16,
                     epochs=5)
    for member, hist in zip(members, hists):
        want, _ = sequential(moons, member, optimizer=optimizer, schedule=schedule, epochs=5)
        assert_same_run(hist, want)
    assert len(set(hists[0].lr)) > 1  # the schedule really moved the learning rate


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_dropout_masks_match_fit_member_by_member(moons, optimizer):
    members = [dict(lr=0.03), dict(lr=0.01, seed=2, data_seed=5)]
    hists, nets = fit_many(moons, members, optimizer=optimizer, dropout=0.3, width=16,
                           epochs=3, return_models=True)
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(moons, member, optimizer=optimizer, dropout=0.3, epochs=3)
        assert_same_run(hist, want, net, want_net)
    assert isinstance(nets[0][2], torch.nn.Dropout)


def test_a_diverging_member_is_frozen_and_the_others_carry_on(moons):
    calm = [dict(lr=0.05), dict(lr=0.1, seed=2)]
    alone = fit_many(moons, calm, optimizer="momentum", width=16, epochs=6)
    mixed, nets = fit_many(moons, [calm[0], dict(lr=50.0, seed=1), calm[1]],
                           optimizer="momentum", width=16, epochs=6, return_models=True)
    blown = mixed[1]
    assert blown.status == "diverged" and blown.epochs_run < 6
    assert "starting loss" in blown.stop_reason or "not a number" in blown.stop_reason
    for got, want in zip((mixed[0], mixed[2]), alone):
        assert got.status == "completed" and got.epochs_run == 6
        assert_same_run(got, want, rel=1e-5)
    want, want_net = sequential(moons, dict(lr=50.0, seed=1), optimizer="momentum",
                                epochs=6)
    assert want.status == "diverged" and want.stopped_epoch == blown.stopped_epoch
    assert blown.stopped_step == want.stopped_step < blown.steps_per_epoch  # inside epoch 1
    assert_same_run(blown, want, nets[1], want_net)  # frozen with the weights fit stopped at


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_members_stop_at_the_same_minibatch_as_fit(optimizer):
    data = hplab.load_dataset("moons", seed=0)  # lesson 02's data: 10 steps per epoch
    lrs = [0.1, 5.0, 20.0, 60.0] if optimizer == "sgd" else [1e-2, 3.0, 30.0]
    members = [dict(lr=lr, seed=s) for lr in lrs for s in (0, 1)]
    hists, nets = fit_many(data, members, optimizer=optimizer, width=32, epochs=4,
                           return_models=True)
    assert any(h.diverged and h.stopped_step % h.steps_per_epoch for h in hists)  # mid-epoch
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(data, member, optimizer=optimizer, width=32, epochs=4)
        assert_same_run(hist, want, net, want_net)


def test_early_stopping_is_per_member_with_best_weights_restored(moons):
    small = moons.subset(40, seed=0)  # overfits fast, so validation loss turns up early
    members = [dict(lr=0.03), dict(lr=0.001, seed=1), dict(lr=0.1, seed=2)]
    stopper = hplab.EarlyStopping(patience=3)
    hists, nets = fit_many(small, members, width=16, batch_size=8, epochs=40,
                           early_stopping=stopper, return_models=True)
    assert len({h.epochs_run for h in hists}) > 1  # members stopped at different epochs
    assert any(h.status == "early_stopped" for h in hists)
    for member, hist, net in zip(members, hists, nets):
        want, want_net = sequential(small, member, batch_size=8, epochs=40,
                                    early_stopping=hplab.EarlyStopping(patience=3))
        assert_same_run(hist, want, net, want_net)
        assert hist.stop_reason == want.stop_reason


def test_regression_members_match_fit():
    sine = hplab.load_dataset("sine", n_samples=120, seed=1)
    members = [dict(lr=1e-2), dict(lr=3e-2, seed=4)]
    hists = fit_many(sine, members, activation="tanh", width=16, epochs=4)
    for member, hist in zip(members, hists):
        want, _ = sequential(sine, member, activation="tanh", epochs=4)
        assert_same_run(hist, want)
    assert hists[0].metric_name == "r2"


def test_same_seed_same_result_and_config_records_both_seeds(moons):
    members = [dict(lr=1e-2, seed=5, data_seed=9)]
    a = fit_many(moons, members, width=8, epochs=2)[0]
    b = fit_many(moons, members, width=8, epochs=2)[0]
    assert a.val_loss == b.val_loss and a.batch_loss == b.batch_loss
    assert a.config["seed"] == 5 and a.config["data_seed"] == 9 and a.config["width"] == 8


def test_shared_keywords_are_defaults_that_members_override(moons):
    hists = fit_many(moons, [{}, {"lr": 0.3}], lr=0.05, optimizer="sgd", width=8, epochs=1)
    assert [h.lr[0] for h in hists] == [0.05, 0.3]


@pytest.mark.parametrize("configs,kwargs,error,words", [
    ([], {}, ValueError, "at least one"),
    ({"lr": 0.1}, {}, TypeError, "configs must be a list"),
    ([{"lr": 0.1}, "fast"], {}, TypeError, "configs[1] must be a dict"),
    ([{"depth": 3}], {}, ValueError, "key(s) ['depth'] are unknown"),
    ([{"lr": 0.1}, {"lr": -1}], {}, ValueError, "configs[1]: lr must be > 0, got -1"),
    ([{"seed": -2}], {}, ValueError, "configs[0]: seed must be >= 0"),
    ([{"lr": 0.1, "momentum": 0}], {"optimizer": "momentum"}, ValueError, "momentum must be > 0"),
    ([{}], {"optimizer": "lbfgs"}, ValueError, "optimizer 'lbfgs' is unknown"),
    ([{}], {"batch_size": 10_000}, ValueError, "batch_size must be <="),
    ([{}], {"width": 0}, ValueError, "width must be >= 1, got 0"),
    ([{}], {"early_stopping": 5}, TypeError, "early_stopping must be an EarlyStopping"),
    ([{}], {"schedule": "sometimes"}, ValueError, "schedule 'sometimes' is unknown"),
])
def test_bad_input_names_the_parameter_the_rule_and_the_value(moons, configs, kwargs, error,
                                                              words):
    with pytest.raises(error) as info:
        fit_many(moons, configs, epochs=1, **kwargs)
    assert words in str(info.value)


def test_data_must_be_a_data_bundle():
    with pytest.raises(TypeError, match="data must be an hplab Data bundle"):
        fit_many("moons", [{}])


# ----------------------------------------------------------------------------- seeds, bands, lr


def test_seed_band_is_the_mean_and_spread_of_the_runs(moons):
    hists = fit_seeds(moons, seeds=[0, 1, 2, 3], lr=1e-2, width=8, epochs=5)
    table = np.array([h.val_loss for h in hists])
    band = seed_band(hists)
    np.testing.assert_allclose(band.mean, table.mean(axis=0))
    np.testing.assert_allclose(band.std, table.std(axis=0))
    np.testing.assert_allclose(band.low, table.min(axis=0))
    np.testing.assert_allclose(band.high, table.max(axis=0))
    assert list(band.epoch) == [1, 2, 3, 4, 5] and list(band.count) == [4] * 5
    assert (band.std > 0).all()  # different seeds really give different curves


def test_fit_seeds_members_are_fits_with_those_seeds(moons):
    hists = fit_seeds(moons, seeds=[3, 8], lr=1e-2, width=8, epochs=2)
    for s, hist in zip((3, 8), hists):
        want, _ = sequential(moons, dict(lr=1e-2, seed=s), width=8, epochs=2)
        assert_same_run(hist, want)
    fixed = fit_seeds(moons, seeds=[3, 8], data_seeds=False, lr=1e-2, width=8, epochs=2)
    want, _ = sequential(moons, dict(lr=1e-2, seed=8, data_seed=0), width=8, epochs=2)
    assert_same_run(fixed[1], want)


def test_seed_band_counts_only_runs_still_going():
    short = hplab.History(epoch=[1, 2], val_loss=[1.0, 0.5])
    long = hplab.History(epoch=[1, 2, 3], val_loss=[3.0, 1.5, 0.25])
    blown = hplab.History(epoch=[1], val_loss=[math.inf], status="diverged")
    band = seed_band([short, long, blown])
    assert list(band.count) == [2, 2, 1]
    np.testing.assert_allclose(band.mean, [2.0, 1.0, 0.25])


@pytest.mark.parametrize("histories,error,words", [
    ([], ValueError, "at least one History"),
    (hplab.History(), TypeError, "histories must be a list"),
    ([hplab.History(), 3], TypeError, "histories[1] must be a History"),
])
def test_seed_band_rejects_bad_input(histories, error, words):
    with pytest.raises(error) as info:
        seed_band(histories)
    assert words in str(info.value)


def test_seed_band_rejects_an_unknown_key():
    with pytest.raises(ValueError, match="key 'accuracy' is unknown"):
        seed_band([hplab.History(epoch=[1], val_loss=[1.0])], key="accuracy")


def test_fit_seeds_rejects_repeated_seeds(moons):
    with pytest.raises(ValueError, match=r"seeds must not repeat, got \[1, 1\]"):
        fit_seeds(moons, seeds=[1, 1])


def test_lr_sweep_shows_too_small_too_large_and_a_sweet_spot(moons):
    lrs = [1e-4, 1e-2, 1e-1, 1e3]
    sweep = lr_sweep(moons, lrs, optimizer="sgd", width=16, epochs=8)
    assert isinstance(sweep, LRSweep) and sweep.lrs == lrs
    start = sweep.histories[0].initial["train_loss"]
    assert sweep.final_train_loss[0] > 0.9 * start  # too small: barely moved
    assert sweep.histories[3].diverged and sweep.final_val_loss[3] == math.inf  # too large
    assert sweep.best_lr in (1e-2, 1e-1)
    assert sweep.final_val_loss[2] < 0.7 * start


def test_lr_sweep_rejects_a_bad_learning_rate(moons):
    with pytest.raises(ValueError, match="lrs must be > 0, got 0"):
        lr_sweep(moons, [0.1, 0.0])


# ----------------------------------------------------------------------------- population-based training


@pytest.fixture(scope="module")
def spirals():
    return hplab.load_dataset("spirals", n_samples=400, noise=0.2, seed=0)


def test_pbt_rescues_the_weak_members_of_a_population(spirals):
    settings = dict(population=8, epochs=24, interval=4, optimizer="adam", lr_range=(1e-5, 1e-1),
                    width=32, seed=0)
    tuned = hplab.sweep.pbt(spirals, **settings)
    alone = hplab.sweep.pbt(spirals, exploit=False, **settings)
    assert [h.lr[0] for h in tuned.histories] == [h.lr[0] for h in alone.histories]
    assert alone.events == [] and len(tuned.events) == 2 * 5  # 2 members, 5 exploit rounds
    final = {name: np.array([h.val_loss[-1] for h in r.histories])
             for name, r in (("tuned", tuned), ("alone", alone))}
    assert np.median(final["tuned"]) < 0.5 * np.median(final["alone"])
    assert final["tuned"].min() <= final["alone"].min() * 1.05
    assert tuned.best == int(np.argmin(final["tuned"]))


def test_pbt_copies_the_donor_weights_and_optimizer_state(moons):
    # One minibatch order for all and no perturbation: after copying, a member and its donor
    # must train identically, so they end with the same losses.
    result = hplab.sweep.pbt(moons, lrs=[1e-4, 3e-2, 1e-2, 3e-4], epochs=5, interval=3,
                             fraction=0.25, perturb=(1.0,), data_seed=0, width=16)
    (event,) = result.events
    assert event["epoch"] == 3 and event["member"] in (0, 3) and event["donor"] in (1, 2)
    member, donor = result.histories[event["member"]], result.histories[event["donor"]]
    assert member.val_loss[:3] != donor.val_loss[:3]
    assert member.val_loss[3:] == pytest.approx(donor.val_loss[3:], rel=1e-6)
    assert member.lr[3:] == donor.lr[3:] == [event["lr_after"]] * 2


def test_lr_sweep_and_pbt_stop_a_blown_up_member_at_its_minibatch(moons):
    sweep = lr_sweep(moons, [1e-2, 50.0], optimizer="sgd", width=16, epochs=3)
    result = hplab.sweep.pbt(moons, lrs=[1e-2, 50.0], epochs=3, interval=2, optimizer="sgd",
                             width=16)
    for blown in (sweep.histories[1], result.histories[1]):
        assert blown.diverged and blown.stopped_step < blown.steps_per_epoch  # inside epoch 1
        assert len(blown.batch_loss) == blown.stopped_step
    assert sweep.histories[0].status == result.histories[0].status == "completed"


def test_pbt_perturbs_the_copied_learning_rate(moons):
    result = hplab.sweep.pbt(moons, population=6, epochs=7, interval=2, perturb=(0.5, 2.0),
                             width=8, seed=3)
    assert result.events
    for e in result.events:
        donor_lr = result.histories[e["donor"]].lr[e["epoch"] - 1]
        assert e["lr_after"] / donor_lr == pytest.approx(0.5) or \
            e["lr_after"] / donor_lr == pytest.approx(2.0)
        assert result.histories[e["member"]].lr[e["epoch"]] == pytest.approx(e["lr_after"])


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(lr=0.1), TypeError, "pbt does not take ['lr']"),
    (dict(fraction=0.7), ValueError, "fraction must be <= 0.5, got 0.7"),
    (dict(perturb=(1.2, -1)), ValueError, "perturb must be > 0, got -1"),
    (dict(lr_range=(0.1, 0.01)), ValueError, "lr_range must have low < high"),
    (dict(population=1), ValueError, "population must be >= 2, got 1"),
    (dict(colour="red"), TypeError, "unknown setting(s) ['colour']"),
])
def test_pbt_rejects_bad_input(moons, kwargs, error, words):
    with pytest.raises(error) as info:
        hplab.sweep.pbt(moons, epochs=2, **kwargs)
    assert words in str(info.value)


# ----------------------------------------------------------------------------- fit's fast path


def reference_loop(model, data, *, optimizer, lr, epochs, batch_size, seed, schedule=None,
                   **knobs):
    """fit's training loop written plainly, one PyTorch optimizer over the model's parameters."""
    opt = hplab.make_optimizer(model.parameters(), optimizer, lr=lr, **knobs)
    sched = hplab.make_schedule(opt, schedule, epochs)
    gen, (X, y), losses = torch.Generator().manual_seed(seed), data.train, []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(y), generator=gen)
            for i in range(0, len(y), batch_size):
                idx = order[i:i + batch_size]
                loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            sched.step()
    return losses


@pytest.mark.parametrize("optimizer,knobs", [
    ("sgd", dict(weight_decay=1e-3)), ("momentum", {}), ("nesterov", dict(weight_decay=1e-2)),
    ("rmsprop", dict(momentum=0.5)), ("adam", dict(weight_decay=1e-3)),
    ("adamw", dict(weight_decay=0.1, betas=(0.8, 0.99))),
])
def test_fit_matches_the_plain_pytorch_loop(moons, optimizer, knobs):
    small = moons.subset(80, seed=0)
    lr = 1e-2 if optimizer.startswith(("adam", "rms")) else 0.1
    settings = dict(optimizer=optimizer, lr=lr, epochs=3, batch_size=16, seed=4, **knobs)
    for dropout, schedule in ((0.0, None), (0.2, "one_cycle")):
        fast = hplab.mlp(2, 2, width=16, dropout=dropout, seed=1)
        plain = hplab.mlp(2, 2, width=16, dropout=dropout, seed=1)
        hist = hplab.fit(fast, small, schedule=schedule, track_gradients=True, **settings)
        want = reference_loop(plain, small, schedule=schedule, **settings)
        # the same arithmetic in a different order: equal up to float rounding
        torch.testing.assert_close(torch.tensor(hist.batch_loss), torch.tensor(want),
                                   rtol=1e-5, atol=1e-6)
        for p, q in zip(fast.parameters(), plain.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
        assert len(hist.grad_norms) == 3 and all(n > 0 for n in hist.grad_norms[-1])


def test_fit_trains_models_with_frozen_or_shared_parameters(moons):
    net = hplab.mlp(2, 2, width=8, seed=0)
    net[0].weight.requires_grad_(False)  # a frozen first layer stays as it was
    frozen = net[0].weight.detach().clone()
    net[2].bias = net[0].bias  # two layers share one bias (width 8 each)
    shared = net[0].bias.detach().clone()
    hplab.fit(net, moons, epochs=2)
    assert torch.equal(net[0].weight, frozen)
    assert net[2].bias is net[0].bias and not torch.equal(net[0].bias, shared)


# ----------------------------------------------------------------------------- pictures


@pytest.fixture
def axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_seed_bands_draws_each_mean_its_band_and_its_seeds(moons, axes):
    from hplab import plots

    groups = {lr: fit_seeds(moons, seeds=[0, 1, 2], lr=lr, width=8, epochs=4)
              for lr in (1e-2, 3e-2)}
    plots.seed_bands({f"lr {k}": v for k, v in groups.items()}, axes)
    assert len(axes.collections) == 2  # one shaded band per configuration
    assert len(axes.lines) == 2 * (1 + 3)  # a mean line and three seeds each
    mean = axes.lines[0].get_ydata()
    np.testing.assert_allclose(mean, seed_band(groups[1e-2]).mean)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "lr 0.01 (3 seeds)", "lr 0.03 (3 seeds)"]


def test_lr_sweep_curves_marks_the_runs_that_diverged(moons, axes):
    from hplab import plots

    sweep = lr_sweep(moons, [1e-2, 1e-1, 1e3], optimizer="sgd", width=8, epochs=3)
    plots.lr_sweep_curves(sweep, axes)
    crosses = [ln for ln in axes.lines if ln.get_marker() == "X"]
    assert len(axes.lines) == 3 + 1 and len(crosses) == 1


def test_pbt_lrs_draws_every_member_and_every_exploit_step(moons, axes):
    from hplab import plots

    result = hplab.pbt(moons, population=4, epochs=5, interval=2, width=8)
    plots.pbt_lrs(result, axes)
    dots = [ln for ln in axes.lines if ln.get_marker() == "o" and len(ln.get_xdata())]
    assert len(dots) == len(result.events) > 0
    assert len(axes.lines) == 4 + len(result.events) + 1  # members, dots, legend entry


def test_pbt_losses_draws_each_runs_median_and_every_member(moons, axes):
    from hplab import plots

    settings = dict(population=4, epochs=5, interval=2, width=8, seed=0)
    runs = {"PBT": hplab.pbt(moons, **settings),
            "no exploit": hplab.pbt(moons, exploit=False, **settings)}
    plots.pbt_losses(runs, axes)
    assert len(axes.lines) == 2 * (1 + 4)  # a median and four members per run
    for first, (label, result) in zip((0, 5), runs.items()):
        table = np.array([h.val_loss for h in result.histories])
        np.testing.assert_allclose(axes.lines[first].get_ydata(), np.median(table, axis=0))
        for line, h in zip(axes.lines[first + 1:first + 5], result.histories):
            np.testing.assert_allclose(line.get_ydata(), h.val_loss)
    texts = [t.get_text() for t in axes.get_legend().get_texts()]
    assert [t.split(":")[0] for t in texts] == ["PBT", "no exploit"]
    assert axes.lines[0].get_color() != axes.lines[5].get_color()


@pytest.mark.parametrize("runs,error,words", [
    ([1, 2], TypeError, "runs must be a dict mapping a label to the result of hplab.pbt, got list"),
    ({}, ValueError, "runs must hold at least one result of hplab.pbt, got an empty dict"),
    ({"a": "result"}, TypeError, "runs['a'] must be the result of hplab.pbt, got str"),
])
def test_pbt_losses_rejects_the_wrong_input(runs, error, words):
    from hplab import plots

    with pytest.raises(error) as info:
        plots.pbt_losses(runs)
    assert words in str(info.value)


def test_pbt_losses_rejects_an_unknown_key(moons):
    from hplab import plots

    result = hplab.pbt(moons, population=2, epochs=1, width=4)
    with pytest.raises(ValueError, match="key 'val_metric' is unknown; choose one of: "):
        plots.pbt_losses({"PBT": result}, key="val_metric")


@pytest.mark.parametrize("name,arg", [("lr_sweep_curves", [1, 2]), ("pbt_lrs", "result")])
def test_sweep_plots_reject_the_wrong_input(name, arg):
    from hplab import plots

    with pytest.raises(TypeError, match="must be the result of hplab"):
        getattr(plots, name)(arg)
