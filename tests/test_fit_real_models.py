"""fit, diagnose and the sweeps on a learner's own model and data: devices, losses, metrics,
scaled targets, batched evaluation, BatchNorm, callbacks, checkpoints and resuming."""

import csv

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, f1_score, r2_score
from torch import nn

import hplab
from hplab.train import CSVLogger, ModelCheckpoint, balanced_accuracy, f1, metric_value, r2

# ----------------------------------------------------------------------------- small scenarios


def _images(n=300, seed=0):
    """Digits as 1x8x8 images, a few hundred of them."""
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = np.random.default_rng(seed).choice(len(d.target), n, replace=False)
    return hplab.Data.from_arrays(d.data[keep].reshape(-1, 1, 8, 8), d.target[keep], seed=seed)


def _cnn(seed=0, batchnorm=False, dropout=0.0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1),
                         *([nn.BatchNorm2d(4)] if batchnorm else []), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(dropout), nn.Linear(64, 10))


def _imbalanced(seed=0, n=1000):
    """97/3 classes and inputs that carry no signal: the best a model can do is the majority."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, 5)), (rng.uniform(size=n) < 0.03).astype(int)
    return hplab.Data.from_arrays(X, y, seed=seed)


def _scaled_regression(seed=0, n=400):
    """Two targets in large units (thousands), a smooth function of the inputs."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.stack([5000 + 800 * np.sin(X[:, 0]) + 300 * X[:, 1],
                  -200 + 50 * X[:, 2] ** 2], axis=1)
    return hplab.Data.from_arrays(X, y, task="regression", seed=seed)


