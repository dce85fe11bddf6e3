import numpy as np
import pytest
import torch

import hplab
from hplab.data import DATASETS


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_loads_with_consistent_shapes(name):
    data = hplab.load_dataset(name, seed=0)
    for split in (data.train, data.val, data._test):
        assert split.X.shape[1] == data.n_features
        assert len(split.X) == len(split.y)
        assert torch.isfinite(split.X).all()
    if data.task == "classification":
        assert data.train.y.dtype == torch.long
        assert int(data.train.y.max()) < data.n_outputs
    else:
        assert data.train.y.shape[1] == data.n_outputs == 1


def test_bundled_sets_ship_with_scikit_learn():
    assert hplab.load_dataset("digits").params["n_samples"] == 1797
    cancer = hplab.load_dataset("breast_cancer")
    assert (cancer.n_features, cancer.n_outputs) == (30, 2)


def test_split_fractions_and_stratification():
    data = hplab.load_dataset("digits", seed=0)
    n = 1797
    assert len(data._test.y) == pytest.approx(0.2 * n, abs=1)
    assert len(data.val.y) == pytest.approx(0.2 * n, abs=2)
    # stratified: each class has nearly the same share in train and test
    train_share = np.bincount(data.train.y.numpy(), minlength=10) / data.n_train
    test_share = np.bincount(data._test.y.numpy(), minlength=10) / len(data._test.y)
    assert np.abs(train_share - test_share).max() < 0.01


def test_standardization_uses_training_statistics_only():
    data = hplab.load_dataset("moons", seed=3)
    assert torch.allclose(data.train.X.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(data.train.X.std(0, unbiased=False), torch.ones(2), atol=1e-4)
    assert not torch.allclose(data.val.X.mean(0), torch.zeros(2), atol=1e-3)


def test_same_seed_same_data_and_different_seed_differs():
    a = hplab.load_dataset("spirals", seed=5)
    b = hplab.load_dataset("spirals", seed=5)
    c = hplab.load_dataset("spirals", seed=6)
    assert torch.equal(a.train.X, b.train.X) and torch.equal(a.train.y, b.train.y)
    assert not torch.equal(a.train.X, c.train.X)


def test_label_noise_flips_the_requested_share():
    clean = hplab.load_dataset("blobs", n_samples=2000, noise=0.0, seed=0)
    noisy = hplab.load_dataset("blobs", n_samples=2000, noise=0.0, label_noise=0.3, seed=0)
    # same inputs, so compare labels row for row
    assert torch.equal(clean.train.X, noisy.train.X)
    flipped = (clean.train.y != noisy.train.y).float().mean().item()
    assert 0.25 < flipped < 0.35


def test_subset_keeps_validation_and_test_and_every_class():
    data = hplab.load_dataset("digits", seed=0)
    small = data.subset(30, seed=1)
    assert small.n_train == 30
    assert small.val is data.val
    assert torch.equal(small._test.X, data._test.X)
    assert len(torch.unique(small.train.y)) == 10
    assert torch.equal(small.train.X, data.subset(30, seed=1).train.X)


def test_test_split_is_sealed_and_counts_reads():
    data = hplab.load_dataset("moons", seed=0)
    assert data.test_reads == 0
    data.val, data.train  # reading other splits is free
    assert data.test_reads == 0
    _ = data.test
    hplab.evaluate(hplab.mlp(2, 2), data, split="test")
    assert data.test_reads == 2


def test_train_val_joins_both_splits():
    data = hplab.load_dataset("moons", seed=0)
    joined = data.train_val()
    assert len(joined.y) == data.n_train + len(data.val.y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="mnist"), "choose one of: blobs, breast_cancer, circles, digits"),
    (dict(name="moons", noise=-1), "noise must be >= 0"),
    (dict(name="moons", n_samples=5), "n_samples must be >= 20"),
    (dict(name="moons", label_noise=1.0), "label_noise must be < 1"),
    (dict(name="sine", label_noise=0.1), "classification data only"),
    (dict(name="moons", seed=-1), "seed must be >= 0"),
    (dict(name="moons", noise=float("nan")), "noise must be a finite number"),
])
def test_bad_dataset_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        hplab.load_dataset(**kwargs)


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        hplab.load_dataset("moons", n_samples="300")
    with pytest.raises(TypeError, match="name must be a string"):
        hplab.load_dataset(3)


def test_subset_bounds():
    data = hplab.load_dataset("moons", seed=0)
    with pytest.raises(ValueError, match=r"n must be <= \d+"):
        data.subset(10_000)


def test_course_datasets_answer_the_questions_asked_of_your_own_data():
    data = hplab.load_dataset("digits", seed=0)
    assert data.input_shape == (64,) and "n_features=64" in repr(data)
    assert data.to_labels(torch.tensor([3, 0])).tolist() == [3, 0]  # labels are the indices
    raw = hplab.load_dataset("digits", seed=0, standardize=False)
    assert torch.allclose(data.transform(raw.val.X.numpy()), data.val.X, atol=1e-5)
