"""Score the local engine's chunks in worker processes forked from this one.

The parent loads the model and the route network (:func:`geoprospect.batch.pipeline.context`)
and warms what the chunk function builds on first use (:func:`warm`), then forks the workers:
they inherit all of it and import or load nothing again. The parent never runs the model
before forking (had scikit-learn's OpenMP runtime, libgomp, started its thread pool, the
workers could hang), and each worker limits the native thread pools to one thread.

Chunks are sent in input order, in the cheapest form (:mod:`geoprospect.batch.transfer`), with
a bounded number in flight (two per worker by default, so memory stays bounded by the chunk
size); scored tables come back through spool files in a temporary folder. Results are taken
in input order: the parent writes, reports and counts exactly what a serial run does, and an
error surfaces where a serial run raises it.

A worker that dies (killed by the OOM killer, say) fails the run with a
:class:`~geoprospect.errors.WorkerError`; an error or Ctrl-C cancels what is pending,
terminates the workers and removes the spool folder. A parent killed outright (``kill -9``)
takes its workers with it, and its spool folder is removed by the next run
(:mod:`geoprospect.batch.lifecycle`).

Progress: workers add the rows they finish to a counter shared with the parent, which a thread
of the parent turns into progress calls (so a bar moves while a chunk is being scored).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from geoprospect.batch import lifecycle
from geoprospect.batch.pipeline import ChunkResult, Context, Settings, score_chunk
from geoprospect.batch.transfer import SpooledTable, count_chunks, tasks
from geoprospect.errors import WorkerError
from geoprospect.io import countries as countries
from geoprospect.io.postgis import is_database, source_name

log = logging.getLogger(__name__)

MAX_DEFAULT_WORKERS = 8
"""The default number of workers is the number of usable cores, at most this."""

IN_FLIGHT_PER_WORKER = 2
"""Chunks sent but not yet written, per worker (bounds memory by the chunk size)."""


def default_workers() -> int:
    """Usable cores (``os.sched_getaffinity`` where available), capped at :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def fork_context():
    """The ``fork`` multiprocessing context, or None where the platform has none (Windows)."""
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def plan_workers(requested: int | None, files: list[Path], settings: Settings) -> int:
    """Worker processes worth starting: 1 (score in this process) when fork is unavailable or
    the inputs hold a single chunk; otherwise ``requested`` (default :func:`default_workers`)
    capped at the number of chunks."""
    wanted = default_workers() if requested is None else requested
    if wanted <= 1 or fork_context() is None:
        return 1
    return max(1, min(wanted, count_chunks(files, settings, limit=wanted)))


# ---------------------------------------------------------------- worker side
_WORKER: dict = {}


def _init_worker(ctx: Context, spool: str | None, parent: int, done=None) -> None:
    """Runs first in each forked worker: it dies with its parent; Ctrl-C is the parent's
    business; one native thread."""
    lifecycle.die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(1)
    except ImportError:  # comes with scikit-learn; without it there is no pool to limit
        limits = None
    _WORKER.update(limits=limits, ctx=ctx, spool=spool, done=0, rows=done)


def _rows_done(n: int) -> None:
    """Add ``n`` finished rows to the counter the parent follows."""
    counter = _WORKER.get("rows")
    if counter is not None:
        with counter.get_lock():
            counter.value += n


def _ping() -> int:
    return os.getpid()


def _score(task, drop: tuple[str, ...], keep_whole_set: bool) -> ChunkResult:
    """Read (or unpack) and score one chunk (a :mod:`~geoprospect.batch.transfer` task); the
    table goes back through a spool file unless it cannot be written (then through the pipe)."""
    ctx = _WORKER["ctx"]
    progress = _rows_done if _WORKER.get("rows") is not None else None
    res = score_chunk(task.chunk(ctx.settings), ctx, drop=drop, keep_whole_set=keep_whole_set,
                      progress=progress)
    _WORKER["done"] += 1
    if res.table is not None and _WORKER["spool"]:
        name = os.path.join(_WORKER["spool"], f"{os.getpid()}-{_WORKER['done']}.arrow")
        with contextlib.suppress(OSError):  # e.g. a full disk
            res.table = SpooledTable.write(res.table, name)
    return res


# ---------------------------------------------------------------- parent side
_END = object()


