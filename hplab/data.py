"""Datasets for the course: generated on the spot or shipped inside scikit-learn, never downloaded.

Every loader is deterministic from ``seed`` and returns a :class:`Data` bundle with train,
validation and test splits, standardized with statistics of the training split only.
:meth:`Data.from_arrays` builds the same bundle from your own arrays or tensors.

    >>> data = load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
    >>> data.n_features, data.n_outputs, len(data.train.y)
    (2, 2, 360)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import torch

from . import _validate as check

CLASSIFICATION = "classification"
REGRESSION = "regression"

TOY_2D = ("moons", "circles", "spirals", "xor", "blobs")
DATASETS = TOY_2D + ("sine", "digits", "breast_cancer")


class Split(NamedTuple):
    """One split of a dataset: inputs ``X`` (n, features) and targets ``y``."""

    X: torch.Tensor
    y: torch.Tensor


@dataclass(eq=False)
class Data:
    """Train / validation / test splits plus what a model needs to know about them.

    The test split is *sealed*: every read of ``data.test`` is counted in ``test_reads``,
    so a tuning workflow can show whether the test set was peeked at before the end.
    """

    name: str
    task: str  # "classification" or "regression"
    train: Split
    val: Split
    _test: Split = field(repr=False)
    n_features: int = 0
    n_outputs: int = 0
    class_names: tuple = ()
    mean: torch.Tensor | None = field(default=None, repr=False)  # standardization (train only)
    std: torch.Tensor | None = field(default=None, repr=False)
    params: dict = field(default_factory=dict)
    test_reads: int = 0
    classes: tuple = ()  # original labels (from_arrays): class index i stands for classes[i]

    @property
    def test(self) -> Split:
        """The held-out test split. Each access is counted in ``test_reads``."""
        self.test_reads += 1
        return self._test

    @property
    def n_train(self) -> int:
        return len(self.train.y)

    @property
    def is_classification(self) -> bool:
        return self.task == CLASSIFICATION

    @property
    def input_shape(self) -> tuple:
        """Shape of one example: ``(features,)`` for tabular data, ``(channels, height, width)`` for images."""
        return tuple(self.train.X.shape[1:])

    @classmethod
    def from_arrays(cls, X, y, *, task: str = "auto", val: float = 0.2, test: float = 0.2,
                    standardize: bool = True, stratify: bool = True, seed: int = 0,
                    name: str = "my data") -> "Data":
        """Your own data as a :class:`Data` bundle, split and checked like the course's datasets.

        Args:
            X: inputs, one row per example: NumPy array, torch tensor, list, or anything with
                ``__array__`` (a pandas DataFrame). Tabular ``(n, features)`` or image-shaped
                ``(n, channels, height, width)`` / ``(n, height, width)``; the shape is kept as
                given (for ``nn.Conv2d`` give ``(n, 1, h, w)``, e.g. ``X[:, None]``). Numbers of
                any dtype become float32.
            y: one target per example. Class labels of any integer dtype, bool, strings or
                objects become class indices 0..k-1 (int64) in sorted order, so negative or
                gappy labels such as -1/1 or 3/7/9 are remapped; ``data.classes`` keeps the
                original labels and ``data.to_labels(pred)`` maps predictions back. Regression
                targets become float32 ``(n, outputs)``: a 1-D target becomes ``(n, 1)``.
            task: "classification", "regression" or "auto": integer, bool and text labels are
                classes, floats are a regression target. Floats that are all whole numbers with
                at most 20 distinct values are ambiguous (class labels stored as floats?) and
                raise a ValueError asking for ``task=`` explicitly.
            val, test: fractions of all examples for the validation and test splits (each > 0,
                together < 1). The test split is sealed: reads are counted in ``test_reads``.
            standardize: shift and scale inputs with statistics of the training split only:
                per feature for tabular data, one mean and std per channel for images (a single
                one for ``(n, h, w)``). Regression targets are left in their own units.
            stratify: keep each class's share the same in every split (classification only;
                each class needs at least 3 examples). Regression splits are never stratified.
            seed: drives the split; the same seed gives the same split.
            name: shown in ``repr`` and on plots.

        The number of outputs is the number of classes, also for two classes: the course's
        models end in one logit per class and train with cross-entropy, so a binary model has
        2 outputs, not 1 with a sigmoid.

        Example:
            >>> X, y = np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 2
            >>> Data.from_arrays(X, y, seed=0)
            Data('my data', classification, train=60, val=20, test=20, n_features=3, n_outputs=2)
        """
        return _from_arrays(cls, X, y, task, val, test, standardize, stratify, seed, name)

    def transform(self, X) -> torch.Tensor:
        """New inputs prepared as the splits were: checked, float32, standardized with training statistics.

            >>> data.transform(X_new)   # doctest: +SKIP
        """
        X = _inputs(X)
        if X.shape[1:] != self.input_shape:
            raise ValueError(f"X must have examples of shape {self.input_shape} like this data's "
                             f"training split, got {X.shape[1:]}")
        return _standardized(X, self.mean.numpy(), self.std.numpy())

    def to_labels(self, pred) -> np.ndarray:
        """Original labels of class indices (e.g. ``model(X).argmax(1)``), as given to ``from_arrays``."""
        if not self.is_classification:
            raise ValueError(f"to_labels applies to classification data only; {self.name!r} is "
                             f"regression")
        idx = torch.as_tensor(pred).cpu().numpy()
        if idx.dtype.kind not in "iu" or idx.size and not 0 <= idx.min() <= idx.max() < self.n_outputs:
            raise ValueError(f"pred must hold class indices 0..{self.n_outputs - 1}; "
                             f"got dtype {idx.dtype} with values {np.unique(idx)[:5]}")
        return np.asarray(self.classes or range(self.n_outputs))[idx]

    def split(self, name: str) -> Split:
        """Return the split called ``name`` ("train", "val" or "test")."""
        name = check.choice("split", name, ("train", "val", "test"))
        return self.test if name == "test" else getattr(self, name)

    def subset(self, n: int, *, seed: int = 0) -> "Data":
        """A copy whose training split holds only ``n`` examples; validation and test are unchanged.

        Handy for overfitting on purpose: a big network memorizes a small training set.
        """
        n = check.integer("n", n, low=1, high=self.n_train)
        seed = check.seed(seed)
        gen = torch.Generator().manual_seed(seed)
        if self.is_classification:  # keep every class present when possible
            idx = _stratified_pick(self.train.y, n, gen)
        else:
            idx = torch.randperm(self.n_train, generator=gen)[:n]
        small = Split(self.train.X[idx], self.train.y[idx])
        params = dict(self.params, subset=n, subset_seed=seed)
        return replace(self, train=small, params=params, test_reads=0)

    def train_val(self) -> Split:
        """Training and validation splits joined, for a final refit before the test."""
        return Split(torch.cat([self.train.X, self.val.X]), torch.cat([self.train.y, self.val.y]))

    def __repr__(self) -> str:
        sizes = f"train={len(self.train.y)}, val={len(self.val.y)}, test={len(self._test.y)}"
        shape = self.input_shape
        inputs = f"n_features={self.n_features}" if len(shape) == 1 else f"input_shape={shape}"
        return f"Data({self.name!r}, {self.task}, {sizes}, {inputs}, n_outputs={self.n_outputs})"


def _stratified_pick(y: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """Indices of ``n`` examples drawn round-robin across classes, in a seeded order."""
    classes = torch.unique(y)
    pools = [torch.nonzero(y == c).flatten() for c in classes]
    pools = [p[torch.randperm(len(p), generator=gen)] for p in pools]
    picked, depth = [], 0
    while len(picked) < n:
        for p in pools:
            if depth < len(p) and len(picked) < n:
                picked.append(int(p[depth]))
        depth += 1
    idx = torch.tensor(picked)
    return idx[torch.randperm(n, generator=gen)]


# ----------------------------------------------------------------------------- generators


def _spirals(n, noise, rng):
    """Two interleaved spirals, the classic hard case for a small network."""
    n0 = n // 2
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi  # (n,) angle; sqrt spreads points evenly
    label = np.r_[np.zeros(n0), np.ones(n - n0)].astype(np.int64)
    phase = label * np.pi
    r = t / (3 * np.pi) * 2
    X = np.c_[r * np.cos(t + phase), r * np.sin(t + phase)]
    X += rng.normal(0, noise * 0.5, X.shape)
    return X, label


def _xor(n, noise, rng):
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05  # a small gap around the axes
    label = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    X += rng.normal(0, noise * 0.5, X.shape)
    return X, label


def _toy_2d(name, n, noise, rng, seed):
    from sklearn import datasets as skd

    if name == "moons":
        return skd.make_moons(n, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n, noise=noise * 0.5, factor=0.5, random_state=seed)
    if name == "blobs":
        centers = [(-1.5, -1.0), (1.5, -1.0), (0.0, 1.5)]
        return skd.make_blobs(n, centers=centers, cluster_std=0.4 + 2 * noise, random_state=seed)
    if name == "spirals":
        return _spirals(n, noise, rng)
    return _xor(n, noise, rng)


def _sine(n, noise, rng):
    """A wiggly 1-D curve: under- and overfitting show up as the fitted line."""
    x = rng.uniform(-3, 3, n)
    y = np.sin(1.5 * x) + 0.3 * x + rng.normal(0, noise, n)
    return x[:, None], y[:, None]


def load_dataset(name: str, *, n_samples: int | None = None, noise: float = 0.2,
                 label_noise: float = 0.0, val_fraction: float = 0.2, test_fraction: float = 0.2,
                 standardize: bool = True, seed: int = 0) -> Data:
    """Load one of the course datasets as a :class:`Data` bundle.

    Args:
        name: "moons", "circles", "spirals", "xor", "blobs" (2-D classification), "sine"
            (1-D regression), "digits" (8x8 handwritten digits) or "breast_cancer" (tabular).
        n_samples: how many examples to generate (default 500 for the generated sets; for the
            bundled sets, ``None`` keeps them all and a number draws a random subset).
        noise: input noise of the generated sets (ignored for bundled data).
        label_noise: fraction of class labels replaced with a random other class (classification).
        val_fraction, test_fraction: sizes of the validation and test splits.
        seed: drives generation, label noise and the split.

    Example:
        >>> data = load_dataset("moons", n_samples=300, noise=0.3, seed=1)
        >>> data.task
        'classification'
    """
    name = check.choice("name", name, DATASETS)
    seed = check.seed(seed)
    noise = check.number("noise", noise, low=0, high=5)
    label_noise = check.fraction("label_noise", label_noise)
    val_fraction = check.number("val_fraction", val_fraction, low=0, high=0.5, low_open=True)
    test_fraction = check.number("test_fraction", test_fraction, low=0, high=0.5, low_open=True)
    check.boolean("standardize", standardize)
    if n_samples is not None:
        n_samples = check.integer("n_samples", n_samples, low=20, high=100_000)

    rng = np.random.default_rng(seed)
    class_names: tuple = ()
    if name in TOY_2D:
        X, y = _toy_2d(name, n_samples or 500, noise, rng, seed)
        task = CLASSIFICATION
    elif name == "sine":
        X, y = _sine(n_samples or 200, noise, rng)
        task = REGRESSION
    else:
        from sklearn import datasets as skd

        bunch = skd.load_digits() if name == "digits" else skd.load_breast_cancer()
        X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
        class_names = tuple(str(c) for c in bunch.target_names)
        task = CLASSIFICATION
        if n_samples is not None and n_samples < len(y):
            keep = rng.choice(len(y), n_samples, replace=False)
            X, y = X[keep], y[keep]

    y = np.asarray(y)
    strata = y  # the split is stratified on the clean labels, so label noise leaves it unchanged
    if task == CLASSIFICATION:
        y = y.astype(np.int64)
        n_classes = int(y.max()) + 1
        class_names = class_names or tuple(str(c) for c in range(n_classes))
        if label_noise > 0:
            flip = rng.uniform(size=len(y)) < label_noise
            shift = rng.integers(1, n_classes, size=len(y))  # a different class, uniformly
            y = np.where(flip, (y + shift) % n_classes, y)
    elif label_noise > 0:
        raise ValueError(f"label_noise applies to classification data only; {name!r} is regression")

    params = dict(name=name, n_samples=len(y), noise=noise, label_noise=label_noise, seed=seed)
    return _split(name, task, X, y, strata, class_names, val_fraction, test_fraction,
                  standardize, seed, params)


def _split_indices(n, strata, val_fraction, test_fraction, seed):
    """Indices of the train, val and test splits; stratified on ``strata`` unless it is None."""
    from sklearn.model_selection import train_test_split

    rest, test = train_test_split(np.arange(n), test_size=test_fraction, random_state=seed,
                                  stratify=strata)
    train, val = train_test_split(rest, test_size=val_fraction / (1 - test_fraction),
                                  random_state=seed,
                                  stratify=None if strata is None else strata[rest])
    return train, val, test


def _split(name, task, X, y, strata, class_names, val_fraction, test_fraction, standardize, seed,
           params):
    classify = task == CLASSIFICATION
    parts = _split_indices(len(y), strata if classify else None, val_fraction, test_fraction, seed)
    (X_train, X_val, X_test), (y_train, y_val, y_test) = ([a[i] for i in parts] for a in (X, y))

    mean, std = _standardizer(X_train, standardize)  # constant pixels in digits keep std 1

    def tensors(Xs, ys):
        yt = torch.tensor(ys, dtype=torch.long if task == CLASSIFICATION else torch.float32)
        return Split(_standardized(Xs, mean, std), yt)

    n_outputs = len(class_names) if task == CLASSIFICATION else y.shape[1]
    return Data(name, task, tensors(X_train, y_train), tensors(X_val, y_val),
                tensors(X_test, y_test), X.shape[1], n_outputs, class_names,
                torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32),
                params)


# ----------------------------------------------------------------------------- your own arrays

TASKS = ("auto", CLASSIFICATION, REGRESSION)
AUTO_CLASS_LIMIT = 20  # whole-number float targets with at most this many values are ambiguous
MIN_PER_CLASS = 3  # a stratified split puts at least one example of each class in train, val, test
_DROP_ROWS = "keep = np.isfinite({0}).reshape(len({0}), -1).all(axis=1); X, y = X[keep], y[keep]"


def _array(name, value) -> np.ndarray:
    """``value`` as a NumPy array: tensors and array-likes are converted, other objects refused."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    if isinstance(value, np.ndarray):
        return value
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__array__"):
        raise TypeError(f"{name} must be a NumPy array, a torch tensor or a list, "
                        f"got {type(value).__name__}")
    try:
        return np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be rectangular (every row the same length); "
                         f"np.asarray({name}) failed: {err}") from None


