"""Sweeps: grids of independent runs, one result file per run, resumable, local or on Dask.

A *run* is a call ``func(**params)`` of a module-level function returning a JSON-serializable
dict. Its result is stored in ``store/<key>.json`` where ``key`` is a SHA-256 hash of the
function's import path and the canonical JSON of ``params`` (:func:`run_key`). The file is
written atomically (temporary file + ``os.replace``) and carries a checksum of its content, so:

* a killed sweep loses only the runs in flight; rerunning it recomputes nothing already stored;
* a corrupted or truncated file (parse failure, checksum or key mismatch) is detected, reported
  and recomputed.

Runs execute in local processes (:class:`concurrent.futures.ProcessPoolExecutor`, 2 by default)
or, given a scheduler address, on a Dask distributed cluster (``dask.distributed.Client``,
optional extra ``condense[distributed]``, imported only then). Results are gathered and written by
the calling process as each run completes. A progress bar goes to stderr; warnings and errors
get lines of their own.

Faults:

* local worker processes die with the sweep: each sets the parent-death signal (Linux
  ``prctl(PR_SET_PDEATHSIG, SIGKILL)``) and watches ``os.getppid()``, so a ``kill -9`` of the
  sweep leaves no worker computing on;
* Dask: a closed port fails at once (a plain TCP connect first), an address that does not answer
  within ``connect_timeout`` fails then; with no worker attached to the scheduler the sweep says
  it is waiting and gives up after ``worker_timeout`` seconds (:class:`NoWorkersError`); the same
  when every worker leaves mid-sweep.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import signal
import socket
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from numerics._io import write_text_atomic
from theory.ground.progress import Progress

__all__ = [
    "run_key",
    "ResultStore",
    "SweepError",
    "SchedulerUnreachableError",
    "NoWorkersError",
    "SweepReport",
    "run_sweep",
]

_FORMAT = "condense-sweep-result/1"


class SweepError(RuntimeError):
    """Some runs of a sweep raised; every run that completed is stored."""


class SchedulerUnreachableError(ValueError, ConnectionError):
    """The Dask scheduler address could not be reached (bad ``scheduler`` argument)."""


class NoWorkersError(ValueError, TimeoutError):
    """The Dask scheduler had no worker for ``worker_timeout`` seconds (none joined, or all left)."""


def _func_path(func: Callable) -> str:
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise TypeError(
            f"func: must be a module-level function (importable by name for worker processes), got {func!r}"
        )
    return f"{module}:{qualname}"


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)


def _plain(value: Any) -> Any:
    """Convert NumPy scalars/arrays and tuples to plain JSON types (so keys do not depend on them)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"params: values must be JSON-like (numbers, strings, lists, dicts), got {type(value).__name__}")


def run_key(func: Callable | str, params: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``"module:function"`` and the canonical JSON of ``params``."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params: expected a mapping of keyword arguments, got {type(params).__name__}")
    name = func if isinstance(func, str) else _func_path(func)
    return hashlib.sha256(_canonical({"func": name, "params": _plain(params)}).encode()).hexdigest()


def _checksum(record: Mapping[str, Any]) -> str:
    body = {k: record[k] for k in ("format", "key", "func", "params", "result")}
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


