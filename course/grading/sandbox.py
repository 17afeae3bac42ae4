"""Sandboxed kernels for the execute step: bubblewrap where it works, resource limits always.

:class:`SandboxKernelLauncher` is the :class:`~course.grading.execute.KernelLauncher` that ``course
grade`` uses. Every kernel it starts runs a learner's code, so it is treated as hostile:

* **Resource limits, always** (set by a tiny wrapper, :func:`_confine`, just before the kernel's
  command is executed): CPU seconds, address space, processes, file size, open files, no core
  dumps; a disk quota on its folder, watched from outside; at most ``output_bytes`` of output kept
  and no single message over ``message_bytes`` read from it (:func:`_capped_channel`). The
  per-cell timeout and the whole-notebook wall clock are the execute step's own.
* **Own user id**: when the grader runs as root, each kernel runs under a user id of its own, taken
  from a pool (:data:`BASE_UID`...) under a lock and cleared of leftovers before use. That is what
  makes the process limit real (Linux counts ``RLIMIT_NPROC`` per user id and does not apply it to
  root), what lets a kernel's every process be killed at the end, and, without bubblewrap, what
  keeps the kernel from writing the gradebook. A pids cgroup is added where one can be created.
* **Memory of the whole submission**: a memory cgroup per kernel (cgroup v2 ``memory.max``, or v1
  ``memory.limit_in_bytes``) holds all its processes together to ``submission_memory_bytes``; when
  the kernel's OOM killer strikes in it (``oom_kill`` in ``memory.events`` / ``memory.oom_control``),
  the whole kernel is stopped and the notebook is not gradable, "out of memory". Where no memory
  cgroup can be made, only ``RLIMIT_AS`` per process is left: several processes, each under it, may
  together use as much as the machine has (``course doctor`` says which is in force).
* **Bubblewrap sandbox** where it works (:func:`isolation` tries it for real): new user, pid,
  network, IPC, UTS and cgroup namespaces; a read-only system (``/usr``, ``/etc``, the Python
  prefix, the virtual environment, and of this repository only the ``course`` package and
  ``data/``); a private size-limited ``/tmp`` and ``/dev/shm``; the kernel's own folder and its IPC
  socket folder as the only writable places; no network (the kernel talks to the grader over IPC
  sockets in that folder, since loopback TCP does not cross a network namespace); no gradebook, no
  ``solutions/``, no other submission, no trainer home; a clean environment; the sandbox dies with
  the grader.

When bubblewrap is missing or cannot create namespaces here, kernels run with the limits only and
:func:`isolation` says why; ``course doctor`` prints it, ``course grade`` warns, and
``--require-sandbox`` refuses to grade.

This file is also run as a script (``python -I -S sandbox.py confine SPEC``) to apply the limits
and exec the kernel; that part uses the standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NoReturn

SANDBOX = "bubblewrap sandbox + limits"
LIMITS_ONLY = "limits only"

#: Kernels of a root grader run as uids BASE_UID ... BASE_UID + UID_SLOTS - 1 (one per live kernel).
BASE_UID = 1_900_000_000
UID_SLOTS = 4096
#: Where the uid slot locks live (root only, so a sandboxed kernel cannot touch them).
SLOT_DIR = Path("/run/course-sandbox")
#: The config section (``c.SandboxKernelLauncher.*``) that carries the settings to the workers.
SECTION = "SandboxKernelLauncher"

MiB = 1024 * 1024
GiB = 1024 * MiB
_SCRIPT = Path(__file__).resolve()
#: Kernel environment variables kept from the worker's environment (everything else is dropped:
#: a grader's environment may hold credentials).
_KEEP_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "COURSE_DATA_DIR", "COURSE_POLICY_DIR")


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. Every field is a hard limit on the kernel and all it starts."""

    cpu_seconds: int = 300
    memory_bytes: int = 2 * GiB  # address space per process (RLIMIT_AS)
    submission_memory_bytes: int = 2 * GiB  # all the kernel's processes together (a memory cgroup)
    processes: int = 128  # tasks (processes and threads) of the kernel's own uid (RLIMIT_NPROC)
    file_bytes: int = 64 * MiB  # largest file it may write (RLIMIT_FSIZE)
    open_files: int = 256  # RLIMIT_NOFILE
    folder_bytes: int = 256 * MiB  # everything in its folder together (watched from outside)
    tmp_bytes: int = 64 * MiB  # its private /tmp and /dev/shm (sandbox only)
    output_bytes: int = 16 * MiB  # output kept from one notebook; the rest is cut
    message_bytes: int = 64 * MiB  # largest single message read from the kernel

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Limits:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown sandbox limit(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return cls(**{k: int(v) for k, v in values.items()})


@dataclass(frozen=True)
class Settings:
    """How kernels are started: ``sandbox`` is "auto" (bubblewrap when it works), "require" or "off"."""

    sandbox: str = "auto"
    limits: Limits = field(default_factory=Limits)
    dedicated_uids: bool = True
    #: Start kernels as forks of a warm fork server per worker (:mod:`course.grading.zygote`) where it
    #: works (root, namespaces); else each kernel is a fresh process in bubblewrap.
    warm: bool = True
    #: True once :func:`resolve` has tried this machine: "auto" became "require" or "off" and
    #: ``dedicated_uids`` says what works, so workers start kernels without trying again.
    probed: bool = False

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        """Read ``c.SandboxKernelLauncher`` (sandbox, dedicated_uids, limits) from a traitlets config."""
        section: Mapping[str, Any] = {}
        if config is not None and SECTION in config:
            section = dict(config[SECTION])
        mode = str(section.get("sandbox", "auto"))
        if mode not in {"auto", "require", "off"}:
            raise ValueError(f"{SECTION}.sandbox must be auto, require or off, not {mode!r}")
        return cls(sandbox=mode, limits=Limits.from_mapping(dict(section.get("limits", {}))),
                   dedicated_uids=bool(section.get("dedicated_uids", True)), probed=bool(section.get("probed", False)),
                   warm=bool(section.get("warm", True)))

    def as_config(self) -> dict[str, Any]:
        """The config section that carries these settings to a worker."""
        return {"sandbox": self.sandbox, "dedicated_uids": self.dedicated_uids, "limits": asdict(self.limits),
                "probed": self.probed, "warm": self.warm}


class SandboxUnavailable(RuntimeError):
    """The sandbox was required but cannot be used here; the message says why."""


# -- what this machine offers ----------------------------------------------------------------------

@dataclass(frozen=True)
class Isolation:
    """The isolation level in force for kernels started by this process, and why."""

    level: str  # SANDBOX or LIMITS_ONLY
    reason: str  # why this level (why not the sandbox, when limits only)
    bwrap: str | None = None  # path of bubblewrap
    bwrap_version: str = ""
    user: str = ""  # whose rights the kernel runs with
    processes: str = ""  # what enforces the process limit
    details: tuple[str, ...] = ()
    #: Kernels are forks of a warm fork server, each in namespaces and a root of its own (else bubblewrap).
    warm: bool = False
    warm_reason: str = ""
    #: The system-call filter in force (course.grading.seccomp), or why there is none.
    syscalls: str = ""
    #: What limits the memory of a whole submission (a memory cgroup, or RLIMIT_AS per process only).
    memory: str = ""
    #: A memory cgroup per kernel is made here (so a submission's processes together are limited).
    memory_cgroup: bool = False

    @property
    def sandboxed(self) -> bool:
        return self.level == SANDBOX


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _bwrap_path() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def _bwrap_help() -> str:
    path = _bwrap_path()
    if not path:
        return ""
    try:
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
        return out.stdout + out.stderr
    except (OSError, subprocess.SubprocessError):
        return ""


@functools.lru_cache(maxsize=1)
def _bwrap_version() -> str:
    path = _bwrap_path()
    if not path:
        return ""
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _other_can_reach(path: Path) -> bool:
    """True when a user with no special rights can open ``path`` (every folder above it searchable)."""
    try:
        path = path.resolve()
        for folder in [*reversed(path.parents), path]:
            mode = folder.stat().st_mode
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def _course_package() -> Path:
    return Path(__file__).resolve().parent.parent


def _data_folder() -> Path:
    env = os.environ.get("COURSE_DATA_DIR")
    return Path(env).resolve() if env else _course_package().parent / "data"


def _policy_folder() -> Path | None:
    """The company's policy folder, when ``COURSE_POLICY_DIR`` names one (it may lie outside ``data/``)."""
    env = os.environ.get("COURSE_POLICY_DIR")
    return Path(env).resolve() if env else None


def _read_only_trees() -> list[Path]:
    """What a kernel needs to see besides the system: the Python prefix, the virtual environment,
    the ``course`` package, ``data/`` and the policy folder when ``COURSE_POLICY_DIR`` names one
    (never the rest of the repository)."""
    trees = [Path(sys.base_prefix).resolve(), Path(sys.prefix), _course_package(), _data_folder()]
    policy = _policy_folder()
    if policy is not None:
        trees.append(policy)
    exe = Path(sys.executable).resolve()
    if not any(exe.is_relative_to(t) for t in trees):
        trees.append(exe.parent)
    out: list[Path] = []
    for tree in trees:
        if not tree.exists() or any(tree.is_relative_to(p) for p in (Path("/usr"), Path("/etc"))):
            continue
        if any(tree.is_relative_to(o) for o in out):
            continue
        out = [o for o in out if not o.is_relative_to(tree)] + [tree]
    return out


def _hidden_tops(paths: list[tuple[Path, bool]]) -> dict[str, list[list[Any]]]:
    """Paths another uid cannot reach, grouped by the highest folder above them it may not search
    (e.g. ``/root`` for a Python under ``/root/.pyenv``): ``{top: [[path, writable], ...]}``."""
    out: dict[str, list[list[Any]]] = {}
    for path, writable in paths:
        path = path.resolve()
        # a writable folder is handed to the kernel's uid (chown), so only the folders above it count
        for folder in [*reversed(path.parents), *([] if writable else [path])]:
            try:
                mode = folder.stat().st_mode
            except OSError:
                break
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                out.setdefault(str(folder), []).append([str(path), writable])
                break
    return out


@functools.lru_cache(maxsize=8)
def _dedicated_uid_possible(settings: Settings) -> tuple[bool, str]:
    """Whether kernels can run under a uid of their own here: needs root, and that uid must be able
    to start Python with ipykernel and ``course`` (tried for real, with the limits)."""
    if not settings.dedicated_uids:
        return False, "dedicated user ids are switched off (SandboxKernelLauncher.dedicated_uids)"
    if not _running_as_root():
        return False, "the grader is not root, so kernels cannot get a user id of their own"
    if settings.probed:
        return True, ""
    return _probe(settings, sandboxed=False, uid=True)


def resolve(settings: Settings) -> tuple[Settings, Isolation]:
    """Try this machine once (on the coordinator) and fix the settings workers will use: "auto"
    becomes "require" or "off" and ``dedicated_uids`` what works. Raises :class:`SandboxUnavailable`
    when the sandbox is required but does not work here."""
    level = isolation(replace(settings, probed=False))
    if settings.sandbox == "require" and not level.sandboxed:
        raise SandboxUnavailable(f"the sandbox is required but {level.reason}")
    sweep()
    fixed = replace(settings, sandbox="require" if level.sandboxed else "off",
                    dedicated_uids=level.user.startswith("a user id of its own"), probed=True,
                    warm=level.sandboxed and level.warm)
    return fixed, level


@functools.lru_cache(maxsize=8)
def isolation(settings: Settings = Settings()) -> Isolation:
    """The isolation level kernels get here with ``settings``, found by starting a real sandbox."""
    limits = settings.limits
    details = [
        f"limits per kernel: {limits.cpu_seconds} s CPU, {limits.memory_bytes // MiB} MiB memory, "
        f"{limits.processes} processes, {limits.file_bytes // MiB} MiB per file, {limits.open_files} open files, "
        f"{limits.folder_bytes // MiB} MiB in its folder, {limits.output_bytes // MiB} MiB of output kept"
    ]
    uid_ok, uid_why = _dedicated_uid_possible(settings)
    bwrap = _bwrap_path()
    level, reason = LIMITS_ONLY, ""
    if settings.sandbox == "off":
        reason = "the sandbox is switched off (SandboxKernelLauncher.sandbox = off)"
    elif not bwrap:
        reason = "bwrap (bubblewrap) is not installed; `make system-deps` or `apt-get install bubblewrap` installs it"
    else:
        ok, why = _probe(settings, sandboxed=True, uid=uid_ok)
        if not ok and uid_ok and _probe(settings, sandboxed=True, uid=False)[0]:
            # e.g. user namespaces closed to users other than root: bubblewrap started by root still works
            ok, uid_ok = True, False
            uid_why = f"bubblewrap cannot be started by another user id here ({why}); inside the sandbox it is nobody"
        if ok:
            level, reason = SANDBOX, ("bubblewrap works here: kernels get no network, a read-only system "
                                      "and only their own folder")
        else:
            reason = f"bubblewrap cannot create a sandbox here: {why}"
    if uid_ok:
        user = f"a user id of its own (from {BASE_UID}), not root"
        processes = "RLIMIT_NPROC on the kernel's own user id"
    else:
        user = f"the grader's own user ({'root' if _running_as_root() else os.getuid()}): {uid_why}"
        if level == SANDBOX and _running_as_root():
            user = f"nobody (65534) inside the sandbox, root outside it: {uid_why}"
        processes = ("not limited by RLIMIT_NPROC (root is exempt)" if _running_as_root()
                     else "RLIMIT_NPROC counted on the grader's user id (approximate)")
    cgroup = _pids_cgroup_root()
    if cgroup is not None:
        processes += f"; a pids cgroup per kernel ({cgroup})"
    elif not uid_ok and _running_as_root():
        processes += "; no pids cgroup could be made either: a fork bomb is stopped only by the time limits"
    warm, warm_reason = False, "the sandbox is not in force"
    if level == SANDBOX:
        warm, warm_reason = _warm_possible(settings, uid_ok)
    if level != SANDBOX:
        details.append("without the sandbox a kernel can read whatever its user may read, use the network, "
                       "and write wherever its user may write")
    from course.grading import seccomp

    filter_ok, filter_why = seccomp.available()
    if not warm:
        syscalls = "no filter: it is applied by the fork server only, which is not in use"
    elif not filter_ok:
        syscalls = f"no filter: {filter_why}"
    else:
        syscalls = ("a seccomp filter denies network sockets (all but AF_UNIX), ptrace, mount, the keyring, bpf, "
                    "kernel modules, personality, new namespaces, reboot and kexec (EPERM)")
    memcg = _memory_cgroup_root()
    if memcg is not None:
        memory = (f"a memory cgroup per kernel ({memcg}, cgroup {_cgroup_version(memcg)}) holds all its processes "
                  f"together to {limits.submission_memory_bytes // MiB} MiB; past that the notebook is not "
                  "gradable (out of memory)")
    else:
        why = "the grader is not root" if not _running_as_root() else "no memory cgroup can be created here"
        memory = (f"no memory cgroup ({why}): only {limits.memory_bytes // MiB} MiB of address space per process "
                  "(RLIMIT_AS), which does not cover a submission's processes together: several child "
                  "processes, each under that limit, can use all the machine's memory")
    return Isolation(level=level, reason=reason, bwrap=bwrap, bwrap_version=_bwrap_version(), user=user,
                     processes=processes, details=tuple(details), warm=warm, warm_reason=warm_reason,
                     syscalls=syscalls, memory=memory, memory_cgroup=memcg is not None)


_PROBE = """\
import os, pathlib, socket
import ipykernel, course
root = pathlib.Path(course.__file__).resolve().parents[1]
assert not (root / "solutions").exists() or not SANDBOXED, "solutions/ is visible"
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    net = True
except OSError:
    net = False
assert not (net and SANDBOXED), "the sandbox reached the network"
print("ok", os.getuid())
"""


def _probe(settings: Settings, *, sandboxed: bool, uid: bool) -> tuple[bool, str]:
    """Start a tiny Python as kernels will be started (limits, uid, sandbox); (works, why not)."""
    folder = Path(tempfile.mkdtemp(prefix="course-sandbox-probe-"))
    slot = _UidSlot.take() if uid else None
    code = f"SANDBOXED = {sandboxed}\n{_PROBE}"
    try:
        env = _kernel_env({}, folder)
        command = [sys.executable, "-c", code]
        argv = (_bwrap_argv(settings.limits, folder, None, env, command, as_root=slot is None and _running_as_root())
                if sandboxed else command)
        spec = _spec(settings.limits, argv, env, slot, writable=[folder], chown=[str(folder)], cgroups=[])
        proc = subprocess.run(_wrapper_cmd(spec), capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd=folder)
        out = (proc.stdout + proc.stderr).strip()
        if proc.returncode == 0 and out.startswith("ok"):
            return True, ""
        return False, _last_line(out) or f"exit status {proc.returncode}"
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        if slot is not None:
            slot.release()
        shutil.rmtree(folder, ignore_errors=True)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# -- warm kernels: a fork server per worker process (course.grading.zygote) ----------------------------

_ZYGOTE = _SCRIPT.parent / "zygote.py"


@dataclass
class _Zygote:
    process: subprocess.Popen
    socket: str
    folder: Path
    owner: int


_zygotes: dict[tuple[str, ...], _Zygote] = {}
_zygote_lock = threading.Lock()


def _zygote(preload: tuple[str, ...]) -> str:
    """The socket of this process's fork server for ``preload`` (started on first use, again when it died)."""
    with _zygote_lock:
        z = _zygotes.get(preload)
        if z is not None and z.owner == os.getpid() and z.process.poll() is None:
            return z.socket
        if z is not None and z.owner == os.getpid():
            _stop_zygote(z)
        folder = Path(tempfile.mkdtemp(prefix=f"cz-{os.getpid()}-"))  # root's, 0700: no kernel sees it
        sock = str(folder / "s")
        with open(folder / "log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-I", str(_ZYGOTE), "serve", sock, json.dumps(list(preload)), str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd="/", start_new_session=True,
                env=_kernel_env({}, folder))
        assert process.stdout is not None
        import select

        ready, _, _ = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline().decode("utf-8", "replace") if ready else ""
        if not line.startswith("ready"):
            process.kill()
            tail = _log_tail(folder / "log")
            shutil.rmtree(folder, ignore_errors=True)
            raise SandboxUnavailable(f"the kernels' fork server did not start: {line.strip() or tail or 'no answer'}")
        _zygotes[preload] = _Zygote(process=process, socket=sock, folder=folder, owner=os.getpid())
        return sock


def _stop_zygote(z: _Zygote) -> None:
    with contextlib.suppress(OSError):
        z.process.kill()
    with contextlib.suppress(Exception):
        z.process.wait(timeout=5)
    shutil.rmtree(z.folder, ignore_errors=True)


def stop_fork_servers() -> int:
    """Stop this process's fork servers (their running kernels die with them); returns how many."""
    with _zygote_lock:
        mine = [z for z in _zygotes.values() if z.owner == os.getpid()]
        _zygotes.clear()
    for z in mine:
        _stop_zygote(z)
    return len(mine)


def _warm_command(cmd: list[str]) -> bool:
    """Whether ``cmd`` is this Python's IPython kernel (what the fork server runs)."""
    try:
        same = Path(cmd[0]).resolve() == Path(sys.executable).resolve()
    except (OSError, IndexError):
        return False
    return same and cmd[1:3] == ["-m", "ipykernel_launcher"]


def _new_root() -> str:
    root = SLOT_DIR / "root"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(root)


def _fork_spec(limits: Limits, slot: _UidSlot | None, cgroups: list[Path], workdir: Path, ipcdir: Path,
               env: Mapping[str, str], args: list[str], chown: list[str]) -> dict[str, Any]:
    uid = slot.uid if slot is not None else None
    return {"root": _new_root(), "read_only": [str(t) for t in _read_only_trees()],
            "writable": [str(workdir), str(ipcdir)], "tmp_bytes": limits.tmp_bytes,
            "rlimits": _rlimits(limits, uid), "uid": uid, "chown": chown, "env": dict(env),
            "cgroups": [str(c / "cgroup.procs") for c in cgroups], "workdir": str(workdir), "ipcdir": str(ipcdir),
            "argv0": "ipykernel_launcher", "args": args}


def _client_cmd(sock: str, spec: Mapping[str, Any]) -> list[str]:
    return [sys.executable, "-I", "-S", str(_ZYGOTE), "client", sock, json.dumps(spec)]


@functools.lru_cache(maxsize=8)
def _warm_possible(settings: Settings, uid_ok: bool) -> tuple[bool, str]:
    """Whether kernels can be forks of a warm fork server here (root, namespaces, mounts): tried for real."""
    if not settings.warm:
        return False, "switched off (SandboxKernelLauncher.warm = False)"
    if not _running_as_root():
        return False, "the fork server needs the grader to run as root (bubblewrap is used instead)"
    if not uid_ok:
        return False, "the fork server needs a user id of its own for each kernel (bubblewrap is used instead)"
    if settings.probed:
        return True, ""
    folder = Path(tempfile.mkdtemp(prefix="course-sandbox-probe-"))
    slot = _UidSlot.take()
    try:
        sock = _zygote(())
        env = _kernel_env({}, folder)
        spec = _fork_spec(settings.limits, slot, [], folder, folder, env, [],
                          [str(folder)] if slot is not None else [])
        spec["probe"] = "SANDBOXED = True\n" + _PROBE
        proc = subprocess.run(_client_cmd(sock, spec), capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        out = (proc.stdout + proc.stderr).strip()
        if proc.returncode == 0 and out.startswith("ok"):
            return True, ""
        return False, f"the fork server's sandbox does not work here: {_last_line(out) or proc.returncode}"
    except (OSError, subprocess.SubprocessError, SandboxUnavailable) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        slot.release()
        shutil.rmtree(folder, ignore_errors=True)
        with _zygote_lock:  # the probe's server (nothing preloaded) is not the one kernels use
            probe = _zygotes.pop((), None)
        if probe is not None and probe.owner == os.getpid():
            _stop_zygote(probe)


# -- user id slots -------------------------------------------------------------------------------

class _UidSlot:
    """One uid from the pool, held by an exclusive lock for as long as its kernel lives."""

    def __init__(self, uid: int, handle: Any) -> None:
        self.uid = uid
        self._handle = handle

    @classmethod
    def take(cls) -> _UidSlot:
        SLOT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        start = (os.getpid() * 7919 + time.monotonic_ns()) % UID_SLOTS
        for i in range(UID_SLOTS):
            n = (start + i) % UID_SLOTS
            handle = open(SLOT_DIR / f"uid-{n}.lock", "a+")  # noqa: SIM115 - held until release
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            slot = cls(BASE_UID + n, handle)
            slot.kill_all()  # leftovers of a grader that was killed
            if any(_processes_of(slot.uid)):  # zombies not yet reaped still count against RLIMIT_NPROC
                handle.close()
                continue
            return slot
        raise SandboxUnavailable(f"all {UID_SLOTS} sandbox user ids are in use")

    def kill_all(self) -> None:
        """SIGKILL every process of this uid: ``kill(-1)`` run as that uid reaches exactly those;
        repeated while any is left (a fork bomb may fork while the first round goes)."""
        kill = shutil.which("kill") or "/bin/kill"
        for _ in range(20):
            if not _processes_of(self.uid)[0]:
                return
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([kill, "-KILL", "-1"], user=self.uid, group=self.uid, extra_groups=[],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, cwd="/")
            time.sleep(0.01)

    def release(self) -> None:
        self.kill_all()
        _remove_files_of(self.uid)
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


def _remove_files_of(uid: int) -> None:
    """What a kernel without the sandbox left in the shared scratch folders (its uid is its own)."""
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def sweep() -> int:
    """Clear what graders that were killed (kill -9, power cut) left behind: processes and files of
    sandbox uids no live kernel holds, IPC folders of dead workers. Returns how many were removed."""
    removed = 0
    if _running_as_root() and SLOT_DIR.is_dir():
        candidates = _sandbox_uids_running() | _sandbox_uids_owning_files()
        free: set[int] = set()
        with contextlib.ExitStack() as held:  # the free slots stay locked until the sweep is done
            for uid in sorted(candidates):
                try:
                    handle = held.enter_context(open(SLOT_DIR / f"uid-{uid - BASE_UID}.lock", "a+"))
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    free.add(uid)
                except OSError:  # BlockingIOError: a live kernel holds it
                    continue
            removed += _clear_uids(free)
    for path in Path(tempfile.gettempdir()).glob("ck-*-*"):
        try:
            os.kill(int(path.name.split("-")[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        except (ValueError, OSError):
            continue
    return removed


_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def _sandbox_uids_owning_files() -> set[int]:
    found: set[int] = set()
    for folder in _SCRATCH:
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    uid = entry.stat(follow_symlinks=False).st_uid
                    if BASE_UID <= uid < BASE_UID + UID_SLOTS:
                        found.add(uid)
    return found


def _clear_uids(free: set[int]) -> int:
    removed = 0
    if free:
        for uid in _sandbox_uids_running() & free:
            _UidSlot(uid, None).kill_all()
        for folder in _SCRATCH:
            with contextlib.suppress(OSError), os.scandir(folder) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        if entry.stat(follow_symlinks=False).st_uid not in free:
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)
                        removed += 1
    return removed


# -- cgroups: pids and memory (where they can be made) ------------------------------------------------

def _controller_root(controller: str, usable: Callable[[Path], bool]) -> Path | None:
    """A folder under which this process may create cgroups with ``controller`` (``pids``,
    ``memory``), under cgroup v1 or v2, or None. ``usable`` checks a probe cgroup made there."""
    if not _running_as_root():
        return None
    candidates = [Path("/sys/fs/cgroup") / controller]
    unified = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError):
        if (unified / "cgroup.controllers").exists() and controller in (unified / "cgroup.subtree_control").read_text():
            candidates.append(unified)
    for base in candidates:
        root = base / "course-sandbox"
        try:
            root.mkdir(exist_ok=True)
            if base != candidates[0] and (root / "cgroup.subtree_control").exists():
                (root / "cgroup.subtree_control").write_text(f"+{controller}")
            probe = root / f"probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            ok = usable(probe)
            probe.rmdir()
            if ok:
                _remove_stale_cgroups(root)
                return root
        except OSError:
            continue
    return None


def _new_cgroup(root: Path | None, configure: Callable[[Path], None]) -> Path | None:
    """A cgroup of this worker's own under ``root``, set up by ``configure``; None if it cannot be made."""
    if root is None:
        return None
    path = root / f"k-{os.getpid()}-{time.monotonic_ns()}"
    try:
        path.mkdir()
        configure(path)
        return path
    except OSError:
        with contextlib.suppress(OSError):
            path.rmdir()
        return None


@functools.lru_cache(maxsize=1)
def _pids_cgroup_root() -> Path | None:
    """A folder under which this process may create pids cgroups (cgroup v1 or v2), or None."""
    return _controller_root("pids", lambda probe: (probe / "pids.max").exists())


def _remove_stale_cgroups(root: Path) -> None:
    """Cgroups left by workers that were killed (their creator's pid is in the name)."""
    for path in root.glob("k-*-*"):
        try:
            os.kill(int(path.name.split("-")[1]), 0)
        except ProcessLookupError:
            _remove_cgroup(path)
        except (ValueError, OSError):
            continue


def _make_cgroup(limit: int) -> Path | None:
    return _new_cgroup(_pids_cgroup_root(), lambda path: (path / "pids.max").write_text(str(limit)))


@functools.lru_cache(maxsize=1)
def _memory_cgroup_root() -> Path | None:
    """A folder under which this process may create memory cgroups (cgroup v1 or v2), or None."""
    def usable(probe: Path) -> bool:
        limit = (probe / "memory.max").exists() or (probe / "memory.limit_in_bytes").exists()
        return limit and _oom_kills(probe) is not None

    return _controller_root("memory", usable)


def _cgroup_version(path: Path) -> str:
    return "v2" if (path / "cgroup.controllers").exists() else "v1"


def _make_memory_cgroup(limit: int) -> Path | None:
    """A memory cgroup holding a kernel's processes together to ``limit`` bytes (no swap), or None."""
    def configure(path: Path) -> None:
        if (path / "memory.max").exists():  # v2
            (path / "memory.max").write_text(str(limit))
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                with contextlib.suppress(OSError):
                    (path / name).write_text(value)
        else:  # v1: the memory+swap limit may only be set after the memory limit
            (path / "memory.limit_in_bytes").write_text(str(limit))
            with contextlib.suppress(OSError):
                (path / "memory.memsw.limit_in_bytes").write_text(str(limit))

    return _new_cgroup(_memory_cgroup_root(), configure)


def _oom_kills(path: Path) -> int | None:
    """How many processes the OOM killer killed in the memory cgroup ``path`` (None: it does not say)."""
    for name in ("memory.events", "memory.oom_control"):
        with contextlib.suppress(OSError, ValueError):
            for line in (path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    return None


#: Memory that cannot be given back (anonymous memory: there is no swap) at this share of the
#: submission's limit counts as out of memory: past it the kernel only thrashes the processes' code
#: pages in and out before its OOM killer strikes, which on a busy machine takes longer than a cell may.
MEMORY_FULL_SHARE = 0.95


def _anonymous_bytes(path: Path) -> int | None:
    """Anonymous memory held by the processes of memory cgroup ``path`` (v2 ``anon``, v1 ``total_rss``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in (path / "memory.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key in ("anon", "total_rss"):
                return int(value)
    return None


def _out_of_memory(run: _KernelRun) -> bool:
    """True once the OOM killer killed one of the kernel's processes in its memory cgroup (the
    kernel itself or only a child: either way the submission used more than it may), or once its
    processes hold nearly all of their memory as memory that cannot be reclaimed."""
    memcg = run.memcg  # read once: the kernel's clean-up may drop it meanwhile, on another thread
    if memcg is not None and not run.oom:
        full = run.settings.limits.submission_memory_bytes * MEMORY_FULL_SHARE
        run.oom = (_oom_kills(memcg) or 0) > 0 or (_anonymous_bytes(memcg) or 0) >= full
    return run.oom


def _oom_reason(run: _KernelRun) -> str:
    where = f" while running {_first_line(run.last_code)}" if run.last_code else ""
    return (f"out of memory: the notebook's processes together used all of the "
            f"{run.settings.limits.submission_memory_bytes // MiB} MiB they may use{where}")


def _remove_cgroup(path: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)
    with contextlib.suppress(OSError):
        path.rmdir()


# -- the kernel's command ----------------------------------------------------------------------------

def _kernel_env(job_env: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """A clean environment: what the job asked for, a few locale settings, a HOME in its folder."""
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.update(job_env)
    env.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(workdir / ".home"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "agg",
    })
    env.setdefault("LANG", "C.UTF-8")
    return env


def _bwrap_argv(limits: Limits, workdir: Path, ipcdir: Path | None, env: Mapping[str, str],
                command: list[str], *, as_root: bool = False) -> list[str]:
    """The bubblewrap command line around ``command``."""
    bwrap = _bwrap_path() or "bwrap"
    args = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv",
            "--hostname", "sandbox"]
    if as_root:  # started by root without a uid of its own: at least not root inside
        args += ["--uid", "65534", "--gid", "65534"]
    if "--disable-userns" in _bwrap_help():
        args.append("--disable-userns")
    for key, value in env.items():
        args += ["--setenv", key, value]
    for top in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    size = ["--size", str(limits.tmp_bytes)] if "--size" in _bwrap_help() else []
    args += ["--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
             *size, "--tmpfs", "/tmp"]
    for tree in _read_only_trees():  # after the empty /tmp: a policy or data folder there stays visible
        args += ["--ro-bind", str(tree), str(tree)]
    args += ["--bind", str(workdir), str(workdir)]
    if ipcdir is not None:
        args += ["--bind", str(ipcdir), str(ipcdir)]
    args += ["--remount-ro", "/", "--chdir", str(workdir), "--", *command]
    return args


def _rlimits(limits: Limits, uid: int | None) -> dict[str, int]:
    # headroom over `processes`, so that a pids cgroup (limited to exactly that) fails first and
    # records it in pids.events; the watcher also stops a kernel at `processes` tasks of its uid
    nproc = limits.processes + 16
    if uid is None and not _running_as_root():
        nproc += _tasks_of(os.getuid())  # the grader's own processes count too: leave them room
    return {"RLIMIT_CPU": limits.cpu_seconds, "RLIMIT_AS": limits.memory_bytes, "RLIMIT_NPROC": nproc,
            "RLIMIT_FSIZE": limits.file_bytes, "RLIMIT_NOFILE": limits.open_files, "RLIMIT_CORE": 0}


def _sandbox_uids_running() -> set[int]:
    """Sandbox uids that have a process (one look at /proc)."""
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    uid = entry.stat(follow_symlinks=False).st_uid
                    if BASE_UID <= uid < BASE_UID + UID_SLOTS:
                        found.add(uid)
    return found


def _processes_of(uid: int) -> tuple[int, int]:
    """(live, zombie) processes of ``uid``; zombies wait for their new parent to reap them."""
    live = zombies = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    state = handle.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state in (b"Z", b"X"):
                zombies += 1
            else:
                live += 1
    return live, zombies


def _tasks_of(uid: int) -> int:
    """Processes and threads of ``uid`` on this machine (what RLIMIT_NPROC counts)."""
    count = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def _spec(limits: Limits, argv: list[str], env: Mapping[str, str], slot: _UidSlot | None, *,
          writable: list[Path], chown: list[str], cgroups: list[Path]) -> dict[str, Any]:
    """What :func:`_confine` does for one kernel (JSON-able)."""
    uid = slot.uid if slot is not None else None
    reveal: dict[str, list[list[Any]]] = {}
    if uid is not None:
        reveal = _hidden_tops([*((t, False) for t in _read_only_trees()), *((w, True) for w in writable)])
    return {"argv": argv, "env": dict(env), "rlimits": _rlimits(limits, uid), "uid": uid,
            "chown": chown if uid is not None else [], "reveal": reveal,
            "cgroups": [str(c / "cgroup.procs") for c in cgroups], "parent": os.getpid()}


def _wrapper_cmd(spec: Mapping[str, Any]) -> list[str]:
    return [sys.executable, "-I", "-S", str(_SCRIPT), "confine", json.dumps(spec)]


def _confine(spec: Mapping[str, Any]) -> NoReturn:
    """In the kernel's process, before its command runs: limits, cgroup, own uid, death with the
    grader, then exec. Standard library only (runs as ``python -I -S sandbox.py``)."""
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    for procs in spec.get("cgroups", []):
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    argv = list(spec["argv"])
    import ctypes  # before giving up root: the standard library may not be readable by the kernel's uid

    libc = ctypes.CDLL(None, use_errno=True)
    uid = spec.get("uid")
    for path in spec.get("chown", []):
        os.chown(path, uid, uid)
    if spec.get("reveal"):
        _reveal(libc, spec["reveal"])
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.umask(0o022)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the grader (after setuid)
    if os.getppid() != spec["parent"]:
        os._exit(1)
    os.execve(argv[0], argv, spec["env"])


def _reveal(libc: Any, tops: Mapping[str, list[list[Any]]]) -> None:
    """Let the kernel's uid reach the folders it needs under folders it may not search (a Python
    under ``/root``): in a mount namespace of this process only, put an empty tmpfs over each such
    folder and bind just the needed paths into it (read-only unless writable). The rest of it, e.g.
    the trainer's home, stays out of sight."""
    import ctypes

    def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
        def enc(value: str | None) -> bytes | None:
            return value.encode() if value is not None else None

        if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")

    ms_rdonly, ms_nosuid, ms_nodev, ms_remount, ms_bind, ms_rec, ms_private = 1, 2, 4, 32, 4096, 16384, 1 << 18
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        err = ctypes.get_errno()
        raise OSError(err, f"cannot make a private mount namespace: {os.strerror(err)}")
    mount(None, "/", None, ms_rec | ms_private)
    for top, paths in tops.items():
        fds = [(os.open(path, os.O_PATH | os.O_CLOEXEC), path, writable) for path, writable in paths]
        mount("tmpfs", top, "tmpfs", ms_nosuid | ms_nodev, "mode=0755,size=64k")
        for fd, path, writable in fds:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, mode=0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                open(path, "a").close()
            mount(f"/proc/self/fd/{fd}", path, None, ms_bind | ms_rec)
            if not writable:
                mount(None, path, None, ms_remount | ms_bind | ms_rdonly | ms_nosuid)
            os.close(fd)


# -- the launcher -------------------------------------------------------------------------------------

@dataclass
class _KernelRun:
    """What the launcher keeps for one kernel: its folders, uid, cgroup, watchdog and log."""

    settings: Settings
    workdir: Path
    ipcdir: Path
    log: Path
    sandboxed: bool
    slot: _UidSlot | None = None
    cgroup: Path | None = None
    #: Its memory cgroup (all its processes together), where one can be made.
    memcg: Path | None = None
    oom: bool = False
    reason: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    last_code: str = ""
    output_bytes: int = 0
    output_cut: bool = False
    kept: set[tuple[str, str]] = field(default_factory=set)
    monitor: Any = None
    lost: bool = False
    limit_hit: bool = False
    #: Started as a fork of the warm fork server (else a fresh process in bubblewrap).
    warm: bool = False
    #: The notebook's watchdog, the folder watch and the executor's own stop may kill at the same moment.
    killing: threading.RLock = field(default_factory=threading.RLock)

    def watch(self, kill: Any) -> None:
        """Stop the kernel, 4 times a second, when its folder holds more than ``folder_bytes``, its
        processes reached their limit (a fork bomb's copies of the kernel share its sockets, so a
        kernel that hit the limit is never trusted to finish) or the OOM killer struck in its memory
        cgroup (a killed child leaves the kernel running, but the submission used too much)."""
        limits = self.settings.limits
        while not self.stop.wait(0.25):
            used, entries = _folder_usage(self.workdir, limits.folder_bytes)
            where = f" while running {_first_line(self.last_code)}" if self.last_code else ""
            if used > limits.folder_bytes or entries > 100_000:
                self.reason = (f"stopped: the notebook wrote more than {limits.folder_bytes // MiB} MB into its "
                               f"folder{where}")
            elif _process_limit_hit(self):
                self.reason = f"the code started more processes than allowed ({limits.processes}: a fork bomb?){where}"
            elif _out_of_memory(self):
                self.reason = _oom_reason(self)
            else:
                continue
            kill()
            return


def _folder_usage(folder: Path, limit: int) -> tuple[int, int]:
    total, entries = 0, 0
    stack = [folder]
    while stack and total <= limit:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(Path(entry.path))
                        else:
                            total += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return total, entries


def _first_line(code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip()]
    text = lines[0].strip() if lines else ""
    return f"the cell `{text[:80]}{'…' if len(text) > 80 or len(lines) > 1 else ''}`"


_SIGNALS = {
    signal.SIGSEGV: "the kernel crashed (segmentation fault)",
    signal.SIGBUS: "the kernel crashed (bus error)",
    signal.SIGABRT: "the kernel aborted",
    signal.SIGILL: "the kernel crashed (illegal instruction)",
    signal.SIGFPE: "the kernel crashed (arithmetic error)",
    signal.SIGXCPU: "the kernel used up its CPU time",
    signal.SIGXFSZ: "the kernel wrote a file larger than allowed",
    signal.SIGKILL: "the kernel was killed (out of memory or a limit)",
}


class SandboxKernelLauncher:
    """Starts each kernel confined: bubblewrap + limits, or limits only (see the module docstring)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._fixed = settings

    def settings(self, config: Any) -> Settings:
        return self._fixed or Settings.from_config(config)

    async def start(self, request: Any) -> Any:
        from jupyter_client.manager import AsyncKernelManager

        settings = self.settings(request.config)
        if settings.probed:
            sandboxed = settings.sandbox == "require"
            if sandboxed and not _bwrap_path():
                raise SandboxUnavailable("the sandbox is required but bwrap (bubblewrap) is not installed on this "
                                         "worker")
        else:
            level = isolation(settings)
            if settings.sandbox == "require" and not level.sandboxed:
                raise SandboxUnavailable(f"the sandbox is required but {level.reason}")
            sandboxed = level.sandboxed
        workdir = Path(request.workdir)
        ipcdir = Path(tempfile.mkdtemp(prefix=f"ck-{os.getpid()}-"))
        log = ipcdir / "kernel.log"
        run = _KernelRun(settings=settings, workdir=workdir, ipcdir=ipcdir, log=log, sandboxed=sandboxed)
        try:
            if _dedicated_uid_possible(settings)[0]:
                run.slot = _UidSlot.take()
            run.cgroup = _make_cgroup(settings.limits.processes)
            run.memcg = _make_memory_cgroup(settings.limits.submission_memory_bytes)
            manager_class = _sandboxed(request.manager_class or AsyncKernelManager)
            kwargs: dict[str, Any] = {"config": request.config} if request.config is not None else {}
            if request.kernel_name:
                kwargs["kernel_name"] = request.kernel_name
            km = manager_class(**kwargs)
            km.transport = "ipc"
            km.ip = str(ipcdir / "k")
            km.connection_file = str(ipcdir / "kernel.json")
            km.course_run = run
            job_env = {k: v for k, v in request.env.items() if os.environ.get(k) != v}
            km.course_env = _kernel_env(job_env, workdir)
            with open(log, "wb") as out:
                await km.start_kernel(extra_arguments=list(request.extra_arguments), cwd=str(workdir),
                                      env=dict(km.course_env), stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        except BaseException:
            self._cleanup(run)
            raise
        threading.Thread(target=run.watch, args=(functools.partial(self._kill_processes, km),),
                         name="course-kernel-watch", daemon=True).start()
        return km

    def kill(self, km: Any) -> None:
        run: _KernelRun | None = getattr(km, "course_run", None)
        if run is None:
            self._kill_processes(km)
            return
        with run.killing:  # one at a time: a second release of the uid slot met a closed lock file
            self._kill_processes(km)
            self._cleanup(run)

    def explain(self, km: Any) -> str | None:
        """Why the kernel stopped, in plain words, when the launcher knows (else None)."""
        run: _KernelRun | None = getattr(km, "course_run", None)
        if run is None:
            return None
        if run.reason:
            return run.reason
        if _out_of_memory(run):
            return _oom_reason(run)
        process = getattr(getattr(km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        where = f" while running {_first_line(run.last_code)}" if run.last_code else ""
        if code is None:
            limits = run.settings.limits
            if _process_limit_hit(run):
                return (f"the code started more processes than allowed ({limits.processes}: a fork bomb?){where}, "
                        "and the kernel stopped answering")
            if _lost_output(run):
                return (f"the notebook sent more than {limits.message_bytes // MiB} MB of output at once{where}; "
                        "the grader does not read that much, so the cell's result was lost")
            return None
        sig = -code if code < 0 else code - 128 if code > 128 else 0
        if sig in _SIGNALS:
            return f"{_SIGNALS[signal.Signals(sig)]}{where}"
        if code == 0 and run.last_code:
            return f"the kernel exited{where} (the code ended its own process)"
        tail = _log_tail(run.log)
        return f"the kernel stopped with exit status {code}{where}" + (f": {tail}" if tail else "")

    def _kill_processes(self, km: Any) -> None:
        provisioner = getattr(km, "provisioner", None)
        pgid, pid = getattr(provisioner, "pgid", None), getattr(provisioner, "pid", None)
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)
        run: _KernelRun | None = getattr(km, "course_run", None)
        if run is not None:
            if run.slot is not None:
                run.slot.kill_all()
            if run.cgroup is not None:
                _remove_cgroup(run.cgroup)
                run.cgroup = None
            if run.memcg is not None:
                _out_of_memory(run)  # read before the cgroup goes
                _remove_cgroup(run.memcg)
                run.memcg = None

    def _cleanup(self, run: _KernelRun) -> None:
        run.stop.set()
        if run.monitor is not None:
            with contextlib.suppress(Exception):
                run.monitor.close(linger=0)
            run.monitor = None
        if run.slot is not None:
            run.slot.release()
            run.slot = None
        if run.cgroup is not None:
            _remove_cgroup(run.cgroup)
            run.cgroup = None
        if run.memcg is not None:
            _remove_cgroup(run.memcg)
            run.memcg = None
        shutil.rmtree(run.ipcdir, ignore_errors=True)


def _log_tail(path: Path, size: int = 4000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return _last_line(handle.read().decode("utf-8", "replace"))
    except OSError:
        return ""


@functools.lru_cache(maxsize=8)
def _sandboxed(base: type) -> type:
    """``base`` (a jupyter_client kernel manager class) that wraps the kernel command in the sandbox,
    interrupts by message (a signal to the wrapper would not reach a kernel in its own session) and
    gives its clients a capped IOPub channel."""

    class SandboxedKernelManager(base):  # type: ignore[misc, valid-type]
        course_run: _KernelRun
        course_env: dict[str, str]

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            self.kernel_spec.interrupt_mode = "message"
            run = self.course_run
            if (run.sandboxed and run.settings.warm and run.slot is not None and _running_as_root()
                    and _warm_command(cmd)):
                run.warm = True
                chown = [str(run.workdir), str(run.ipcdir), self.connection_file] if run.slot is not None else []
                spec = _fork_spec(run.settings.limits, run.slot, [c for c in (run.cgroup, run.memcg) if c is not None],
                                  run.workdir, run.ipcdir, self.course_env, cmd[3:], chown)
                from course.grading.zygote import PRELOAD

                return _client_cmd(_zygote(PRELOAD), spec)
            if run.sandboxed:
                cmd = _bwrap_argv(run.settings.limits, run.workdir, run.ipcdir, self.course_env, cmd,
                                  as_root=run.slot is None and _running_as_root())
            spec = _spec(run.settings.limits, cmd, self.course_env, run.slot, writable=[run.workdir, run.ipcdir],
                         chown=[str(run.workdir), str(run.ipcdir), self.connection_file],
                         cgroups=[c for c in (run.cgroup, run.memcg) if c is not None])
            return _wrapper_cmd(spec)

        def client(self, **kwargs: Any) -> Any:
            import zmq

            kc = super().client(**kwargs)
            run = self.course_run
            kc.context.setsockopt(zmq.MAXMSGSIZE, run.settings.limits.message_bytes)
            kc.iopub_channel_class = _capped_channel(kc.iopub_channel_class, run)
            execute = kc.execute

            def execute_noting_code(code: str, *args: Any, **kw: Any) -> Any:
                run.last_code = str(code)[:2000]  # to say which cell a dying kernel was running
                return execute(code, *args, **kw)

            kc.execute = execute_noting_code
            return kc

    SandboxedKernelManager.__name__ = f"Sandboxed{base.__name__}"
    SandboxedKernelManager.__qualname__ = SandboxedKernelManager.__name__
    return SandboxedKernelManager


_OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "error", "clear_output"}


def _message_size(content: Mapping[str, Any]) -> int:
    try:
        return len(json.dumps(content, default=str))
    except (TypeError, ValueError):
        return 0


def _capped_channel(base: type, run: _KernelRun) -> type:
    """An IOPub channel that keeps at most ``output_bytes`` of a notebook's output.

    Past the cap, plain output (stdout, displays) is dropped after one notice; what decides a grade
    is kept, shortened: errors, the first stderr message and the first result of each cell (nbgrader
    fails a test cell on an error or stderr, and reads partial credit from its result)."""

    class CappedIOPubChannel(base):  # type: ignore[misc, valid-type]
        course_run = run

        def __init__(self, socket: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(socket, *args, **kwargs)
            import zmq

            with contextlib.suppress(Exception):  # only used to explain lost output
                run.monitor = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)

        async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
            msg = await super().get_msg(timeout=timeout)
            return _cap(self.course_run, msg)

    return CappedIOPubChannel


def _cap(run: _KernelRun, msg: dict[str, Any]) -> dict[str, Any]:
    kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
    content = msg.get("content", {})
    if kind not in _OUTPUT_TYPES:
        return msg
    run.output_bytes += _message_size(content)
    limit = run.settings.limits.output_bytes
    if run.output_bytes <= limit or kind == "clear_output":
        return msg
    cell = str(msg.get("parent_header", {}).get("msg_id", ""))
    if kind == "error":
        content["traceback"] = [str(line)[:2000] for line in content.get("traceback", [])[:20]]
        content["evalue"] = str(content.get("evalue", ""))[:2000]
        return msg
    if kind == "stream" and content.get("name") == "stderr" and (cell, kind) not in run.kept:
        run.kept.add((cell, kind))
        content["text"] = str(content.get("text", ""))[:1000]
        return msg
    if kind == "execute_result" and (cell, kind) not in run.kept:
        run.kept.add((cell, kind))
        content["data"] = {"text/plain": str(content.get("data", {}).get("text/plain", ""))[:1000]}
        content["metadata"] = {}
        return msg
    if not run.output_cut:
        run.output_cut = True
        msg["msg_type"] = msg["header"]["msg_type"] = "stream"
        msg["content"] = {"name": "stdout", "text": (
            f"\n[course grade: output cut here; this notebook printed more than {limit // MiB} MB]\n")}
        return msg
    msg["parent_header"] = {}  # for no cell: the client skips it
    return msg


def _lost_output(run: _KernelRun) -> bool:
    """True when the grader dropped the kernel's output connection (a message over the size limit)."""
    monitor = getattr(run, "monitor", None)
    if monitor is None:
        return False
    import zmq
    from zmq.utils.monitor import parse_monitor_message

    lost = False
    with contextlib.suppress(Exception):
        sync = zmq.Socket.shadow(monitor.underlying)
        while sync.poll(0):
            if parse_monitor_message(sync.recv_multipart())["event"] == zmq.EVENT_DISCONNECTED:
                lost = True
    run.lost = run.lost or lost
    return run.lost


def _process_limit_hit(run: _KernelRun) -> bool:
    """True once the kernel's processes reached their limit (a fork bomb): the pids cgroup recorded
    a refused fork, or its uid had that many tasks at one of the watcher's looks."""
    if run.cgroup is not None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in (run.cgroup / "pids.events").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "max" and int(value) > 0:
                    run.limit_hit = True
    if run.slot is not None and _tasks_of(run.slot.uid) >= run.settings.limits.processes:
        run.limit_hit = True
    return run.limit_hit


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "confine":
        _confine(json.loads(argv[1]))
    print("usage: sandbox.py confine SPEC_JSON", file=sys.stderr)
    return 2


__all__ = ["LIMITS_ONLY", "SANDBOX", "Isolation", "Limits", "SandboxKernelLauncher", "SandboxUnavailable",
           "Settings", "isolation", "resolve"]

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
