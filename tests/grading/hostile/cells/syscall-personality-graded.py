# Changes its personality: turns address-space randomisation off (READ_IMPLIES_EXEC too).
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



attempt("personality(ADDR_NO_RANDOMIZE)", libc.syscall(135, 0x0040000))
attempt("personality(READ_IMPLIES_EXEC)", libc.syscall(135, 0x0400000))