class ResultStore:
    """A directory of result files ``<key>.json`` (atomic writes, checksummed)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"store: {self.directory} exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.corrupted: list[Path] = []

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict | None:
        """The stored result of run ``key``, or ``None`` if absent or corrupted (recorded in
        :attr:`corrupted` and renamed to ``<key>.json.corrupt``, so it is recomputed)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
            valid = (
                isinstance(record, dict)
                and record.get("format") == _FORMAT
                and record.get("key") == key
                and record.get("checksum") == _checksum(record)
            )
        except (OSError, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            self.corrupted.append(path)
            os.replace(path, path.with_suffix(".json.corrupt"))
            return None
        return record["result"]

    def save(self, key: str, func: str, params: Mapping[str, Any], result: Mapping[str, Any]) -> Path:
        """Write the result of run ``key`` atomically."""
        record = {"format": _FORMAT, "key": key, "func": func, "params": _plain(params), "result": _plain(result)}
        record["checksum"] = _checksum(record)
        text = json.dumps(record, sort_keys=True, indent=1, allow_nan=True)
        write_text_atomic(self.path(key), text, fsync=True)
        return self.path(key)

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json"))


class _Progress(Progress):
    """The sweep's progress: ``label [#####.....] done/total (cached, failed) time, ETA``
    (:class:`theory.ground.progress.Progress`: redrawn on a terminal, occasional lines in a log)."""

    def __init__(self, label: str, total: int, cached: int, enabled: bool, stream=None):
        super().__init__(total, label, stream=stream, enabled=enabled)
        self.cached = cached
        self.failed = 0
        self.update(cached, force=True)

    def step(self, failed: bool = False) -> None:
        self.failed += int(failed)
        self.update(self.done + 1)

    def _text(self) -> str:
        elapsed = self.elapsed
        computed = self.done - self.cached
        remaining = self.total - self.done
        eta = elapsed / computed * remaining if computed else math.nan
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        eta_text = f"ETA {eta:5.0f} s" if math.isfinite(eta) else "ETA     ?"
        return (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"({self.cached} cached, {self.failed} failed) {elapsed:5.0f} s, {eta_text}")


@dataclass
class SweepReport:
    """What :func:`run_sweep` did: ``results`` in the order of ``params_list``."""

    results: list[dict]
    keys: list[str]
    computed: int
    cached: int
    recomputed_corrupt: int
    seconds: float
    backend: str


def _call(func_path: str, params: Mapping[str, Any]) -> dict:
    module, _, qualname = func_path.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    result = target(**params)
    if not isinstance(result, Mapping):
        raise TypeError(f"func: {func_path} must return a dict of JSON-like values, got {type(result).__name__}")
    return dict(result)


#: Seconds between two checks of the parent process by a worker's watchdog thread.
WATCHDOG_INTERVAL = 1.0


def _die_with_parent(parent: int) -> None:
    """Initializer of every local worker process: end it when the sweep's process ``parent`` dies.

    On Linux the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``, set
    through :mod:`ctypes`); everywhere a daemon thread also compares ``os.getppid()`` with
    ``parent`` every :data:`WATCHDOG_INTERVAL` s (a worker re-parented to init has lost its sweep).
    If the parent is already gone when the worker starts, the worker exits at once."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watchdog() -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watchdog, name="condense-sweep-watchdog", daemon=True).start()


def _tcp_host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``tcp://host:port`` (or ``host:port``) address; ``None`` for other
    protocols or an address without a port."""
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in ("tcp", "tls"):
        return None
    host, sep, port = rest.rstrip("/").rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]") or "127.0.0.1", int(port)


def _unreachable(address: str, reason: str, store: ResultStore) -> SchedulerUnreachableError:
    return SchedulerUnreachableError(
        f"scheduler: cannot reach the Dask scheduler at {address!r} ({reason}); "
        f"nothing was started and the {len(store)} results already in {store.directory} are kept"
    )


def _connect(address: str, timeout: float, store: ResultStore):
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "scheduler: running on a Dask cluster needs dask.distributed; install the optional extra "
            "with: pip install 'condense[distributed]'"
        ) from exc
    host_port = _tcp_host_port(address)
    if host_port is not None:  # a refused connection fails now, not after the whole timeout
        try:
            socket.create_connection(host_port, timeout=min(timeout, 5.0)).close()
        except ConnectionRefusedError:
            raise _unreachable(address, "connection refused: nothing listens on that port", store) from None
        except socket.gaierror as exc:
            raise _unreachable(address, f"unknown host: {exc}", store) from None
        except OSError:
            pass  # a timeout or a route problem: let the client retry within the timeout
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(address, f"no answer within {timeout:g} s: {exc}", store) from None


def _worker_count(client) -> int:
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # the scheduler went away: counted as no workers
        return 0


def _run_on_dask(client, address: str, func_path: str, todo: dict, finish, bar: _Progress,
                 worker_timeout: float) -> None:
    """Submit every run of ``todo`` and pass each outcome to ``finish``; raise
    :class:`NoWorkersError` when the scheduler has had no worker for ``worker_timeout`` s."""
    from dask.distributed import wait as dask_wait  # waits on the default client: ``client``

    no_workers_since: float | None = None
    if _worker_count(client) == 0:
        no_workers_since = time.monotonic()
        bar.message(f"sweep: waiting up to {worker_timeout:g} s for a Dask worker to join the scheduler "
                    f"at {address} (start one with: dask worker {address})")
    futures = {client.submit(_call, func_path, params, pure=False): key for key, params in todo.items()}
    pending = set(futures)
    while pending:
        try:
            done, pending = dask_wait(list(pending), timeout=min(1.0, worker_timeout), return_when="FIRST_COMPLETED")
            pending = set(pending)
        except TimeoutError:  # dask's TimeoutError is the builtin one
            done = set()
        for future in done:
            try:
                outcome, error = future.result(), None
            except Exception as exc:  # a failing run must not lose the others
                outcome, error = None, exc
            finish(futures[future], outcome, error)
        if done or _worker_count(client) > 0:
            no_workers_since = None
            continue
        now = time.monotonic()
        if no_workers_since is None:
            no_workers_since = now
        elif now - no_workers_since >= worker_timeout:
            for future in pending:
                future.cancel()
            raise NoWorkersError(
                f"scheduler: no Dask worker attached to {address} for {worker_timeout:g} s "
                f"({len(pending)} of {len(todo)} runs not done; the finished ones are stored); start "
                f"workers with 'dask worker {address}' or raise --worker-timeout"
            )


