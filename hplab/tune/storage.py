"""Where a study lives: an SQLite file, a journal file, or a database server a class shares.

One opener for every storage, so every worker gets the same safety net: heartbeats (a trial
whose worker died is marked failed and run again), connections checked before use, database
calls retried with back-off through a restart or a short outage, and passwords hidden in every
message. ``HPLAB_STORAGE`` gives the URL when none is passed, so it never sits on a command line.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import socket
import time
from pathlib import Path

ENV = "HPLAB_STORAGE"
HEARTBEAT = 10  # seconds between a running trial's "still alive" writes; a trial silent for
# three of them (30 s) belongs to a dead worker: it is marked failed and run again
MAX_RETRY = 3  # times one configuration is run again after its workers died
PATIENCE = 300  # seconds a worker keeps retrying while the database cannot be reached
# A PostgreSQL connection gives up after CONNECT_TIMEOUT seconds without an answer (a server
# that is unreachable rather than refusing, as on a dropped Wi-Fi), and TCP keepalives find a
# connection that went silent, so a worker retries instead of waiting forever. A URL that sets
# any of these itself (?connect_timeout=30) keeps its own.
CONNECT_TIMEOUT = 10
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
DRIVER = "psycopg[binary]"  # the PostgreSQL driver SQLAlchemy uses for postgresql:// URLs
HOST = socket.gethostname()
_log = logging.getLogger("hplab.tune")


def hide_password(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    text = re.sub(r"(://[^:/@\s]*:)[^\s/]*@", r"\1***@", str(text))  # scheme://user:pw@
    return re.sub(r"([^\s:/@'\"]+:)(?!\*\*\*@)[^\s@'\"/]+@", r"\1***@", text)  # mistyped URLs


def storage_from_env(storage=None, *, required: bool = True):
    """``storage``, or the URL in ``$HPLAB_STORAGE`` when it is None."""
    if storage is None:
        storage = os.environ.get(ENV) or None
        if storage is None and required:
            raise ValueError(f"no storage given and ${ENV} is not set; pass a URL such as "
                             f"'sqlite:///study.db', or set {ENV}=postgresql://user:password@host/db")
    return storage


def open_storage(storage, *, create: bool = True, heartbeat: float | None = None):
    """An Optuna storage from a URL, a journal file path (``*.log``), or a storage object.

    Args:
        storage: "sqlite:///study.db", "postgresql://user:password@host/db", any SQLAlchemy URL,
            a journal file "study.log" (or "journal:path"), or an Optuna storage (returned as is).
        create: whether a missing SQLite or journal file may be created; False for join and load,
            so a mistyped path is an error rather than a new, empty study.
        heartbeat: seconds between heartbeats (default ``HEARTBEAT``); a trial silent for three
            heartbeats is failed and run again.
    """
    if storage is None or not isinstance(storage, (str, Path)):
        return storage
    text = str(storage)
    journal = text.startswith("journal:") or text.endswith((".log", ".jsonl"))
    if not journal and "://" not in text:
        raise ValueError(f"storage must be a database URL such as 'sqlite:///study.db' or "
                         f"'postgresql://user:password@host/db', or a journal file ending in "
                         f".log; got {hide_password(text)!r}")
    path = text.removeprefix("journal:") if journal else _sqlite_path(text)
    if path is not None and not create and not Path(path).is_file():
        raise ValueError(f"storage file {path!r} does not exist (from storage "
                         f"{hide_password(text)!r}); check the path, or create the study with "
                         f"tune.search first")
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise ValueError(f"storage {hide_password(text)!r}: the folder "
                         f"{str(Path(path).parent)!r} does not exist")
    beat = HEARTBEAT if heartbeat is None else heartbeat
    if not beat > 0:
        raise ValueError(f"heartbeat must be > 0 seconds, got {heartbeat!r}")
    return _open(text, journal, float(beat))


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    return url.removeprefix("sqlite:///").split("?")[0]


@functools.lru_cache(maxsize=16)
def _open(text: str, journal: bool, beat: float):
    """One storage object per URL and process: opening a database costs a second or more."""
    import warnings

    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    if journal:
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(text.removeprefix("journal:")))
    interval = max(1, round(beat))
    engine_kwargs = {"pool_pre_ping": True}  # a connection the server dropped is replaced
    path = _sqlite_path(text)
    if path is not None:
        engine_kwargs = {"creator": functools.partial(_sqlite_connection, path)}
    elif text.startswith("postgres"):
        engine_kwargs["connect_args"] = _postgres_connect_args(text)
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since 2.9
            warnings.simplefilter("ignore", ExperimentalWarning)
            return _storage_class()(
                text, engine_kwargs=engine_kwargs, heartbeat_interval=interval,
                grace_period=3 * interval, heartbeat_stale_trial_callback=(
                    RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)))
    except ImportError as e:
        package = DRIVER if text.startswith("postgres") else "the driver for this database"
        raise ImportError(f"storage {hide_password(text)!r} needs a database driver: "
                          f"pip install '{package}' (or pip install 'hplab[classroom]'); "
                          f"{e.__cause__ or e}") from None
    except Exception as e:
        if not is_outage(e):
            raise
        raise ConnectionError(f"could not open storage {hide_password(text)!r}: "
                              f"{_reason(e)}") from None


def _postgres_connect_args(url: str) -> dict:
    """Connection timeout and keepalives for a PostgreSQL URL, unless the URL sets them."""
    from sqlalchemy.engine import make_url

    given = make_url(url).query
    wanted = {"connect_timeout": CONNECT_TIMEOUT, **KEEPALIVES}
    return {k: v for k, v in wanted.items() if k not in given}


def _sqlite_connection(path: str):
    """An SQLite connection in WAL mode: readers never block the writer, and a commit does not
    wait for the disk (a killed process loses nothing; only a power cut could lose the last
    trials)."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def is_outage(error: BaseException | None) -> bool:
    """The database could not be reached or answered with a connection-level error."""
    import sqlite3

    from optuna.exceptions import StorageInternalError
    from sqlalchemy.exc import DBAPIError, OperationalError

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (StorageInternalError, OperationalError, sqlite3.OperationalError)):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _reason(error: BaseException) -> str:
    """The first line of the innermost cause, password hidden: what the driver said."""
    while (error.__cause__ or error.__context__) is not None:
        error = error.__cause__ or error.__context__
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return hide_password(f"{type(error).__name__}: {lines[0]}")


