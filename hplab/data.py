"""Datasets for the course: generated on the spot or shipped inside scikit-learn, never downloaded.

Every loader is deterministic from ``seed`` and returns a :class:`Data` bundle with train,
validation and test splits, standardized with statistics of the training split only.

    >>> data = load_dataset("spirals", n_samples=600, noise=0.2, seed=0)
    >>> data.n_features, data.n_outputs, len(data.train.y)
    (2, 2, 360)
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
        return Data(self.name, self.task, small, self.val, self._test, self.n_features,
                    self.n_outputs, self.class_names, self.mean, self.std, params)

    def train_val(self) -> Split:
        """Training and validation splits joined, for a final refit before the test."""
        return Split(torch.cat([self.train.X, self.val.X]), torch.cat([self.train.y, self.val.y]))

    def __repr__(self) -> str:
        sizes = f"train={len(self.train.y)}, val={len(self.val.y)}, test={len(self._test.y)}"
        return (f"Data({self.name!r}, {self.task}, {sizes}, n_features={self.n_features}, "
                f"n_outputs={self.n_outputs})")


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


def _split(name, task, X, y, strata, class_names, val_fraction, test_fraction, standardize, seed,
           params):
    from sklearn.model_selection import train_test_split

    classify = task == CLASSIFICATION
    X_rest, X_test, y_rest, y_test, s_rest, _ = train_test_split(
        X, y, strata, test_size=test_fraction, random_state=seed,
        stratify=strata if classify else None)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_fraction / (1 - test_fraction), random_state=seed,
        stratify=s_rest if classify else None)

    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0  # constant pixels in digits
    if not standardize:
        mean, std = np.zeros_like(mean), np.ones_like(std)

    def tensors(Xs, ys):
        Xt = torch.tensor((Xs - mean) / std, dtype=torch.float32)
        yt = torch.tensor(ys, dtype=torch.long if task == CLASSIFICATION else torch.float32)
        return Split(Xt, yt)

    n_outputs = len(class_names) if task == CLASSIFICATION else y.shape[1]
    return Data(name, task, tensors(X_train, y_train), tensors(X_val, y_val),
                tensors(X_test, y_test), X.shape[1], n_outputs, class_names,
                torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32),
                params)
