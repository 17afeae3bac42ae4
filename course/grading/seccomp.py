"""The system-call filter of a grading kernel (libseccomp, through the ``pyseccomp`` binding).

Everything is allowed except what a kernel running a learner's notebook never needs; those calls
fail with ``EPERM`` (Python raises ``PermissionError: [Errno 1] Operation not permitted``), so the
notebook gets an error in the cell that tried, and the batch goes on:

* network sockets: ``socket()`` of any family but ``AF_UNIX`` (the kernel's own channel to the grader
  is ZeroMQ over IPC sockets, which are ``AF_UNIX``, and they are opened after the filter is in place);
* tracing and reading other processes: ``ptrace``, ``process_vm_readv``/``writev``;
* mounts: ``mount``, ``umount2``, ``pivot_root`` and the new mount API;
* the kernel keyring: ``keyctl``, ``add_key``, ``request_key``;
* ``bpf``, ``perf_event_open``, ``userfaultfd``;
* kernel modules: ``init_module``, ``finit_module``, ``delete_module``;
* ``personality`` (except asking for the current one);
* new namespaces: ``unshare``, ``setns``, ``clone`` with any ``CLONE_NEW*`` flag; ``clone3`` answers
  ``ENOSYS`` (its flags cannot be inspected), so the C library falls back to ``clone``;
* ``reboot``, ``kexec_load``, ``kexec_file_load``, ``swapon``/``swapoff``, ``acct``, setting the clock,
  ``iopl``/``ioperm``, ``syslog``, ``quotactl``.

System calls of another architecture (32-bit ``int 0x80``) kill the process (libseccomp's default).
"""

from __future__ import annotations

import errno
import socket
from typing import Any

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
    "mount_setattr",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd",
    "init_module", "finit_module", "delete_module",
    "unshare", "setns",
    "reboot", "kexec_load", "kexec_file_load", "swapon", "swapoff", "acct",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "syslog", "quotactl",
)
#: Every ``CLONE_NEW*`` flag (cgroup, UTS, IPC, user, pid, network, mount, time).
CLONE_NEW_FLAGS = (0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00020000, 0x00000080)
PER_QUERY = 0xFFFFFFFF


def available() -> tuple[bool, str]:
    """Whether a filter can be built here (the binding and libseccomp installed); (yes, why not)."""
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, OSError) as exc:
        return False, f"pyseccomp or libseccomp is missing ({type(exc).__name__}: {exc})"
    return True, ""


def build() -> Any:
    """The filter (not loaded yet); None when libseccomp is not available."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError):
        return None
    deny = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except OSError:  # a call this kernel's headers do not know
            continue
    f.add_rule(deny, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    f.add_rule(deny, "personality", sc.Arg(0, sc.NE, PER_QUERY))
    for flag in CLONE_NEW_FLAGS:
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    return f


__all__ = ["DENIED", "available", "build"]
