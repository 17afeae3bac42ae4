"""The execute step: a pure function from a job's bytes to an executed notebook's bytes.

:func:`execute_job` writes the notebook and the assignment's other files into a fresh temporary
folder, runs nbgrader's own ``Execute`` preprocessor (and the other output-only preprocessors of
nbgrader's autograde list, such as ``LimitOutput``) in a fresh kernel started there, and returns the
executed notebook. Nothing else is read or written: no gradebook, no course directory, no other
submission, so the same call runs in a local process pool or on a Dask worker on another machine.

A kernel is never used for more than one notebook. To hide kernel start-up (most of the time a
small notebook takes), each worker thread starts the *next* kernel in a new empty folder while the
current notebook runs; the next job then finds a kernel that is already up and has run nothing.

Kernels are started through one small seam, :class:`KernelLauncher` (``start`` and ``kill``), named
in the job by a dotted path so that it can be swapped, e.g. for a sandboxed launcher, without
touching the pipeline.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, runtime_checkable

#: Longest a whole notebook may run (seconds) when the caller does not say; per-cell limits come
#: from nbgrader's own ``Execute.timeout`` setting.
DEFAULT_NOTEBOOK_TIMEOUT = 600.0
#: Kernels are started sandboxed (bubblewrap where it works, resource limits always); see
#: :mod:`course.grading.sandbox`. ``LocalKernelLauncher`` starts them as stock nbgrader does.
DEFAULT_LAUNCHER = "course.grading.sandbox:SandboxKernelLauncher"
_IPYTHON_KERNELS = {"python", "python2", "python3"}


@dataclass(frozen=True)
class KernelRequest:
    """Everything needed to start one kernel."""

    kernel_name: str
    workdir: Path
    extra_arguments: tuple[str, ...]
    env: Mapping[str, str]
    config: Any = None  # traitlets Config for the kernel manager (e.g. KernelManager.transport)
    manager_class: Any = None  # defaults to jupyter_client's AsyncKernelManager


@runtime_checkable
class KernelLauncher(Protocol):
    """How a kernel is started and stopped. The default runs ``jupyter_client`` as nbgrader does;
    a sandboxed launcher can wrap the kernel command (bubblewrap, resource limits, IPC transport).

    A launcher may also have ``explain(km) -> str | None``: why its kernel stopped or cannot be
    trusted (a limit it enforced), asked when execution fails and when it ends; a reason fails it."""

    async def start(self, request: KernelRequest) -> Any:
        """Start a kernel in ``request.workdir`` and return its (async) kernel manager."""
        ...

    def kill(self, km: Any) -> None:
        """Stop the kernel now, with everything it started. Called from any thread."""
        ...


class LocalKernelLauncher:
    """Starts kernels exactly as nbgrader's ``Execute`` preprocessor would, as local processes."""

    async def start(self, request: KernelRequest) -> Any:
        from jupyter_client.manager import AsyncKernelManager

        manager_class = request.manager_class or AsyncKernelManager
        kwargs: dict[str, Any] = {"config": request.config} if request.config is not None else {}
        if request.kernel_name:
            kwargs["kernel_name"] = request.kernel_name
        km = manager_class(**kwargs)
        # the kernel's own log (e.g. "running over TCP without encryption") would clutter the trainer's
        # terminal; what learner code prints goes through the kernel protocol into the notebook
        await km.start_kernel(extra_arguments=list(request.extra_arguments), cwd=str(request.workdir),
                              env=dict(request.env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return km

    def kill(self, km: Any) -> None:
        provisioner = getattr(km, "provisioner", None)
        pgid, pid = getattr(provisioner, "pgid", None), getattr(provisioner, "pid", None)
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True)
class ExecuteJob:
    """One notebook to execute. Only bytes and plain values: it can be pickled to any worker."""

    key: str
    notebook_name: str
    notebook: bytes
    #: The assignment's other files, as (relative POSIX path, bytes); written next to the notebook.
    files: tuple[tuple[str, bytes], ...] = ()
    #: Dotted names of the preprocessors to run, in order (nbgrader's autograde list up to the
    #: first one that needs the gradebook).
    preprocessors: tuple[str, ...] = ("nbgrader.preprocessors.Execute",)
    #: traitlets config sections for those preprocessors (e.g. ``{"Execute": {"timeout": 60}}``).
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: ``resources["nbgrader"]`` as nbgrader gives it to preprocessors, without the gradebook URL.
    resources: Mapping[str, Any] = field(default_factory=dict)
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT
    env: tuple[tuple[str, str], ...] = (("NBGRADER_EXECUTION", "autograde"),)
    launcher: str = DEFAULT_LAUNCHER
    #: Start the next kernel while this notebook runs (it is used by the next job, never twice).
    prestart: bool = True
    #: A second notebook built by the coordinator from trusted cells and the learner's plain answers
    #: (:mod:`course.grading.verdicts`), run after this one in a fresh kernel that never ran learner code,
    #: in a folder with ``rerun_files`` only (the assignment's own files, never the learner's).
    rerun: bytes | None = None
    rerun_files: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class ExecuteResult:
    key: str
    ok: bool
    notebook: bytes | None = None
    #: Why the notebook could not be executed, in plain words (when not ``ok``).
    reason: str | None = None
    seconds: float = 0.0
    host: str = ""
    warm_kernel: bool = False
    #: The worker itself was lost (not the notebook's fault): the whole run stops.
    lost: bool = False
    #: CPU seconds spent by the worker process and by the kernels it waited for during this job.
    cpu_worker: float = 0.0
    cpu_kernel: float = 0.0
    #: The executed re-run (when the job had one), or why it could not run.
    rerun: bytes | None = None
    rerun_reason: str | None = None
    #: Seconds the clean re-run took (part of ``seconds``).
    rerun_seconds: float = 0.0


class NotebookTimeout(Exception):
    """The whole notebook ran longer than its limit and its kernel was stopped."""


class ExecutionFailed(Exception):
    """The kernel's launcher knows why execution failed (e.g. a resource limit); the message says it."""


def _import(dotted: str) -> Any:
    module, _, name = dotted.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module), name)


