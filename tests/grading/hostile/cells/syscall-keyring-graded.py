# Uses the kernel keyring: adds a key to its session keyring and reads the keyring id.
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



attempt("add_key", libc.syscall(248, b"user", b"course-key", b"secret", 6, -3))
attempt("keyctl(GET_KEYRING_ID)", libc.syscall(250, 0, -3, 0))
