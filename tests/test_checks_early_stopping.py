"""Exercise 07 check: every mistake in a hand-written early stopping is named in one run of the
check, and other correct ways of writing it pass."""

import copy
import math

import pytest
from checks_helpers import assert_fails, assert_passes, train

import hplab
from hplab import checks


class HandStopping(hplab.Callback):
    """A correct callback: counts epochs without improvement, keeps a copy of the best weights."""

    def __init__(self, patience=5):
        self.patience = patience

    def on_train_begin(self, trainer):
        self.best_loss, self.wait, self.best_weights = math.inf, 0, None

    def on_epoch_end(self, trainer, epoch, logs):
        improved = logs["val_loss"] < self.best_loss
        self.wait = 0 if improved else self.wait + 1
        if improved:
            self.best_loss = logs["val_loss"]
            self.best_weights = copy.deepcopy(trainer.model.state_dict())
        if self.wait >= self.patience:
            trainer.stop = True

    def on_train_end(self, trainer):
        if self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)


# ----------------------------------------------------------------------------- other right answers


class CountsFromBestEpoch(hplab.Callback):
    """Keeps the best epoch and compares distances; clones tensors instead of deepcopy; reads
    the loss from trainer.history; restores only when it stopped (as Keras does)."""

    def __init__(self, patience):
        self.patience = patience

    def on_train_begin(self, trainer):
        self.best_epoch, self.saved, self.stopped = 0, {}, False

    def on_epoch_end(self, trainer, epoch, logs):
        losses = trainer.history.val_loss
        if losses[-1] < min(losses[:-1], default=math.inf):
            self.best_epoch = epoch
            self.saved = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        if epoch - self.best_epoch >= self.patience:
            trainer.stop = self.stopped = True

    def on_train_end(self, trainer):
        if self.stopped:
            trainer.model.load_state_dict(self.saved)


class ReusesHplabs(hplab.EarlyStopping):
    """hplab's own EarlyStopping, subclassed: the reference must pass its own check."""


@pytest.mark.parametrize("cls", [HandStopping, CountsFromBestEpoch, ReusesHplabs])
def test_correct_callbacks_pass(cls):
    assert_passes(checks.early_stopping_callback(cls))


# ----------------------------------------------------------------------------- typical mistakes


class NoRestore(HandStopping):
    def on_train_end(self, trainer):
        pass


class OffByOne(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        trainer.stop = self.wait > self.patience


class NoReset(HandStopping):
    def __init__(self, patience=5):
        super().__init__(patience)
        super().on_train_begin(None)

    def on_train_begin(self, trainer):
        pass


class KeepsReference(HandStopping):
    """Saves the state dict without copying: it then follows the live weights."""

    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        if self.wait == 0:
            self.best_weights = trainer.model.state_dict()


class WatchesTrainingLoss(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, dict(logs, val_loss=logs["train_loss"]))


class IgnoresPatience(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        trainer.stop = self.wait >= 5


class SavesEveryEpoch(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        self.best_weights = copy.deepcopy(trainer.model.state_dict())


class StopsOnlyWhenPatient(HandStopping):
    """Stops only for patience above 2: wrong in one case, right in the other."""

    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        trainer.stop = trainer.stop and self.patience > 2


class BrokenEnd(HandStopping):
    def on_train_end(self, trainer):
        trainer.model.load_state_dict(self.best_weights["missing"])


class Unwritten(hplab.Callback):
    def __init__(self, patience=5):
        raise NotImplementedError


class UnwrittenMethod(HandStopping):
    def on_epoch_end(self, trainer, epoch, logs):
        raise NotImplementedError


class NoPatience(HandStopping):
    def __init__(self):
        super().__init__(5)


@pytest.mark.parametrize("cls, words", [
    (NoRestore, ["weights of epoch 7", "best epoch 4", "load it in on_train_end"]),
    (KeepsReference, ["weights of epoch 7", "followed the live weights", "deepcopy"]),
    (SavesEveryEpoch, ["weights of epoch 7", "only when the loss improves"]),
    (OffByOne, ["one epoch late", "patience=3: epoch 8, expected 7", "off-by-one"]),
    (NoReset, ["remembered the first run", "on_train_begin"]),
    (WatchesTrainingLoss, ["never stopped", "logs['val_loss']", "lowest training loss"]),
    (IgnoresPatience, ["whatever the patience", "self.patience"]),
    (StopsOnlyWhenPatient, ["with patience=1 it never stopped, expected epoch 3"]),
    (BrokenEnd, ["on_train_end raised keyerror", "stops once"]),
    (Unwritten, ["not written yet"]),
    (UnwrittenMethod, ["not written yet"]),
    (NoPatience, ["patience=3) failed", "patience parameter"]),
    (int, ["subclass of hplab.callback"]),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_typical_mistakes_are_named(cls, words):
    assert_fails(checks.early_stopping_callback(cls), *words)


class ThreeBugs(HandStopping):
    """Off by one, never restores, never resets: all three show at once."""

    def __init__(self, patience=5):
        super().__init__(patience)
        super().on_train_begin(None)

    def on_train_begin(self, trainer):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        super().on_epoch_end(trainer, epoch, logs)
        trainer.stop = self.wait > self.patience

    def on_train_end(self, trainer):
        pass


def test_every_mistake_is_reported_at_once():
    # once the check stopped at the first problem, so a learner met these one run at a time
    fb = checks.early_stopping_callback(ThreeBugs)
    assert_fails(fb, "one epoch late", "not of the best epoch 4", "remembered the first run")
    assert len(fb.wrong) == 3


def test_hand_written_stopping_matches_hplab():
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=0).subset(60, seed=0)
    mine = train(data, lr=1e-2, epochs=80, callbacks=[HandStopping(patience=5)])
    ref = train(data, lr=1e-2, epochs=80, early_stopping=hplab.EarlyStopping(patience=5))
    assert ref[1].status == "early_stopped"
    assert_passes(checks.same_as_reference(mine, ref, data))
    lazy = train(data, lr=1e-2, epochs=80, callbacks=[NoRestore(patience=5)])
    assert_fails(checks.same_as_reference(lazy, ref, data), "best weights restored")
    late = train(data, lr=1e-2, epochs=80, callbacks=[OffByOne(patience=5)])
    assert_fails(checks.same_as_reference(late, ref, data), "epochs (hplab:")
    assert_fails(checks.same_as_reference(late[1], ref, data), "mine should be a (model, history)")


def stopping_helps(seed):
    """Exercise 07 on one seed (60 examples, up to 80 epochs, patience 5): early stopping ends
    the run before the 80 epochs, with a model whose validation loss is over 5% below that of
    the full run's last epoch."""
    data = hplab.load_dataset("moons", n_samples=400, noise=0.25, seed=seed).subset(60, seed=seed)
    model = hplab.mlp(2, 2, depth=2, width=32, seed=seed)
    stopped = hplab.fit(model, data, lr=1e-2, epochs=80, seed=seed,
                        early_stopping=hplab.EarlyStopping(patience=5))
    full = hplab.fit(hplab.mlp(2, 2, depth=2, width=32, seed=seed), data, lr=1e-2, epochs=80,
                     seed=seed)
    kept = hplab.evaluate(model, data)["loss"]
    return stopped.epochs_run < 80 and kept < 0.95 * full.val_loss[-1]


def test_early_stopping_helps_on_the_seed_and_4_of_5_others():
    assert stopping_helps(0)
    assert sum(stopping_helps(seed) for seed in range(1, 6)) >= 4