def _where_not_finite(name, values, n_rows) -> str:
    """'' when every value is finite, else the problem: how many, where the first one is, the fix."""
    bad = ~np.isfinite(values.reshape(n_rows, -1))  # (n, values per example)
    if not bad.any():
        return ""
    n_nan = int(np.isnan(values).sum())
    found = " and ".join(f"{k} {kind}" for k, kind in ((n_nan, "NaN"), (int(bad.sum()) - n_nan,
                                                                          "infinite")) if k)
    rows = int(bad.any(axis=1).sum())
    row, col = np.argwhere(bad)[0]
    where = f"row {row}" + (f", column {col}" if values.ndim == 2 and values.shape[1] > 1 else "")
    return (f"{name} must hold finite numbers, but has {found} in {rows} row{'s' * (rows > 1)} "
            f"(the first at {where}). Drop those rows ({_DROP_ROWS.format(name)}) or fill them "
            f"in before calling from_arrays")


def _inputs(X) -> np.ndarray:
    """X checked: numeric, finite, at least (n, features); float32 unless it was float64."""
    X = _array("X", X)
    if X.dtype.kind == "O":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("X must hold numbers, got objects that are not numbers; encode text "
                            "or category columns as numbers first (e.g. one-hot)") from None
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numbers (float, int or bool), got dtype {X.dtype}; encode "
                        f"text or category columns as numbers first (e.g. one-hot)")
    if X.ndim < 2:
        raise ValueError(f"X must have one row per example: shape (n, features) or (n, channels, "
                         f"height, width), got shape {X.shape}. For a single feature pass "
                         f"X.reshape(-1, 1)")
    if X.dtype != np.float64:
        X = X.astype(np.float32)
    problem = _where_not_finite("X", X, len(X))
    if problem:
        raise ValueError(problem)
    if X.dtype == np.float64 and X.size and np.abs(X).max() > np.finfo(np.float32).max:
        raise ValueError(f"X must fit in float32 (|x| <= 3.4e38), got a largest |x| of "
                         f"{np.abs(X).max():.3g}; rescale X first")
    return X


