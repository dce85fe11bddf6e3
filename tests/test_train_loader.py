"""fit on data that comes as a torch DataLoader (or a pair: training and validation)."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import hplab


class Points(Dataset):
    """A learner's own Dataset: one (features, label) pair per index, built on the fly."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def _loaders(data, batch_size=16, shuffle=True):
    train = DataLoader(Points(*data.train), batch_size=batch_size, shuffle=shuffle)
    return train, DataLoader(Points(*data.val), batch_size=64)


def test_a_pair_of_loaders_trains_and_scores_on_each(moons):
    hist = hplab.fit(hplab.mlp(2, 2, seed=0), _loaders(moons), lr=1e-2, epochs=8)
    assert hist.status == "completed" and hist.epochs_run == 8
    assert hist.steps_per_epoch == math.ceil(moons.n_train / 16) == len(hist.batch_loss) / 8
    assert hist.config["batch_size"] == 16 and hist.config["n_train"] == moons.n_train
    assert hist.val_loss[-1] < 0.6 * hist.initial["val_loss"]  # it learned
    assert hist.val_metric[-1] > 0.8 and hist.baseline["rule"].startswith("always class")
    net = hplab.mlp(2, 2, seed=0)
    hplab.fit(net, _loaders(moons), lr=1e-2, epochs=8)
    assert hplab.evaluate(net, moons)["loss"] == pytest.approx(hist.val_loss[-1], rel=1e-5)


def test_full_batch_loaders_give_fits_history_on_the_same_tensors(moons):
    """One minibatch per epoch: the order of the examples cannot matter (up to rounding)."""
    n = moons.n_train
    by_data = hplab.fit(hplab.mlp(2, 2, seed=0), moons, optimizer="sgd", lr=0.5, batch_size=n,
                        epochs=5)
    by_loader = hplab.fit(hplab.mlp(2, 2, seed=0), _loaders(moons, batch_size=n), optimizer="sgd",
                          lr=0.5, epochs=5)
    for key in ("train_loss", "val_loss", "train_metric", "val_metric", "batch_loss"):
        np.testing.assert_allclose(getattr(by_loader, key), getattr(by_data, key), rtol=1e-5,
                                   err_msg=key)


def test_same_seed_same_history_with_a_shuffling_loader(moons):
    runs = [hplab.fit(hplab.mlp(2, 2, seed=0), _loaders(moons), epochs=3, seed=5).batch_loss
            for _ in range(2)]
    other = hplab.fit(hplab.mlp(2, 2, seed=0), _loaders(moons), epochs=3, seed=6).batch_loss
    assert runs[0] == runs[1] and runs[0] != other


def test_regression_from_loaders_and_a_model_of_ones_own():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, generator=gen)
    y = (X @ torch.tensor([[1.0], [-2.0], [0.5]]))  # (n, 1): one target
    train = DataLoader(TensorDataset(X[:160], y[:160]), batch_size=20, shuffle=True)
    val = DataLoader(TensorDataset(X[160:], y[160:]), batch_size=40)
    torch.manual_seed(0)
    hist = hplab.fit(nn.Sequential(nn.Linear(3, 1)), (train, val), lr=0.05, epochs=30)
    assert hist.task == "regression" and hist.metric_name == "r2" and hist.val_metric[-1] > 0.99


def test_one_loader_has_no_validation_scores_and_early_stopping_must_watch_training(moons):
    train, _ = _loaders(moons)
    hist = hplab.fit(hplab.mlp(2, 2, seed=0), train, epochs=3,
                     early_stopping=hplab.EarlyStopping(monitor="train_loss", patience=2))
    assert all(math.isnan(v) for v in hist.val_loss) and hist.train_loss[-1] < hist.initial["train_loss"]
    with pytest.raises(ValueError, match="monitors 'val_loss', but a single DataLoader has no "
                                         "validation split; pass data=\\(train_loader, val_loader\\)"):
        hplab.fit(hplab.mlp(2, 2, seed=0), train, early_stopping=hplab.EarlyStopping())