def launcher_for(dotted: str) -> KernelLauncher:
    launcher = _import(dotted)
    return launcher() if isinstance(launcher, type) else launcher


# -- warm kernels: one per worker thread, started for the next job, never used twice -------------

@dataclass
class _Warm:
    signature: tuple[Any, ...]
    km: Any
    workdir: Path
    launcher: KernelLauncher


#: This process's pre-started kernels, one per worker thread (a Dask worker may run several threads).
_warm: dict[int, _Warm] = {}
_warm_lock = threading.Lock()


def _discard(warm: _Warm | None) -> None:
    if warm is None:
        return
    warm.launcher.kill(warm.km)
    with contextlib.suppress(Exception):
        warm.km.cleanup_connection_file()
    shutil.rmtree(warm.workdir, ignore_errors=True)


def _take_warm() -> _Warm | None:
    with _warm_lock:
        return _warm.pop(threading.get_ident(), None)


def _put_warm(warm: _Warm) -> None:
    with _warm_lock:
        old = [_warm.pop(threading.get_ident(), None)]
        alive = {t.ident for t in threading.enumerate()}
        old += [_warm.pop(ident) for ident in list(_warm) if ident not in alive]
        _warm[threading.get_ident()] = warm
    for item in old:
        _discard(item)


def discard_warm_kernels() -> int:
    """Stop every pre-started kernel of this process (at a worker's shutdown); returns how many."""
    with _warm_lock:
        items = list(_warm.values())
        _warm.clear()
    for item in items:
        _discard(item)
    return len(items)


#: Kernels running a notebook right now in this process, so a worker told to stop can stop them too.
_active: dict[int, tuple[KernelLauncher, Any]] = {}


def stop_all_kernels() -> None:
    """Stop this process's running and pre-started kernels (a worker being terminated)."""
    with _warm_lock:
        active = list(_active.values())
    for launcher, km in active:
        with contextlib.suppress(Exception):
            launcher.kill(km)
    discard_warm_kernels()


def _signature(job: ExecuteJob, kernel_name: str, extra: tuple[str, ...], env: Mapping[str, str]) -> tuple:
    return (job.launcher, kernel_name, extra, tuple(sorted(env.items())),
            repr(sorted((k, repr(v)) for k, v in job.config.get("KernelManager", {}).items())),
            repr(job.config.get("SandboxKernelLauncher", {})))