def _no_missing_labels(y):
    """ValueError when text or object labels include None or NaN."""
    missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in y.ravel()])
    if missing.any():
        raise ValueError(f"y must not hold missing labels, but has {int(missing.sum())} None or "
                         f"NaN (the first at row {int(np.argmax(missing))}); drop those rows "
                         f"from X and y first")


def _resolve_task(task, y) -> str:
    """The task for ``task="auto"``: labels are classes, floats a target, whole-number floats ambiguous."""
    if task != "auto":
        return task
    if y.dtype.kind != "f":
        return CLASSIFICATION
    values = np.unique(y)
    if len(values) <= AUTO_CLASS_LIMIT and np.all(values == np.round(values)):
        hint = ("; if y is one-hot, pass y.argmax(axis=1)" if y.ndim == 2 and y.shape[1] > 1
                else "")
        shown = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if len(values) > 6 else "")
        raise ValueError(f"task='auto' cannot tell class labels from a numeric target: y holds "
                         f"floats that are all whole numbers, {len(values)} distinct ({shown}). "
                         f"Pass task='classification' or task='regression'{hint}")
    return REGRESSION


def _class_labels(y):
    """(class indices 0..k-1 as int64, original labels sorted) for classification."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels (n,) for classification, got shape {y.shape}"
                         f"; for one-hot labels pass y.argmax(axis=1), for several numeric "
                         f"targets pass task='regression'")
    if y.dtype.kind in "OUS":
        _no_missing_labels(y)
    elif y.dtype.kind == "f":
        problem = _where_not_finite("y", y, len(y))
        if problem:
            raise ValueError(problem)
        fractional = np.flatnonzero(y != np.round(y))
        if len(fractional):
            raise ValueError(f"task='classification' needs whole-number or text class labels, but "
                             f"y[{fractional[0]}] = {y[fractional[0]]:g}; for a numeric target "
                             f"pass task='regression'")
    elif y.dtype.kind not in "biu":
        raise TypeError(f"y must hold class labels (int, bool, str) or numbers, got dtype {y.dtype}")
    try:
        classes, idx = np.unique(y, return_inverse=True)
    except TypeError:
        raise TypeError("y mixes label types that cannot be sorted (e.g. int and str); give "
                        "every label the same type, e.g. y.astype(str)") from None
    classes = tuple(classes.tolist())  # plain Python labels
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes for classification, got only "
                         f"{classes[0]!r}")
    return idx.reshape(-1).astype(np.int64), classes


def _regression_targets(y) -> np.ndarray:
    """Regression targets as float32 (n, outputs), finite."""
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold numbers for task='regression', got dtype {y.dtype}; "
                        f"for class labels pass task='classification'")
    if y.ndim == 1:
        y = y[:, None]  # (n, 1): one output
    if y.ndim != 2:
        raise ValueError(f"y must be (n,) or (n, targets) for regression, got shape {y.shape}")
    problem = _where_not_finite("y", y, len(y))
    if problem:
        raise ValueError(problem)
    if y.size and np.abs(y).max() > np.finfo(np.float32).max:
        raise ValueError(f"y must fit in float32 (|y| <= 3.4e38), got a largest |y| of "
                         f"{np.abs(y).max():.3g}; rescale y first")
    return y.astype(np.float32)


def _check_split_sizes(n, val, test, counts, classes):
    """ValueError when the splits would be empty or, stratified, miss a class."""
    n_test = math.ceil(test * n)  # scikit-learn's rounding
    n_val = math.ceil(val / (1 - test) * (n - n_test))
    n_train = n - n_test - n_val
    sizes = f"train={n_train}, val={n_val}, test={n_test}"
    if min(n_train, n_val, n_test) < 1:
        raise ValueError(f"X has too few examples ({n}) for val={val:g} and test={test:g}: the "
                         f"splits would be {sizes}. Collect more examples or lower val and test")
    if counts is None:
        return
    rare = [(classes[i], int(c)) for i, c in enumerate(counts) if c < MIN_PER_CLASS]
    if rare:
        listed = ", ".join(f"class {label!r} has {c}" for label, c in rare[:5])
        more = f" ({len(rare) - 5} more classes too)" if len(rare) > 5 else ""
        numeric = isinstance(classes[0], int) and len(classes) > 10
        raise ValueError(f"stratify=True needs at least {MIN_PER_CLASS} examples of each class "
                         f"(one each for train, val and test), but {listed}{more}. Pass "
                         f"stratify=False, collect more examples, or drop the rare classes"
                         + ("; if y is a quantity, not class labels, pass task='regression'"
                            if numeric else ""))
    if min(n_train, n_val, n_test) < len(classes):
        raise ValueError(f"stratify=True puts every one of the {len(classes)} classes in every "
                         f"split, but {n} examples with val={val:g}, test={test:g} give {sizes}. "
                         f"Raise val or test, collect more examples, or pass stratify=False")


def _standardizer(X_train, standardize):
    """Mean and std shaped for one example: per feature (tabular) or per channel (images)."""
    if X_train.ndim == 2:
        axes = (0,)  # (n, features): per feature
    elif X_train.ndim == 3:
        axes = (0, 1, 2)  # (n, h, w): one channel
    else:
        axes = (0,) + tuple(range(2, X_train.ndim))  # (n, c, h, w): per channel
    mean = X_train.mean(axis=axes, keepdims=True, dtype=np.float64)[0]
    std = X_train.std(axis=axes, keepdims=True, dtype=np.float64)[0]
    std[std == 0] = 1.0  # constant features
    if not standardize:
        mean, std = np.zeros_like(mean), np.ones_like(std)
    return mean, std


def _standardized(X, mean, std) -> torch.Tensor:
    """(X - mean) / std in X's precision, as a float32 tensor."""
    return torch.from_numpy(((X - mean.astype(X.dtype)) / std.astype(X.dtype)).astype(np.float32))


