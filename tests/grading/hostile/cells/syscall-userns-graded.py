# Makes a new user namespace, where it would be root (the usual first step of a kernel exploit).
# Prints ESCAPED when the kernel lets it through, else "denied" with the error (the system-call filter
# of the sandbox answers EPERM, "Operation not permitted").
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)


def attempt(what, result):
    if result == -1:
        err = ctypes.get_errno()
        print("denied", what, os.strerror(err))
    else:
        print("ESCAPED", what, result)



attempt("unshare(CLONE_NEWUSER)", libc.syscall(272, 0x10000000))
child = libc.syscall(56, 0x10000000 | 17, None, None, None, None)  # clone(CLONE_NEWUSER | SIGCHLD)
if child == 0:
    os._exit(0)
attempt("clone(CLONE_NEWUSER)", child)
if child > 0:
    os.waitpid(child, 0)