class _Failed:
    """The parent's reader failed here; raised when the consumer gets this far."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


class ChunkPool:
    """Forked workers scoring the chunks of ``files``; :meth:`results` gives them in order.

    Parameters
    ----------
    ctx : Context
        The loaded model and network (inherited by the workers).
    workers : int
        Worker processes.
    files : list of Path
        Every input, in the order :meth:`results` will be asked for them.
    drop, keep_whole_set
        As for :func:`~geoprospect.batch.pipeline.score_chunk`.
    in_flight : int, optional
        Chunks sent but not yet consumed (default ``2 * workers``).
    progress : callable, optional
        Called (from a thread of this process) with the rows the workers finished since the
        last call.

    Use as a context manager: leaving it normally waits for the workers to exit; leaving it by
    an exception (Ctrl-C included) cancels what is pending and terminates them.
    """

    def __init__(self, ctx: Context, workers: int, files: list[Path], *, drop: tuple[str, ...] = (),
                 keep_whole_set: bool = False, in_flight: int | None = None, progress=None) -> None:
        self.ctx, self.workers = ctx, workers
        self.drop, self.keep_whole_set = drop, keep_whole_set
        self.in_flight = in_flight or IN_FLIGHT_PER_WORKER * workers
        self._items = self._produce([_key(f) for f in files])
        self._queue: deque = deque()
        self._running = 0
        self._executor: ProcessPoolExecutor | None = None
        self._processes: list = []
        self._spool: str | None = None
        self._progress = progress
        self._done = None
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def __enter__(self) -> ChunkPool:
        mp = fork_context()
        if mp is None:
            raise RuntimeError("ChunkPool needs the fork start method")
        self._spool = lifecycle.make_spool()
        self._done = mp.Value("q", 0) if self._progress is not None else None
        self._executor = ProcessPoolExecutor(self.workers, mp_context=mp, initializer=_init_worker,
                                             initargs=(self.ctx, self._spool, os.getpid(), self._done))
        try:
            self._executor.submit(_ping).result()  # fork every worker now, before any other thread
        except BaseException:
            self.abort()
            raise
        self._processes = list(getattr(self._executor, "_processes", {}).values())
        if self._done is not None:
            self._follower = threading.Thread(target=self._follow, name="progress", daemon=True)
            self._follower.start()
        return self

    def _follow(self) -> None:
        """Pass the workers' finished rows on to the progress callback, a few times a second."""
        seen = 0
        while True:
            stopping = self._stop.wait(0.25)
            now = self._done.value
            if now > seen:
                with contextlib.suppress(Exception):  # a progress display must not fail the run
                    self._progress(now - seen)
                seen = now
            if stopping:
                return

    def _stop_following(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)

    def __exit__(self, typ, exc, tb) -> bool:
        if typ is None:
            self._items.close()
            self._executor.shutdown(wait=True)
            self._stop_following()
            self._queue.clear()
            shutil.rmtree(self._spool, ignore_errors=True)
        else:
            self.abort()
        return False

    def abort(self) -> None:
        """Cancel pending chunks and terminate the workers (never waits on a busy worker)."""
        self._stop_following()
        with contextlib.suppress(Exception):
            self._items.close()  # the reader of the file in progress, if any
        if self._executor is None:
            return
        manager = getattr(self._executor, "_executor_manager_thread", None)
        processes = self._processes or list(getattr(self._executor, "_processes", {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            with contextlib.suppress(Exception):
                p.terminate()
        if manager is not None:  # it notices the workers' death and reaps them
            manager.join(timeout=5)
        for p in processes:
            with contextlib.suppress(Exception):
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
                    p.join(timeout=5)
        self._queue.clear()
        if self._spool:
            shutil.rmtree(self._spool, ignore_errors=True)

    def results(self, path: Path) -> Iterator[ChunkResult]:
        """Scored chunks of ``path`` in order; a reader's or worker's error is raised where the
        serial run would raise it. Items of files skipped since (or left midway) are dropped."""
        key = _key(path)
        while True:
            self._fill()
            if not self._queue:
                return
            owner, item = self._queue.popleft()
            if isinstance(item, Future):
                self._running -= 1
            if owner != key:
                if isinstance(item, Future):
                    item.cancel()
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield self._result(item, key)

    # ------------------------------------------------------------------ helpers
    def _produce(self, files: list[Path]):
        settings = self.ctx.settings
        for path in files:
            try:
                for task in tasks(path, settings):
                    yield path, task
            except Exception as exc:  # reported in order, where a serial run would raise it
                yield path, _Failed(exc)
            yield path, _END

    def _fill(self) -> None:
        while self._running < self.in_flight:
            nxt = next(self._items, None)
            if nxt is None:
                return
            path, task = nxt
            if task is _END or isinstance(task, _Failed):
                self._queue.append((path, task))
                continue
            try:
                future = self._executor.submit(_score, task, self.drop, self.keep_whole_set)
            except BrokenProcessPool:  # a worker died: the chunks in flight say so, in order
                future = Future()
                future.set_exception(BrokenProcessPool("a worker died"))
            self._queue.append((path, future))
            self._running += 1

    def _result(self, future: Future, path: Path) -> ChunkResult:
        try:
            res = future.result()
        except BrokenProcessPool:
            raise WorkerError(self._death(path)) from None
        if isinstance(res.table, SpooledTable):
            res.table = res.table.load()
        return res

    def _death(self, path: Path) -> str:
        deadline = time.monotonic() + 2  # the executor is reaping (and terminating) the workers
        while any(p.exitcode is None for p in self._processes) and time.monotonic() < deadline:
            time.sleep(0.01)
        codes = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
        dead = next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)
        if dead is not None and dead < 0:
            try:
                how = f"killed by {signal.Signals(-dead).name}"
            except ValueError:
                how = f"killed by signal {-dead}"
            if dead == -signal.SIGKILL:
                how += ", probably out of memory"
        else:
            how = f"exit code {dead}" if dead is not None else "for an unknown reason"
        return (f"{source_name(path)}: a worker process died while scoring ({how}); "
                "retry with a smaller --chunk-size or fewer --workers")


def _key(path):
    """An input as the pool names it: a Path, or a database source as it is."""
    return path if is_database(path) else Path(path)


def warm(chunk_size: int) -> None:
    """Build before forking what the chunk function builds on first use, so that the workers
    share it instead of each building it again; never runs the model (see module docstring).

    Imports the modules the chunk function imports, and builds the point-in-country lookup
    (the 0.1° grid only when a chunk is large enough to use it).
    """
    import importlib

    for name in ("geoprospect.features", "geoprospect.features.flags", "geoprospect.model.mcda",
                 "geoprospect.model.valuation",
                 "geoprospect.io.validate", "geoprospect.io.geochecks", "geoprospect.io.countries",
                 "geoprospect.io.reference"):
        importlib.import_module(name)

    try:
        countries.warm(grid=chunk_size >= countries.GRID_MIN_POINTS)
    except Exception as exc:  # an optimisation only: the workers build it if need be
        log.debug("warming the country lookups failed: %s", exc)

__all__ = ["ChunkPool", "default_workers", "fork_context", "plan_workers", "warm"]
