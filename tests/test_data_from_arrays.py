"""Data.from_arrays: the learner's own arrays, checked, converted, split and standardized."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.preprocessing import StandardScaler
from torch import nn

import hplab
from hplab import Data

RNG = np.random.default_rng(0)
X60 = RNG.normal(size=(60, 3))
Y60 = np.arange(60) % 3


def raw_and_scaled(X, y, **kw):
    """The same split twice: raw inputs (standardize=False) and standardized ones."""
    return Data.from_arrays(X, y, standardize=False, **kw), Data.from_arrays(X, y, **kw)


# ----------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("X", [X60, X60.astype(np.float32), (X60 * 10).astype(np.int64),
                               X60 > 0, torch.tensor(X60), X60.tolist(), pd.DataFrame(X60)],
                         ids=["float64", "float32", "int64", "bool", "tensor", "list", "dataframe"])
def test_inputs_of_any_numeric_kind_become_float32(X):
    data = Data.from_arrays(X, Y60)
    for split in (data.train, data.val, data._test):
        assert split.X.dtype == torch.float32 and split.X.shape[1:] == (3,)
    assert data.n_features == 3 and data.input_shape == (3,)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.uint64])
def test_integer_labels_of_any_dtype_become_int64_class_indices(dtype):
    data = Data.from_arrays(X60, Y60.astype(dtype))
    assert data.task == "classification" and data.train.y.dtype == torch.int64
    assert data.n_outputs == 3 and data.classes == (0, 1, 2)


@pytest.mark.parametrize("labels, classes", [
    (np.array([-1, 1]), (-1, 1)),
    (np.array([3, 7, 9]), (3, 7, 9)),
    (np.array(["cat", "dog", "emu"]), ("cat", "dog", "emu")),
    (np.array(["cat", "dog"], dtype=object), ("cat", "dog")),
    (np.array([False, True]), (False, True)),
])
def test_labels_are_remapped_to_0_to_k_minus_1_and_mapped_back(labels, classes):
    y = labels[np.arange(60) % len(labels)]
    data = Data.from_arrays(X60, y, stratify=False)
    assert data.classes == classes and data.n_outputs == len(classes)
    assert data.class_names == tuple(str(c) for c in classes)
    assert set(data.train.y.tolist()) == set(range(len(classes)))
    # the index of a label is its position among the sorted labels, and to_labels undoes it
    raw = Data.from_arrays(X60, np.arange(60), task="regression", stratify=False)
    rows = raw.train.y[:, 0].long().numpy()  # which original rows landed in train
    assert np.array_equal(data.to_labels(data.train.y), y[rows])


def test_binary_task_has_two_outputs_for_cross_entropy():
    data = Data.from_arrays(X60, np.arange(60) % 2)
    assert data.n_outputs == 2
    assert data.to_labels(torch.tensor([1, 0])).tolist() == [1, 0]


def test_a_label_column_and_torch_labels_are_accepted():
    a = Data.from_arrays(X60, Y60[:, None])
    b = Data.from_arrays(torch.tensor(X60), torch.tensor(Y60, dtype=torch.int32))
    assert a.train.y.shape == (len(a.train.y),) and torch.equal(a.train.y, b.train.y)


def test_a_1d_regression_target_becomes_n_by_1_float32_in_its_own_units():
    y = RNG.normal(100.0, 20.0, size=60)
    data = Data.from_arrays(X60, y)
    assert data.task == "regression" and data.n_outputs == 1
    assert data.train.y.dtype == torch.float32 and data.train.y.shape == (data.n_train, 1)
    every = torch.cat([data.train.y, data.val.y, data._test.y])[:, 0].numpy()
    np.testing.assert_allclose(np.sort(every), np.sort(y.astype(np.float32)))  # not standardized


def test_several_regression_targets_keep_their_columns():
    data = Data.from_arrays(X60, RNG.normal(size=(60, 2)))
    assert data.n_outputs == 2 and data.train.y.shape[1] == 2


def test_explicit_task_overrides_auto():
    y = (np.arange(60) % 2).astype(np.float64)
    assert Data.from_arrays(X60, y, task="classification").classes == (0.0, 1.0)
    assert Data.from_arrays(X60, Y60, task="regression").train.y.dtype == torch.float32


@pytest.mark.parametrize("shape", [(90, 1, 8, 8), (90, 3, 5, 4), (90, 8, 8)])
def test_image_shape_is_kept_and_standardized_per_channel(shape):
    X = RNG.normal(size=shape) * np.arange(1, shape[1] + 1).reshape((1, -1) + (1,) * (len(shape) - 2)) + 5
    raw, data = raw_and_scaled(X, np.arange(90) % 3)
    assert data.input_shape == shape[1:] and data.n_features == int(np.prod(shape[1:]))
    axes = (0, 2, 3) if len(shape) == 4 else (0, 1, 2)  # (n, h, w): a single channel
    x = raw.train.X.double().numpy()
    mean, std = x.mean(axis=axes, keepdims=True)[0], x.std(axis=axes, keepdims=True)[0]
    assert data.mean.shape == mean.shape
    np.testing.assert_allclose(data.val.X.numpy(), (raw.val.X.numpy() - mean) / std, atol=1e-4)
    scaled = data.train.X.double().numpy()
    np.testing.assert_allclose(scaled.mean(axis=axes), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.std(axis=axes), 1, atol=1e-4)


# ----------------------------------------------------------------------------- splits


def test_standardization_uses_the_training_split_only():
    X, y = load_breast_cancer(return_X_y=True)
    raw, data = raw_and_scaled(X, y, seed=3)
    scaler = StandardScaler().fit(raw.train.X.double().numpy())
    for scaled, unscaled in ((data.train, raw.train), (data.val, raw.val), (data._test, raw._test)):
        np.testing.assert_allclose(scaled.X.numpy(), scaler.transform(unscaled.X.double().numpy()),
                                   rtol=1e-4, atol=1e-4)
    everything = np.concatenate([raw.train.X, raw.val.X, raw._test.X])
    leaked = StandardScaler().fit(everything).transform(raw.val.X.double().numpy())
    assert np.abs(leaked - data.val.X.numpy()).max() > 0.01  # the whole-data scaler differs
    np.testing.assert_allclose(data.transform(raw.val.X.numpy()), data.val.X, atol=1e-5)


def test_standardize_false_keeps_the_inputs():
    data = Data.from_arrays(X60, Y60, standardize=False)
    rows = np.concatenate([data.train.X, data.val.X, data._test.X])
    np.testing.assert_allclose(np.sort(rows, axis=0), np.sort(X60.astype(np.float32), axis=0))


def test_split_sizes_follow_val_and_test():
    data = Data.from_arrays(RNG.normal(size=(500, 2)), np.arange(500) % 2, val=0.1, test=0.3)
    assert len(data._test.y) == 150 and len(data.val.y) == pytest.approx(50, abs=1)
    assert data.n_train + len(data.val.y) == 350


def test_same_seed_same_split_other_seed_another():
    a, b, c = (Data.from_arrays(X60, Y60, seed=s) for s in (4, 4, 5))
    assert torch.equal(a.train.X, b.train.X) and torch.equal(a._test.y, b._test.y)
    assert not torch.equal(a.train.X, c.train.X)


def test_stratified_splits_keep_each_class_share():
    y = np.repeat([0, 1, 2], [700, 200, 100])
    rng = np.random.default_rng(1)
    for seed in range(3):
        data = Data.from_arrays(rng.normal(size=(1000, 2)), rng.permutation(y), seed=seed)
        for split in (data.train, data.val, data._test):
            share = np.bincount(split.y.numpy(), minlength=3) / len(split.y)
            np.testing.assert_allclose(share, [0.7, 0.2, 0.1], atol=0.006)
    free = Data.from_arrays(rng.normal(size=(1000, 2)), rng.permutation(y), stratify=False, seed=0)
    shares = [np.bincount(s.y.numpy(), minlength=3) / len(s.y) for s in (free.val, free._test)]
    assert max(np.abs(s - [0.7, 0.2, 0.1]).max() for s in shares) > 0.006  # chance alone is looser


def test_test_split_is_sealed_like_the_course_datasets():
    data = Data.from_arrays(X60, Y60)
    data.train, data.val, data.train_val()
    assert data.test_reads == 0
    hplab.evaluate(nn.Sequential(nn.Linear(3, 3)), data, split="test")
    _ = data.test
    assert data.test_reads == 2
    assert "test=12" in repr(data) and data.test_reads == 2


def test_subset_keeps_the_labels_and_the_sealed_test():
    data = Data.from_arrays(X60, np.array(["a", "b", "c"])[Y60])
    small = data.subset(6, seed=0)
    assert small.classes == ("a", "b", "c") and small.n_train == 6 and small.test_reads == 0
    assert small.params["source"] == "arrays" and small.params["subset"] == 6


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("X, y, kwargs, error, message", [
    (X60, Y60[:59], {}, ValueError, r"X and y must have one row per example each, but X has 60 "
                                    r"rows and y has 59"),
    (X60[:, 0], Y60, {}, ValueError, r"X must have one row per example.*got shape \(60,\)\. "
                                     r"For a single feature pass X.reshape\(-1, 1\)"),
    ("abc", Y60, {}, TypeError, "X must be a NumPy array, a torch tensor or a list, got str"),
    (X60, {0: 1}, {}, TypeError, "y must be a NumPy array, a torch tensor or a list, got dict"),
    (np.array([["a", "b"]] * 60), Y60, {}, TypeError, r"X must hold numbers.*got dtype <U1; "
                                                      r"encode text or category columns"),
    ([[1, 2], [3]], [0, 1], {}, ValueError, "X must be rectangular"),
    (X60 * 1e300, Y60, {}, ValueError, r"X must fit in float32.*rescale X"),
    (X60, Y60, dict(val=0.5, test=0.5), ValueError,
     r"val \+ test must be < 1 .* got val=0.5 \+ test=0.5 = 1; lower them"),
    (X60, Y60, dict(val=0), ValueError, "val must be > 0, got 0"),
    (X60, Y60, dict(test=1.2), ValueError, "test must be < 1, got 1.2"),
    (X60, Y60, dict(task="classify"), ValueError,
     "task 'classify' is unknown; choose one of: auto, classification, regression"),
    (X60, Y60, dict(stratify="yes"), TypeError, "stratify must be True or False, got str 'yes'"),
    (X60, Y60, dict(seed=-1), ValueError, "seed must be >= 0, got -1"),
    (X60, Y60, dict(name=3), TypeError, "name must be a string, got int 3"),
    (X60[:2], Y60[:2], dict(stratify=False), ValueError,
     r"X has too few examples \(2\) for val=0.2 and test=0.2: the splits would be train=0, "
     r"val=1, test=1\. Collect more examples or lower val and test"),
    (X60[:9], Y60[:9], {}, ValueError,
     r"stratify=True puts every one of the 3 classes in every split, but 9 examples .* give "
     r"train=5, val=2, test=2\. .* or pass stratify=False"),
    (X60, (np.arange(60) % 2).astype(float), {}, ValueError,
     r"task='auto' cannot tell class labels from a numeric target: y holds floats that are all "
     r"whole numbers, 2 distinct \(0, 1\)\. Pass task='classification' or task='regression'"),
    (X60, np.eye(3)[Y60], {}, ValueError, r"if y is one-hot, pass y.argmax\(axis=1\)"),
    (X60, Y60 + 0.5, dict(task="classification"), ValueError,
     r"task='classification' needs whole-number or text class labels, but y\[0\] = 0.5; for a "
     r"numeric target pass task='regression'"),
    (X60, Y60.reshape(20, 3), {}, ValueError, "X has 60 rows and y has 20"),
    (X60, np.ones((60, 2), dtype=int), {}, ValueError,
     r"y must be 1-D class labels \(n,\) for classification, got shape \(60, 2\)"),
    (X60, np.zeros(60, dtype=int), {}, ValueError,
     "y must hold at least 2 classes for classification, got only 0"),
    (X60, np.array(["a", None] * 30, dtype=object), {}, ValueError,
     r"y must not hold missing labels, but has 30 None or NaN \(the first at row 1\)"),
    (X60, np.array([1, "a"] * 30, dtype=object), {}, TypeError, "y mixes label types"),
    (X60, np.array(["a", "b"] * 30), dict(task="regression"), TypeError,
     "y must hold numbers for task='regression', got dtype <U1; for class labels pass "
     "task='classification'"),
])
def test_bad_input_names_the_parameter_the_rule_and_the_fix(X, y, kwargs, error, message):
    with pytest.raises(error, match=message):
        Data.from_arrays(X, y, **kwargs)


def test_non_finite_inputs_are_counted_and_located():
    X = X60.copy()
    X[7, 2], X[9, 0], X[30, 1] = np.nan, np.inf, np.nan
    with pytest.raises(ValueError, match=r"X must hold finite numbers, but has 2 NaN and 1 "
                                         r"infinite in 3 rows \(the first at row 7, column 2\)\. "
                                         r"Drop those rows \(keep = np\.isfinite\(X\)"):
        Data.from_arrays(X, Y60)
    images = RNG.normal(size=(60, 1, 4, 4))
    images[11, 0, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"has 1 NaN in 1 row \(the first at row 11\)"):
        Data.from_arrays(images, Y60)


@pytest.mark.parametrize("task", ["auto", "regression"])
def test_nan_targets_are_refused(task):
    y = RNG.normal(size=60)
    y[4] = np.nan
    with pytest.raises(ValueError, match=r"y must hold finite numbers, but has 1 NaN in 1 row "
                                         r"\(the first at row 4\)\. Drop those rows"):
        Data.from_arrays(X60, y, task=task)


def test_nan_class_labels_are_refused():
    y = (np.arange(60) % 2).astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match=r"y must hold finite numbers, but has 1 NaN .* row 5"):
        Data.from_arrays(X60, y, task="classification")


def test_a_rare_class_is_named_with_its_count_and_stratify_false_suggested():
    y = np.r_[np.zeros(50, int), np.ones(8, int), [2, 2]]
    with pytest.raises(ValueError, match=r"stratify=True needs at least 3 examples of each class "
                                         r"\(one each for train, val and test\), but class 2 has "
                                         r"2\. Pass stratify=False"):
        Data.from_arrays(X60, y)
    assert Data.from_arrays(X60, y, stratify=False).n_outputs == 3


def test_a_split_scikit_learn_cannot_stratify_is_explained():
    y = np.repeat(["a", "b", "c"], [5, 3, 3])  # 3 each pass the count check, yet the test
    with pytest.raises(ValueError, match=r"stratify=True could not split the classes with "
                                         r"val=0.3, test=0.4: after the test split a class has "
                                         r"too few examples .* 'c'\)\)\. Lower test, pass "
                                         r"stratify=False"):
        Data.from_arrays(np.zeros((11, 2)), y, val=0.3, test=0.4)  # split takes 2 of one class


def test_many_integer_classes_hint_at_regression():
    with pytest.raises(ValueError, match="if y is a quantity, not class labels, pass "
                                         "task='regression'"):
        Data.from_arrays(X60, np.arange(60))


def test_transform_and_to_labels_check_their_input():
    data = Data.from_arrays(X60, Y60)
    with pytest.raises(ValueError, match=r"X must have examples of shape \(3,\)"):
        data.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"pred must hold class indices 0\.\.2"):
        data.to_labels(np.array([0, 3]))
    with pytest.raises(ValueError, match="to_labels applies to classification data only"):
        Data.from_arrays(X60, RNG.normal(size=60)).to_labels([0])


# ----------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_on_float64_features_and_int32_labels_beats_the_majority_class(seed):
    X, y = load_breast_cancer(return_X_y=True)  # float64, int64 -> int32 below
    data = Data.from_arrays(X, y.astype(np.int32), seed=seed)
    hist = hplab.fit(hplab.mlp(data.n_features, data.n_outputs, seed=seed), data, epochs=5,
                     seed=seed)
    majority = np.bincount(data.val.y.numpy()).max() / len(data.val.y)  # about 0.63
    assert hist.status == "completed"
    assert hist.val_metric[-1] > majority + 0.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_on_a_1d_float_target_beats_the_mean_predictor(seed):
    X, y = load_diabetes(return_X_y=True)  # y: 1-D float64, in its own units (25 to 346)
    data = Data.from_arrays(X, y, seed=seed)
    hist = hplab.fit(hplab.mlp(data.n_features, data.n_outputs, seed=seed), data, epochs=10,
                     lr=1e-2, seed=seed)  # fit scales the target, so 30 epochs would overfit
    assert hist.metric_name == "r2" and hist.val_metric[-1] > 0.2  # the mean predictor scores 0


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_trains_a_small_cnn_on_digits_given_as_images(seed):
    digits = load_digits()
    data = Data.from_arrays(digits.images[:, None], digits.target, seed=seed)  # (n, 1, 8, 8)
    assert data.input_shape == (1, 8, 8)
    torch.manual_seed(seed)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
    hist = hplab.fit(cnn, data, lr=3e-3, epochs=4, seed=seed)
    assert hist.status == "completed" and hist.val_metric[-1] > 0.8  # 10 classes: chance 0.1
