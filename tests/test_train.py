"""The training engine, checked against PyTorch and against the effects the lessons claim."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import hplab
from hplab.train import BATCH_DIVERGENCE_SLACK, OPTIMIZERS, divergence_reason


def run(data, *, depth=2, width=32, activation="relu", dropout=0.0, **fit_kwargs):
    model = hplab.mlp(data.n_features, data.n_outputs, depth=depth, width=width,
                      activation=activation, dropout=dropout, seed=0)
    return model, hplab.fit(model, data, **fit_kwargs)


# ---------------------------------------------------------------- the engine itself


def test_one_epoch_of_full_batch_sgd_matches_a_hand_written_step(moons):
    """Oracle: one full-batch SGD step is w - lr * grad, computed with autograd by hand."""
    model = hplab.mlp(2, 2, depth=1, width=8, seed=0)
    reference = copy.deepcopy(model)
    loss = F.cross_entropy(reference(moons.train.X), moons.train.y)
    grads = torch.autograd.grad(loss, list(reference.parameters()))
    expected = [p.detach() - 0.5 * g for p, g in zip(reference.parameters(), grads)]
    hist = hplab.fit(model, moons, optimizer="sgd", lr=0.5, batch_size=moons.n_train, epochs=1)
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p, e, atol=1e-6)
    assert hist.initial["train_loss"] == pytest.approx(loss.item(), rel=1e-6)


def test_history_has_one_value_per_epoch_and_metrics_match_sklearn(moons):
    from sklearn.metrics import accuracy_score

    model, hist = run(moons, lr=1e-2, epochs=7)
    for name in ("epoch", "train_loss", "val_loss", "train_metric", "val_metric", "lr", "seconds"):
        assert len(getattr(hist, name)) == 7
    assert hist.epoch == list(range(1, 8))
    assert len(hist.batch_loss) == 7 * hist.steps_per_epoch
    pred = model(moons.val.X).argmax(1)
    assert hist.val_metric[-1] == pytest.approx(accuracy_score(moons.val.y, pred))
    assert hplab.evaluate(model, moons)["metric"] == pytest.approx(hist.val_metric[-1])


def test_regression_metric_is_r2(moons):
    from sklearn.metrics import r2_score

    sine = hplab.load_dataset("sine", seed=0)
    model, hist = run(sine, activation="tanh", lr=1e-2, epochs=40)
    pred = model(sine.val.X).detach()
    assert hist.metric_name == "r2"
    assert hist.val_metric[-1] == pytest.approx(r2_score(sine.val.y, pred), abs=1e-5)
    assert hist.val_metric[-1] > 0.8


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_trains(name, moons):
    lr = 1e-2 if name in ("adam", "adamw", "rmsprop") else 0.1
    _, hist = run(moons, optimizer=name, lr=lr, epochs=15)
    assert hist.status == "completed"
    assert hist.train_loss[-1] < 0.6 * hist.initial["train_loss"]


def test_optimizer_knobs_reach_pytorch():
    params = [torch.zeros(2, requires_grad=True)]
    opt = hplab.make_optimizer(params, "adamw", lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    assert isinstance(opt, torch.optim.AdamW)
    group = opt.param_groups[0]
    assert group["betas"] == (0.8, 0.99) and group["weight_decay"] == 0.1
    nesterov = hplab.make_optimizer(params, "nesterov", lr=0.1)
    assert nesterov.param_groups[0]["nesterov"] and nesterov.param_groups[0]["momentum"] == 0.9


@pytest.mark.parametrize("name, reference", [
    ("step", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1)),
    ("exponential", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.95)),
    ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=9)),
])
def test_recorded_learning_rates_follow_pytorch_schedulers(name, reference, moons):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = reference(opt)
    expected = []
    for _ in range(10):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    _, hist = run(moons, optimizer="sgd", lr=0.1, epochs=10, schedule=name,
                  schedule_options={"step_size": 3} if name == "step" else None)
    assert hist.lr == pytest.approx(expected)


def test_warmup_and_one_cycle_shapes():
    warm = hplab.schedule_lrs("warmup", lr=0.1, epochs=20, warmup_epochs=5)
    assert warm[0] < warm[4] < warm[5] == pytest.approx(0.1) and warm[-1] == pytest.approx(0.1)
    cycle = hplab.schedule_lrs("one_cycle", lr=0.1, epochs=20)
    peak = int(np.argmax(cycle))
    assert 0 < peak < 19 and cycle[0] < cycle[peak] > cycle[-1]
    assert max(cycle) == pytest.approx(0.1, rel=1e-3)


# ---------------------------------------------------------------- lesson claims: learning rate


def test_too_high_learning_rate_diverges(spirals):
    _, hist = run(spirals, optimizer="adam", lr=3.0, epochs=30)
    assert hist.status == "diverged"
    assert hist.epochs_run < 30  # the run ended when it blew up
    assert hplab.diagnose(hist).label == "diverged"


def test_too_low_learning_rate_barely_moves_the_loss(spirals):
    _, hist = run(spirals, optimizer="sgd", lr=1e-5, epochs=30)
    assert hist.status == "completed"
    drop = 1 - hist.train_loss[-1] / hist.initial["train_loss"]
    assert 0 < drop < 0.05  # under 5% in 30 epochs
    assert hplab.diagnose(hist).label == "slow"


def test_good_learning_rate_converges(spirals):
    _, hist = run(spirals, optimizer="adam", lr=1e-2, epochs=50)
    assert hist.train_loss[-1] < 0.1 * hist.initial["train_loss"]
    assert hist.val_metric[-1] > 0.95
    assert hplab.diagnose(hist).label == "good"


def test_divergence_keeps_the_history_and_raises_nothing(spirals):
    _, hist = run(spirals, optimizer="sgd", lr=50.0, epochs=20)
    assert hist.status == "diverged"
    assert len(hist.train_loss) == hist.stopped_epoch == hist.epochs_run
    assert "starting loss" in hist.stop_reason or "not a number" in hist.stop_reason


def test_a_run_that_blows_up_mid_epoch_stops_within_that_epoch(moons):
    model, hist = run(moons, optimizer="sgd", lr=20.0, epochs=20)
    bar = hist.initial["train_loss"] * 10 * BATCH_DIVERGENCE_SLACK
    assert hist.status == "diverged" and hist.stopped_epoch == hist.epochs_run == 1
    assert hist.stopped_step < hist.steps_per_epoch  # the first epoch was not finished
    assert len(hist.batch_loss) == hist.stopped_step  # the last loss recorded is the one that blew up
    assert not hist.batch_loss[-1] <= bar and all(v <= bar for v in hist.batch_loss[:-1])
    assert f"step {hist.stopped_step}" in hist.stop_reason
    # the update that loss asked for was not made: the model still gives that minibatch's loss
    order = torch.randperm(moons.n_train, generator=torch.Generator().manual_seed(0))
    last = order[(hist.stopped_step - 1) * 32:hist.stopped_step * 32]
    with torch.no_grad():
        loss = F.cross_entropy(model(moons.train.X[last]), moons.train.y[last]).item()
    assert loss == pytest.approx(hist.batch_loss[-1], rel=1e-4)


def test_the_divergence_rule_names_the_minibatch_or_the_epoch():
    assert divergence_reason(None, 9.0, 3, 1.0, 10.0) == ""
    assert "training loss 11 at epoch 3 is over 10x" in divergence_reason(None, 11.0, 3, 1.0, 10.0)
    assert "not a number" in divergence_reason(None, math.nan, 3, 1.0, 10.0)
    minibatch = divergence_reason((25, 2e3), 1.0, 3, 1.0, 10.0)
    assert "minibatch loss 2e+03 at step 25 (epoch 3) is over 1000x" in minibatch
    assert "not a number" in divergence_reason((25, math.inf), 1.0, 3, 1.0, 10.0)


def test_noisy_single_example_losses_are_not_mistaken_for_divergence(moons):
    # with one example per step a healthy run sees single losses far above its start
    _, hist = run(moons, optimizer="adam", lr=0.03, batch_size=1, epochs=3)
    assert max(hist.batch_loss) > 10 * hist.initial["train_loss"]
    assert hist.status == "completed" and hist.train_loss[-1] < 0.5 * hist.initial["train_loss"]


def test_fit_records_how_varied_the_predictions_are(moons):
    model, hist = run(moons, lr=1e-2, epochs=5)
    with torch.no_grad():
        pred = model(moons.val.X).argmax(dim=1)
    top = max(int((pred == c).sum()) for c in (0, 1)) / len(pred)
    assert hist.predictions["top_class_share"] == pytest.approx(top)
    assert hist.predictions["majority_share"] == pytest.approx(
        max(float(moons.val.y.float().mean()), 1 - float(moons.val.y.float().mean())))
    assert 0 < hist.predictions["start_top_class_share"] <= 1
    assert "majority_share" in hist.predictions and "start_majority_share" not in hist.predictions
    const = hplab.train.prediction_summary("regression", torch.ones(5, 1), torch.arange(5.0)[:, None])
    assert const == {"spread": 0.0}
    assert hplab.train.prediction_summary("classification", torch.full((3, 2), math.nan),
                                          torch.zeros(3, dtype=torch.long)) == {}


# ---------------------------------------------------------------- lesson claims: capacity


def test_tiny_network_underfits_spirals_and_a_larger_one_fits(spirals):
    _, tiny = run(spirals, depth=1, width=2, lr=1e-2, epochs=50)
    _, big = run(spirals, depth=2, width=32, lr=1e-2, epochs=50)
    assert tiny.train_metric[-1] < 0.8
    assert big.train_metric[-1] > 0.97
    assert hplab.diagnose(tiny).label == "underfitting"


def test_big_network_on_small_noisy_subset_overfits(noisy_small):
    _, hist = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100)
    best = hist.best_epoch
    assert best < 0.3 * hist.epochs_run  # validation loss bottomed out early ...
    assert hist.val_loss[-1] > 2 * min(hist.val_loss)  # ... and rose far above its minimum
    assert hist.train_metric[-1] - hist.val_metric[-1] > 0.1  # a clear train/val gap
    assert hplab.diagnose(hist).label == "overfitting"


# ---------------------------------------------------------------- early stopping


def test_early_stopping_stops_early_and_restores_the_best_weights(noisy_small):
    stopper = hplab.EarlyStopping(patience=5)
    model, hist = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100,
                      early_stopping=stopper)
    assert hist.status == "early_stopped"
    assert hist.stopped_epoch == hist.epochs_run < 100
    assert hist.stopped_epoch == hist.best_epoch + 5  # Keras semantics: patience epochs after best
    best_val = hist.val_loss[hist.best_epoch - 1]
    assert best_val == min(hist.val_loss)
    assert hplab.evaluate(model, noisy_small)["loss"] == pytest.approx(best_val, abs=1e-6)
    assert hplab.diagnose(hist).label == "good"  # the same run without stopping overfits (above)


def test_without_restore_the_last_weights_stay(noisy_small):
    model, hist = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100,
                      early_stopping=hplab.EarlyStopping(patience=5, restore_best_weights=False))
    assert hplab.evaluate(model, noisy_small)["loss"] == pytest.approx(hist.val_loss[-1], abs=1e-6)


def test_min_delta_makes_stopping_sooner(noisy_small):
    _, plain = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100,
                   early_stopping=hplab.EarlyStopping(patience=3))
    _, strict = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100,
                    early_stopping=hplab.EarlyStopping(patience=3, min_delta=0.05))
    assert strict.epochs_run < plain.epochs_run


def test_early_stopping_on_a_metric_maximizes_it(spirals):
    stopper = hplab.EarlyStopping(monitor="val_metric", patience=3)
    assert stopper.mode == "max"
    _, hist = run(spirals, lr=1e-2, epochs=60, early_stopping=stopper)
    assert hist.val_metric[stopper.best_epoch - 1] == max(hist.val_metric)


def test_early_stopping_instance_is_reusable(noisy_small):
    stopper = hplab.EarlyStopping(patience=4)
    _, first = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100, early_stopping=stopper)
    _, second = run(noisy_small, depth=3, width=128, lr=1e-2, epochs=100, early_stopping=stopper)
    assert first.stopped_epoch == second.stopped_epoch


def test_unknown_monitor_is_an_error_not_a_silent_no_op():
    with pytest.raises(ValueError, match="monitor 'val_acc' is unknown; choose one of"):
        hplab.EarlyStopping(monitor="val_acc")


def test_a_callback_can_stop_the_run(moons):
    def stop_at_three(trainer, epoch, logs):
        trainer.stop = epoch == 3

    _, hist = run(moons, epochs=20, callbacks=[hplab.LambdaCallback(stop_at_three)])
    assert hist.status == "stopped" and hist.epochs_run == 3


# ---------------------------------------------------------------- gradients, dead units, batches


def test_deep_sigmoid_network_has_vanishing_gradients(spirals):
    _, hist = run(spirals, depth=8, width=32, activation="sigmoid", optimizer="sgd", lr=0.1,
                  epochs=3, track_gradients=True)
    first, last = hist.grad_norms[0][0], hist.grad_norms[0][-1]
    assert len(hist.grad_norms[0]) == 9  # 8 hidden layers + output
    assert first < 1e-4 * last  # at least four orders of magnitude
    _, relu = run(spirals, depth=8, width=32, activation="relu", optimizer="sgd", lr=0.1,
                  epochs=3, track_gradients=True)
    assert relu.grad_norms[0][0] > 1e-2 * relu.grad_norms[0][-1]


def test_high_learning_rate_kills_relu_units_but_not_leaky_relu(spirals):
    _, gentle = run(spirals, depth=3, lr=0.01, epochs=20, track_dead_units=True)
    _, harsh = run(spirals, depth=3, lr=0.3, epochs=20, track_dead_units=True)
    _, leaky = run(spirals, depth=3, activation="leaky_relu", lr=0.3, epochs=20,
                   track_dead_units=True)
    assert harsh.dead_fraction[-1] > 0.5
    assert harsh.dead_fraction[-1] > gentle.dead_fraction[-1] + 0.3
    assert leaky.dead_fraction[-1] == 0.0


def test_larger_batches_take_fewer_steps_and_give_a_smoother_curve(spirals):
    roughness = {}
    for batch_size in (8, 128):
        _, hist = run(spirals, lr=1e-2, batch_size=batch_size, epochs=10)
        assert hist.steps_per_epoch == math.ceil(spirals.n_train / batch_size)
        assert len(hist.batch_loss) == 10 * hist.steps_per_epoch
        roughness[batch_size] = np.abs(np.diff(hist.batch_loss)).mean()
    assert roughness[128] < 0.5 * roughness[8]


# ---------------------------------------------------------------- reproducibility


def test_same_seed_same_history_bit_for_bit(spirals):
    a = run(spirals, dropout=0.2, lr=1e-2, epochs=10, seed=3)[1]
    b = run(spirals, dropout=0.2, lr=1e-2, epochs=10, seed=3)[1]
    c = run(spirals, dropout=0.2, lr=1e-2, epochs=10, seed=4)[1]
    assert a.train_loss == b.train_loss and a.batch_loss == b.batch_loss
    assert a.train_loss != c.train_loss


def test_same_seed_same_history_across_processes(spirals):
    import subprocess
    import sys

    code = ("import hplab, json; d = hplab.load_dataset('spirals', n_samples=600, noise=0.2, seed=0);"
            "m = hplab.mlp(2, 2, dropout=0.2, seed=0);"
            "h = hplab.fit(m, d, lr=1e-2, epochs=5, seed=3);"
            "print(json.dumps(h.train_loss + h.batch_loss))")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    here = run(spirals, dropout=0.2, lr=1e-2, epochs=5, seed=3)[1]
    import json

    assert outs[0] == outs[1]
    assert json.loads(outs[0]) == here.train_loss + here.batch_loss


def test_fit_leaves_global_state_alone(moons):
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    expected = torch.rand(3)
    torch.manual_seed(0)
    run(moons, dropout=0.3, epochs=3)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_history_converts_to_dict_and_frame(moons):
    _, hist = run(moons, epochs=4)
    frame = hist.to_frame()
    assert list(frame.index) == [1, 2, 3, 4]
    assert frame["val_loss"].tolist() == hist.val_loss
    assert hist.to_dict()["status"] == "completed"
    assert "History(status='completed', epochs=4" in repr(hist)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(lr=0), ValueError, "lr must be > 0, got 0"),
    (dict(lr=-0.1), ValueError, "lr must be > 0, got -0.1"),
    (dict(lr=float("nan")), ValueError, "lr must be a finite number"),
    (dict(lr="fast"), TypeError, "lr must be a number"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
    (dict(batch_size=10_000), ValueError, r"batch_size must be <= the training split size \(180\)"),
    (dict(epochs=0), ValueError, "epochs must be >= 1"),
    (dict(optimizer="adagrad"), ValueError, "optimizer 'adagrad' is unknown; choose one of: adam, adamw"),
    (dict(schedule="linear"), ValueError, "schedule 'linear' is unknown; choose one of"),
    (dict(schedule="step", schedule_options={"steps": 3}), ValueError, r"schedule option\(s\) \['steps'\] are unknown"),
    (dict(momentum=1.5), ValueError, "momentum must be < 1"),
    (dict(betas=(0.9,)), TypeError, "betas must be a pair"),
    (dict(weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (dict(early_stopping=5), TypeError, "early_stopping must be an EarlyStopping"),
    (dict(callbacks=[print]), TypeError, "callbacks must be Callback objects"),
    (dict(seed=-3), ValueError, "seed must be >= 0"),
])
def test_bad_fit_arguments_are_named(kwargs, exc, message, moons):
    with pytest.raises(exc, match=message):
        hplab.fit(hplab.mlp(2, 2), moons, **kwargs)


def test_wrong_objects_are_type_errors(moons):
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        hplab.fit("mlp", moons)
    with pytest.raises(TypeError, match="data must be an hplab Data bundle"):
        hplab.fit(hplab.mlp(2, 2), (moons.train.X, moons.train.y))
    with pytest.raises(ValueError, match="split 'holdout' is unknown"):
        hplab.evaluate(hplab.mlp(2, 2), moons, split="holdout")
