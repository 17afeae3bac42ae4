"""Warm sandboxed kernels: one fork server ("zygote") per worker process.

Starting an IPython kernel costs about a second of CPU, nearly all of it imports (IPython, ipykernel,
zmq, and the ``course`` modules the notebooks import: pandas, pydantic, ...). The zygote is a
trusted process, started by the worker as root, that does those imports once and then runs no
code but its own: for each kernel it forks, and only the forked copy is confined and becomes the
kernel. So every submission still gets a process of its own that no other submission's code ever
touched, and it starts in tens of milliseconds.

What one fork does before the kernel's first line (:func:`_sandbox`), as root, then for good:

* joins the kernel's cgroups (pids, memory), sets the resource limits;
* new mount, pid, network, IPC, UTS and cgroup namespaces; a pid-1 reaper of its own, so the
  kernel is pid 2 and everything it starts dies with it;
* a new root built from an empty tmpfs: the system (``/usr``, ``/etc``, ...), the Python prefix,
  the virtual environment, the ``course`` package and ``data/``, all read-only; its own folder and its
  IPC socket folder writable; a private size-limited ``/tmp`` and ``/dev/shm``; a minimal ``/dev``;
  ``/proc`` of its own pid namespace; the old root detached. Nothing else of the machine is there
  (no gradebook, no other submission, no zygote socket);
* a clean environment, the kernel's own user id (no groups), ``no_new_privs`` and the
  system-call filter (:mod:`course.grading.seccomp`), then IPython's kernel app.

jupyter_client starts a tiny client (``python -I -S zygote.py client SOCKET SPEC``, standard library
only) as the kernel's process: it hands the request and its stdin/stdout/stderr to the zygote, and
exits with the kernel's exit status, so the kernel manager sees the kernel's life and death as
usual. When the client is killed, the zygote kills the sandbox; when the zygote dies (or its
worker), every sandbox it started dies with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

#: Imported by the zygote before it forks anything: what a kernel and the course's notebooks import.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython", "IPython.core.completer",
    "jupyter_client.session", "zmq", "comm", "pyseccomp",
    # what the course's own modules import (they themselves are imported by each kernel: a learner's
    # folder may hold a ``course`` package of its own, and it must shadow ours exactly as in a fresh kernel)
    "numpy", "pandas", "pydantic", "yaml", "ipywidgets", "anywidget", "psygnal", "dateutil",
    # and the course's own modules: kept aside in each kernel and put back only when its first
    # `import course` would find this very package (see _stash_course)
    "course.answers", "course.policy", "course.widgets",
)
_MSG = 1 << 16  # largest request (a JSON spec)

# -- the client: what jupyter_client starts as the kernel's process --------------------------------------


def _client(path: str, spec: str) -> NoReturn:
    libc = _libc()
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: the worker gone, the client goes, so the kernel
    data = spec.encode()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.connect(path)
        socket.send_fds(conn, [data], [0, 1, 2])
        while True:
            msg = conn.recv(256)
            if not msg:
                print("course grade: the kernel's fork server went away", file=sys.stderr)
                os._exit(1)
            kind, _, value = msg.decode().partition(" ")
            if kind == "exit":
                os._exit(int(value))
            if kind == "error":
                print(f"course grade: the kernel could not be started: {value}", file=sys.stderr)
                os._exit(1)
    except OSError as exc:
        print(f"course grade: cannot reach the kernel's fork server: {exc}", file=sys.stderr)
        os._exit(1)


# -- the server ----------------------------------------------------------------------------------------


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def serve(path: str, preload: list[str], parent: int) -> NoReturn:
    import importlib
    import selectors
    import threading

    libc = _libc()
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the worker
    if os.getppid() != parent:
        os._exit(1)
    failed = []
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a missing optional module only makes kernels start slower
            failed.append(f"{name}: {type(exc).__name__}")
    if threading.active_count() != 1:  # forking a process with threads could copy a held lock
        print("error the zygote has threads after its imports", flush=True)
        os._exit(1)
    from course.grading import seccomp

    seccomp_filter = seccomp.build()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    print("ready", *failed, flush=True)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, ("listen", None))
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:
        for key, _ in sel.select():
            kind, data = key.data
            if kind == "listen":
                conn, _ = listener.accept()
                try:
                    msg, fds, _, _ = socket.recv_fds(conn, _MSG, 3)
                    spec = json.loads(msg.decode())
                    if len(fds) != 3:
                        raise ValueError("expected stdin, stdout and stderr")
                except Exception as exc:
                    with contextlib.suppress(OSError):
                        conn.send(f"error bad request: {exc}".encode())
                    conn.close()
                    continue
                try:
                    pid = os.fork()
                except OSError as exc:
                    for fd in fds:
                        os.close(fd)
                    with contextlib.suppress(OSError):
                        conn.send(f"error fork failed: {exc}".encode())
                    conn.close()
                    continue
                if pid == 0:
                    _child(spec, fds, seccomp_filter)
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                child = {"pid": pid, "conn": conn, "pidfd": pidfd}
                sel.register(pidfd, selectors.EVENT_READ, ("exit", child))
                sel.register(conn, selectors.EVENT_READ, ("conn", child))
            elif kind == "exit":
                _, status = os.waitpid(data["pid"], 0)
                code = os.waitstatus_to_exitcode(status)
                _close(sel, data, f"exit {code if code >= 0 else 128 - code}")
            elif kind == "conn":  # the client went away (killed): the sandbox goes too
                with contextlib.suppress(OSError):
                    if data["conn"].recv(16):
                        continue
                with contextlib.suppress(OSError):
                    os.kill(data["pid"], signal.SIGKILL)


def _close(sel: Any, child: dict[str, Any], message: str) -> None:
    for item in ("conn", "pidfd"):
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(child[item])
    with contextlib.suppress(OSError):
        child["conn"].send(message.encode())
    child["conn"].close()
    os.close(child["pidfd"])


def _child(spec: dict[str, Any], fds: list[int], seccomp_filter: Any) -> NoReturn:
    """The fork: becomes the sandbox (never returns to the server loop)."""
    try:
        for i, fd in enumerate(fds):
            os.dup2(fd, i, inheritable=True)
        os.closerange(3, 65536)  # the listener, other kernels' connections, their pidfds
        _sandbox(spec, seccomp_filter)
    except BaseException:
        with contextlib.suppress(Exception):
            sys.stderr.write("course grade: the sandbox could not be set up:\n" + traceback.format_exc())
            sys.stderr.flush()
        os._exit(127)
    os._exit(127)


# -- the sandbox ------------------------------------------------------------------------------------------

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155  # x86_64
_SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc: Any, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    import ctypes

    def enc(value: str | None) -> bytes | None:
        return value.encode() if value is not None else None

    _check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def _bind(libc: Any, source: str, target: str, *, writable: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        open(target, "a").close()
    _mount(libc, source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable else MS_RDONLY)
    _mount(libc, None, target, None, flags)


def _sandbox(spec: dict[str, Any], seccomp_filter: Any) -> NoReturn:
    import resource

    libc = _libc()
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the zygote
    uid = spec.get("uid")
    for path in spec.get("chown", []):
        os.chown(path, uid, uid)
    for procs in spec.get("cgroups", []):
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP),
           "unshare")
    reaper = os.fork()
    if reaper:
        _, status = os.waitpid(reaper, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    # pid 1 of the new pid namespace: builds the root, starts the kernel as pid 2, reaps orphans
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    _build_root(libc, spec)
    name = b"sandbox"
    libc.sethostname(name, len(name))
    kernel = os.fork()
    if kernel == 0:
        _become_kernel(libc, spec, seccomp_filter)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if pid == kernel:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def _build_root(libc: Any, spec: dict[str, Any]) -> None:
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    root = spec["root"]
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for top in _SYSTEM:
        if os.path.islink(top):
            os.symlink(os.readlink(top), root + top)
        elif os.path.isdir(top):
            _bind(libc, top, root + top, writable=False)
    size = f",size={spec['tmp_bytes']}"
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount(libc, "tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" + size)
    os.makedirs(root + "/dev", exist_ok=True)
    _mount(libc, "tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    for device in _DEVICES:
        if os.path.exists(f"/dev/{device}"):
            open(f"{root}/dev/{device}", "a").close()
            _mount(libc, f"/dev/{device}", f"{root}/dev/{device}", None, MS_BIND)
    for link, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{link}")
    os.makedirs(root + "/dev/shm")
    _mount(libc, "tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" + size)
    _mount(libc, None, root + "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    # after the empty /tmp: a kernel's folders (and a policy folder) under /tmp stay visible
    for tree in spec["read_only"]:
        _bind(libc, tree, root + tree, writable=False)
    for tree in spec["writable"]:
        _bind(libc, tree, root + tree, writable=True)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(root)
    _check(libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    _mount(libc, None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _become_kernel(libc: Any, spec: dict[str, Any], seccomp_filter: Any) -> NoReturn:
    code = 1
    try:
        os.chdir(spec["workdir"])
        uid = spec.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        else:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        os.umask(0o022)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
        os.environ.clear()
        os.environ.update(spec["env"])
        sys.dont_write_bytecode = True
        _stash_course()
        sys.argv = [spec["argv0"], *spec["args"]]
        sys.path[:] = [spec["workdir"], *[p for p in sys.path if p and Path(p).resolve() != _HERE]]
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _pipe_over_ipc(spec["workdir"] if not spec.get("ipcdir") else spec["ipcdir"])
        if seccomp_filter is not None:
            seccomp_filter.load()  # sets no_new_privs itself
        if spec.get("probe"):  # a check that the sandbox works, instead of a kernel
            exec(compile(spec["probe"], "<probe>", "exec"), {"__name__": "__probe__"})
        else:
            from ipykernel import kernelapp

            kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        with contextlib.suppress(Exception):
            sys.stderr.write(traceback.format_exc())
    with contextlib.suppress(Exception):
        import atexit

        atexit._run_exitfuncs()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


_HERE = Path(__file__).resolve().parent


def _stash_course() -> None:
    """Take the zygote's ``course`` modules out of ``sys.modules``, so the kernel starts as a fresh one
    would, without them. The grading ones (this module, the filter) are dropped; the ones the
    notebooks use wait in a :class:`_CourseFinder`, which puts them back on the kernel's first
    ``import course`` only when that import would find this very package; a ``course`` package or
    module of the learner's own (in its folder, first on ``sys.path``) is imported from there instead."""
    stash: dict[str, Any] = {}
    for name in [m for m in sys.modules if m == "course" or m.startswith("course.")]:
        module = sys.modules.pop(name)
        if name != "course.grading" and not name.startswith("course.grading."):
            stash[name] = module
    if "course" in stash:
        stash["course"].__dict__.pop("grading", None)
        sys.meta_path.insert(0, _CourseFinder(stash))


