# Traces a process: attaches to a child of its own, then asks to be traced itself.
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



child = os.fork()
if child == 0:
    import time
    time.sleep(30)
    os._exit(0)
attempt("ptrace(PTRACE_ATTACH)", libc.ptrace(16, child, None, None))
os.kill(child, 9)
os.waitpid(child, 0)