def retrying(call, *args, patience: float | None = None, **kwargs):
    """``call(*args, **kwargs)``, retried with back-off (0.5 s doubling to 8 s) while the
    database is unreachable, for up to ``patience`` seconds (default ``PATIENCE``)."""
    deadline = time.monotonic() + (PATIENCE if patience is None else patience)
    delay = 0.5
    while True:
        try:
            return call(*args, **kwargs)
        except Exception as e:
            if not is_outage(e) or time.monotonic() + delay > deadline:
                raise
            _log.warning("database unreachable (%s); retrying in %.1f s", _reason(e), delay)
            time.sleep(delay)
            delay = min(2 * delay, 8.0)


@functools.cache
def _storage_class():
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import RDBStorage

    class Storage(RDBStorage):
        """RDBStorage whose reads and trial writes ride out a restart of the database."""

        def record_heartbeat(self, trial_id):
            # Optuna's heartbeat thread dies on the first error: keep it beating instead
            try:
                super().record_heartbeat(trial_id)
            except Exception as e:
                if not is_outage(e):
                    raise

        def set_trial_state_values(self, trial_id, state, values=None):
            first = True

            def once():
                nonlocal first
                try:
                    return RDBStorage.set_trial_state_values(self, trial_id, state, values)
                except UpdateFinishedTrialError:
                    if first:
                        raise
                    # the earlier attempt was committed, only its answer was lost
                    return self.get_trial(trial_id).state == state
                finally:
                    first = False

            return retrying(once)

    for name in ("get_study_id_from_name", "get_study_name_from_id", "get_study_directions",
                 "get_study_user_attrs", "get_study_system_attrs", "get_all_studies",
                 "get_trial", "get_all_trials", "get_n_trials", "get_best_trial",
                 "get_trial_id_from_study_id_trial_number", "create_new_trial",
                 "set_trial_param", "set_trial_intermediate_value", "set_trial_user_attr",
                 "set_trial_system_attr", "_get_stale_trial_ids"):
        setattr(Storage, name, _retried(getattr(RDBStorage, name)))
    return Storage


def _retried(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return retrying(method, self, *args, **kwargs)

    return wrapper


def study_names(storage) -> list[str]:
    """The names of the studies in a storage."""
    import optuna

    return sorted(optuna.get_all_study_names(storage=storage))


def export(storage, path, *, study_name: str | None = None) -> Path:
    """Copy a study safely into a new SQLite file ``path``, e.g. to hand it in or share it.

    Copying ``study.db`` itself while a kernel has it open can give an empty study: the newest
    trials sit in its ``-wal`` file. An SQLite storage is copied with SQLite's own backup (every
    study in it, consistent even while workers write); any other storage copies ``study_name``.

        python -m hplab.tune export sqlite:///study.db handed_in.db
    """
    import sqlite3

    import optuna

    storage = storage_from_env(storage)
    target = Path(path)
    if target.exists():
        raise ValueError(f"path {str(target)!r} already exists; export writes a new file")
    source = _sqlite_path(str(storage)) if isinstance(storage, (str, Path)) else None
    opened = open_storage(storage, create=False)
    names = study_names(opened)
    if study_name is not None and study_name not in names:
        raise ValueError(unknown_study(study_name, storage, names))
    if source is not None:
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return target
    if study_name is None:
        if len(names) != 1:
            raise ValueError(f"study_name is needed: the storage holds {len(names)} studies "
                             f"({', '.join(names) or 'none'})")
        study_name = names[0]
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "A new study created" line
    try:
        optuna.copy_study(from_study_name=study_name, from_storage=opened,
                          to_storage=f"sqlite:///{target}")
    finally:
        optuna.logging.set_verbosity(before)
    return target


def unknown_study(name, storage, names) -> str:
    where = hide_password(str(storage)) if isinstance(storage, (str, Path)) else "this storage"
    return (f"study {name!r} is not in {where}; it holds: "
            f"{', '.join(repr(n) for n in names) if names else 'no studies yet'}")


def dead_local_worker(worker: str | None) -> bool:
    """A trial's ``worker`` tag ("host:pid") names a process on this machine that has ended."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet reaped is a zombie: it still answers signal 0
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