@pytest.mark.parametrize("data", [
    lambda d: (d.train.X, d.train.y),          # tensors: that is Data.from_arrays' job
    lambda d: d.train.X.numpy(),
    lambda d: Points(*d.train),                # a Dataset, not yet a DataLoader
    lambda d: [_loaders(d)[0]] * 3,
    lambda d: {"train": _loaders(d)[0]},
])
def test_other_data_is_a_type_error_that_lists_what_fit_takes(data, moons):
    with pytest.raises(TypeError, match="data must be an hplab Data bundle .*, a torch DataLoader "
                                        "of \\(inputs, targets\\) batches, or a pair"):
        hplab.fit(hplab.mlp(2, 2), data(moons))


def test_loader_mistakes_are_named(moons):
    with pytest.raises(ValueError, match="batch_size must be left unset when data is a DataLoader "
                                         "\\(its own batch size, 16, is used\\), got 32"):
        hplab.fit(hplab.mlp(2, 2), _loaders(moons), batch_size=32)
    labels32 = DataLoader(TensorDataset(moons.train.X, moons.train.y.int()), batch_size=8)
    with pytest.raises(ValueError, match="class labels must be torch.long .* got torch.int32"):
        hplab.fit(hplab.mlp(2, 2), labels32)
    flat = DataLoader(TensorDataset(moons.train.X, moons.train.y.float()), batch_size=8)
    with pytest.raises(ValueError, match="regression targets must have shape \\(batch, targets\\)"):
        hplab.fit(hplab.mlp(2, 1), flat)
    with pytest.raises(ValueError, match="class labels must be 0..0 for a model with 1 outputs"):
        hplab.fit(hplab.mlp(2, 1), _loaders(moons))


def test_a_loader_over_an_iterable_dataset_trains_and_an_empty_one_is_refused(moons):
    from torch.utils.data import IterableDataset

    class Stream(IterableDataset):
        def __init__(self, split):
            self.split = split

        def __iter__(self):
            return iter(zip(*self.split))

    stream = DataLoader(Stream(moons.train), batch_size=30)
    hist = hplab.fit(hplab.mlp(2, 2, seed=0), (stream, _loaders(moons)[1]), lr=1e-2, epochs=3)
    assert hist.status == "completed" and len(hist.batch_loss) == 3 * math.ceil(moons.n_train / 30)
    empty = DataLoader(TensorDataset(moons.train.X[:0], moons.train.y[:0]), batch_size=8)
    with pytest.raises(ValueError, match="the training DataLoader yields no batches"):
        hplab.fit(hplab.mlp(2, 2), empty)


def test_a_last_minibatch_of_one_for_batchnorm_is_refused_with_the_fix_named():
    """65 examples in batches of 32 leave a last minibatch of 1, on which BatchNorm cannot
    train: fit names drop_last=True instead of PyTorch's 'more than 1 value per channel'."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(65, 3, generator=gen)
    y = (X[:, 0] > 0).long()
    val = DataLoader(TensorDataset(X[:20], y[:20]), batch_size=32)
    model = hplab.mlp(3, 2, norm="batch", seed=0)
    with pytest.raises(ValueError, match=r"minibatch of 1 example .*drop_last=True"):
        hplab.fit(model, (DataLoader(TensorDataset(X, y), batch_size=32), val), epochs=2)
    kept = DataLoader(TensorDataset(X, y), batch_size=32, drop_last=True)
    hist = hplab.fit(hplab.mlp(3, 2, norm="batch", seed=0), (kept, val), epochs=2)
    assert hist.status == "completed" and hist.steps_per_epoch == 2
    plain = hplab.fit(hplab.mlp(3, 2, seed=0), (DataLoader(TensorDataset(X, y), batch_size=32), val),
                      epochs=2)  # without BatchNorm a minibatch of one is an ordinary step
    assert plain.steps_per_epoch == 3