def _run(coro_fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a coroutine function on this thread's event loop (the one nbclient's sync API uses)."""
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)(*args, **kwargs)


# -- the job ------------------------------------------------------------------------------------

def _safe_relpath(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"unsafe file name in job: {rel!r}")
    return path


def _write_files(workdir: Path, job: ExecuteJob) -> None:
    for rel, data in (*job.files, (job.notebook_name, job.notebook)):
        target = workdir.joinpath(*_safe_relpath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _kernel_plan(job: ExecuteJob, nb: Any, execute_pp: Any) -> tuple[str, tuple[str, ...]]:
    """The kernel name and arguments nbclient itself would use for this notebook."""
    kernel_name = execute_pp.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or ""
    extra = list(execute_pp.extra_arguments)
    has_hist = any(arg.startswith("--HistoryManager.hist_file") for arg in extra)
    if (kernel_name or "python3") in _IPYTHON_KERNELS and execute_pp.ipython_hist_file and not has_hist:
        extra.append(f"--HistoryManager.hist_file={execute_pp.ipython_hist_file}")
    return kernel_name, tuple(extra)


def execute_job(job: ExecuteJob) -> ExecuteResult:
    """Execute ``job`` in a fresh kernel; never raises (a failure is a result with a reason)."""
    started = time.perf_counter()
    before = _cpu()

    def _result(**kwargs: Any) -> ExecuteResult:
        after = _cpu()
        return ExecuteResult(job.key, seconds=time.perf_counter() - started,
                             host=f"{socket.gethostname()}:{os.getpid()}",
                             cpu_worker=after[0] - before[0], cpu_kernel=after[1] - before[1], **kwargs)

    try:
        notebook, warm = _execute(job)
    except NotebookTimeout:
        return _result(ok=False, reason=(
            f"stopped after {job.notebook_timeout:g} s: the whole notebook took longer than allowed"))
    except Exception as exc:  # any failure of learner code or kernel becomes a reason, never a crash
        return _result(ok=False, reason=describe_failure(exc))
    rerun, rerun_reason = None, None
    rerun_started = time.perf_counter()
    if job.rerun is not None and _earns_points(notebook):  # the re-run can only lower scores
        try:
            rerun, _ = _execute(replace(job, notebook=job.rerun, files=job.rerun_files, rerun=None, rerun_files=()))
        except NotebookTimeout:
            rerun_reason = f"the re-run took longer than {job.notebook_timeout:g} s"
        except Exception as exc:
            rerun_reason = describe_failure(exc)
    return _result(ok=True, notebook=notebook, warm_kernel=warm, rerun=rerun, rerun_reason=rerun_reason,
                   rerun_seconds=time.perf_counter() - rerun_started if job.rerun is not None else 0.0)


def _earns_points(notebook: bytes) -> bool:
    """Whether any autograded test cell of this executed notebook earns points."""
    import nbformat
    from nbgrader.utils import determine_grade, is_grade, is_solution

    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    return any((determine_grade(c)[0] or 0) > 0 for c in nb.cells
               if c.cell_type == "code" and is_grade(c) and not is_solution(c))


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def describe_failure(exc: BaseException) -> str:
    """A one-line, plain reason for an execution failure."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if isinstance(exc, ExecutionFailed):
        return text
    if name == "DeadKernelError":
        return "the kernel died while running the notebook (the code crashed it, exited, or ran out of memory)"
    if name in {"NotJSONError", "JSONDecodeError"}:
        return f"the notebook is not valid JSON ({text[:200]})"
    if name == "ValidationError":
        return f"the notebook is not a valid notebook after execution ({text[:200]})"
    if name in {"NoSuchKernel"}:
        return f"no such kernel: {text[:200]}"
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return f"the kernel did not respond in time ({name}: {text[:200]})"
    return f"{name}: {text[:300]}" if text else name


