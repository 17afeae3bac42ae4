"""Where execute jobs run: a local pool of worker processes, or a Dask cluster.

Both take an :class:`~course.grading.execute.ExecuteJob` and call back with an
:class:`~course.grading.execute.ExecuteResult`; only the job's bytes travel, so a Dask cluster needs no
shared filesystem with the coordinator.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from course.grading.coursedir import GradingError
from course.grading.execute import (
    ExecuteJob,
    ExecuteResult,
    describe_failure,
    discard_warm_kernels,
    execute_job,
    stop_all_kernels,
)

Done = Callable[[ExecuteResult], None]


class Backend(Protocol):
    name: str
    workers: int

    def submit(self, job: ExecuteJob, done: Done) -> None: ...

    def close(self) -> None: ...

    def terminate(self) -> None: ...


# -- local process pool -------------------------------------------------------------------------

def _worker_init(parent_pid: int) -> None:
    """In each pool process: stop pre-started kernels on exit, and exit if the coordinator dies."""
    from multiprocessing.util import Finalize

    Finalize(None, discard_warm_kernels, exitpriority=100)

    def _on_term(_sig: int, _frame: Any) -> None:
        stop_all_kernels()
        os._exit(1)

    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle

    def _watch_parent() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                stop_all_kernels()
                os._exit(1)

    threading.Thread(target=_watch_parent, name="watch-coordinator", daemon=True).start()


class LocalPool:
    """``workers`` processes on this machine, each running one notebook at a time."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # fork: the workers start with everything the coordinator has imported (nbgrader takes
        # seconds to import); the coordinator has no threads and no open gradebook when it forks
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                         initargs=(os.getpid(),))
        try:  # start the processes now, before the caller starts any thread (a progress bar)
            self._pool.submit(os.getpid).result()
        except BrokenProcessPool as exc:
            raise GradingError(f"the local worker processes could not start ({exc})") from exc

    def submit(self, job: ExecuteJob, done: Done) -> None:
        def _done(future: Future) -> None:
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                result = ExecuteResult(job.key, False, reason=f"a worker process died ({exc})", lost=True)
            except BaseException as exc:  # cancelled, or the worker could not run the job
                result = ExecuteResult(job.key, False, reason=f"the worker failed: {describe_failure(exc)}")
            done(result)

        try:
            self._pool.submit(execute_job, job).add_done_callback(_done)
        except BrokenProcessPool as exc:
            raise GradingError(f"the local worker processes could not start or died ({exc})") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def terminate(self) -> None:
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=5)


# -- Dask -----------------------------------------------------------------------------------------

class DaskBackend:
    """Jobs go to a Dask cluster through ``distributed.Client(address)``."""

    name = "dask"

    def __init__(self, address: str, *, timeout: float = 30) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - pinned dependency
            raise GradingError("--scheduler needs the 'distributed' package") from exc
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise GradingError(f"cannot reach the Dask scheduler at {address} ({exc})") from exc
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        self._futures: set[Any] = set()
        self._lock = threading.Lock()

    def submit(self, job: ExecuteJob, done: Done) -> None:
        future = self.client.submit(execute_job, job, pure=False, key=f"course-grade-{job.key}-{time.time_ns()}")
        with self._lock:
            self._futures.add(future)

        def _done(fut: Any) -> None:
            with self._lock:
                self._futures.discard(fut)
            try:
                if fut.status == "finished":
                    result = fut.result()
                elif fut.status == "cancelled":
                    result = ExecuteResult(job.key, False, reason="cancelled")
                else:
                    result = ExecuteResult(job.key, False,
                                           reason=f"the Dask worker failed: {describe_failure(fut.exception())}")
            except Exception as exc:
                result = ExecuteResult(job.key, False, reason=f"the Dask worker failed: {describe_failure(exc)}")
            done(result)

        future.add_done_callback(_done)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.run(discard_warm_kernels)
        self.client.close()

    def terminate(self) -> None:
        with self._lock:
            futures = list(self._futures)
        with contextlib.suppress(Exception):
            self.client.cancel(futures)
        self.close()


def default_jobs() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def make_backend(*, jobs: int | None, scheduler: str | None) -> Backend:
    if scheduler:
        return DaskBackend(scheduler)
    workers = jobs or default_jobs()
    if workers < 1:
        raise GradingError(f"--jobs must be at least 1 (got {workers})")
    return LocalPool(workers)


__all__ = ["Backend", "DaskBackend", "LocalPool", "default_jobs", "make_backend"]
