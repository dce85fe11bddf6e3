"""Training callbacks for tuning workers.

``KillSwitch`` ends its own process with SIGKILL at a chosen moment: after a given number of
trials, in the middle of the next one. A real crash (a pre-empted job, a closed laptop) comes at
any moment; this one comes at the same moment on every run, so a lesson or a test can show what
a storage keeps when a worker dies, without waiting for a clock.

    >>> worker = tune.start_worker(url, "class", n_trials=20, kill_after=3)  # doctest: +SKIP
    >>> tune.worker_report(worker)   # three trials finished, the fourth left running
    {'killed_by_signal': 9}
"""

from __future__ import annotations

import os
import signal

from .. import _validate as check
from ..train import Callback


class KillSwitch(Callback):
    """Send SIGKILL to this process at the end of epoch ``at_epoch`` of trial ``after_trials + 1``.

    Trials are counted as this process starts them (one ``fit`` each), so with
    ``after_trials=3`` the worker finishes three trials and dies inside its fourth, which stays
    marked running in the storage: nothing is cleaned up, exactly as after a real SIGKILL. If
    that trial ends before ``at_epoch`` (it diverged, or was pruned), it dies as the trial ends,
    before its result is written.

    Args:
        after_trials: trials this process finishes before it dies (>= 0).
        at_epoch: the epoch of the next trial after which it dies (>= 1; the trial must train at
            least this many epochs).
    """

    def __init__(self, after_trials: int, at_epoch: int = 1):
        self.after_trials = check.integer("after_trials", after_trials, low=0)
        self.at_epoch = check.integer("at_epoch", at_epoch, low=1)
        self.started = 0  # trials this process has started; not reset: it counts across fits

    def on_train_begin(self, trainer) -> None:
        self.started += 1

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        if self.started > self.after_trials and epoch >= self.at_epoch:
            self.kill()

    def on_train_end(self, trainer) -> None:
        if self.started > self.after_trials:  # the run ended early (diverged, pruned): die now,
            self.kill()                       # before the trial's result is written

    def kill(self) -> None:
        """SIGKILL this process: no ``finally`` block, no exit handler, no database commit runs."""
        os.kill(os.getpid(), signal.SIGKILL)
