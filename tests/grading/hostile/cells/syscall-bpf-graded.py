# Creates an eBPF map (the first step of loading a BPF program).
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



attr = (ctypes.c_uint32 * 30)(1, 4, 4, 16)  # BPF_MAP_TYPE_HASH, key 4 bytes, value 4 bytes, 16 entries
attempt("bpf(BPF_MAP_CREATE)", libc.syscall(321, 0, ctypes.byref(attr), ctypes.sizeof(attr)))