def _execute(job: ExecuteJob) -> tuple[bytes, bool]:
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor
    from nbformat import validator
    from traitlets.config import Config

    nb = nbformat.reads(job.notebook.decode("utf-8"), as_version=4)
    config = Config({k: dict(v) for k, v in job.config.items()})
    preprocessors = [_import(name)(config=config) for name in job.preprocessors]
    execute_pps = [pp for pp in preprocessors if isinstance(pp, ExecutePreprocessor) and pp.enabled]
    if len(execute_pps) > 1:
        raise ValueError("more than one execute preprocessor in the job")
    optimistic = bool(job.config.get("Exporter", {}).get("optimistic_validation", False))
    resources: dict[str, Any] = {
        "nbgrader": dict(job.resources),
        "unique_key": Path(job.notebook_name).stem,
        "output_files_dir": f"{Path(job.notebook_name).stem}_files",
    }

    km, workdir, launcher, warm_used = None, None, None, False
    fired = threading.Event()
    watchdog: threading.Timer | None = None
    try:
        if execute_pps:
            ep = execute_pps[0]
            launcher = launcher_for(job.launcher)
            env = {**os.environ, **dict(job.env)}
            kernel_name, extra = _kernel_plan(job, nb, ep)
            signature = _signature(job, kernel_name, extra, dict(job.env))
            warm = _take_warm()
            if warm is not None and warm.signature == signature and _alive(warm.km):
                km, workdir, warm_used = warm.km, warm.workdir, True
            else:
                _discard(warm)
                workdir = Path(tempfile.mkdtemp(prefix="course-grade-"))
                km = _run(launcher.start, _request(kernel_name, workdir, extra, env, ep, config))
            _write_files(workdir, job)
            if job.prestart:
                _prestart(launcher, signature, kernel_name, extra, env, ep, config)
            with _warm_lock:
                _active[threading.get_ident()] = (launcher, km)
            watchdog = threading.Timer(job.notebook_timeout, _expire, (launcher, km, fired))
            watchdog.daemon = True
            watchdog.start()
        else:
            workdir = Path(tempfile.mkdtemp(prefix="course-grade-"))
            _write_files(workdir, job)
        resources["metadata"] = {
            "name": Path(job.notebook_name).stem,
            "path": str(workdir),
            "modified_date": datetime.now(UTC).strftime("%B %-d, %Y"),
        }
        # nbconvert's Exporter._preprocess: normalize once, then each preprocessor, validating after each
        _, nb = validator.normalize(nb)
        for pp in preprocessors:
            if pp in execute_pps:
                nb, resources = pp.preprocess(nb, resources, km=km)
            else:
                nb, resources = pp(nb, resources)
            if not optimistic:
                nbformat.validate(nb, relax_add_props=True)
        if optimistic:
            nbformat.validate(nb, relax_add_props=True)
        # a run that finished can still be one not to trust (it hit a limit the launcher enforces)
        why = _explain(launcher, km)
        if why:
            raise ExecutionFailed(why)
    except ExecutionFailed:
        raise
    except Exception as exc:
        if fired.is_set():
            raise NotebookTimeout() from None
        why = _explain(launcher, km)
        if why:
            raise ExecutionFailed(why) from exc
        raise
    finally:
        with _warm_lock:
            _active.pop(threading.get_ident(), None)
        if watchdog is not None:
            watchdog.cancel()
        if km is not None and launcher is not None:
            _stop(launcher, km, execute_pps[0] if execute_pps else None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    if fired.is_set():
        raise NotebookTimeout()
    text = nbformat.writes(nb)
    return text.encode("utf-8"), warm_used


def _request(kernel_name: str, workdir: Path, extra: tuple[str, ...], env: Mapping[str, str], ep: Any,
             config: Any) -> KernelRequest:
    return KernelRequest(kernel_name=kernel_name, workdir=workdir, extra_arguments=extra, env=env,
                         config=config, manager_class=ep.kernel_manager_class)


def _explain(launcher: Any, km: Any) -> str | None:
    explain = getattr(launcher, "explain", None) if km is not None else None
    return explain(km) if callable(explain) else None


def _prestart(launcher: KernelLauncher, signature: tuple, kernel_name: str, extra: tuple[str, ...],
              env: Mapping[str, str], ep: Any, config: Any) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        km = _run(launcher.start, _request(kernel_name, workdir, extra, env, ep, config))
    except Exception:  # the next job simply starts its own kernel
        shutil.rmtree(workdir, ignore_errors=True)
        return
    _put_warm(_Warm(signature=signature, km=km, workdir=workdir, launcher=launcher))


def _alive(km: Any) -> bool:
    try:
        return bool(_run(km.is_alive))
    except Exception:
        return False


def _expire(launcher: KernelLauncher, km: Any, fired: threading.Event) -> None:
    fired.set()
    launcher.kill(km)


def _stop(launcher: KernelLauncher, km: Any, ep: Any) -> None:
    kc = getattr(ep, "kc", None)
    if kc is not None:
        with contextlib.suppress(Exception):
            kc.stop_channels()
        ep.kc = None
    launcher.kill(km)
    with contextlib.suppress(Exception):
        # the kernel is gone: what shutdown_kernel still sends it (an interrupt request, in message
        # mode) must not wait out the control socket's 100 ms linger in zmq's context.term()
        km._connect_control_socket()
        km._control_socket.linger = 0
    with contextlib.suppress(Exception):
        _run(km.shutdown_kernel, now=True)  # also removes the connection file