class _Wrapped(nn.Module):
    """An MLP the hand-written backward pass does not recognise: autograd trains it."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


# ----------------------------------------------------------------------------- metrics


def test_r2_is_per_target_and_averaged_like_scikit_learn():
    rng = np.random.default_rng(0)
    y = np.stack([rng.normal(0, 1, 200), rng.normal(100, 50, 200), rng.normal(-3, 0.01, 200)], 1)
    yt = torch.tensor(y, dtype=torch.float32)
    mean_predictor = yt.mean(dim=0, keepdim=True).expand_as(yt)
    assert r2(mean_predictor, yt) == pytest.approx(0.0, abs=1e-5)  # pooled R² gave ~0.9996
    assert metric_value("regression", mean_predictor, yt) == pytest.approx(0.0, abs=1e-5)
    noisy = yt + torch.tensor(rng.normal(0, 1, y.shape), dtype=torch.float32) * yt.std(dim=0) * 0.5
    assert r2(noisy, yt) == pytest.approx(r2_score(y, noisy.numpy()), abs=1e-4)
    one = yt[:, :1]
    assert r2(one + 0.1, one) == pytest.approx(r2_score(y[:, :1], one.numpy() + 0.1), abs=1e-4)


@pytest.mark.parametrize("k", [2, 4])
def test_balanced_accuracy_and_f1_match_scikit_learn(k):
    gen = torch.Generator().manual_seed(k)
    y = torch.randint(0, k, (300,), generator=gen)
    y[:200] = 0  # imbalanced
    out = torch.randn(300, k, generator=gen)
    pred = out.argmax(1).numpy()
    assert balanced_accuracy(out, y) == pytest.approx(balanced_accuracy_score(y.numpy(), pred))
    average = "binary" if k == 2 else "macro"
    assert f1(out, y) == pytest.approx(f1_score(y.numpy(), pred, average=average))


def test_majority_model_scores_high_accuracy_but_chance_balanced_accuracy():
    data = _imbalanced()
    hist = hplab.fit(hplab.mlp(5, 2, seed=0), data, lr=1e-3, epochs=6,
                     metric="balanced_accuracy")
    assert hist.metric_name == "balanced_accuracy"
    assert hist.val_metric[-1] == pytest.approx(0.5)
    assert hist.baseline["val_metric"] == pytest.approx(0.5)


def test_class_weight_balanced_follows_scikit_learn_and_changes_the_loss():
    from sklearn.utils.class_weight import compute_class_weight

    data = _imbalanced()
    y = data.train.y.numpy()
    want = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    hist = hplab.fit(hplab.mlp(5, 2, seed=0), data, epochs=2, class_weight="balanced")
    assert hist.config["class_weight"] == pytest.approx(want.tolist(), rel=1e-5)
    plain = hplab.fit(hplab.mlp(5, 2, seed=0), data, epochs=2)
    assert hist.initial["train_loss"] != pytest.approx(plain.initial["train_loss"], rel=1e-3)
    same = hplab.fit(hplab.mlp(5, 2, seed=0), data, epochs=2, class_weight=want.tolist())
    assert same.val_loss == pytest.approx(hist.val_loss)


def test_a_loss_function_of_ones_own_is_trained_through_autograd():
    data = hplab.load_dataset("sine", seed=0)
    hist = hplab.fit(hplab.mlp(1, 1, seed=0), data, lr=1e-2, epochs=20,
                     loss=nn.functional.smooth_l1_loss, metric=lambda out, y: -(out - y).abs().mean())
    assert hist.config["loss"] == "smooth_l1_loss" and hist.metric_name == "<lambda>"
    assert hist.train_loss[-1] < 0.5 * hist.initial["train_loss"]
    assert hist.val_metric[-1] < 0  # the lambda: minus the mean absolute error


# ----------------------------------------------------------------------------- regression targets


def test_targets_far_from_unit_scale_are_standardized_and_reported_in_their_units():
    data = _scaled_regression()
    good = [hplab.fit(hplab.mlp(3, 2, seed=s), data, lr=1e-2, epochs=40, seed=s) for s in range(3)]
    raw = [hplab.fit(hplab.mlp(3, 2, seed=s), data, lr=1e-2, epochs=40, seed=s,
                     standardize_targets=False) for s in range(3)]
    for g, r in zip(good, raw):
        assert g.config["standardized_targets"] is True
        assert g.val_metric[-1] > 0.8  # unscaled, the same network stays far below (R² < 0)
        assert r.val_metric[-1] < 0.2
    model = hplab.mlp(3, 2, seed=0)
    hist = hplab.fit(model, data, lr=1e-2, epochs=40)
    with torch.no_grad():
        pred = model(data.val.X)  # original units: the forward hook maps the output back
    assert r2_score(data.val.y.numpy(), pred.numpy()) == pytest.approx(hist.val_metric[-1], abs=1e-4)
    mse = ((pred - data.val.y) ** 2).mean().item()
    assert mse == pytest.approx(hist.val_loss[-1], rel=1e-4)


def test_course_sine_targets_are_left_as_they_are():
    data = hplab.load_dataset("sine", seed=0)
    model = hplab.mlp(1, 1, seed=0)
    hist = hplab.fit(model, data, lr=1e-2, epochs=3)
    assert "standardized_targets" not in hist.config  # the course's setting, the fast path
    assert not model._forward_hooks


# ----------------------------------------------------------------------------- devices


def test_device_cpu_gives_the_default_result():
    data = hplab.load_dataset("moons", seed=0)
    a = hplab.fit(hplab.mlp(2, 2, dropout=0.2, seed=0), data, epochs=3)
    b = hplab.fit(hplab.mlp(2, 2, dropout=0.2, seed=0), data, epochs=3, device="cpu")
    assert a.val_loss == b.val_loss and a.batch_loss == b.batch_loss


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_an_unavailable_device_is_refused_by_name():
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(ValueError, match=r"device 'cuda' is not available.*available: cpu"):
        hplab.fit(hplab.mlp(2, 2), data, device="cuda")
    with pytest.raises(ValueError, match="not a device name"):
        hplab.fit(hplab.mlp(2, 2), data, device="gpu0")
    with pytest.raises(TypeError, match="device must be"):
        hplab.fit(hplab.mlp(2, 2), data, device=0)


# ----------------------------------------------------------------------------- evaluation, BatchNorm


class _Widest(nn.Module):
    """Records the largest batch it saw in eval mode."""

    def __init__(self):
        super().__init__()
        self.widest = 0

    def forward(self, x):
        if not self.training:
            self.widest = max(self.widest, len(x))
        return x


def test_evaluation_runs_in_batches_of_eval_batch_size():
    data = _images()
    probe = _Widest()
    model = nn.Sequential(probe, *_cnn())
    full = hplab.fit(_cnn(), data, epochs=2)
    hist = hplab.fit(model, data, epochs=2, eval_batch_size=50, track_dead_units=True)
    assert 0 < probe.widest <= 50  # one forward pass over the whole split before
    assert hist.val_loss == pytest.approx(full.val_loss, rel=1e-5)


def test_batchnorm_never_trains_on_a_batch_of_one():
    data = _images()
    train = hplab.Split(data.train.X[:65], data.train.y[:65])  # 2 batches of 32 and one left over
    hist = hplab.fit(_cnn(batchnorm=True), data, batch_size=32, epochs=2, train_split=train)
    assert hist.status == "completed"
    assert hist.steps_per_epoch == 2  # the single example joined the last batch
    assert len(hist.batch_loss) == 4
    plain = hplab.fit(_cnn(), data, batch_size=32, epochs=1, train_split=train)
    assert plain.steps_per_epoch == 3  # without BatchNorm a batch of one is fine
    with pytest.raises(ValueError, match="batch_size must be >= 2 for a model with BatchNorm"):
        hplab.fit(_cnn(batchnorm=True), data, batch_size=1, epochs=1)


def test_a_single_output_binary_model_is_refused_with_the_fix():
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(ValueError, match=r"shape \(batch, 2\).*2 outputs, not 1"):
        hplab.fit(nn.Sequential(nn.Linear(2, 1)), data, epochs=1)


# ----------------------------------------------------------------------------- callbacks


def test_progress_bar_leaves_the_run_unchanged():
    data = hplab.load_dataset("moons", seed=0)
    a = hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=3)
    b = hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=3, progress=True)
    assert a.val_loss == b.val_loss


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    data = hplab.load_dataset("moons", seed=0)
    path = tmp_path / "log.csv"
    hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=4, callbacks=[CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert [int(r["epoch"]) for r in rows] == hist.epoch
    assert [float(r["val_loss"]) for r in rows] == hist.val_loss
    assert [float(r["train_metric"]) for r in rows] == hist.train_metric


def test_model_checkpoint_keeps_the_best_epoch(tmp_path):
    data = hplab.load_dataset("moons", n_samples=200, noise=0.4, seed=0)
    path = tmp_path / "best.pt"
    ckpt = ModelCheckpoint(path)
    model = hplab.mlp(2, 2, width=64, seed=0)
    hist = hplab.fit(model, data, lr=0.05, epochs=30, callbacks=[ckpt])
    state = torch.load(path, weights_only=False)
    assert state["epoch"] == hist.best_epoch
    best = hplab.mlp(2, 2, width=64, seed=0)
    best.load_state_dict(state["model"])
    assert hplab.evaluate(best, data)["loss"] == pytest.approx(hist.best_val_loss, rel=1e-5)


@pytest.mark.parametrize("make", [lambda: hplab.mlp(2, 2, dropout=0.2, seed=0),
                                  lambda: _Wrapped(hplab.mlp(2, 2, dropout=0.2, seed=0))],
                         ids=["course-mlp", "autograd"])
def test_resuming_from_a_checkpoint_continues_the_same_run(tmp_path, make):
    data = hplab.load_dataset("moons", seed=0)
    settings = dict(lr=1e-2, schedule="cosine", seed=3)
    straight_model = make()
    straight = hplab.fit(straight_model, data, epochs=6, **settings)
    path = tmp_path / "ckpt-{epoch}.pt"
    hplab.fit(make(), data, epochs=6, callbacks=[ModelCheckpoint(path, save_best_only=False)],
              **settings)
    model = make()
    resumed = hplab.fit(model, data, epochs=6, resume_from=tmp_path / "ckpt-3.pt", **settings)
    assert resumed.epoch == straight.epoch
    assert resumed.val_loss == pytest.approx(straight.val_loss, rel=1e-6)
    assert resumed.batch_loss == pytest.approx(straight.batch_loss, rel=1e-6)
    assert resumed.lr == pytest.approx(straight.lr)
    for a, b in zip(model.state_dict().values(), straight_model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_resume_errors_name_the_problem(tmp_path):
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(ValueError, match="resume_from must be an existing checkpoint file"):
        hplab.fit(hplab.mlp(2, 2), data, resume_from=tmp_path / "missing.pt")
    path = tmp_path / "c.pt"
    hplab.fit(hplab.mlp(2, 2), data, epochs=3, callbacks=[ModelCheckpoint(path, save_best_only=False)])
    with pytest.raises(ValueError, match=r"epochs must be > the checkpoint's epoch \(3\)"):
        hplab.fit(hplab.mlp(2, 2), data, epochs=3, resume_from=path)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(loss="hinge"), ValueError, "loss 'hinge' is unknown"),
    (dict(loss="mse"), ValueError, "loss 'mse' does not fit classification"),
    (dict(loss=3), TypeError, "loss must be a name"),
    (dict(metric="r2"), ValueError, "metric 'r2' is unknown"),
    (dict(class_weight=[1.0]), ValueError, "class_weight must hold 2 positive numbers"),
    (dict(class_weight="auto"), ValueError, "class_weight 'auto' is unknown"),
    (dict(eval_batch_size=0), ValueError, "eval_batch_size"),
    (dict(standardize_targets="yes"), ValueError, "standardize_targets must be True, False or 'auto'"),
    (dict(progress="yes"), TypeError, "progress"),
])
def test_bad_settings_are_refused_by_name(kwargs, error, match):
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(error, match=match):
        hplab.fit(hplab.mlp(2, 2), data, epochs=1, **kwargs)


def test_class_weight_needs_classification():
    data = hplab.load_dataset("sine", seed=0)
    with pytest.raises(ValueError, match="class_weight applies to classification"):
        hplab.fit(hplab.mlp(1, 1), data, epochs=1, class_weight="balanced")


# ----------------------------------------------------------------------------- diagnose


def test_diagnose_flags_a_majority_model_on_imbalanced_data():
    flagged = 0
    for seed in range(1, 6):
        hist = hplab.fit(hplab.mlp(5, 2, seed=seed), _imbalanced(seed), epochs=20, seed=seed)
        flagged += hplab.diagnose(hist).label == "trivial"
    hist = hplab.fit(hplab.mlp(5, 2, seed=0), _imbalanced(0), epochs=20, seed=0)
    d = hplab.diagnose(hist)
    assert hist.val_metric[-1] > 0.95  # accuracy alone looks excellent
    assert d.label == "trivial" and "always class 0" in d.explanation
    assert flagged >= 4


def test_diagnose_still_calls_a_real_model_good():
    data = hplab.load_dataset("moons", seed=0)
    hist = hplab.fit(hplab.mlp(2, 2, seed=0), data, lr=1e-2, epochs=30)
    assert hplab.diagnose(hist).label != "trivial"
    assert hist.baseline["val_metric"] == pytest.approx(0.5, abs=0.05)


# ----------------------------------------------------------------------------- what only the MLP tools do


@pytest.mark.parametrize("call", [
    lambda d: hplab.fit_many(d, [{}]),
    lambda d: hplab.fit_seeds(d, seeds=[0, 1]),
    lambda d: hplab.lr_sweep(d, [1e-3]),
    lambda d: hplab.pbt(d, population=2, epochs=2),
], ids=["fit_many", "fit_seeds", "lr_sweep", "pbt"])
def test_mlp_tools_refuse_image_shaped_data_at_once(call):
    with pytest.raises(ValueError, match=r"tabular inputs.*\(1, 8, 8\).*hplab.fit\(model, data"):
        call(_images(n=100))


@pytest.mark.parametrize("call", [
    lambda d: hplab.fit_many(d, [{}], model=_cnn()),
    lambda d: hplab.fit_seeds(d, model=_cnn()),
    lambda d: hplab.lr_sweep(d, [1e-3], device="cpu"),
    lambda d: hplab.pbt(d, loss="mse"),
], ids=["fit_many", "fit_seeds", "lr_sweep", "pbt"])
def test_mlp_tools_refuse_other_models_and_settings_with_the_alternative(call):
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(TypeError, match=r"course's MLP.*hplab.fit\(model, data"):
        call(data)


def test_dead_units_on_a_cnn_are_a_share_of_channels():
    data = _images()
    model = _cnn()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every channel of the conv layer is dead: ReLU gives 0
    hist = hplab.fit(model, data, epochs=1, lr=1e-6, track_dead_units=True)
    assert hist.dead_fraction == [1.0]  # was 64.0: every position counted, divided by channels
    assert hplab.dead_unit_fraction(_cnn(), data.train.X) <= 1.0


def test_gradient_tracking_covers_conv_layers_too():
    data = _images()
    hist = hplab.fit(_cnn(), data, epochs=2, track_gradients=True)
    assert len(hist.grad_norms[0]) == 2  # the conv kernel and the Linear layer
    assert all(g > 0 for g in hist.grad_norms[0])


def test_a_resumed_run_keeps_the_predictions_at_the_start(tmp_path):
    data = hplab.load_dataset("moons", seed=0)
    straight = hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=4)
    path = tmp_path / "c.pt"
    hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=2,
              callbacks=[ModelCheckpoint(path, save_best_only=False)])
    resumed = hplab.fit(hplab.mlp(2, 2, seed=0), data, epochs=4, resume_from=path)
    assert resumed.predictions == pytest.approx(straight.predictions)
    assert "start_top_class_share" in resumed.predictions


def test_evaluate_takes_the_metric_of_the_run():
    data = _imbalanced()
    model = hplab.mlp(5, 2, seed=0)
    hist = hplab.fit(model, data, epochs=3, metric="balanced_accuracy")
    scores = hplab.evaluate(model, data, metric="balanced_accuracy", batch_size=7)
    assert scores["metric"] == pytest.approx(hist.val_metric[-1])
    assert scores["loss"] == pytest.approx(hist.val_loss[-1], rel=1e-5)


def _loader(split, batch_size=32):
    from torch.utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(split.X, split.y), batch_size=batch_size)


@pytest.mark.parametrize("seed", [0, 1])
def test_evaluate_scores_a_loader_as_it_scores_the_same_split_of_a_bundle(seed):
    data = _imbalanced()
    model = hplab.mlp(5, 2, seed=seed)
    hplab.fit(model, data, epochs=3, seed=seed)
    model.train()
    for kwargs in ({}, {"metric": "balanced_accuracy"}, {"class_weight": [1.0, 3.0]}):
        from_bundle = hplab.evaluate(model, data, "val", **kwargs)
        from_loader = hplab.evaluate(model, _loader(data.val, batch_size=7), **kwargs)
        assert from_loader["metric"] == pytest.approx(from_bundle["metric"])
        assert from_loader["loss"] == pytest.approx(from_bundle["loss"], rel=1e-5)
    assert model.training  # left as it was found


def test_evaluate_scores_a_regression_loader_in_the_targets_units():
    data = _scaled_regression()  # targets in the thousands: standardized while training
    model = hplab.mlp(3, 2, seed=0)
    hplab.fit(model, data, epochs=3, standardize_targets=True)
    from_loader = hplab.evaluate(model, _loader(data.val))
    assert from_loader == pytest.approx(hplab.evaluate(model, data), rel=1e-5)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"split": "test"}, ValueError, "split must be left unset when data is a DataLoader"),
    ({"batch_size": 64}, ValueError, "batch_size must be left unset when data is a DataLoader"),
    ({"class_weight": "balanced"}, ValueError, r"history.config\['class_weight'\]"),
])
def test_evaluate_refuses_what_a_loader_decides_itself(kwargs, error, words):
    data = _imbalanced()
    with pytest.raises(error, match=words):
        hplab.evaluate(hplab.mlp(5, 2, seed=0), _loader(data.val), **kwargs)


def test_evaluate_names_what_it_takes():
    with pytest.raises(TypeError, match="Data bundle .* or a torch DataLoader"):
        hplab.evaluate(hplab.mlp(5, 2, seed=0), [(1, 2)])

def test_diagnose_never_calls_a_regression_model_no_better_than_the_mean_good():
    labels = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(600, 4)), rng.normal(size=(600, 2))  # targets unrelated to X
        data = hplab.Data.from_arrays(X, y, task="regression", seed=seed)
        hist = hplab.fit(hplab.mlp(4, 2, depth=4, width=128, seed=seed), data, lr=3e-3,
                         epochs=40, early_stopping=hplab.EarlyStopping(patience=3))
        assert hist.baseline["val_metric"] == pytest.approx(0.0, abs=0.05)
        labels.append(hplab.diagnose(hist).label)
    assert "good" not in labels  # before, seeds 2 and 3 were "good"
    assert set(labels) <= {"trivial", "underfitting"} and "trivial" in labels