def run_sweep(
    func: Callable[..., Mapping[str, Any]],
    params_list: Sequence[Mapping[str, Any]],
    *,
    store: str | Path | ResultStore,
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    label: str = "sweep",
    connect_timeout: float = 10.0,
    prepare: Callable[[], None] | None = None,
    worker_timeout: float = 60.0,
) -> SweepReport:
    """Run ``func(**params)`` for every ``params`` in ``params_list`` that is not stored yet.

    ``func``: a module-level function returning a dict of JSON-like values. ``store``: the result
    directory (created). ``scheduler``: a Dask scheduler address (``"tcp://host:8786"``) or
    ``None`` for local processes; ``workers``: local processes (1 runs in this process).
    Raises :class:`SchedulerUnreachableError` (a ``ValueError``) if the scheduler cannot be reached
    within ``connect_timeout`` seconds (at once for a closed port), :class:`NoWorkersError` (a
    ``ValueError``) when the scheduler has no worker for ``worker_timeout`` seconds, and :class:`SweepError` after the sweep if some runs raised
    (all the others are stored). Duplicate parameter sets are run once. ``prepare``: called in this
    process before local runs start, only if some run is not stored (e.g. to compile once before the
    worker processes fork).
    """
    func_path = _func_path(func)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: must be an integer >= 1, got {workers!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ValueError(f"scheduler: must be an address such as 'tcp://127.0.0.1:8786', got {scheduler!r}")
    for name, value in (("connect_timeout", connect_timeout), ("worker_timeout", worker_timeout)):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name}: must be a positive number of seconds, got {value!r}")
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    params_list = [_plain(dict(p)) if isinstance(p, Mapping) else p for p in params_list]
    for p in params_list:
        if not isinstance(p, Mapping):
            raise TypeError(f"params_list: every entry must be a mapping, got {type(p).__name__}")
    keys = [run_key(func_path, p) for p in params_list]
    start = time.perf_counter()
    results: dict[str, dict] = {}
    corrupt_before = len(store.corrupted)  # a reused store keeps the corruptions of earlier sweeps
    for key in dict.fromkeys(keys):
        stored = store.load(key)
        if stored is not None:
            results[key] = stored
    corrupt = len(store.corrupted) - corrupt_before
    todo = {key: params for key, params in zip(keys, params_list) if key not in results}
    cached = len(set(keys)) - len(todo)
    bar = _Progress(label, len(set(keys)), cached, progress)
    if corrupt:
        bar.message(f"{label}: {corrupt} stored result(s) in {store.directory} were corrupt or truncated "
                    "(kept as *.json.corrupt); recomputing them")
    failures: dict[str, BaseException] = {}

    def finish(key: str, outcome: dict | None, error: BaseException | None) -> None:
        if error is None:
            try:  # a result that cannot be stored fails this run only, not the whole sweep
                outcome = _plain(outcome)
                store.save(key, func_path, todo[key], outcome)
                results[key] = outcome
            except TypeError as exc:
                error = TypeError(f"func: {func_path} returned a result that is not JSON-like ({exc})")
        if error is not None:
            failures[key] = error
        bar.step(failed=error is not None)

    backend = "inline"
    try:
        if todo and scheduler is None and prepare is not None:
            prepare()
        if todo and scheduler is not None:
            backend = f"dask:{scheduler}"
            client = _connect(scheduler, float(connect_timeout), store)
            try:
                _run_on_dask(client, scheduler, func_path, todo, finish, bar, float(worker_timeout))
            finally:
                client.close()
        elif todo and workers > 1 and len(todo) > 1:
            backend = f"processes:{workers}"
            pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_die_with_parent,
                                       initargs=(os.getpid(),))
            try:
                pending = {pool.submit(_call, func_path, params): key for key, params in todo.items()}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        key = pending.pop(future)
                        error = future.exception()
                        finish(key, None if error else future.result(), error)
            except BaseException:  # Ctrl-C: drop the queued runs at once (stored results stay)
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        elif todo:
            for key, params in todo.items():
                try:
                    outcome, error = _call(func_path, params), None
                except Exception as exc:
                    outcome, error = None, exc
                finish(key, outcome, error)
    finally:
        bar.close()  # end the bar's line: an error message after it starts a line of its own
    if failures:
        first_key, first = next(iter(failures.items()))
        raise SweepError(
            f"{len(failures)} of {len(todo)} runs failed (the {len(todo) - len(failures)} others are stored "
            f"in {store.directory}); first failure, params {todo[first_key]}: {type(first).__name__}: {first}"
        ) from first
    return SweepReport(
        results=[results[key] for key in keys],
        keys=keys,
        computed=len(todo),
        cached=cached,
        recomputed_corrupt=corrupt,
        seconds=time.perf_counter() - start,
        backend=backend,
    )