def _from_arrays(cls, X, y, task, val, test, standardize, stratify, seed, name):
    task = check.choice("task", task, TASKS)
    val = check.number("val", val, low=0, high=1, low_open=True, high_open=True)
    test = check.number("test", test, low=0, high=1, low_open=True, high_open=True)
    if val + test >= 1:
        raise ValueError(f"val + test must be < 1 to leave examples for training, got val={val:g} "
                         f"+ test={test:g} = {val + test:g}; lower them, e.g. val=0.2, test=0.2")
    check.boolean("standardize", standardize)
    check.boolean("stratify", stratify)
    seed = check.seed(seed)
    check.string("name", name)
    X = _inputs(X)
    y = _array("y", y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"X and y must have one row per example each, but X has {len(X)} rows "
                         f"and y has {len(y) if y.ndim else 'none (a scalar)'}")
    if y.dtype.kind not in "biufOUS":
        raise TypeError(f"y must hold class labels (int, bool, str) or numbers, got dtype {y.dtype}")
    task = _resolve_task(task, y)
    classes, counts = (), None
    if task == CLASSIFICATION:
        y, classes = _class_labels(y)
        counts = np.bincount(y, minlength=len(classes)) if stratify else None
    else:
        y = _regression_targets(y)
    _check_split_sizes(len(y), val, test, counts, classes)
    try:
        parts = _split_indices(len(y), y if counts is not None else None, val, test, seed)
    except ValueError as err:  # a stratified split scikit-learn still cannot make
        if counts is None:
            raise
        raise ValueError(f"stratify=True could not split the classes with val={val:g}, "
                         f"test={test:g}: after the test split a class has too few examples left "
                         f"for train and val (scikit-learn says: {err}; it numbers the classes "
                         f"0..k-1 in the order of {classes}). Lower test, pass stratify=False, "
                         f"or collect more examples of the rare classes") from None
    mean, std = _standardizer(X[parts[0]], standardize)
    splits = [Split(_standardized(X[i], mean, std), torch.from_numpy(y[i])) for i in parts]
    params = dict(source="arrays", name=name, n_samples=len(y), task=task, val=val, test=test,
                  standardize=standardize, stratify=stratify, seed=seed)
    return cls(name, task, splits[0], splits[1], splits[2], int(np.prod(X.shape[1:])),
               len(classes) if classes else y.shape[1], tuple(str(c) for c in classes),
               torch.from_numpy(mean.astype(np.float32)), torch.from_numpy(std.astype(np.float32)),
               params, classes=classes)