class _CourseFinder:
    """Answers the kernel's first ``import course`` with the zygote's modules, when they are what a
    fresh import would find; else with nothing (the import goes on as usual). Asked once."""

    def __init__(self, stash: dict[str, Any]) -> None:
        self.stash = stash

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "course":
            return None
        import importlib.util

        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        ours = self.stash.pop("course")
        try:
            found = importlib.util.find_spec("course")
        except (ImportError, ValueError):
            found = None
        if found is None or found.origin != ours.__spec__.origin:
            self.stash.clear()
            return None
        sys.modules.update(self.stash)
        self.stash.clear()
        spec = importlib.util.spec_from_loader("course", _Stashed(ours), is_package=True)
        return spec


class _Stashed:
    """A loader that hands back a module already imported (and leaves its spec as it was)."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: Any) -> Any:
        return self.module

    def exec_module(self, module: Any) -> None:
        module.__spec__ = self.spec


def _pipe_over_ipc(folder: str) -> None:
    """ipykernel forwards the output of forked child processes (``multiprocessing``) over a ZeroMQ pipe
    on ``tcp://127.0.0.1``; the system-call filter allows no TCP socket, so that pipe goes over an IPC
    socket in the kernel's own socket folder instead (the same messages, the same checks)."""
    try:
        import zmq
        from ipykernel import iostream
        from zmq.eventloop.zmqstream import ZMQStream
    except ImportError:
        return
    address = f"ipc://{folder}/iopub-pipe"

    def setup_pipe_in(self: Any) -> None:
        self._pipe_uuid = os.urandom(16)
        pipe_in = self.socket.context.socket(zmq.PULL)
        pipe_in.linger = 0
        try:
            pipe_in.bind(address)
        except zmq.ZMQError:
            self._pipe_flag = False
            pipe_in.close()
            return
        self._pipe_port = 0
        self._pipe_in = ZMQStream(pipe_in, self.io_loop)
        self._pipe_in.on_recv(self._handle_pipe_msg)

    def setup_pipe_out(self: Any) -> Any:
        ctx = zmq.Context()
        pipe_out = ctx.socket(zmq.PUSH)
        pipe_out.linger = 3000
        pipe_out.connect(address)
        return ctx, pipe_out

    iostream.IOPubThread._setup_pipe_in = setup_pipe_in
    iostream.IOPubThread._setup_pipe_out = setup_pipe_out


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "client":
        _client(argv[1], argv[2])
    if len(argv) == 4 and argv[0] == "serve":
        serve(argv[1], json.loads(argv[2]), int(argv[3]))
    print("usage: zygote.py client SOCKET SPEC | serve SOCKET PRELOAD PARENT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
